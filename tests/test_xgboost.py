"""boostfocal.xgboost: FocalObjective / FocalMetric with xgb.train, XGBClassifier, xgboost.dask."""
import copy
import inspect
import json
import pickle
import warnings

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import log_loss, roc_auc_score  # noqa: E402

from boostfocal import FocalLoss  # noqa: E402
from boostfocal.xgboost import FocalMetric, FocalObjective, train  # noqa: E402

HIST = {"tree_method": "hist", "nthread": 1}  # 2 threads crawl on a busy 2-core machine
LOGISTIC = {**HIST, "objective": "binary:logistic"}


def margins(booster, dmatrix):
    return booster.predict(dmatrix, output_margin=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@pytest.fixture(scope="module")
def data():
    """20k rows, 10% positives, with positive weights."""
    X, y = make_classification(20_000, 20, n_informative=8, weights=[0.9], flip_y=0.02,
                               random_state=1)
    w = np.random.default_rng(1).uniform(0.2, 3.0, y.shape[0]).astype(np.float32)
    return X.astype(np.float32), y.astype(np.float64), w.astype(np.float64)  # as a DMatrix holds


@pytest.fixture(scope="module")
def rare():
    """2% positives: 20k training rows, 20k validation rows."""
    X, y = make_classification(40_000, 20, n_informative=6, weights=[0.98], flip_y=0.005,
                               class_sep=0.8, random_state=2)
    X = X.astype(np.float32)
    return (X[:20_000], y[:20_000]), (X[20_000:], y[20_000:])


# -- equality with the built-in objective (gamma = 0 is log-loss) ------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma0_equals_builtin_logistic(data, weighted):
    X, y, w = data
    d = xgb.DMatrix(X, y, weight=w if weighted else None)
    obj = FocalObjective(gamma=0.0)
    focal = train(HIST, d, 100, obj=obj)
    base = obj.base_score(y, w if weighted else None)
    builtin = xgb.train({**LOGISTIC, "base_score": base}, d, 100)
    diff = np.abs(margins(focal, d) - margins(builtin, d)).max()
    assert diff <= 1e-4
    assert np.ptp(margins(focal, d)) > 5.0  # a real model, not two constants


def test_pos_weight_equals_builtin_scale_pos_weight(data):
    """The replacement that the scale_pos_weight error recommends is the same weighting. (With
    class weights the Fisher hessian is not log-loss's even at gamma = 0, hence "exact".)"""
    X, y, _ = data
    d = xgb.DMatrix(X, y)
    obj = FocalObjective(gamma=0.0, pos_weight=3.0, hessian="exact")
    focal = train(HIST, d, 100, obj=obj)
    builtin = xgb.train({**LOGISTIC, "scale_pos_weight": 3.0,
                         "base_score": obj.base_score(y)}, d, 100)
    assert np.abs(margins(focal, d) - margins(builtin, d)).max() <= 1e-4


def test_weight_two_equals_duplicated_row():
    rng = np.random.default_rng(3)
    n = 5000
    X = rng.integers(0, 40, size=(n, 8)).astype(np.float32)  # < max_bin values: identical cuts
    y = (X[:, 0] + X[:, 1] + rng.normal(0, 8, n) > 58).astype(np.float64)
    twice = rng.random(n) < 0.3
    w = np.where(twice, 2.0, 1.0)
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    weighted = train(HIST, xgb.DMatrix(X, y, weight=w), 50, obj=obj)
    dup = np.concatenate([np.arange(n), np.flatnonzero(twice)])
    duplicated = train(HIST, xgb.DMatrix(X[dup], y[dup]), 50, obj=obj)
    d = xgb.DMatrix(X)
    assert obj.base_score(y, w) == pytest.approx(obj.base_score(y[dup]), abs=1e-15)
    assert np.abs(margins(weighted, d) - margins(duplicated, d)).max() <= 1e-4
    assert 0.05 < y.mean() < 0.95


# -- the start margin ----------------------------------------------------------------------------
def test_training_starts_at_init_score(data):
    X, y, w = data
    d = xgb.DMatrix(X, y, weight=w)
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    seen = []

    class Recording(FocalObjective):
        __slots__ = ()

        def __call__(self, predt, dtrain):
            seen.append(predt.copy())
            return super().__call__(predt, dtrain)

    booster = train(HIST, d, 3, obj=Recording(gamma=2.0, alpha=0.25))
    init = obj.loss.init_score(y, w)
    ybar = np.average(y, weights=w)
    assert abs(init - np.log(ybar / (1 - ybar))) > 0.5  # not log-loss's start
    np.testing.assert_allclose(seen[0], init, atol=1e-5)  # float32 margins
    assert np.all(seen[0] == seen[0][0])
    assert margins(train(HIST, d, 0, obj=obj), d) == pytest.approx(init, abs=1e-5)
    config = json.loads(booster.save_config())["learner"]
    assert config["objective"]["name"] == "binary:logistic"
    # continuing training keeps the model's base_score and equals training in one go
    first = train(HIST, d, 2, obj=obj)
    continued = train(HIST, d, 3, obj=obj, xgb_model=first)
    np.testing.assert_allclose(margins(continued, d), margins(train(HIST, d, 5, obj=obj), d),
                               atol=1e-5)


def test_plain_xgb_train_warns_about_placeholder_start(data):
    X, y, _ = data
    d = xgb.DMatrix(X, y)
    obj = FocalObjective(gamma=2.0)
    with pytest.warns(UserWarning, match="placeholder margin 0.5"):
        xgb.train(HIST, d, 2, obj=obj)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(HIST, d, 2, obj=obj)
        xgb.train(obj.train_params(HIST, d), d, 2, obj=obj)


def test_base_score_sources_and_cap(data):
    X, y, w = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    expected = sigmoid(obj.loss.init_score(y, w))
    assert obj.base_score(y, w) == pytest.approx(expected, rel=1e-14)
    assert obj.base_score(xgb.DMatrix(X, y, weight=w)) == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="sample_weight must be None"):
        obj.base_score(xgb.DMatrix(X, y), w)
    params = obj.train_params({"base_score": 0.3, "max_depth": 3}, xgb.DMatrix(X, y))
    assert params == {"base_score": 0.3, "max_depth": 3, "objective": "binary:logistic"}
    ones = np.ones(100)
    assert 0.0 < FocalObjective(alpha=0.0).base_score(np.zeros(100)) < 1e-6  # optimum -inf
    assert 0.999 < FocalObjective().base_score(ones) < 1.0  # ybar clipped to 1 - eps
    booster = train(HIST, xgb.DMatrix(X[:100], ones), 2, obj=FocalObjective())
    assert np.isfinite(margins(booster, xgb.DMatrix(X[:100]))).all()


# -- imbalanced data with gamma = 2: no divergence, AUC on par with log-loss ---------------------
@pytest.mark.parametrize("hessian", ["expected", "clipped"])
def test_gamma2_rare_positives_default_params(rare, hessian):
    (X, y), (Xv, yv) = rare
    d, dv = xgb.DMatrix(X, y), xgb.DMatrix(Xv)
    defaults = {"nthread": 1}  # XGBoost's defaults otherwise (eta 0.3, depth 6, ...)
    focal = train(defaults, d, 100, obj=FocalObjective(gamma=2.0, alpha=0.25, hessian=hessian))
    logloss = xgb.train({**defaults, "objective": "binary:logistic"}, d, 100)
    z = margins(focal, dv)
    assert np.isfinite(z).all() and np.abs(z).max() < 50
    auc_focal, auc_logloss = roc_auc_score(yv, z), roc_auc_score(yv, margins(logloss, dv))
    assert auc_logloss > 0.8
    assert abs(auc_focal - auc_logloss) <= 0.02
    assert 0.015 < y.mean() < 0.025


# -- metric --------------------------------------------------------------------------------------
def test_metric_equals_mean_loss_in_both_call_forms(data):
    X, y, w = data
    metric = FocalMetric(gamma=2.0, alpha=0.25, label_smoothing=0.1)
    z = np.random.default_rng(4).normal(-1.0, 2.0, y.shape[0]).astype(np.float32)
    expected = metric.loss.mean_loss(y, z, w)
    assert metric(z, xgb.DMatrix(X, y, weight=w)) == ("focal", pytest.approx(expected, rel=1e-12))
    assert metric(y, z, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    assert metric(y, z) == pytest.approx(metric.loss.mean_loss(y, z), rel=1e-12)
    assert metric.__name__ == "focal"


def test_metric_log_and_early_stopping_native(rare):
    (X, y), (Xv, yv) = rare
    w = np.random.default_rng(5).uniform(0.5, 2.0, yv.shape[0])
    d, dv = xgb.DMatrix(X, y), xgb.DMatrix(Xv, yv, weight=w)
    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=2.0, alpha=0.25)
    log = {}
    booster = train({**HIST, "eta": 0.8, "max_depth": 8}, d, 300, obj=obj, custom_metric=metric,
                    evals=[(dv, "valid")], early_stopping_rounds=10, evals_result=log,
                    verbose_eval=False)
    focal = np.array(log["valid"]["focal"])
    assert len(focal) < 300  # it stopped early
    assert booster.best_iteration == int(np.argmin(focal))  # minimised, not maximised
    assert len(focal) == booster.best_iteration + 11
    last = metric.loss.mean_loss(yv, margins(booster[: len(focal)], dv), w)
    assert focal[-1] == pytest.approx(last, abs=6e-7)  # XGBoost logs 6 decimals


def test_builtin_metrics_with_placeholder_objective_vs_train(data):
    """README advice: logloss is wrong on raw margins under xgb.train's placeholder objective;
    AUC is rank-based and right; boostfocal's train sets binary:logistic so logloss is right."""
    X, y, _ = data
    d = xgb.DMatrix(X, y)
    obj = FocalObjective(gamma=0.0)
    for params in (HIST, obj.train_params(HIST, d)):
        log = {}
        with warnings.catch_warnings():  # the placeholder start is the point here
            warnings.filterwarnings("ignore", "FocalObjective: training starts", UserWarning)
            booster = xgb.train({**params, "eval_metric": ["auc", "logloss"]}, d, 5, obj=obj,
                                evals=[(d, "train")], evals_result=log, verbose_eval=False)
        z = margins(booster, d)
        assert log["train"]["auc"][-1] == pytest.approx(roc_auc_score(y, z), abs=1e-6)
        right = log_loss(y, sigmoid(z))
        if "objective" in params:
            assert log["train"]["logloss"][-1] == pytest.approx(right, rel=1e-5)
        else:
            assert abs(log["train"]["logloss"][-1] - right) > 0.05


# -- call forms, sklearn wrapper -----------------------------------------------------------------
def test_objective_call_forms_agree(data):
    X, y, w = data
    obj = FocalObjective(gamma=2.0, pos_weight=4.0)
    z = np.random.default_rng(6).normal(0.0, 3.0, y.shape[0]).astype(np.float32)
    g, h = obj.loss.gradient_hessian(y, z, w)
    for got in (obj(z, xgb.DMatrix(X, y, weight=w)), obj(y, z, sample_weight=w)):
        np.testing.assert_array_equal(got[0], g)
        np.testing.assert_array_equal(got[1], h)
    g0, h0 = obj(z, xgb.DMatrix(X, y))
    np.testing.assert_array_equal(g0, obj.loss.gradient_hessian(y, z)[0])
    empty = obj(np.zeros(0, np.float32), xgb.DMatrix(np.zeros((0, 3)), np.zeros(0)))
    assert [a.shape for a in empty] == [(0,), (0,)]  # an xgboost.dask worker without rows
    assert "sample_weight" in inspect.signature(obj).parameters  # XGBClassifier checks this
    assert "sample_weight" in inspect.signature(FocalMetric()).parameters


def test_xgbclassifier_matches_native_with_weights(data):
    X, y, w = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    clf = xgb.XGBClassifier(objective=obj, base_score=obj.base_score(y, w), n_estimators=30,
                            tree_method="hist", n_jobs=1)
    clf.fit(X, y, sample_weight=w)
    native = train(HIST, xgb.DMatrix(X, y, weight=w), 30, obj=obj)
    z = clf.predict(X, output_margin=True)
    np.testing.assert_allclose(z, margins(native, xgb.DMatrix(X)), atol=1e-5)
    # XGBClassifier keeps binary:logistic, so predict_proba is sigmoid(margin), not the focal
    # posterior; obj.loss.predict_proba gives the calibrated one.
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], sigmoid(z), atol=1e-6)
    calibrated = obj.loss.predict_proba(z)
    assert np.abs(calibrated[:, 1] - sigmoid(z)).max() > 0.05


def test_xgbclassifier_eval_set_early_stopping(rare):
    (X, y), (Xv, yv) = rare
    obj, metric = FocalObjective(gamma=2.0), FocalMetric(gamma=2.0)
    clf = xgb.XGBClassifier(objective=obj, eval_metric=metric, base_score=obj.base_score(y),
                            n_estimators=300, learning_rate=0.8, max_depth=8,
                            early_stopping_rounds=10, tree_method="hist", n_jobs=1)
    clf.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    focal = np.array(clf.evals_result()["validation_0"]["focal"])
    assert len(focal) < 300
    assert clf.best_iteration == int(np.argmin(focal))
    z_best = clf.predict(Xv, output_margin=True)  # best_iteration is used
    assert focal[clf.best_iteration] == pytest.approx(metric.loss.mean_loss(yv, z_best), abs=6e-7)
    assert clf.predict_proba(Xv).shape == (yv.shape[0], 2)
    assert roc_auc_score(yv, z_best) > 0.75


# -- value-object behaviour ----------------------------------------------------------------------
def test_pickle_clone_repr_immutability(data):
    X, y, _ = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    metric = FocalMetric(gamma=1.5, hessian="clipped")
    assert repr(obj) == "FocalObjective(gamma=2.0, alpha=0.25)"
    assert repr(metric) == "FocalMetric(gamma=1.5, hessian='clipped')"
    for thing in (obj, metric):
        for copied in (pickle.loads(pickle.dumps(thing)), clone(thing, safe=False),
                       copy.deepcopy(thing)):
            assert copied == thing and hash(copied) == hash(thing) and type(copied) is type(thing)
    assert FocalObjective(gamma=2.0) != FocalMetric(gamma=2.0)
    with pytest.raises(AttributeError, match="immutable"):
        obj.loss = FocalLoss()
    restored = pickle.loads(pickle.dumps(obj))
    z = np.zeros(y.shape[0], dtype=np.float32)
    np.testing.assert_array_equal(restored(y, z)[0], obj(y, z)[0])
    clf = clone(xgb.XGBClassifier(objective=obj, eval_metric=metric, n_estimators=3))
    assert clf.objective == obj and clf.eval_metric == metric
    clf = pickle.loads(pickle.dumps(clf.fit(X[:2000], y[:2000])))
    assert clf.predict(X[:5]).shape == (5,)


def test_xgbclassifier_fit_passes_no_stray_parameters(data):
    """No objective__gamma-style parameters reach the booster (FocalParams has no get_params)."""
    X, y, _ = data
    clf = xgb.XGBClassifier(objective=FocalObjective(gamma=2.0), eval_metric=FocalMetric(),
                            n_estimators=2, n_jobs=1)
    with warnings.catch_warnings(record=True) as caught:  # raised inside a ctypes callback,
        warnings.simplefilter("always")  # so an "error" filter would be swallowed
        clf.fit(X[:1000], y[:1000], eval_set=[(X[:500], y[:500])], verbose=False)
    assert not [w for w in caught if "are not used" in str(w.message)]
    assert not any("__" in k for k in clf.get_params())


def test_save_model_round_trip(tmp_path, data):
    X, y, w = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    booster = train(HIST, xgb.DMatrix(X, y, weight=w), 20, obj=obj)
    d = xgb.DMatrix(X)
    for name in ("model.json", "model.ubj"):
        booster.save_model(tmp_path / name)
        loaded = xgb.Booster(model_file=tmp_path / name)
        np.testing.assert_array_equal(margins(loaded, d), margins(booster, d))
        np.testing.assert_allclose(loaded.predict(d), sigmoid(margins(booster, d)), atol=1e-6)
    config = json.loads(xgb.Booster(model_file=tmp_path / "model.json").save_config())
    base_score = float(json.loads(config["learner"]["learner_model_param"]["base_score"])[0])
    assert np.log(base_score / (1 - base_score)) == pytest.approx(obj.loss.init_score(y, w),
                                                                  abs=1e-6)


# -- rejected input ------------------------------------------------------------------------------
def test_scale_pos_weight_is_rejected(data):
    X, y, _ = data
    d = xgb.DMatrix(X[:500], y[:500])
    obj = FocalObjective()
    for spw in (3.0, 0.5):
        with pytest.raises(ValueError, match=r"scale_pos_weight.*pos_weight"):
            train({"scale_pos_weight": spw}, d, 1, obj=obj)
        with pytest.raises(ValueError, match="scale_pos_weight"):
            obj.train_params({"scale_pos_weight": spw}, d)
    train({"scale_pos_weight": 1}, d, 1, obj=obj)  # the no-op value is accepted


def test_multiclass_and_foreign_objectives_are_rejected():
    X, y = make_classification(600, 8, n_informative=5, n_classes=3, random_state=0)
    d = xgb.DMatrix(X, y)
    obj = FocalObjective()
    with pytest.raises(ValueError, match="multi-class"):
        train({"num_class": 3}, d, 1, obj=obj)
    with pytest.raises(ValueError, match="multi-class"):
        train({"objective": "multi:softprob"}, d, 1, obj=obj)
    with pytest.raises(ValueError, match="multi-class"):
        xgb.train({"num_class": 3}, d, 1, obj=obj)  # plain xgb.train: (n, 3) margins
    with pytest.raises(ValueError, match="3 classes"):
        train({}, d, 1, obj=obj)  # labels {0, 1, 2}
    with pytest.raises(ValueError, match="multi-class"):
        xgb.XGBClassifier(objective=obj, n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="multi-class"):
        FocalMetric()(np.zeros((600, 3), dtype=np.float32), d)
    with pytest.raises(ValueError, match="objective"):
        train({"objective": "reg:squarederror"}, d, 1, obj=obj)
    with pytest.raises(TypeError, match="params must be a dict"):
        train([("max_depth", 3)], d, 1, obj=obj)
    with pytest.raises(TypeError, match="obj must be a FocalObjective"):
        train({}, d, 1, obj=lambda p, dm: (p, p))


# -- xgboost.dask --------------------------------------------------------------------------------
@pytest.mark.slow
def test_dask_two_workers():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    from xgboost import dask as dxgb

    X, y = make_classification(8000, 10, n_informative=5, weights=[0.9], random_state=7)
    order = np.argsort(y, kind="stable")  # shards with very different positive rates: a metric
    X, y = X[order], y[order]  # that is not all-reduced would log a shard's value
    w = np.random.default_rng(7).uniform(0.5, 2.0, y.shape[0])
    obj, metric = FocalObjective(gamma=0.0), FocalMetric(gamma=0.0)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        Xd, yd, wd = client.persist([da.from_array(X, chunks=(2000, 10)),
                                     da.from_array(y, chunks=2000), da.from_array(w, chunks=2000)])
        dtrain = dxgb.DaskDMatrix(client, Xd, yd, weight=wd)
        assert len(dtrain.worker_map) == 2
        # labels and weights reduced on the cluster
        assert obj.base_score(yd) == pytest.approx(obj.base_score(y), rel=1e-12)
        params = obj.train_params(HIST, yd, wd)
        assert params["base_score"] == pytest.approx(obj.base_score(y, w), rel=1e-12)
        with pytest.raises(TypeError, match="DaskDMatrix"):
            obj.train_params(HIST, dtrain)
        focal = dxgb.train(client, params, dtrain, 30, obj=obj, custom_metric=metric,
                           evals=[(dtrain, "train")], verbose_eval=False)
        builtin = dxgb.train(client, {**LOGISTIC, "base_score": params["base_score"]}, dtrain,
                             30)
        d = xgb.DMatrix(X)
        z = margins(focal["booster"], d)
        assert np.abs(z - margins(builtin["booster"], d)).max() <= 1e-4
        assert focal["history"]["train"]["focal"][-1] == pytest.approx(
            metric.loss.mean_loss(y, z, w), abs=6e-7)
        # early stopping on the all-reduced metric: every worker stops at the same round
        stopped = dxgb.train(client, {**params, "eta": 1.0, "max_depth": 10}, dtrain, 200,
                             obj=obj, custom_metric=metric, evals=[(dtrain, "train")],
                             early_stopping_rounds=3, verbose_eval=False)
        log = np.array(stopped["history"]["train"]["focal"])
        assert stopped["booster"].best_iteration == int(np.argmin(log))
