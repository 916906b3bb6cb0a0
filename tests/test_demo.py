"""python -m boostfocal demo: runs every installed booster and reports real numbers."""
import importlib.util
import io
import re
import subprocess
import sys

import pytest

from boostfocal.demo import expected_calibration_error, run


def test_demo_table_on_small_data(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    rows = run(rows=4000, n_estimators=40, plots=str(tmp_path), out=out, err=err, progress=True)
    text = out.getvalue()
    assert rows is not None and len(rows) == 6  # three boosters x (log-loss, focal)
    assert {r["booster"] for r in rows} == {"xgboost", "lightgbm", "catboost"}
    for r in rows:
        assert 0 < r["AP"] <= 1 and 0.5 < r["ROC-AUC"] <= 1 and r["fit s"] > 0
        if r["loss"] == "log-loss":  # gamma = 0: the posterior is the sigmoid
            assert abs(r["ECE"] - r["ECE sigmoid"]) < 1e-12
        else:  # focal scores through the sigmoid are miscalibrated; the posterior is not
            assert r["ECE"] < r["ECE sigmoid"]
    assert "ROC-AUC" in text and "gradient check" in text and "PASS" in text
    if importlib.util.find_spec("matplotlib") is None:  # the 'plots' extra is not installed
        assert "--plots needs matplotlib" in text and not (tmp_path / "demo.png").exists()
    else:
        assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert "6/6" in err.getvalue()


def test_expected_calibration_error():
    import numpy as np

    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(y, np.array([0.0, 0.0, 1.0, 1.0]), bins=2) == 0.0
    assert expected_calibration_error(y, np.full(4, 0.5), bins=1) == 0.0
    assert expected_calibration_error(y, np.array([0.5, 0.5, 0.5, 0.5]), bins=2) == 0.5


def test_demo_command_line(tmp_path):
    plots = importlib.util.find_spec("matplotlib") is not None
    out = subprocess.run([sys.executable, "-m", "boostfocal", "demo", "--rows", "3000",
                          "--n-estimators", "20"] + (["--plots"] if plots else []),
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "\r" not in out.stdout + out.stderr  # piped: no progress frames in the log
    assert out.stdout.count("focal g=2") == 3
    assert "first call of each numba kernel compiles it" in out.stdout  # said once
    if plots:  # --plots without a folder writes into ./boostfocal-plots
        assert (tmp_path / "boostfocal-plots" / "demo.png").stat().st_size > 10_000


@pytest.mark.parametrize("command", [[], ["demo"], ["check"]])
def test_help_is_plain_text_and_explains_every_option(command):
    out = subprocess.run([sys.executable, "-m", "boostfocal", *command, "--help"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "``" not in text and "%%" not in text  # no reStructuredText or unformatted markup
    options = re.findall(r"^  (--[\w-]+)", text, flags=re.M)
    assert options == {"": ["--version"], "demo": ["--rows", "--seed", "--gamma", "--alpha",
                                        "--n-estimators", "--plots"],
                       "check": ["--tol"]}[" ".join(command)]
    # every option's line (or its continuation) carries help text with its default
    blocks = re.split(r"^  (?=--)", text.split("options:")[1], flags=re.M)[1:]
    for block in blocks:
        words = re.sub(r"^--[\w-]+( \[?[A-Z_]+\]?)?", "", block.strip()).split()
        assert len(words) >= 4, f"option without help: {block!r}"
        assert "default" in block or "--plots" in block or "--version" in block, block
    if command == []:
        assert "check" in text and "demo" in text and "finite differences" in text


def test_check_report_narrowed_to_the_demo_gammas():
    """The demo checks only its two gammas' binary kernels (each gamma class is a compile on an
    empty cache); the rows printed are exactly those, and the narrowed check can still fail."""
    from boostfocal._report import LABELS, WEIGHTS, check_report

    buf = io.StringIO()
    assert check_report(out=buf, gammas=(0.0, 3.0), multiclass=False)
    rows = [line.split() for line in buf.getvalue().splitlines()[2:-1]]
    assert len(rows) == 2 * len(WEIGHTS) * len(LABELS)
    assert {r[0] for r in rows} == {"0", "3"}
    assert "multiclass" not in buf.getvalue()
    assert not check_report(1e-30, io.StringIO(), gammas=(3.0,), multiclass=False)
