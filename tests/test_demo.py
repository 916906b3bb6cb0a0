"""python -m boostfocal demo: runs every installed booster and reports real numbers."""
import importlib.util
import io
import subprocess
import sys

from boostfocal.demo import expected_calibration_error, run


def test_demo_table_on_small_data(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    rows = run(rows=4000, n_estimators=40, plots=str(tmp_path), out=out, err=err)
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


def test_demo_command_line():
    out = subprocess.run([sys.executable, "-m", "boostfocal", "demo", "--rows", "3000",
                          "--n-estimators", "20"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("focal g=2") == 3
