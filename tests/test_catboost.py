"""boostfocal.catboost: FocalObjective / FocalMetric with CatBoost, CatBoostClassifier and train."""
import copy
import pickle

import numpy as np
import pytest

catboost = pytest.importorskip("catboost")
from catboost import CatBoost, CatBoostClassifier, CatBoostError, Pool  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import log_loss, roc_auc_score  # noqa: E402

from boostfocal import FocalLoss  # noqa: E402
from boostfocal.catboost import (  # noqa: E402
    FocalMetric, FocalObjective, fit, predict_proba, train)

SMALL = {"thread_count": 2, "verbose": 0, "random_seed": 0, "allow_writing_files": False}
# Built-in Logloss defaults to several Newton steps with backtracking, custom objectives to one.
PINNED = {**SMALL, "iterations": 100, "depth": 6, "leaf_estimation_method": "Newton",
          "leaf_estimation_iterations": 1, "leaf_estimation_backtracking": "No",
          "boost_from_average": False}


def raw(model, data):
    return model.predict(data, prediction_type="RawFormulaVal")


@pytest.fixture(scope="module")
def data():
    """4k rows, 15% positives, with positive weights."""
    X, y = make_classification(4_000, 10, n_informative=6, weights=[0.85], flip_y=0.02,
                               random_state=1)
    w = np.random.default_rng(1).uniform(0.2, 3.0, y.shape[0])
    return X.astype(np.float32), y.astype(np.float64), w


@pytest.fixture(scope="module")
def rare():
    """2% positives: 10k training rows, 10k validation rows."""
    X, y = make_classification(20_000, 10, n_informative=6, weights=[0.98], flip_y=0.005,
                               class_sep=0.8, random_state=2)
    X = X.astype(np.float32)
    return (X[:10_000], y[:10_000]), (X[10_000:], y[10_000:])


# -- the objective and metric themselves ---------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_calc_ders_range_is_minus_weighted_gradient_and_hessian(rng, weighted):
    loss = FocalLoss(gamma=2.0, alpha=0.25)
    n = 501
    z = rng.normal(0.0, 3.0, n)
    y = (rng.random(n) < 0.3).astype(np.float32)  # CatBoost passes float32 targets and weights
    w = rng.uniform(0.1, 4.0, n).astype(np.float32) if weighted else None
    for a in (z, y) + ((w,) if weighted else ()):
        a.flags.writeable = False  # CatBoost's buffers: writing to them must fail loudly
    ders = FocalObjective(gamma=2.0, alpha=0.25).calc_ders_range(z, y, w)
    grad, hess = loss.gradient_hessian(y.astype(np.float64), z,
                                       None if w is None else w.astype(np.float64))
    assert type(ders) is np.ndarray and ders.dtype == np.float64 and ders.shape == (n, 2)
    np.testing.assert_array_equal(ders[:, 0], -grad)
    np.testing.assert_array_equal(ders[:, 1], -hess)
    assert np.all(ders[:, 1] < 0.0)  # CatBoost maximises: minus a positive hessian
    if weighted:
        g1, _ = loss.gradient_hessian(y.astype(np.float64), z)
        np.testing.assert_allclose(ders[:, 0], -g1 * w, rtol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_metric_equals_mean_loss(rng, weighted):
    metric = FocalMetric(gamma=2.0, alpha=0.25)
    n = 777
    z = rng.normal(-1.0, 2.0, n)
    y = (rng.random(n) < 0.2).astype(np.float32)
    w = rng.uniform(0.1, 4.0, n).astype(np.float32) if weighted else None
    error, weight = metric.evaluate((z,), y, w)
    expected = FocalLoss(gamma=2.0, alpha=0.25).mean_loss(y, z, w)
    assert weight == pytest.approx(n if w is None else float(w.astype(np.float64).sum()),
                                   rel=1e-15)
    assert metric.get_final_error(error, weight) == pytest.approx(expected, rel=1e-13)
    assert metric.is_max_optimal() is False


def test_metric_recorded_by_catboost_equals_mean_loss(data):
    X, y, w = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    model = fit(CatBoostClassifier(loss_function=obj, iterations=30, **SMALL),
                X[:3000], y[:3000], sample_weight=w[:3000],
                eval_set=Pool(X[3000:], y[3000:], weight=w[3000:]))
    history = model.get_evals_result()
    assert set(history) == {"learn", "validation"} and "FocalMetric" in history["validation"]
    valid = history["validation"]["FocalMetric"][-1]
    learn = history["learn"]["FocalMetric"][-1]
    assert valid == pytest.approx(obj.loss.mean_loss(y[3000:], raw(model, X[3000:]), w[3000:]),
                                  rel=1e-7)
    assert learn == pytest.approx(obj.loss.mean_loss(y[:3000], raw(model, X[:3000]), w[:3000]),
                                  rel=1e-7)
    assert valid < obj.loss.mean_loss(y[3000:], np.zeros(1000), w[3000:])  # it learned


# -- equality with the built-in objective (gamma = 0 is log-loss) ------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma0_equals_builtin_logloss(data, weighted):
    X, y, w = data
    ww = w if weighted else None
    obj = FocalObjective(gamma=0.0)
    start = obj.loss.init_score(y, ww)
    pool = Pool(X, y, weight=ww, baseline=np.full(y.shape[0], start))
    builtin = CatBoost({**PINNED, "loss_function": "Logloss"}).fit(pool)
    focal = CatBoost({**PINNED, "loss_function": obj,
                      "eval_metric": FocalMetric(gamma=0.0)}).fit(pool)
    assert np.abs(raw(focal, X) - raw(builtin, X)).max() <= 1e-6
    assert np.ptp(raw(builtin, X)) > 3.0  # a real model, not a constant

    # fit() starts at the same point by itself and keeps the start in the model
    helped = fit(CatBoost({**PINNED, "loss_function": obj}), X, y, sample_weight=ww)
    assert np.abs(raw(helped, X) - (raw(builtin, X) + start)).max() <= 1e-6
    assert helped.get_scale_and_bias() == (1.0, pytest.approx(start, abs=0.0))


def test_sign_error_would_be_caught(data):
    """A sign error in both derivatives still trains; the Logloss comparison exposes it."""
    X, y, _ = data

    class Flipped(FocalObjective):
        __slots__ = ()

        def calc_ders_range(self, approxes, targets, weights):
            return -super().calc_ders_range(approxes, targets, weights)

    pool = Pool(X, y)
    builtin = CatBoost({**PINNED, "loss_function": "Logloss"}).fit(pool)
    flipped = CatBoost({**PINNED, "loss_function": Flipped(gamma=0.0),
                        "eval_metric": FocalMetric(gamma=0.0)}).fit(pool)
    assert np.isfinite(raw(flipped, X)).all()
    assert np.abs(raw(flipped, X) - raw(builtin, X)).max() > 1.0


def test_categorical_features_equal_builtin(data):
    X, y, _ = data
    pd = pytest.importorskip("pandas")
    # the two columns most correlated with y become categorical (and leave the numeric ones)
    top = np.argsort([-abs(np.corrcoef(X[:, j], y)[0, 1]) for j in range(X.shape[1])])
    df = pd.DataFrame(X[:, top[2:]], columns=[f"x{i}" for i in range(8)])
    df["c0"] = np.where(X[:, top[0]] > np.median(X[:, top[0]]), "hi", "lo")
    df["c1"] = np.clip(np.floor(X[:, top[1]] * 2), -6, 6).astype(int).astype(str)  # 13 levels
    obj = FocalObjective(gamma=0.0)
    start = obj.loss.init_score(y)
    pool = Pool(df, y, cat_features=["c0", "c1"], baseline=np.full(y.shape[0], start))
    # With its default CTR list (Borders and Counter) CatBoost builds different CTRs for any
    # Python objective than for Logloss here (a textbook Python log-loss differs by 0.1 too);
    # with one CTR type the two agree to rounding.
    ctr = {**PINNED, "simple_ctr": ["Borders"], "combinations_ctr": ["Borders"]}
    builtin = CatBoost({**ctr, "loss_function": "Logloss"}).fit(pool)
    focal = CatBoost({**ctr, "loss_function": obj, "eval_metric": FocalMetric(gamma=0.0)}).fit(pool)
    plain = Pool(df, y, cat_features=["c0", "c1"])
    assert np.abs(raw(focal, plain) - raw(builtin, plain)).max() <= 1e-6
    assert focal.get_feature_importance(prettified=True).set_index("Feature Id").loc[
        ["c0", "c1"], "Importances"].sum() > 5.0  # the categorical columns were used

    # gamma = 2 through fit() with the categorical Pool and a tuple eval set
    model = fit(CatBoostClassifier(loss_function=FocalObjective(gamma=2.0, alpha=0.25),
                                   iterations=60, **SMALL),
                df.iloc[:3000], y[:3000], cat_features=["c0", "c1"],
                eval_set=(df.iloc[3000:], y[3000:]))
    valid = Pool(df.iloc[3000:], cat_features=["c0", "c1"])
    assert roc_auc_score(y[3000:], raw(model, valid)) > 0.8
    assert list(model.predict(df.iloc[:5])) == list((raw(model, df.iloc[:5]) > 0).astype(int))


# -- CatBoost's defaults on a rare-positive problem ------------------------------------------------
def test_gamma2_rare_positives_catboost_defaults(rare):
    (X, y), (Xv, yv) = rare
    focal = fit(CatBoostClassifier(loss_function=FocalObjective(gamma=2.0, alpha=0.25),
                                   iterations=150, **SMALL), X, y)
    logloss = CatBoostClassifier(loss_function="Logloss", iterations=150, **SMALL).fit(X, y)
    z = raw(focal, Xv)
    assert np.isfinite(z).all() and np.abs(z).max() < 30.0  # no divergence
    auc_focal = roc_auc_score(yv, z)
    auc_logloss = roc_auc_score(yv, raw(logloss, Xv))
    assert auc_focal > 0.8 and auc_focal > auc_logloss - 0.03
    # the calibrated probability is the focal posterior, not sigmoid(raw)
    p = predict_proba(focal, Xv)
    np.testing.assert_allclose(p, focal.get_params()["loss_function"].loss.predict_proba(z))
    assert log_loss(yv, p[:, 1]) < log_loss(yv, np.full_like(yv, y.mean()))
    assert np.abs(p[:, 1] - focal.predict_proba(Xv)[:, 1]).max() > 0.05


# -- fit / train: the start, the defaults, the Pools ---------------------------------------------
def test_fit_sets_defaults_and_restores_pool_baselines(data):
    X, y, w = data
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    train_pool, valid_pool = Pool(X[:3000], y[:3000]), Pool(X[3000:], y[3000:])
    model = CatBoostClassifier(loss_function=obj, iterations=40, **SMALL)
    fit(model, train_pool, eval_set=valid_pool, early_stopping_rounds=5)
    params = model.get_params()
    assert params["eval_metric"] == FocalMetric(gamma=2.0, alpha=0.25)
    assert params["class_names"] == [0, 1]
    start = obj.loss.init_score(y[:3000])
    logit = np.log(y[:3000].mean() / (1.0 - y[:3000].mean()))
    assert abs(start - logit) > 0.5  # the focal optimum, not log-loss's
    assert model.get_scale_and_bias()[1] == start
    # the baselines were only lent to CatBoost: predicting on the Pools counts the start once
    for pool in (train_pool, valid_pool):
        assert not np.any(pool.get_baseline())
    np.testing.assert_array_equal(raw(model, train_pool), raw(model, X[:3000]))
    assert list(model.predict(X[:10])) == list((raw(model, X[:10]) > 0).astype(int))
    assert model.classes_.tolist() == [0, 1]


def test_fit_keeps_a_given_baseline(data):
    X, y, _ = data
    offset = np.random.default_rng(3).normal(-1.0, 0.3, y.shape[0])
    pool = Pool(X, y, baseline=offset)
    model = fit(CatBoost({**SMALL, "iterations": 10,
                          "loss_function": FocalObjective(gamma=1.0)}), pool)
    assert model.get_scale_and_bias() == (1.0, 0.0)
    np.testing.assert_allclose(pool.get_baseline().ravel(), offset)


@pytest.mark.parametrize("start", [0.0, -0.7])
def test_fit_start_replaces_the_optimum(data, start):
    # one round at a negligible learning rate leaves the raw score at the start
    X, y, _ = data
    model = fit(CatBoost({**SMALL, "iterations": 1, "learning_rate": 1e-6,
                          "loss_function": FocalObjective(gamma=2.0)}), X, y, start=start)
    assert model.get_scale_and_bias()[1] == start
    np.testing.assert_allclose(raw(model, X), start, atol=1e-3)
    with pytest.raises(ValueError, match="start must be None or 0"):
        fit(CatBoost({**SMALL, "iterations": 1, "loss_function": FocalObjective()}),
            Pool(X, y, baseline=np.full(len(y), 0.5)), start=1.0)
    with pytest.raises(TypeError, match="start must be a real number"):
        fit(CatBoost({**SMALL, "loss_function": FocalObjective()}), X, y, start="zero")


def test_train_matches_fit_and_catboost_train(data):
    X, y, w = data
    params = {**SMALL, "iterations": 30, "loss_function": FocalObjective(gamma=2.0),
              "eval_metric": FocalMetric(gamma=2.0)}
    ours = train(Pool(X, y, weight=w), params)
    assert type(ours) is CatBoost
    helped = fit(CatBoost(params), X, y, sample_weight=w)
    # a Pool keeps float32 weights, so the two starts differ in the 8th digit
    np.testing.assert_allclose(raw(ours, X), raw(helped, X), rtol=0, atol=1e-8)
    # plain catboost.train works too; it starts at 0 (no bias), unlike train()
    plain = catboost.train(Pool(X, y, weight=w), params=params)
    assert plain.get_scale_and_bias() == (1.0, 0.0)
    assert ours.get_scale_and_bias()[1] == FocalLoss(gamma=2.0).init_score(y, w.astype(np.float32))


def test_plain_catboostclassifier_works_with_class_names(data):
    X, y, _ = data
    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=2.0, alpha=0.25)
    bare = CatBoostClassifier(loss_function=obj, eval_metric=metric, iterations=5, **SMALL)
    bare.fit(X, y)
    with pytest.raises(IndexError):  # CatBoost's own behaviour without class_names
        bare.predict(X[:3])
    named = CatBoostClassifier(loss_function=obj, eval_metric=metric, iterations=5,
                               class_names=[0, 1], **SMALL).fit(X, y)
    assert set(named.predict(X).tolist()) <= {0, 1}


def test_save_load_round_trip(tmp_path, data):
    X, y, _ = data
    model = fit(CatBoostClassifier(loss_function=FocalObjective(gamma=2.0, alpha=0.25),
                                   iterations=30, **SMALL), X, y)
    expected_raw, expected_p = raw(model, X), predict_proba(model, X)
    for fmt in ("cbm", "json"):
        path = tmp_path / f"model.{fmt}"
        model.save_model(str(path), format=fmt)
        loaded = CatBoostClassifier()
        loaded.load_model(str(path), format=fmt)
        exact = fmt == "cbm"  # json prints leaf values in decimal: last-bit differences
        tol = {"rtol": 0.0 if exact else 1e-14, "atol": 0.0}
        np.testing.assert_allclose(raw(loaded, X), expected_raw, **tol)
        np.testing.assert_allclose(predict_proba(loaded, X), expected_p, **tol)  # from metadata
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(raw(restored, X), expected_raw)
    with pytest.raises(ValueError, match="pass loss=FocalLoss"):
        predict_proba(CatBoost({**SMALL, "iterations": 3}).fit(X, y), X)


# -- value objects ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [FocalObjective, FocalMetric])
def test_repr_pickle_deepcopy_clone_immutability(cls):
    obj = cls(gamma=2.0, alpha=0.25)
    assert repr(obj) == f"{cls.__name__}(gamma=2.0, alpha=0.25)"
    for twin in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj),
                 clone(obj, safe=False), cls.from_loss(FocalLoss(gamma=2.0, alpha=0.25))):
        assert twin == obj and hash(twin) == hash(obj) and type(twin) is cls
    assert obj != cls(gamma=2.0) and obj != FocalObjective(gamma=0.5)
    with pytest.raises(AttributeError, match="immutable"):
        obj.loss = FocalLoss()
    with pytest.raises(AttributeError):
        obj._jited = True  # what CatBoost would do to jit it; no_jit stops it from trying
    assert obj.no_jit is True


def test_catboost_copies_are_equal_objects(data):
    X, y, _ = data
    obj = FocalObjective(gamma=1.5, pos_weight=2.0)
    model = fit(CatBoostClassifier(loss_function=obj, iterations=3, **SMALL), X, y)
    assert model.get_params()["loss_function"] == obj
    assert model.get_params()["eval_metric"] == FocalMetric(gamma=1.5, pos_weight=2.0)
    # CatBoost deep-copies parameters in get_params; copies being the object itself is what
    # lets sklearn.clone pass its identity check (it failed with CatBoost 1.2.10 otherwise)
    twin = clone(CatBoostClassifier(loss_function=obj, iterations=3, **SMALL))
    assert twin.get_params()["loss_function"] is obj


# -- errors -------------------------------------------------------------------------------------
def test_gpu_without_cuda_is_refused_before_training(data):
    # task_type="GPU" runs FocalObjective as a numba CUDA kernel (tests/test_catboost_gpu.py);
    # without a usable CUDA device fit says so before CatBoost starts (where errors abort)
    try:
        from numba import cuda
        usable = cuda.is_available()
    except Exception:  # noqa: BLE001
        usable = False
    if usable:
        pytest.skip("a CUDA GPU is present (tests/test_catboost_gpu.py trains on it)")
    X, y, _ = data
    model = CatBoostClassifier(loss_function=FocalObjective(), task_type="GPU", iterations=3,
                               **SMALL)
    with pytest.raises(RuntimeError, match=r"task_type='GPU'.*no usable CUDA GPU"):
        fit(model, X, y)
    with pytest.raises(RuntimeError, match="GPU"):
        train(Pool(X, y), {"loss_function": FocalObjective(), "task_type": "GPU"})


def test_multiclass_is_refused(data):
    X, _, _ = data
    y3 = np.arange(X.shape[0]) % 3
    obj = FocalObjective(gamma=2.0)
    with pytest.raises(ValueError, match="multi-class"):
        fit(CatBoostClassifier(loss_function=obj, iterations=3, **SMALL), X, y3)
    with pytest.raises(ValueError, match="multi-class"):
        train(Pool(X, y3), {**SMALL, "iterations": 3, "loss_function": obj})
    # plain CatBoost: FocalLoss's label check fires inside calc_ders_range ...
    with pytest.raises(CatBoostError, match="multi-class"):
        catboost.train(Pool(X, y3), params={**SMALL, "iterations": 3, "loss_function": obj,
                                            "eval_metric": FocalMetric(gamma=2.0)})
    # ... and class_names with three classes makes CatBoost ask for calc_ders_multi
    with pytest.raises(CatBoostError, match="multi-class"):
        CatBoostClassifier(loss_function=obj, eval_metric=FocalMetric(gamma=2.0),
                           class_names=[0, 1, 2], iterations=3, **SMALL).fit(X, y3)
    with pytest.raises(ValueError, match="multi-class"):
        FocalMetric().evaluate((X[:, 0], X[:, 1]), y3.astype(np.float32), None)


@pytest.mark.parametrize("params, match", [
    ({"boost_from_average": True}, "boost_from_average"),
    ({"class_weights": [1.0, 3.0]}, "class_weights"),
    ({"auto_class_weights": "Balanced"}, "auto_class_weights"),
    ({"scale_pos_weight": 3.0}, "scale_pos_weight"),
    ({"eval_metric": FocalMetric(gamma=1.0)}, "differ"),
])
def test_unsupported_params_are_refused(data, params, match):
    X, y, _ = data
    model = CatBoostClassifier(loss_function=FocalObjective(gamma=2.0), iterations=3, **SMALL,
                               **params)
    with pytest.raises(ValueError, match=match):
        fit(model, X, y)


def test_bad_arguments(data):
    X, y, _ = data
    with pytest.raises(TypeError, match="FocalObjective"):
        fit(CatBoostClassifier(loss_function="Logloss"), X, y)
    with pytest.raises(TypeError, match="CatBoost"):
        fit(object(), X, y)
    with pytest.raises(TypeError, match="params"):
        train(Pool(X, y), [("loss_function", FocalObjective())])
    with pytest.raises(ValueError, match="y is required"):
        fit(CatBoost({"loss_function": FocalObjective()}), X)
    with pytest.raises(ValueError, match="y must be None"):
        fit(CatBoost({"loss_function": FocalObjective()}), Pool(X, y), y)
    with pytest.raises(ValueError, match="init_model"):
        fit(CatBoost({"loss_function": FocalObjective()}), X, y, init_model="model.cbm")
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        fit(CatBoost({"loss_function": FocalObjective()}), X, y * 2 - 1 + 0.5)
    with pytest.raises(TypeError, match="eval_set"):
        fit(CatBoost({**SMALL, "loss_function": FocalObjective()}), X, y, eval_set=[X])
    with pytest.raises(ValueError, match="gamma"):
        FocalObjective(gamma=-1.0)
