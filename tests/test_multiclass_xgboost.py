"""boostfocal.xgboost multiclass: MulticlassFocalObjective / MulticlassFocalMetric with xgb.train,
XGBClassifier and xgboost.dask (tiny data: the whole module is a few seconds)."""
import json
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

from boostfocal.multiclass import MulticlassFocalLoss  # noqa: E402
from boostfocal.xgboost import (  # noqa: E402
    FocalMetric,
    FocalObjective,
    MulticlassFocalMetric,
    MulticlassFocalObjective,
    predict_proba,
    train,
)

K = 4
# the once-per-process note that the booster's sklearn class returns uncalibrated probabilities
SKLEARN_NOTE = "ignore:XGBClassifier\\(objective=MulticlassFocalObjective"
HIST = {"tree_method": "hist", "nthread": 1, "num_class": K}
SOFTPROB = {**HIST, "objective": "multi:softprob"}


def margins(booster, dmatrix):
    return booster.predict(dmatrix, output_margin=True)


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    """1500 rows, 4 classes (one at 8%), positive weights; float32 as a DMatrix holds them."""
    X, y = make_classification(1500, 8, n_informative=5, n_classes=K,
                               weights=[0.4, 0.3, 0.22, 0.08], flip_y=0.02, random_state=1)
    w = np.random.default_rng(1).uniform(0.2, 3.0, y.shape[0])
    return X.astype(np.float32), y.astype(np.float64), w.astype(np.float32).astype(np.float64)


@pytest.fixture(scope="module")
def imbalanced():
    """5 classes, the smallest 2%: 3000 training rows, 3000 test rows."""
    X, y = make_classification(6000, 10, n_informative=6, n_classes=5,
                               weights=[0.45, 0.3, 0.15, 0.08, 0.02], flip_y=0.01,
                               class_sep=0.8, random_state=3)
    X, y = X.astype(np.float32), y.astype(np.float64)
    return (X[:3000], y[:3000]), (X[3000:], y[3000:])


ROUNDS = 40


@pytest.fixture(scope="module")
def softprob_accuracy(imbalanced):
    (X, y), (Xt, yt) = imbalanced
    booster = xgb.train({"nthread": 1, "num_class": 5, "objective": "multi:softprob"},
                        xgb.DMatrix(X, y), ROUNDS)
    return np.mean(margins(booster, xgb.DMatrix(Xt)).argmax(axis=1) == yt)


# -- gamma = 0 without alpha is XGBoost's own softmax ---------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma0_equals_multi_softprob(data, weighted):
    X, y, w = data
    w = w if weighted else None
    d = xgb.DMatrix(X, y, weight=w)
    obj = MulticlassFocalObjective(gamma=0.0)
    start = obj.base_score(y, w)
    counts = np.bincount(y.astype(int), weights=w)
    log_prior = np.log(counts / counts.sum())
    np.testing.assert_allclose(start, log_prior - log_prior.mean(), atol=1e-12)
    focal = train(HIST, d, 50, obj=obj)
    builtin = xgb.train({**SOFTPROB, "base_score": start}, d, 50)
    z = margins(focal, d)
    assert np.abs(z - margins(builtin, d)).max() <= 1e-3
    assert np.ptp(z) > 5.0  # a real model
    # XGBoost's own intercept estimate for multi:softprob is this start too (approximately)
    own = xgb.train(SOFTPROB, d, 1)
    own_start = json.loads(own.save_config())["learner"]["learner_model_param"]["base_score"]
    np.testing.assert_allclose(json.loads(own_start), start, atol=1e-4)


def test_hessian_scale_is_multi_softprobs_factor(data):
    """The objective's hessian is 2 p (1 - p) w at gamma = 0 (multi:softprob's), its gradient
    (p - onehot) w; hessian_scale=1 gives the loss's own hessian."""
    X, y, w = data
    z = np.random.default_rng(2).normal(0.0, 2.0, (y.shape[0], K)).astype(np.float32)
    p = softmax(z)
    grad, hess = MulticlassFocalObjective(gamma=0.0)(z, xgb.DMatrix(X, y, weight=w))
    np.testing.assert_allclose(grad, (p - np.eye(K)[y.astype(int)]) * w[:, None], atol=1e-12)
    np.testing.assert_allclose(hess, 2.0 * p * (1.0 - p) * w[:, None], rtol=1e-12, atol=1e-15)
    loss = MulticlassFocalLoss(gamma=2.0, alpha=[1.0, 2.0, 1.0, 3.0])
    own = MulticlassFocalObjective(**loss.get_params(), hessian_scale=1.0)
    for got, expected in zip(own(y, z, sample_weight=w), loss.gradient_hessian(y, z, w)):
        np.testing.assert_array_equal(got, expected)


# -- the start lives in the model ----------------------------------------------------------------
def test_train_starts_at_init_score_with_softprob(data):
    X, y, w = data
    d = xgb.DMatrix(X, y, weight=w)
    obj = MulticlassFocalObjective(gamma=2.0, alpha=[1.0, 1.0, 2.0, 4.0])
    seen = []

    class Recording(MulticlassFocalObjective):
        __slots__ = ()

        def __call__(self, predt, dtrain):
            seen.append(predt.copy())
            return super().__call__(predt, dtrain)

    booster = train(HIST, d, 2, obj=Recording(**obj.params()))
    init = obj.loss.init_score(np.eye(K)[y.astype(int)], w)
    np.testing.assert_allclose(seen[0], np.tile(init, (y.shape[0], 1)), atol=1e-6)
    assert seen[0].shape == (y.shape[0], K) and seen[0].dtype == np.float32
    config = json.loads(booster.save_config())["learner"]
    assert config["objective"]["name"] == "multi:softprob"
    np.testing.assert_allclose(margins(train(HIST, d, 0, obj=obj), d), seen[0], atol=1e-6)
    # predict gives softmax(margins) (multi:softprob), not labels (multi:softmax)
    np.testing.assert_allclose(booster.predict(d), softmax(margins(booster, d)), atol=1e-6)
    # num_class alone: XGBoost's multi:softmax placeholder starts at 0.5, predicts labels
    with pytest.warns(UserWarning, match="placeholder margin 0.5"):
        plain = xgb.train({k: v for k, v in HIST.items()}, d, 2, obj=obj)
    assert plain.predict(d).shape == (y.shape[0],)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(HIST, d, 1, obj=obj)
    # continued training keeps the model's base_score
    continued = train(HIST, d, 2, obj=obj, xgb_model=train(HIST, d, 1, obj=obj))
    np.testing.assert_allclose(margins(continued, d), margins(train(HIST, d, 3, obj=obj), d),
                               atol=1e-5)


@pytest.mark.parametrize("hessian", ["expected", "exact", "clipped"])
def test_gamma2_imbalanced_default_params_do_not_diverge(imbalanced, softprob_accuracy,
                                                        hessian):
    """XGBoost's defaults (eta 0.3, depth 6, lambda 1, min_child_weight 1), 5 classes, smallest
    2%, from the focal-optimal start and from 0: finite, bounded margins, accuracy level with
    multi:softprob's."""
    (X, y), (Xt, yt) = imbalanced
    d, dt = xgb.DMatrix(X, y), xgb.DMatrix(Xt)
    params = {"nthread": 1, "num_class": 5}
    obj = MulticlassFocalObjective(gamma=2.0, hessian=hessian)
    # at the focal-optimal start the rare class's rows (p = 0.02) have negative exact curvature
    z0 = np.tile(obj.base_score(y), (len(y), 1))
    negative = obj.loss.replace(hessian="exact").gradient_hessian(y, z0)[1] < 0
    assert 0.01 < negative.any(axis=1).mean() < 0.05
    assert (obj.loss.gradient_hessian(y, z0)[1] < 0).any() == (hessian == "exact")
    zero = {**params, "objective": "multi:softprob", "base_score": [0.0] * 5}
    for booster in (train(params, d, ROUNDS, obj=obj), xgb.train(zero, d, ROUNDS, obj=obj)):
        z = margins(booster, dt)
        assert np.isfinite(z).all() and np.abs(z).max() < 30.0
        assert np.mean(z.argmax(axis=1) == yt) >= softprob_accuracy - 0.03
    assert 0.015 < np.mean(y == 4) < 0.03


# -- metric and the scikit-learn wrapper --------------------------------------------------------
def test_metric_both_call_forms_and_early_stopping(data):
    X, y, w = data
    metric = MulticlassFocalMetric(gamma=2.0, label_smoothing=0.1)
    z = np.random.default_rng(4).normal(0.0, 2.0, (y.shape[0], K)).astype(np.float32)
    expected = metric.loss.mean_loss(y, z, w)
    assert metric(z, xgb.DMatrix(X, y, weight=w)) == ("focal", pytest.approx(expected, rel=1e-12))
    assert metric(y, z, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    obj = MulticlassFocalObjective(gamma=2.0, label_smoothing=0.1)
    dtrain, dvalid = xgb.DMatrix(X[:1000], y[:1000]), xgb.DMatrix(X[1000:], y[1000:])
    log = {}
    booster = train({**HIST, "eta": 1.0, "max_depth": 8}, dtrain, 200, obj=obj,
                    custom_metric=metric, evals=[(dvalid, "valid")], early_stopping_rounds=5,
                    evals_result=log, verbose_eval=False)
    focal = np.array(log["valid"]["focal"])
    assert len(focal) < 200 and booster.best_iteration == int(np.argmin(focal))
    last = metric.loss.mean_loss(y[1000:], margins(booster[: len(focal)], dvalid))
    assert focal[-1] == pytest.approx(last, abs=6e-7)  # XGBoost logs 6 decimals


@pytest.mark.filterwarnings(SKLEARN_NOTE)
def test_xgbclassifier_matches_native(data):
    X, y, w = data
    obj = MulticlassFocalObjective(gamma=2.0)
    metric = MulticlassFocalMetric(gamma=2.0)
    clf = xgb.XGBClassifier(objective=obj, eval_metric=metric, base_score=obj.base_score(y, w),
                            n_estimators=20, tree_method="hist", n_jobs=1)
    clf.fit(X, y, sample_weight=w, eval_set=[(X, y)], sample_weight_eval_set=[w], verbose=False)
    native = train(HIST, xgb.DMatrix(X, y, weight=w), 20, obj=obj)
    z = clf.predict(X, output_margin=True)
    np.testing.assert_allclose(z, margins(native, xgb.DMatrix(X)), atol=1e-5)
    # XGBClassifier's predict_proba is softmax(margins); the focal posterior is the loss's
    np.testing.assert_allclose(clf.predict_proba(X), softmax(z), atol=1e-6)
    assert np.abs(obj.loss.predict_proba(z) - softmax(z)).max() > 0.05
    # the module's predict_proba gives the focal posterior (the loss passed: XGBClassifier
    # stores none), and reads the loss train stored in a native booster
    np.testing.assert_array_equal(predict_proba(clf, X, loss=obj), obj.loss.predict_proba(z))
    np.testing.assert_array_equal(predict_proba(native, X), obj.loss.predict_proba(z))
    with pytest.raises(ValueError, match="holds no boostfocal loss"):
        predict_proba(clf, X)
    assert clf.evals_result()["validation_0"]["focal"][-1] == pytest.approx(
        metric.loss.mean_loss(y, z, w), abs=6e-7)
    assert clone(clf).get_params()["objective"] == obj


# -- save / load and pickle, read back in a fresh process ----------------------------------------
_FRESH = """
import pickle, sys, numpy as np, xgboost as xgb
from boostfocal.xgboost import predict_proba
X = np.load(sys.argv[1] + "/X.npy")
files = [xgb.Booster(model_file=sys.argv[1] + "/model" + ext) for ext in (".json", ".ubj")]
out = [b.predict(xgb.DMatrix(X), output_margin=True) for b in files]
with open(sys.argv[1] + "/objects.pkl", "rb") as f:
    booster, clf, obj = pickle.load(f)
out += [booster.predict(xgb.DMatrix(X), output_margin=True), clf.predict(X, output_margin=True),
        obj.loss.predict_proba(out[0])]
out += [predict_proba(b, X) for b in files + [booster]]  # the loss stored in the model
np.save(sys.argv[1] + "/out.npy", np.stack(out))
"""


@pytest.mark.filterwarnings(SKLEARN_NOTE)
def test_save_load_and_pickle_in_a_fresh_process(tmp_path, data):
    X, y, w = data
    obj = MulticlassFocalObjective(gamma=2.0, alpha=[1.0, 1.0, 2.0, 4.0])
    booster = train(HIST, xgb.DMatrix(X, y, weight=w), 10, obj=obj)
    clf = xgb.XGBClassifier(objective=obj, base_score=obj.base_score(y, w), n_estimators=10,
                            tree_method="hist", n_jobs=1).fit(X, y, sample_weight=w)
    for ext in (".json", ".ubj"):
        booster.save_model(tmp_path / f"model{ext}")
    with open(tmp_path / "objects.pkl", "wb") as f:
        pickle.dump((booster, clf, obj), f)
    np.save(tmp_path / "X.npy", X)
    subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path)], check=True, timeout=120)
    out = np.load(tmp_path / "out.npy")
    z = margins(booster, xgb.DMatrix(X))
    for got in out[:3]:
        np.testing.assert_array_equal(got, z)
    np.testing.assert_array_equal(out[3], clf.predict(X, output_margin=True))
    for got in out[4:]:
        assert got.shape == (y.shape[0], K)
        np.testing.assert_array_equal(got, obj.loss.predict_proba(z))
    saved = json.loads(booster.save_config())["learner"]["learner_model_param"]["base_score"]
    np.testing.assert_allclose(json.loads(saved), obj.base_score(y, w), atol=1e-6)


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [4.0, -1.0, 1.5])
def test_bad_labels_fail_before_training(data, bad):
    X, y, _ = data
    y = y.copy()
    y[7] = bad
    obj = MulticlassFocalObjective()
    calls = []

    def callback_obj(predt, dtrain):
        calls.append(1)
        return obj(predt, dtrain)

    with pytest.raises(ValueError, match=r"y_true must hold class indices 0, 1, \.\.\., 3"):
        train(HIST, xgb.DMatrix(X, y), 2, obj=obj)
    with pytest.raises(ValueError, match="y_true must hold class indices"):
        train({**HIST, "base_score": [0.0] * K}, xgb.DMatrix(X, y), 2, obj=obj)
    with pytest.raises(ValueError, match="y_true must hold class indices"):
        obj.base_score(y, num_class=K)
    if bad < K:  # plain xgb.train: the first round's check
        with pytest.raises(ValueError, match="y_true must hold class indices"):
            xgb.train({**SOFTPROB, "base_score": [0.0] * K}, xgb.DMatrix(X, y), 2, obj=obj)
    y[7] = np.nan  # XGBoost refuses NaN labels itself, when the DMatrix is built
    with pytest.raises(xgb.core.XGBoostError, match="Label contains NaN"):
        xgb.DMatrix(X, y)
    with pytest.raises(ValueError, match="y_true must hold class indices"):
        obj.base_score(y)  # labels given as an array


def test_families_refuse_each_other_pointing_at_the_right_class(data):
    X, y, _ = data
    d = xgb.DMatrix(X, y)
    binary, multi = FocalObjective(), MulticlassFocalObjective()
    with pytest.raises(ValueError, match="multi-class.*MulticlassFocalObjective"):
        train(HIST, d, 1, obj=binary)
    with pytest.raises(ValueError, match="multi-class.*MulticlassFocalObjective"):
        xgb.train(HIST, d, 1, obj=binary)
    with pytest.raises(ValueError, match="MulticlassFocalMetric"):
        FocalMetric()(np.zeros((y.shape[0], K), np.float32), d)
    with pytest.raises(ValueError, match=r"num_class'\] = None.*use FocalObjective"):
        train({"nthread": 1}, d, 1, obj=multi)
    with pytest.raises(ValueError, match="num_class"):
        train({**HIST, "num_class": 1}, d, 1, obj=multi)
    with pytest.raises(ValueError, match="shape.*use FocalObjective"):
        multi(np.zeros(y.shape[0], np.float32), d)
    with pytest.raises(ValueError, match="objective.*multi:softprob"):
        train({**HIST, "objective": "multi:softmax"}, d, 1, obj=multi)
    with pytest.raises(ValueError, match="hessian_scale must be a finite number"):
        MulticlassFocalObjective(hessian_scale=0.0)
    with pytest.raises(TypeError, match="MulticlassFocalObjective"):
        train(HIST, d, 1, obj=lambda p, dm: (p, p))
    assert repr(MulticlassFocalObjective(gamma=1.0, hessian_scale=1.0)) == (
        "MulticlassFocalObjective(gamma=1.0, hessian_scale=1.0)")


# -- xgboost.dask --------------------------------------------------------------------------------
@pytest.mark.slow
def test_dask_two_workers(data):
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    from xgboost import dask as dxgb

    X, y, w = data
    order = np.argsort(y, kind="stable")  # shards with different classes: the metric and the
    X, y, w = X[order], y[order], w[order]  # start must be reduced over both
    obj, metric = MulticlassFocalObjective(gamma=0.0), MulticlassFocalMetric(gamma=0.0)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        Xd, yd, wd = client.persist([da.from_array(X, chunks=(750, X.shape[1])),
                                     da.from_array(y, chunks=750), da.from_array(w, chunks=750)])
        dtrain = dxgb.DaskDMatrix(client, Xd, yd, weight=wd)
        params = obj.train_params(HIST, yd, wd)
        np.testing.assert_allclose(params["base_score"], obj.base_score(y, w), atol=1e-12)
        focal = dxgb.train(client, params, dtrain, 20, obj=obj, custom_metric=metric,
                           evals=[(dtrain, "train")], verbose_eval=False)
        builtin = dxgb.train(client, {**SOFTPROB, "base_score": params["base_score"]}, dtrain, 20)
        clf = dxgb.DaskXGBClassifier(objective=MulticlassFocalObjective(gamma=2.0),
                                     base_score=MulticlassFocalObjective(gamma=2.0).base_score(
                                         yd, wd, num_class=K),
                                     n_estimators=5, tree_method="hist")
        clf.client = client
        clf.fit(Xd, yd, sample_weight=wd)
        proba = clf.predict_proba(Xd).compute()
    d = xgb.DMatrix(X)
    z = margins(focal["booster"], d)
    assert np.abs(z - margins(builtin["booster"], d)).max() <= 1e-3
    assert focal["history"]["train"]["focal"][-1] == pytest.approx(
        metric.loss.mean_loss(y, z, w), abs=6e-7)
    assert proba.shape == (y.shape[0], K)
    np.testing.assert_allclose(proba, softmax(margins(clf.get_booster(), d)), atol=1e-5)
