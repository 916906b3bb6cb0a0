"""boostfocal.lightgbm multiclass: MulticlassFocalObjective / MulticlassFocalMetric with lgb.train,
LGBMClassifier and lightgbm.dask (tiny data: the whole module is a few seconds)."""
import inspect
import pickle
import subprocess
import sys

import numpy as np
import pytest

lgb = pytest.importorskip("lightgbm")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

from boostfocal.lightgbm import (  # noqa: E402
    FocalMetric,
    FocalObjective,
    MulticlassFocalMetric,
    MulticlassFocalObjective,
    add_init_score,
    posterior,
    predict_proba,
    train,
)
from boostfocal.multiclass import MulticlassFocalLoss  # noqa: E402

K = 4
# the once-per-process note that the booster's sklearn class returns uncalibrated probabilities
SKLEARN_NOTE = "ignore:LGBMClassifier\\(objective=MulticlassFocalObjective"
BASE = {"verbose": -1, "num_threads": 1, "force_col_wise": True, "num_class": K}
ROUNDS = 40


def raw(booster, X, **kwargs):
    return booster.predict(X, raw_score=True, **kwargs)


def centred(z):
    return z - z.mean(axis=1, keepdims=True)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def eval_kwargs(Xv, yv):
    """LightGBM 4.7 deprecates eval_set for eval_X / eval_y; older 4.x has only eval_set."""
    if "eval_X" in inspect.signature(lgb.LGBMClassifier.fit).parameters:
        return {"eval_X": (Xv,), "eval_y": (yv,)}
    return {"eval_set": [(Xv, yv)]}


@pytest.fixture(scope="module")
def data():
    """1500 training and 500 validation rows, 4 classes (one at 8%); weights exact in float32."""
    X, y = make_classification(2000, 8, n_informative=5, n_classes=K,
                               weights=[0.4, 0.3, 0.22, 0.08], flip_y=0.02, random_state=1)
    w = np.random.default_rng(1).integers(2, 25, size=y.shape[0]) / 8.0
    X, y = X.astype(np.float32), y.astype(np.float64)
    return (X[:1500], y[:1500], w[:1500]), (X[1500:], y[1500:], w[1500:])


@pytest.fixture(scope="module")
def imbalanced():
    """5 classes, the smallest 2%: 3000 training rows, 3000 test rows."""
    X, y = make_classification(6000, 10, n_informative=6, n_classes=5,
                               weights=[0.45, 0.3, 0.15, 0.08, 0.02], flip_y=0.01,
                               class_sep=0.8, random_state=3)
    X, y = X.astype(np.float32), y.astype(np.float64)
    return (X[:3000], y[:3000]), (X[3000:], y[3000:])


@pytest.fixture(scope="module")
def multiclass_accuracy(imbalanced):
    (X, y), (Xt, yt) = imbalanced
    booster = lgb.train({**BASE, "num_class": 5, "objective": "multiclass"}, lgb.Dataset(X, y),
                        ROUNDS)
    return np.mean(raw(booster, Xt).argmax(axis=1) == yt)


# -- gamma = 0 without alpha is LightGBM's own multiclass objective -------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma0_equals_builtin_multiclass(data, weighted):
    (X, y, w), (Xv, _, _) = data
    w = w if weighted else None
    obj = MulticlassFocalObjective(gamma=0.0)
    counts = np.bincount(y.astype(int), weights=w)
    log_prior = np.log(counts / counts.sum())  # the built-in's start (boost from average)
    np.testing.assert_allclose(obj.init_score(y, w), log_prior - log_prior.mean(), atol=1e-12)
    builtin = raw(lgb.train({**BASE, "objective": "multiclass"}, lgb.Dataset(X, y, weight=w),
                            ROUNDS), Xv)
    focal = raw(train({**BASE, "objective": obj}, lgb.Dataset(X, y, weight=w), ROUNDS), Xv)
    assert np.abs(centred(focal) - centred(builtin)).max() <= 1e-3  # softmax ignores the shift
    same_start = train({**BASE, "objective": obj}, lgb.Dataset(X, y, weight=w), ROUNDS,
                       init_score=log_prior)
    assert np.abs(raw(same_start, Xv) - builtin).max() <= 1e-3
    # the callable alone in plain lightgbm.train, the start on the Dataset as (n, K) rows
    plain = lgb.train({**BASE, "objective": obj},
                      lgb.Dataset(X, y, weight=w, init_score=np.tile(log_prior, (len(y), 1))),
                      ROUNDS)
    assert np.abs(raw(plain, Xv) + log_prior - builtin).max() <= 1e-3
    assert np.ptp(focal) > 5.0  # a real model


def test_call_conventions_and_hessian_scale(data):
    """Both calling conventions; LightGBM's (n, K) column-major scores; the hessian is
    K / (K - 1) p (1 - p) w at gamma = 0 (the built-in's), the loss's own with scale 1."""
    (X, y, w), _ = data
    obj = MulticlassFocalObjective(gamma=0.0)
    assert len(inspect.signature(obj).parameters) == 4  # what LightGBM's wrappers count
    z = np.asfortranarray(np.random.default_rng(2).normal(0.0, 2.0, (y.shape[0], K)))
    before = z.copy()
    dataset = lgb.Dataset(X, y, weight=w).construct()
    p = softmax(z)
    for grad, hess in (obj(z, dataset), obj(y, z, w, None)):
        assert grad.flags.f_contiguous and hess.flags.f_contiguous  # flattened without a copy
        np.testing.assert_allclose(grad, (p - np.eye(K)[y.astype(int)]) * w[:, None],
                                   atol=1e-12)
        np.testing.assert_allclose(hess, K / (K - 1) * p * (1 - p) * w[:, None], rtol=1e-12,
                                   atol=1e-15)
    np.testing.assert_array_equal(z, before)  # LightGBM's score buffer is left alone
    loss = MulticlassFocalLoss(gamma=[1.0, 2.0, 2.0, 3.0], alpha=[1.0, 2.0, 1.0, 3.0])
    own = MulticlassFocalObjective(**loss.get_params(), hessian_scale=1.0)
    for got, expected in zip(own(y, z, w, None), loss.gradient_hessian(y, z, w)):
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    # the K / (K - 1) scale inside the loop: bit for bit what a separate pass gave
    g64, h64 = MulticlassFocalLoss(gamma=0.0).gradient_hessian(y, z, w)
    grad, hess = obj(y, z, w, None)
    np.testing.assert_array_equal(grad, g64)
    np.testing.assert_array_equal(hess, h64 * (K / (K - 1)))
    metric = MulticlassFocalMetric(**loss.get_params())
    assert metric(z, dataset) == ("focal", loss.mean_loss(y, z, w), False) == metric(y, z, w, None)


@pytest.mark.parametrize("hessian", ["expected", "exact", "clipped"])
def test_gamma2_imbalanced_default_params_do_not_diverge(imbalanced, multiclass_accuracy,
                                                        hessian):
    """LightGBM's defaults, 5 classes, smallest 2%, from the focal-optimal start (train) and from
    0 (plain lightgbm.train): finite, bounded scores, accuracy level with the built-in's."""
    (X, y), (Xt, yt) = imbalanced
    obj = MulticlassFocalObjective(hessian=hessian)
    params = {**BASE, "num_class": 5, "objective": obj}
    # at the focal-optimal start the rare class's rows (p = 0.02) have negative exact curvature
    z0 = np.tile(obj.init_score(y), (len(y), 1))
    negative = obj.loss.replace(hessian="exact").gradient_hessian(y, z0)[1] < 0
    assert 0.01 < negative.any(axis=1).mean() < 0.05
    assert (obj.loss.gradient_hessian(y, z0)[1] < 0).any() == (hessian == "exact")
    for booster in (train(params, lgb.Dataset(X, y), ROUNDS),
                    lgb.train(params, lgb.Dataset(X, y), ROUNDS)):
        z = raw(booster, Xt)
        assert np.isfinite(z).all() and np.abs(z).max() < 30.0
        assert np.mean(z.argmax(axis=1) == yt) >= multiclass_accuracy - 0.03
    assert 0.015 < np.mean(y == 4) < 0.03


# -- the start lives in the model ----------------------------------------------------------------
def test_start_folded_per_class_and_default_metric(data):
    (X, y, w), (Xv, yv, wv) = data
    obj = MulticlassFocalObjective(gamma=2.0, alpha=[1.0, 1.0, 2.0, 4.0])
    start = obj.init_score(y, w)
    np.testing.assert_allclose(start, obj.loss.init_score(np.eye(K)[y.astype(int)], w),
                               atol=1e-12)
    dtrain = lgb.Dataset(X, y, weight=w)
    dvalid = lgb.Dataset(Xv, yv, weight=wv, reference=dtrain)
    evals = {}
    booster = train({**BASE, "objective": obj}, dtrain, 20, valid_sets=[dvalid],
                    callbacks=[lgb.record_evaluation(evals)])
    by_hand = lgb.train({**BASE, "objective": obj},
                        lgb.Dataset(X, y, weight=w, init_score=np.tile(start, (len(y), 1))), 20)
    assert np.abs(raw(booster, Xv) - (raw(by_hand, Xv) + start)).max() <= 1e-12
    for d in (dtrain, dvalid):
        assert d.init_score is None and d.get_field("init_score") is None
    assert list(evals["valid_0"]) == ["focal"]  # MulticlassFocalMetric by default
    for it in (1, 20):
        assert evals["valid_0"]["focal"][it - 1] == pytest.approx(
            obj.loss.mean_loss(yv, raw(booster, Xv, num_iteration=it), wv), rel=1e-12)
    with pytest.raises(ValueError, match="4 finite raw scores"):
        train({**BASE, "objective": obj}, lgb.Dataset(X, y), 2, init_score=[0.0, 1.0])
    with pytest.raises(ValueError, match="4 finite raw scores, one per class"):
        add_init_score(booster, 0.5)


_FRESH = """
import pickle, sys, numpy as np, lightgbm as lgb
from boostfocal.lightgbm import predict_proba
X = np.load(sys.argv[1] + "/X.npy")
with open(sys.argv[1] + "/model.txt") as f:
    files = [lgb.Booster(model_file=sys.argv[1] + "/model.txt"), lgb.Booster(model_str=f.read())]
out = [b.predict(X, raw_score=True) for b in files]
with open(sys.argv[1] + "/objects.pkl", "rb") as f:
    booster, clf, obj = pickle.load(f)
out += [booster.predict(X, raw_score=True), clf.predict(X, raw_score=True),
        obj.loss.predict_proba(out[0])]
out += [predict_proba(b, X) for b in files + [booster]]  # the loss stored in the model
np.save(sys.argv[1] + "/out.npy", np.stack(out))
"""


@pytest.mark.filterwarnings(SKLEARN_NOTE)
def test_lgbmclassifier_save_load_and_pickle_in_a_fresh_process(tmp_path, data):
    (X, y, w), (Xv, _, _) = data
    obj = MulticlassFocalObjective(gamma=2.0)
    booster = train({**BASE, "objective": obj}, lgb.Dataset(X, y, weight=w), 10)
    start = obj.init_score(y, w)
    clf = lgb.LGBMClassifier(objective=obj, n_estimators=10, n_jobs=1, verbose=-1,
                             force_col_wise=True, metric="None")
    clf.fit(X, y, sample_weight=w, init_score=np.tile(start, (len(y), 1)))
    add_init_score(clf.booster_, start)
    assert np.abs(clf.predict(Xv, raw_score=True) - raw(booster, Xv)).max() <= 1e-10
    expected = obj.loss.predict_proba(clf.predict(Xv, raw_score=True))
    np.testing.assert_array_equal(predict_proba(clf, Xv, loss=obj), expected)
    np.testing.assert_array_equal(posterior(clf.booster_, Xv, obj), expected)  # (n, K) rows
    with pytest.raises(ValueError, match="holds no boostfocal loss"):
        predict_proba(clf, Xv)
    assert clone(clf).get_params()["objective"] == obj

    booster.save_model(tmp_path / "model.txt")
    with open(tmp_path / "objects.pkl", "wb") as f:
        pickle.dump((booster, clf, obj), f)
    np.save(tmp_path / "X.npy", Xv)
    subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path)], check=True, timeout=120)
    out = np.load(tmp_path / "out.npy")
    for got in out[:3]:
        np.testing.assert_array_equal(got, raw(booster, Xv))
    np.testing.assert_array_equal(out[3], clf.predict(Xv, raw_score=True))
    for got in out[4:]:
        assert got.shape == (len(Xv), K)
        np.testing.assert_array_equal(got, obj.loss.predict_proba(raw(booster, Xv)))


@pytest.mark.filterwarnings(SKLEARN_NOTE)
def test_lgbmclassifier_eval_metric_and_early_stopping(data):
    (X, y, w), (Xv, yv, wv) = data
    obj, metric = MulticlassFocalObjective(gamma=2.0), MulticlassFocalMetric(gamma=2.0)
    start = obj.init_score(y, w)
    clf = lgb.LGBMClassifier(objective=obj, metric="None", n_estimators=300, learning_rate=0.5,
                             min_child_samples=3, n_jobs=1, verbose=-1, force_col_wise=True)
    clf.fit(X, y, sample_weight=w, init_score=np.tile(start, (len(y), 1)),
            **eval_kwargs(Xv, yv), eval_sample_weight=[wv],
            eval_init_score=[np.tile(start, (len(yv), 1))], eval_metric=metric,
            callbacks=[lgb.early_stopping(5, verbose=False)])
    history = clf.evals_result_["valid_0"]
    assert list(history) == ["focal"] and 0 < clf.best_iteration_ < 100
    add_init_score(clf.booster_, start)
    assert metric.loss.mean_loss(yv, clf.predict(Xv, raw_score=True), wv) == pytest.approx(
        history["focal"][clf.best_iteration_ - 1], rel=1e-12)


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [4.0, -1.0, np.nan, 1.5])
def test_bad_labels_fail_before_training(data, bad):
    (X, y, _), _ = data
    y = y.copy()
    y[7] = bad
    params = {**BASE, "objective": MulticlassFocalObjective()}
    calls = []

    def record(preds, dataset):  # the objective must never be reached
        calls.append(1)
        return params["objective"](preds, dataset)

    message = (r"label of train_set has NaN" if np.isnan(bad) else
               r"y_true must hold class indices 0, 1, \.\.\., 3")
    for init_score in ("auto", None):
        with pytest.raises(ValueError, match=message):
            train({**params, "objective": MulticlassFocalObjective()}, lgb.Dataset(X, y), 2,
                  init_score=init_score)
    assert not calls
    if np.isfinite(bad):  # plain lightgbm.train: the first round's check (LightGBM reads a NaN
        with pytest.raises(ValueError, match="y_true must hold class indices"):  # label as 0)
            lgb.train(params, lgb.Dataset(X, y), 2)


def test_families_refuse_each_other_pointing_at_the_right_class(data):
    (X, y, _), _ = data
    binary, multi = FocalObjective(), MulticlassFocalObjective()
    with pytest.raises(ValueError, match="num_class must be 1.*MulticlassFocalObjective"):
        train({**BASE, "objective": binary}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match=r"binary.*shape \(1500, 4\).*MulticlassFocalObjective"):
        lgb.train({**BASE, "objective": binary}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="MulticlassFocalMetric"):
        FocalMetric()(np.zeros((len(y), K)), lgb.Dataset(X, y).construct())
    with pytest.raises(ValueError, match=r"num_class'\] = K >= 2"):
        train({"verbose": -1, "objective": multi}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="one raw score per class.*FocalObjective"):
        lgb.train({"verbose": -1, "objective": multi}, lgb.Dataset(X, (y > 0) * 1.0), 2)
    with pytest.raises(TypeError, match="MulticlassFocalObjective"):
        train({**BASE, "objective": "multiclass"}, lgb.Dataset(X, y), 2)
    assert repr(MulticlassFocalMetric(gamma=1.0)) == "MulticlassFocalMetric(gamma=1.0)"
    assert pickle.loads(pickle.dumps(multi)) == multi != MulticlassFocalObjective(gamma=1.0)


# -- lightgbm.dask ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Parameter n_jobs will be ignored")  # LightGBM's own default
@pytest.mark.filterwarnings(SKLEARN_NOTE)
def test_dask_classifier(data):
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    (X, y, w), (Xv, yv, _) = data
    obj = MulticlassFocalObjective(gamma=2.0)
    kwargs = {"n_estimators": 10, "verbose": -1, "metric": "None"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        clf = lgb.DaskLGBMClassifier(objective=obj, **kwargs)
        clf.fit(da.from_array(X, chunks=(750, X.shape[1])), da.from_array(y, chunks=750),
                sample_weight=da.from_array(w, chunks=750))
        z = clf.predict(da.from_array(Xv, chunks=(250, Xv.shape[1])), raw_score=True).compute()
    local = lgb.LGBMClassifier(objective=obj, n_jobs=1, **kwargs).fit(X, y, sample_weight=w)
    assert z.shape == (len(yv), K) and np.isfinite(z).all()
    accuracy = np.mean(z.argmax(axis=1) == yv)
    assert accuracy >= np.mean(local.predict(Xv, raw_score=True).argmax(axis=1) == yv) - 0.05
    assert accuracy > 0.6
