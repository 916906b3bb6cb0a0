"""boostfocal.lightgbm: FocalObjective, FocalMetric in lgb.train, LGBMClassifier, lightgbm.dask."""
import copy
import inspect
import pickle

import numpy as np
import pytest

lgb = pytest.importorskip("lightgbm")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from boostfocal.lightgbm import (  # noqa: E402
    FocalMetric,
    FocalObjective,
    add_init_score,
    posterior,
    train,
)

BASE = {"verbose": -1, "num_threads": 1, "force_col_wise": True}  # 1 thread: a shared 2-core box


def raw(booster, X, **kwargs):
    return booster.predict(X, raw_score=True, **kwargs)


def full(rows, value):
    return np.full(len(rows), value)


def eval_kwargs(Xv, yv):
    """LightGBM 4.7 deprecates eval_set for eval_X / eval_y; older 4.x has only eval_set."""
    if "eval_X" in inspect.signature(lgb.LGBMClassifier.fit).parameters:
        return {"eval_X": (Xv,), "eval_y": (yv,)}
    return {"eval_set": [(Xv, yv)]}


@pytest.fixture(scope="module")
def data():
    """3000 training and 1000 validation rows, 15% positives; weights in [0.25, 3], exact in
    float32 (LightGBM stores weights as float32)."""
    X, y = make_classification(4000, 10, n_informative=5, weights=[0.85], flip_y=0.02,
                               random_state=1)
    w = np.random.default_rng(1).integers(2, 25, size=y.shape[0]) / 8.0
    X, y = X.astype(np.float32), y.astype(np.float64)
    return (X[:3000], y[:3000], w[:3000]), (X[3000:], y[3000:], w[3000:])


@pytest.fixture(scope="module")
def rare():
    """2% positives, 20k training rows and 20k test rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 10))
    z = 1.5 * X[:, 0] - X[:, 1] + 0.8 * X[:, 2] * X[:, 3] + np.sin(2 * X[:, 4]) - 5.8
    y = (rng.random(40_000) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    assert 0.017 < y.mean() < 0.023
    return (X[:20_000], y[:20_000]), (X[20_000:], y[20_000:])


@pytest.fixture(scope="module")
def logloss_auc(rare):
    (X, y), (Xt, yt) = rare
    booster = lgb.train({**BASE, "objective": "binary"}, lgb.Dataset(X, y), 100)
    return roc_auc_score(yt, raw(booster, Xt))


# -- gamma = 0 is log-loss: the model equals the built-in binary objective ---------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma0_equals_builtin_binary(data, weighted):
    (X, y, w), (Xv, _, _) = data
    w = w if weighted else None
    obj = FocalObjective(gamma=0.0)
    start = obj.loss.init_score(y, w)
    ybar = np.average(y, weights=w)
    assert start == pytest.approx(np.log(ybar / (1.0 - ybar)), abs=1e-12)

    focal = train({**BASE, "objective": obj}, lgb.Dataset(X, y, weight=w), 100)
    builtin = lgb.train({**BASE, "objective": "binary"},
                        lgb.Dataset(X, y, weight=w, init_score=full(y, start)), 100)
    assert np.abs(raw(focal, Xv) - (raw(builtin, Xv) + start)).max() <= 1e-4
    # LightGBM's own boost_from_average start is the same constant, folded the same way
    averaged = lgb.train({**BASE, "objective": "binary"}, lgb.Dataset(X, y, weight=w), 100)
    assert np.abs(raw(focal, Xv) - raw(averaged, Xv)).max() <= 1e-4
    # the callable alone, in plain lightgbm.train with the start on the Dataset
    plain = lgb.train({**BASE, "objective": obj},
                      lgb.Dataset(X, y, weight=w, init_score=full(y, start)), 100)
    assert np.abs(raw(plain, Xv) - raw(builtin, Xv)).max() <= 1e-4
    assert np.ptp(raw(focal, Xv)) > 5.0  # a real model, not a constant


# -- defaults do not diverge on rare positives --------------------------------------------------
@pytest.mark.parametrize("hessian", ["expected", "exact", "clipped"])
def test_gamma2_rare_positives_default_params_do_not_diverge(rare, logloss_auc, hessian):
    (X, y), (Xt, yt) = rare
    booster = train({**BASE, "objective": FocalObjective(gamma=2.0, hessian=hessian)},
                    lgb.Dataset(X, y), 100)
    z = raw(booster, Xt)
    assert np.isfinite(z).all() and np.abs(z).max() < 20.0
    assert abs(roc_auc_score(yt, z) - logloss_auc) <= 0.02


def test_gamma2_rare_positives_from_zero_do_not_diverge(rare, logloss_auc):
    """Plain lightgbm.train and LGBMClassifier start from 0: also stable with the defaults."""
    (X, y), (Xt, yt) = rare
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    booster = lgb.train({**BASE, "objective": obj}, lgb.Dataset(X, y), 100)
    clf = lgb.LGBMClassifier(objective=obj, n_jobs=1, verbose=-1, force_col_wise=True).fit(X, y)
    for z in (raw(booster, Xt), clf.predict(Xt, raw_score=True)):
        assert np.isfinite(z).all() and np.abs(z).max() < 20.0
        assert abs(roc_auc_score(yt, z) - logloss_auc) <= 0.02


# -- the start lives in the model ----------------------------------------------------------------
def test_start_is_folded_and_survives_save_and_load(data, tmp_path):
    (X, y, w), (Xv, _, _) = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    booster = train({**BASE, "objective": obj}, lgb.Dataset(X, y, weight=w), 30)
    start = obj.loss.init_score(y, w)
    assert abs(start) > 0.5
    by_hand = lgb.train({**BASE, "objective": obj},
                        lgb.Dataset(X, y, weight=w, init_score=full(y, start)), 30)
    expected = raw(by_hand, Xv) + start
    assert np.abs(raw(booster, Xv) - expected).max() <= 1e-12

    path = tmp_path / "model.txt"
    booster.save_model(path)
    reloaded = [lgb.Booster(model_file=path), lgb.Booster(model_str=booster.model_to_string()),
                pickle.loads(pickle.dumps(booster))]
    for other in reloaded:
        assert np.array_equal(raw(other, Xv), raw(booster, Xv))
    np.testing.assert_array_equal(posterior(reloaded[0], Xv, obj),
                                  obj.loss.posterior(raw(booster, Xv)))


def test_train_leaves_datasets_as_given(data):
    (X, y, _), (Xv, yv, _) = data
    params = {**BASE, "objective": FocalObjective(gamma=2.0)}
    dtrain = lgb.Dataset(X, y)
    dvalid = lgb.Dataset(Xv, yv, reference=dtrain)
    first = train(params, dtrain, 20, valid_sets=[dtrain, dvalid])
    for d in (dtrain, dvalid):
        assert d.init_score is None and d.get_field("init_score") is None
    again = train(params, dtrain, 20, valid_sets=[dvalid])  # reusing the Datasets: same model
    assert np.array_equal(raw(first, Xv), raw(again, Xv))


def test_init_score_options(data):
    (X, y, _), (Xv, _, _) = data
    obj = FocalObjective(gamma=2.0)
    params = {**BASE, "objective": obj}
    fixed = train(params, lgb.Dataset(X, y), 20, init_score=-1.0)
    by_hand = lgb.train(params, lgb.Dataset(X, y, init_score=full(y, -1.0)), 20)
    assert np.abs(raw(fixed, Xv) - (raw(by_hand, Xv) - 1.0)).max() <= 1e-12
    zero = train(params, lgb.Dataset(X, y), 20, init_score=None)
    assert np.array_equal(raw(zero, Xv), raw(lgb.train(params, lgb.Dataset(X, y), 20), Xv))

    offset = np.random.default_rng(3).normal(size=y.shape[0])  # the user's own per-row offsets
    with pytest.raises(ValueError, match="already has an init_score"):
        train(params, lgb.Dataset(X, y, init_score=offset), 5)
    own = train(params, lgb.Dataset(X, y, init_score=offset), 20, init_score=None)
    plain = lgb.train(params, lgb.Dataset(X, y, init_score=offset), 20)
    assert np.array_equal(raw(own, Xv), raw(plain, Xv))  # nothing folded, as lightgbm.train
    with pytest.raises(ValueError, match="'auto', a float or None"):
        train(params, lgb.Dataset(X, y), 5, init_score="optimal")
    with pytest.raises(TypeError, match="init_score must be a real number"):
        train(params, lgb.Dataset(X, y), 5, init_score=[0.0])


def test_init_model_continues_without_a_second_start(data):
    (X, y, w), (Xv, _, _) = data
    params = {**BASE, "objective": FocalObjective(gamma=2.0, alpha=0.25)}
    dtrain = lgb.Dataset(X, y, weight=w, free_raw_data=False)
    straight = train(params, dtrain, 20)
    half = train(params, dtrain, 10)
    continued = train(params, dtrain, 10, init_model=half)
    assert continued.num_trees() == 20
    assert np.abs(raw(continued, Xv) - raw(straight, Xv)).max() <= 1e-9
    # a kept training booster's own scores agree with the folded model: updating continues it
    kept = train(params, lgb.Dataset(X, y, weight=w), 10, keep_training_booster=True)
    for _ in range(10):
        kept.update(fobj=params["objective"])
    assert np.abs(raw(kept, Xv) - raw(straight, Xv)).max() <= 1e-9
    with pytest.raises(ValueError, match="init_model or a constant init_score"):
        train(params, dtrain, 5, init_model=half, init_score=0.5)
    with pytest.raises(ValueError, match="used with init_model before"):
        train(params, dtrain, 5)  # LightGBM left half's scores on it; it would zero our start


# -- the metric -------------------------------------------------------------------------------
def test_metric_equals_mean_loss(data):
    (X, y, w), (Xv, yv, wv) = data
    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=2.0, alpha=0.25)
    dtrain = lgb.Dataset(X, y, weight=w)
    evals = {}
    booster = train({**BASE, "objective": obj, "metric": "None"}, dtrain, 20,
                    valid_sets=[dtrain, lgb.Dataset(Xv, yv, weight=wv, reference=dtrain)],
                    valid_names=["train", "valid"], feval=metric,
                    callbacks=[lgb.record_evaluation(evals)])
    assert sorted(evals["valid"]) == ["focal"]
    for (Xs, ys, ws), name in (((X, y, w), "train"), ((Xv, yv, wv), "valid")):
        for it in (1, 20):  # the first round's value shows the start was in the scores
            expected = metric.loss.mean_loss(ys, raw(booster, Xs, num_iteration=it), ws)
            assert evals[name]["focal"][it - 1] == pytest.approx(expected, rel=1e-12)
    assert evals["valid"]["focal"][-1] < evals["valid"]["focal"][0]


def test_default_metric_drives_early_stopping(data):
    (X, y, _), (Xv, yv, _) = data
    obj = FocalObjective(gamma=2.0)
    dtrain = lgb.Dataset(X, y)
    evals = {}
    booster = train({**BASE, "objective": obj, "learning_rate": 0.5, "min_data_in_leaf": 3},
                    dtrain, 500, valid_sets=[lgb.Dataset(Xv, yv, reference=dtrain)],
                    callbacks=[lgb.early_stopping(5, verbose=False),
                               lgb.record_evaluation(evals)])
    assert list(evals["valid_0"]) == ["focal"]
    assert 0 < booster.best_iteration < 100
    best = evals["valid_0"]["focal"][booster.best_iteration - 1]
    assert obj.loss.mean_loss(yv, raw(booster, Xv)) == pytest.approx(best, rel=1e-12)


def test_one_object_serves_both_calling_conventions(data):
    (X, y, w), _ = data
    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=2.0, alpha=0.25)
    # LightGBM's scikit-learn wrapper counts these and then passes (y, preds, weight, group)
    assert len(inspect.signature(obj).parameters) == 4
    assert len(inspect.signature(metric).parameters) == 4
    dataset = lgb.Dataset(X, y, weight=w).construct()
    z = np.random.default_rng(2).normal(size=y.shape[0])
    z_before = z.copy()
    grad, hess = obj.loss.gradient_hessian(y, z, w)
    for g, h in (obj(z, dataset), obj(y, z, w, None)):
        np.testing.assert_array_equal(g, grad)
        np.testing.assert_array_equal(h, hess)
    expected = ("focal", obj.loss.mean_loss(y, z, w), False)
    assert metric(z, dataset) == expected == metric(y, z, w, None)
    np.testing.assert_array_equal(z, z_before)  # LightGBM's score buffer is left alone


def test_labels_are_checked_again_for_new_label_arrays(data):
    (X, y, w), _ = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    z = np.random.default_rng(4).normal(size=y.shape[0])
    first, flipped = lgb.Dataset(X, y).construct(), lgb.Dataset(X, 1.0 - y).construct()
    for dataset, labels in ((first, y), (flipped, 1.0 - y), (first, y)):
        np.testing.assert_array_equal(obj(z, dataset)[0], obj.loss.gradient_hessian(labels, z)[0])
    first.set_weight(w)
    np.testing.assert_array_equal(obj(z, first)[1], obj.loss.gradient_hessian(y, z, w)[1])
    first.set_label(2.0 * y)
    with pytest.raises(ValueError, match="y_true must lie in \\[0, 1\\]"):
        obj(z, first)
    with pytest.raises(ValueError, match="raw_score must be finite"):  # checked every round
        obj(np.full_like(z, np.nan), flipped)
    assert pickle.loads(pickle.dumps(obj)) == obj == FocalObjective(gamma=2.0, alpha=0.25)


# -- the scikit-learn wrapper -----------------------------------------------------------------
def test_lgbmclassifier_matches_native_train(data):
    (X, y, w), (Xv, _, _) = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    start = obj.loss.init_score(y, w)
    clf = lgb.LGBMClassifier(objective=obj, n_estimators=30, n_jobs=1, verbose=-1,
                             force_col_wise=True, metric="None")
    clf.fit(X, y, sample_weight=w, init_score=full(y, start))
    add_init_score(clf.booster_, start)
    native = train({**BASE, "objective": obj}, lgb.Dataset(X, y, weight=w), 30)
    assert np.abs(clf.predict(Xv, raw_score=True) - raw(native, Xv)).max() <= 1e-10
    np.testing.assert_array_equal(posterior(clf.booster_, Xv, obj),
                                  obj.loss.posterior(clf.predict(Xv, raw_score=True)))


def test_lgbmclassifier_eval_metric_and_early_stopping(data):
    (X, y, w), (Xv, yv, wv) = data
    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=2.0, alpha=0.25)
    start = obj.loss.init_score(y, w)
    clf = lgb.LGBMClassifier(objective=obj, metric="None", n_estimators=500, learning_rate=0.5,
                             min_child_samples=3, n_jobs=1, verbose=-1, force_col_wise=True)
    clf.fit(X, y, sample_weight=w, init_score=full(y, start), **eval_kwargs(Xv, yv),
            eval_sample_weight=[wv], eval_init_score=[full(yv, start)], eval_metric=metric,
            callbacks=[lgb.early_stopping(5, verbose=False)])
    history = clf.evals_result_["valid_0"]
    assert list(history) == ["focal"]  # metric="None": no binary_logloss of raw scores
    assert 0 < clf.best_iteration_ < 100
    add_init_score(clf.booster_, start)
    z = clf.predict(Xv, raw_score=True)  # at best_iteration_, start included
    assert metric.loss.mean_loss(yv, z, wv) == pytest.approx(
        history["focal"][clf.best_iteration_ - 1], rel=1e-12)


def test_pickle_clone_repr(data):
    (X, y, _), (Xv, _, _) = data
    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=1.0)
    assert repr(obj) == "FocalObjective(gamma=2.0, alpha=0.25)"
    assert repr(metric) == "FocalMetric(gamma=1.0)"
    for thing in (obj, metric):
        for other in (pickle.loads(pickle.dumps(thing)), copy.deepcopy(thing)):
            assert other == thing and hash(other) == hash(thing) and type(other) is type(thing)
    assert obj != FocalObjective(gamma=2.0) and obj != FocalMetric(gamma=2.0, alpha=0.25)
    with pytest.raises(AttributeError, match="immutable"):
        obj.loss = None
    clf = lgb.LGBMClassifier(objective=obj, n_estimators=10, n_jobs=1, verbose=-1)
    assert clone(clf).get_params()["objective"] == obj
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.objective == obj
    np.testing.assert_array_equal(restored.predict(Xv, raw_score=True),
                                  clf.predict(Xv, raw_score=True))


# -- bad input ----------------------------------------------------------------------------------
def test_multiclass_is_rejected():
    X, y = make_classification(600, 5, n_informative=3, n_classes=3, random_state=0)
    obj = FocalObjective(gamma=2.0)
    with pytest.raises(ValueError, match="binary.*shape \\(600, 3\\)"):
        lgb.train({**BASE, "objective": obj, "num_class": 3}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="num_class must be 1"):
        train({**BASE, "objective": obj, "num_classes": 3}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="binary"):
        lgb.LGBMClassifier(objective=obj, n_estimators=2, n_jobs=1, verbose=-1).fit(X, y)
    for fit in (lambda: lgb.train({**BASE, "objective": obj}, lgb.Dataset(X, y), 2),
                lambda: train({**BASE, "objective": obj}, lgb.Dataset(X, y), 2)):
        with pytest.raises(ValueError, match="3 classes"):  # labels {0, 1, 2}, num_class 1
            fit()
    with pytest.raises(ValueError, match="FocalMetric is binary"):
        FocalMetric()(np.zeros(600), np.zeros((600, 3)))


def test_bad_arguments(data):
    (X, y, _), _ = data
    with pytest.raises(TypeError, match="FocalObjective"):
        train({**BASE, "objective": "binary"}, lgb.Dataset(X, y), 2)
    with pytest.raises(TypeError, match="FocalObjective"):
        train(BASE, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="gamma must be a finite number"):
        FocalObjective(gamma=-1.0)
    params = {**BASE, "objective": FocalObjective(gamma=2.0), "linear_tree": True}
    with pytest.raises(ValueError, match="linear_tree"):
        train(params, lgb.Dataset(X, y), 2)
    linear = train(params, lgb.Dataset(X, y), 2, init_score=None)
    with pytest.raises(ValueError, match="linear_tree"):
        add_init_score(linear, 0.5)
    booster = train({**BASE, "objective": FocalObjective(gamma=2.0)}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="init_score must be a finite number"):
        add_init_score(booster, np.nan)


# -- lightgbm.dask ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Parameter n_jobs will be ignored")  # LightGBM's own default
def test_dask_classifier(data):
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    (X, y, _), (Xv, yv, _) = data
    obj = FocalObjective(gamma=2.0)
    kwargs = {"n_estimators": 20, "verbose": -1, "metric": "None"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        clf = lgb.DaskLGBMClassifier(objective=obj, **kwargs)
        clf.fit(da.from_array(X, chunks=(750, X.shape[1])), da.from_array(y, chunks=750))
        z = clf.predict(da.from_array(Xv, chunks=(500, Xv.shape[1])), raw_score=True).compute()
    local = lgb.LGBMClassifier(objective=obj, n_jobs=1, **kwargs).fit(X, y)
    assert np.isfinite(z).all() and np.ptp(z) > 1.0
    assert roc_auc_score(yv, z) >= roc_auc_score(yv, local.predict(Xv, raw_score=True)) - 0.02
