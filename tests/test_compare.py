"""boostfocal.compare: numbers against a direct computation on the same folds, gamma = 0 without
alpha is log-loss (and log-loss is the booster's own), bad input, the CLI, the report in a
headless browser."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t
from sklearn.datasets import make_classification
from sklearn.metrics import (average_precision_score, brier_score_loss, log_loss,
                             precision_recall_curve, roc_auc_score)
from sklearn.model_selection import StratifiedKFold, train_test_split

import boostfocal
from boostfocal.compare import compare

FAST = dict(n_estimators=15, learning_rate=0.3, early_stopping_rounds=5, n_jobs=1, budget=None,
            progress=False)
METRICS = ["AP", "AP_rare", "ROC_AUC", "log_loss", "Brier", "ECE", "recall_at_precision"]


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(900, 6, n_informative=4, weights=[0.85], flip_y=0.02,
                               random_state=1)
    return X, y


def _ece(y, p, bins=15):
    order = np.argsort(p, kind="stable")
    return sum(len(c) * abs(y[c].mean() - p[c].mean())
               for c in np.array_split(order, bins)) / len(p)


def _direct_folds(y, folds, seed):
    """The documented scheme, written out: StratifiedKFold(shuffle, seed + repeat), then 20% of
    the training part (stratified, seed + 1000 (repeat + 1) + fold) for early stopping."""
    out = []
    for f, (fit, test) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed)
                                    .split(np.zeros(len(y)), y)):
        tr, va = train_test_split(fit, test_size=0.2, stratify=y[fit],
                                  random_state=seed + 1000 + f)
        out.append((tr, va, test))
    return out


def test_binary_numbers_match_a_direct_computation(binary):
    X, y = binary
    res = compare(X, y, folds=3, repeats=1, gammas=(1.0,), alphas=(0.25,), precision=0.6,
                  **FAST)
    name = "focal g=1 a=0.25"
    got = res.folds[res.folds["config"] == name].set_index("fold")
    base = res.folds[res.folds["config"] == "log-loss"].set_index("fold")
    ap_diff = []
    for f, (tr, va, te) in enumerate(_direct_folds(y, 3, 0)):
        kw = dict(n_estimators=15, learning_rate=0.3, early_stopping_rounds=5, n_jobs=1,
                  random_state=0)
        est = boostfocal.FocalXGBClassifier(gamma=1.0, alpha=0.25, **kw)
        p = est.fit(X[tr], y[tr], eval_set=[(X[va], y[va])]).predict_proba(X[te])[:, 1]
        yt = y[te]
        prec, rec, _ = precision_recall_curve(yt, p)
        want = dict(AP=average_precision_score(yt, p), AP_rare=average_precision_score(yt, p),
                    ROC_AUC=roc_auc_score(yt, p), log_loss=log_loss(yt, p),
                    Brier=brier_score_loss(yt, p), ECE=_ece(yt, p),
                    recall_at_precision=rec[prec >= 0.6].max())
        for m in METRICS:
            assert got.loc[f, m] == pytest.approx(want[m], rel=1e-9, abs=1e-12), (f, m)
        assert got.loc[f, "rounds"] == est.n_estimators_
        plain = boostfocal.FocalXGBClassifier(gamma=0.0, **kw).fit(
            X[tr], y[tr], eval_set=[(X[va], y[va])]).predict_proba(X[te])[:, 1]
        assert base.loc[f, "AP"] == pytest.approx(average_precision_score(yt, plain), rel=1e-12)
        ap_diff.append(want["AP"] - average_precision_score(yt, plain))
    # summary: the mean paired difference and the corrected t-interval, by hand
    row = res.summary.set_index("config").loc[name]
    d = np.array(ap_diff)
    share = np.mean([len(te) for _, _, te in _direct_folds(y, 3, 0)]) / \
        np.mean([len(tr) + len(va) for tr, va, _ in _direct_folds(y, 3, 0)])
    assert row["d_AP"] == pytest.approx(d.mean(), rel=1e-9)
    assert row["ci_AP"] == pytest.approx(student_t.ppf(0.975, 2) * np.sqrt(
        (1 / 3 + share) * d.var(ddof=1)), rel=1e-9)
    assert res.settings["rare_class"] == 1


def test_gamma_zero_without_alpha_is_the_log_loss_row(binary):
    X, y = binary
    res = compare(X, y, folds=3, repeats=2, gammas=(0.0, 2.0), alphas=(None,), **FAST)
    f = res.folds.set_index(["config", "repeat", "fold"])
    zero, plain = f.loc["focal g=0 a=-"], f.loc["log-loss"]
    for m in METRICS + ["rounds"]:
        np.testing.assert_array_equal(zero[m].to_numpy(), plain[m].to_numpy(), err_msg=m)
    s = res.summary.set_index("config").loc["focal g=0 a=-"]
    assert s["d_AP"] == 0.0 and s["d_log_loss"] == 0.0
    # and the log-loss row is XGBoost's own binary:logistic (same start, rounds and seed)
    import xgboost as xgb

    tr, va, te = _direct_folds(y, 3, 0)[0]
    kw = dict(n_estimators=15, learning_rate=0.3, n_jobs=1, random_state=0)
    ours = boostfocal.FocalXGBClassifier(gamma=0.0, **kw).fit(X[tr], y[tr]).predict_proba(X[te])
    own = xgb.XGBClassifier(objective="binary:logistic", base_score=0.5, **kw).fit(
        X[tr], y[tr]).predict_proba(X[te])
    np.testing.assert_allclose(ours, own, atol=1e-5)


def test_multiclass_string_labels_and_categories():
    X, y = make_classification(900, 5, n_informative=3, n_redundant=0, n_classes=3,
                               weights=[0.6, 0.3, 0.1], random_state=2)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    frame["colour"] = pd.Categorical(np.array(["red", "green", "blue"])[(X[:, 0] > 0).astype(int)
                                                               + (X[:, 1] > 0)])
    frame["label"] = np.array(["ant", "bee", "cat"])[y]
    res = compare(frame, "label", folds=3, repeats=1, gammas=(2.0,), **FAST)
    assert res.settings["classes"] == ["ant", "bee", "cat"]
    assert res.settings["rare_class"] == "cat"
    assert list(res.summary["config"]) == ["log-loss", "weighted log-loss", "focal g=2 a=-",
                                           "focal g=2 a=balanced"]
    # macro AP of one fold, by hand from the same fit
    tr, va, te = _direct_folds(y, 3, 0)[1]
    feats = frame.drop(columns=["label"])
    est = boostfocal.FocalXGBClassifier(gamma=2.0, n_estimators=15, learning_rate=0.3,
                                        early_stopping_rounds=5, n_jobs=1, random_state=0)
    est.fit(feats.iloc[tr], frame["label"].iloc[tr],
            eval_set=[(feats.iloc[va], frame["label"].iloc[va])])
    P = est.predict_proba(feats.iloc[te])
    macro = np.mean([average_precision_score(y[te] == k, P[:, k]) for k in range(3)])
    row = res.folds.set_index(["config", "fold"]).loc[("focal g=2 a=-", 1)]
    assert row["AP"] == pytest.approx(macro, rel=1e-9)
    assert row["AP_rare"] == pytest.approx(average_precision_score(y[te] == 2, P[:, 2]), rel=1e-9)
    assert row["log_loss"] == pytest.approx(log_loss(y[te], P, labels=[0, 1, 2]), rel=1e-9)
    assert row["Brier"] == pytest.approx(np.mean(np.sum((P - np.eye(3)[y[te]]) ** 2, 1)))


def test_time_split_tests_on_the_future(binary):
    X, y = binary
    when = np.random.default_rng(0).permutation(len(y))
    res = compare(X, y, time=when, folds=3, gammas=(1.0,), alphas=(None,), **FAST)
    from boostfocal.compare._design import time_folds

    for fold in time_folds(when, y, np.array([0, 1]), 3):
        assert when[fold.train].max() < when[fold.valid].min()
        assert when[fold.valid].max() < when[fold.test].min()
    assert res.settings["split"] == "time" and len(res.folds) == 3 * 3


@pytest.mark.parametrize("processes", [1, 2])
def test_budget_shrinks_the_plan_and_says_what(binary, processes):
    X, y = binary
    res = compare(X, y, folds=3, repeats=2, processes=processes, **dict(FAST, budget=1e-4))
    assert any(d.startswith("repeats 2 -> 1") for d in res.dropped)
    assert any(d.startswith("gammas") for d in res.dropped)
    assert res.folds["repeat"].max() == 0
    assert set(res.summary["kind"]) == {"log-loss", "weighted", "focal"}
    assert len(res.summary) == 3  # one gamma, one alpha left


def test_bad_input_errors(binary):
    X, y = binary
    frame = pd.DataFrame(X, columns=list("abcdef")).assign(t=y)
    with pytest.raises(ValueError, match="'target' is not a column of X"):
        compare(frame, "target", **FAST)
    with pytest.raises(ValueError, match="one class only"):
        compare(X, np.zeros(len(y)), **FAST)
    few = np.zeros(len(y), int)
    few[:7] = 1
    with pytest.raises(ValueError, match="has 7 rows; 5 folds need at least 10 rows"):
        compare(X, few, folds=5, **FAST)
    with pytest.raises(ValueError, match="booster must be one of"):
        compare(X, y, booster="sklearn", **FAST)
    with pytest.raises(ValueError, match="alphas: 'balanced' is not allowed with 2 classes"):
        compare(X, y, alphas=("balanced",), **FAST)
    with pytest.raises(ValueError, match="gammas"):
        compare(X, y, gammas=(-1.0,), **FAST)
    with pytest.raises(ValueError, match="X has 900 rows but y has 10"):
        compare(X, y[:10], **FAST)
    with pytest.raises(TypeError, match="X has no columns"):
        compare(X, "t", **FAST)


def _cli(tmp_path, data, *extra):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "boostfocal", "compare", str(data),
                           "--target", "label", "--budget", "5", "--folds", "2", "--repeats", "1",
                           "--n-jobs", "1", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=300)
    return proc, out


@pytest.fixture(scope="module")
def table():
    X, y = make_classification(400, 4, weights=[0.8], random_state=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_writes_report_json_csv(tmp_path, table, fmt):
    data = tmp_path / f"data.{fmt}"
    table.to_csv(data, index=False) if fmt == "csv" else table.to_parquet(data)
    proc, out = _cli(tmp_path, data)
    assert proc.returncode == 0, proc.stderr
    assert "log-loss" in proc.stdout and "wrote" in proc.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["classes"] == ["no", "yes"]
    names = [r["config"] for r in results["summary"]]
    assert names[:2] == ["log-loss", "weighted log-loss"] and len(names) == 11
    assert len(results["folds"]) == 11 * 2
    csv = pd.read_csv(out / "results.csv")
    assert list(csv["config"]) == names
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<table>" in html


def test_cli_bad_target_is_a_clear_error(tmp_path, table):
    data = tmp_path / "data.csv"
    table.to_csv(data, index=False)
    proc = subprocess.run([sys.executable, "-m", "boostfocal", "compare", str(data), "--target",
                           "nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "'nope' is not a column of X" in proc.stderr and "Traceback" not in proc.stderr


def test_polars_input(binary):
    pl = pytest.importorskip("polars")
    X, y = binary
    frame = pl.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])}).with_columns(
        label=pl.Series(y))
    res = compare(frame, "label", folds=2, repeats=1, gammas=(1.0,), alphas=(None,), **FAST)
    ref = compare(X, y, folds=2, repeats=1, gammas=(1.0,), alphas=(None,), **FAST)
    np.testing.assert_array_equal(res.folds["AP"], ref.folds["AP"])


def test_report_renders_in_headless_chromium(tmp_path, binary):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    X, y = binary
    compare(X, y, folds=2, repeats=1, gammas=(1.0, 2.0), alphas=(None, 0.25),
            out=tmp_path, **FAST)
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    f"--screenshot={shot}", "--window-size=1200,2400",
                    (tmp_path / "report.html").as_uri()], capture_output=True, timeout=120)
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (2400, 1200)
    # the plots rendered: many pixels in matplotlib's default line colours / the heat map's
    colourful = (np.abs(img[..., 0] - img[..., 2]) > 60).mean()
    assert colourful > 0.005, colourful


@pytest.mark.parametrize("booster", ["lightgbm", "catboost"])
def test_other_boosters(binary, booster):
    X, y = binary
    res = compare(X[:400], y[:400], booster=booster, folds=2, repeats=1, gammas=(0.0,),
                  alphas=(None,), **FAST)
    f = res.folds.set_index(["config", "fold"])
    np.testing.assert_array_equal(f.loc["focal g=0 a=-"]["AP"], f.loc["log-loss"]["AP"])
    assert (res.folds["rounds"] <= 15).all() and res.settings["booster"] == booster


def test_catboost_multiclass_defaults_to_one_thread(monkeypatch):
    """CatBoost calls a multi-class Python objective per row holding the GIL (one thread is the
    faster count, docs/speed-warmup.md): compare keeps the estimator's one thread there unless
    n_jobs is given; binary CatBoost takes the idle cores."""
    from boostfocal.compare import _api

    monkeypatch.setattr(_api.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(_api.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert _api.default_n_jobs("catboost", 3) == 1
    assert _api.default_n_jobs("catboost", 2) == _api.default_n_jobs("xgboost", 5) == 4
    X, y = make_classification(300, 4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)
    fast = {k: v for k, v in FAST.items() if k != "n_jobs"}
    kw = dict(booster="catboost", folds=2, repeats=1, gammas=(2.0,), alphas=(None,), **fast)
    assert _api.default_processes("catboost", 3) == 4 and _api.default_processes("catboost", 2) == 1
    assert _api.default_processes("lightgbm", 3) == 1
    one = compare(X, y, processes=1, **kw)
    assert one.settings["n_jobs"] == 1 and one.settings["processes"] == 1
    two = compare(X, y, n_jobs=2, processes=2, **kw)
    assert two.settings["n_jobs"] == 2 and two.settings["processes"] == 2
    # CatBoost gives the same model for any thread count, in any process
    np.testing.assert_array_equal(one.folds["AP"], two.folds["AP"])


def test_fits_in_processes_give_the_same_numbers(binary):
    """processes=2 fits the configurations in two fresh processes: the same folds, seeds and
    models, so every number but the times is the one-process run's."""
    X, y = binary
    kw = dict(folds=2, repeats=1, gammas=(1.0, 2.0), alphas=(None, 0.25), **FAST)
    here = compare(X[:600], y[:600], **kw)
    there = compare(X[:600], y[:600], processes=2, **kw)
    assert here.settings["processes"] == 1 and there.settings["processes"] == 2
    cols = ["config", "repeat", "fold", "rounds", "AP", "ROC_AUC", "log_loss", "Brier", "ECE"]
    assert list(here.folds["config"]) == list(there.folds["config"])
    assert here.folds[cols].equals(there.folds[cols])
    assert here.recommendation == there.recommendation
    with pytest.raises(ValueError, match="processes"):
        compare(X[:600], y[:600], processes=0, **kw)


def test_usable_cpus_without_an_affinity_mask(monkeypatch):
    """macOS and Windows have no os.sched_getaffinity: the CPU count is used (compare's default
    threads, the warm-up's processes and CatBoost's thread_count=-1 all read it)."""
    import os

    from boostfocal._cpus import usable_cpus
    from boostfocal.compare import _api

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 5, 7})  # a container's 3 CPUs
    assert usable_cpus() == 3
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.0, 0.0, 0.0))
    assert usable_cpus() == 6 and _api.default_n_jobs("xgboost", 2) == 4


UNGUARDED = """
import numpy as np
from sklearn.datasets import make_classification
import boostfocal
print("script body ran")
X, y = make_classification(300, 4, n_informative=3, n_redundant=0, random_state=0)
res = boostfocal.compare(X, y, folds=2, repeats=1, gammas=(2.0,), alphas=(None,), processes=2,
                         n_estimators=5, n_jobs=1, budget=None)
print("fits", len(res.folds))
"""


@pytest.mark.parametrize("how", ["script", "stdin"])
def test_processes_from_a_script_without_a_main_guard(tmp_path, how):
    """Spawned workers re-import the caller's __main__ by default: a top-level compare call
    would run again in each worker (and `python -` could not start one). boostfocal's workers
    start without it: the script's body runs once and the fits come back."""
    import subprocess
    import sys

    script = tmp_path / "study.py"
    script.write_text(UNGUARDED)
    cmd = [sys.executable, str(script)] if how == "script" else [sys.executable, "-"]
    out = subprocess.run(cmd, input=None if how == "script" else UNGUARDED, capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("script body ran") == 1 and "fits 6" in out.stdout
