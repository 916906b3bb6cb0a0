"""Adversarial checks of the multiclass seams (issue 22): shared objects across threads and K,
the start an estimator reports, the CatBoost kernels for large K, and input checks that must
name the argument instead of returning a wrong number."""
import threading

import numpy as np
import pytest

from boostfocal import FocalLoss, MulticlassFocalLoss, compat

RNG = np.random.default_rng(0)
Y3 = RNG.integers(0, 3, 200)
Z3 = RNG.normal(size=(200, 3))


# -- 3. shared objects -------------------------------------------------------------------------
def test_catboost_objective_shared_by_concurrent_fits_of_different_k():
    pytest.importorskip("catboost")
    from catboost import CatBoostClassifier

    from boostfocal.catboost import MulticlassFocalObjective, fit

    obj = MulticlassFocalObjective(gamma=2.0)
    results, errors = {}, []

    def run(k, seed):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(600, 4)), rng.integers(0, k, 600)
        try:
            m = fit(CatBoostClassifier(loss_function=obj, iterations=15, verbose=0,
                                       thread_count=1, random_seed=0), X, y)
            results[seed] = (k, m.predict(X[:50], prediction_type="RawFormulaVal"))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(k, s)) for s, k in enumerate((3, 4, 3, 4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(v[1].shape[1] for v in results.values()) == [3, 3, 4, 4]
    # the same fit alone gives the same model: the threads did not disturb each other
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(600, 4)), rng.integers(0, 4, 600)
    alone = fit(CatBoostClassifier(loss_function=obj, iterations=15, verbose=0, thread_count=1,
                                   random_seed=0), X, y)
    np.testing.assert_allclose(alone.predict(X[:50], prediction_type="RawFormulaVal"),
                               results[1][1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [3, 12])
def test_catboost_kernel_matches_full_hessian_for_small_and_large_k(k):
    pytest.importorskip("catboost")
    from boostfocal.catboost import MulticlassFocalObjective

    alpha = np.linspace(0.5, 2.0, k)
    obj = MulticlassFocalObjective(gamma=1.5, alpha=alpha)
    z = RNG.normal(size=k)
    der1, der2 = obj.calc_ders_multi(z, 1.0, 0.7)
    grad, hess = obj.loss.gradient_full_hessian(np.array([1.0]), z[None], np.array([0.7]))
    np.testing.assert_allclose(np.array(der1, dtype=float), -grad[0], rtol=1e-13, atol=1e-15)
    for i in range(k):  # CatBoost reads row i from column i on
        np.testing.assert_allclose(np.array(der2[i][i:], dtype=float), -hess[0, i, i:],
                                   rtol=1e-13, atol=1e-15)


def test_catboost_kernel_for_200_classes_is_quick_after_the_first():
    pytest.importorskip("catboost")
    import time

    from boostfocal.catboost import MulticlassFocalObjective

    MulticlassFocalObjective(gamma=2.0).kernel(150)  # the any-K kernel, built or loaded once
    start = time.perf_counter()
    kernel = MulticlassFocalObjective(gamma=0.5, alpha=np.ones(200)).kernel(200)
    der1, _ = kernel(np.zeros(200), 3.0, 1.0)
    assert time.perf_counter() - start < 2.0  # no per-K, per-parameter compile
    assert der1[3] == pytest.approx((1 - 1 / 200) * (1 - 1 / 200) ** 0.5
                                    * (1 + 0.5 * np.log(200) * (1 / 200) / (1 - 1 / 200)),
                                    rel=1e-12)


@pytest.mark.parametrize("bad, exc, words", [
    (([0.0, 0.0, 0.0], 1.0, None), TypeError, "weight"),
    ((np.zeros(3), "1", 1.0), TypeError, "target"),
    (("abc", 1.0, 1.0), TypeError, "approxes"),
    ((np.zeros(3), 3.0, 1.0), ValueError, "target"),
    ((np.zeros(3), 1.0, -1.0), ValueError, "weight"),
    ((np.array([0.0, np.nan, 0.0]), 1.0, 1.0), ValueError, "finite"),
])
def test_catboost_calc_ders_multi_names_bad_arguments(bad, exc, words):
    pytest.importorskip("catboost")
    from boostfocal.catboost import MulticlassFocalObjective

    with pytest.raises(exc, match=words):
        MulticlassFocalObjective().calc_ders_multi(*bad)


def test_catboost_kernel_needs_an_integer_k():
    pytest.importorskip("catboost")
    from boostfocal.catboost import MulticlassFocalObjective

    for k in (2.5, True, "3"):
        with pytest.raises(TypeError, match="integer"):
            MulticlassFocalObjective().kernel(k)
    with pytest.raises(ValueError, match="at least 2"):
        MulticlassFocalObjective().kernel(1)


# -- 4. the start an estimator reports is the one that trained ---------------------------------
def test_xgb_classifier_reports_the_clipped_start():
    pytest.importorskip("xgboost")
    from boostfocal.estimators import FocalXGBClassifier
    from boostfocal.xgboost._facts import MAX_START as _MAX_START

    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 3))
    y = np.repeat([0, 1, 2], [1400, 590, 10])
    clf = FocalXGBClassifier(gamma=0.0, alpha=[1e6, 1.0, 1e-6], init_score="optimal",
                             n_estimators=1, learning_rate=1e-12, max_depth=1).fit(X, y)
    optimum = clf.loss_.init_score(y)
    assert np.abs(optimum - optimum.mean()).max() > _MAX_START  # the case that clips
    assert np.abs(clf.init_score_).max() <= _MAX_START
    # the raw scores of a model that barely moved are its start
    np.testing.assert_allclose(clf.decision_function(X[:5]), np.tile(clf.init_score_, (5, 1)),
                               atol=1e-5)


# -- 5. out= aliasing any input ----------------------------------------------------------------
def test_multiclass_out_aliasing_labels_or_weights_is_refused():
    Y = np.eye(3)[Y3]
    w = np.ones(3 * 200)
    for out, kwargs in [((Y, np.empty((200, 3))), {}),
                        ((np.empty((200, 3)), Y), {}),
                        ((w.reshape(200, 3), np.empty((200, 3))), {"sample_weight": w[:200]}),
                        ((np.empty((200, 3)), w.reshape(200, 3)),
                         {"sample_weight": w[100:300]})]:
        with pytest.raises(ValueError, match="share memory"):
            MulticlassFocalLoss().gradient_hessian(Y, Z3, out=out, **kwargs)
    yi = Y3.astype(np.float64)
    buf = np.empty(200 * 3 + 200)
    buf[:200] = yi
    with pytest.raises(ValueError, match="y_true"):
        MulticlassFocalLoss().gradient_hessian(buf[:200], Z3,
                                               out=(buf[:600].reshape(200, 3),
                                                    np.empty((200, 3))))


def test_binary_out_aliasing_labels_or_weights_is_refused():
    y = (RNG.random(100) < 0.3).astype(np.float64)
    z = RNG.normal(size=100)
    block = np.empty((100, 2))
    block[:, 0] = y
    with pytest.raises(ValueError, match="y_true"):
        FocalLoss().gradient_hessian(block[:, 0], z, out=block)
    w = np.ones(100)
    with pytest.raises(ValueError, match="sample_weight"):
        FocalLoss().gradient_hessian(y, z, w, out=(w, np.empty(100)))


# -- 6. scale ----------------------------------------------------------------------------------
@pytest.mark.parametrize("scale, exc", [(float("nan"), ValueError), (float("inf"), ValueError),
                                        ("1", TypeError), (None, TypeError),
                                        (True, TypeError)])
def test_multiclass_scale_is_checked(scale, exc):
    for call in (MulticlassFocalLoss().gradient_hessian,
                 MulticlassFocalLoss().gradient_full_hessian):
        with pytest.raises(exc, match="scale"):
            call(Y3, Z3, scale=scale)


# -- 7. compat ---------------------------------------------------------------------------------
P3 = np.full((4, 3), 1 / 3)
L3 = np.eye(3)[[0, 1, 2, 0]]


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(y_pred=P3 * 4), ValueError, "probabilities"),
    (dict(y_pred=-P3), ValueError, "probabilities"),
    (dict(y_pred=np.where(P3 > 0, np.inf, 0)), ValueError, "probabilities"),
    (dict(y_pred=np.zeros((4, 3))), ValueError, "all-zero"),
    (dict(y_pred=np.full((4, 3), np.inf), from_logits=True), ValueError, "finite"),
    (dict(alpha=-0.25), ValueError, "alpha"),
    (dict(alpha=[1, -1, 1]), ValueError, "alpha"),
    (dict(alpha="a"), TypeError, "alpha"),
    (dict(alpha=[True, 1, 1]), TypeError, "alpha"),
    (dict(gamma=True), TypeError, "gamma"),
    (dict(gamma="2"), TypeError, "gamma"),
])
def test_categorical_focal_crossentropy_refuses(kwargs, exc, words):
    args = dict(y_true=L3, y_pred=P3)
    args.update(kwargs)
    with pytest.raises(exc, match=words):
        compat.categorical_focal_crossentropy(**args)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(y_pred=P3 * 4), ValueError, "probabilities"),
    (dict(y_pred=np.zeros((4, 3))), ValueError, "all-zero"),
    (dict(y_pred=np.full((4, 3), np.inf), from_logits=True), ValueError, "finite"),
    (dict(class_weight=[1, -1, 1]), ValueError, "class_weight"),
    (dict(class_weight="abc"), TypeError, "class_weight"),
    (dict(gamma=True), TypeError, "gamma"),
    (dict(gamma="2"), TypeError, "gamma"),
    (dict(gamma=[2, -1, 2]), ValueError, "gamma"),
])
def test_sparse_categorical_focal_loss_refuses(kwargs, exc, words):
    args = dict(y_true=[0, 1, 2, 0], y_pred=P3, gamma=2.0)
    args.update(kwargs)
    with pytest.raises(exc, match=words):
        compat.sparse_categorical_focal_loss(**args)


def test_compat_valid_inputs_still_give_the_closed_form():
    # uniform probabilities: every row's loss is alpha (2/3)^gamma log 3
    v = compat.categorical_focal_crossentropy(L3, P3, alpha=0.5, gamma=2.0, reduction="none")
    np.testing.assert_allclose(v, 0.5 * (2 / 3) ** 2 * np.log(3), rtol=1e-6)
    v = compat.sparse_categorical_focal_loss([0, 1, 2, 0], P3, gamma=2.0,
                                             class_weight=[1.0, 2.0, 0.0])
    np.testing.assert_allclose(v, np.array([1, 2, 0, 1]) * (2 / 3) ** 2 * np.log(3), rtol=1e-6)


# -- 8. messages that name the right argument ---------------------------------------------------
def test_alpha_length_disagreeing_with_num_class_is_named():
    xgb = pytest.importorskip("xgboost")
    from boostfocal import xgboost as bx

    X = RNG.normal(size=(200, 3))
    with pytest.raises(ValueError, match="num_class = 3 but the loss's alpha"):
        bx.train({"num_class": 3}, xgb.DMatrix(X, label=Y3), 1,
                 obj=bx.MulticlassFocalObjective(alpha=[1, 1, 1, 1]))


def test_boolean_alpha_is_refused_like_boolean_gamma():
    for name in ("alpha", "gamma"):
        with pytest.raises(TypeError, match=name):
            MulticlassFocalLoss(**{name: [True, 1.0, 1.0]})


@pytest.mark.parametrize("y, exc, words", [
    (np.array([0.0, 1.0, np.nan]), ValueError, "NaN"),
    (np.array(["a", "b", "c"]), TypeError, "y_true"),
    (np.eye(4)[[0, 1, 2]], ValueError, "K = 3"),
])
def test_init_score_names_bad_labels(y, exc, words):
    loss = MulticlassFocalLoss(alpha=[1, 1, 1]) if "K = 3" in words else MulticlassFocalLoss()
    with pytest.raises(exc, match=words):
        loss.init_score(y)


def test_huge_alpha_and_weights_give_the_right_mean_not_inf_or_nan():
    w = RNG.uniform(0.5, 2.0, 200)
    plain = MulticlassFocalLoss(alpha=[1.0, 1.0, 1e-8]).mean_loss(Y3, Z3, w)
    huge = MulticlassFocalLoss(alpha=[1e300, 1e300, 1e292]).mean_loss(Y3, Z3, w * 5e307)
    assert huge == pytest.approx(plain * 1e300, rel=1e-12)
    with pytest.raises(ValueError, match="overflows"):  # a row's loss itself is beyond float64
        MulticlassFocalLoss(alpha=[1e308, 1e308, 1e308]).mean_loss(Y3, 30 * Z3)
    assert (MulticlassFocalLoss().mean_loss(Y3, Z3, np.full(200, 1e308))
            == pytest.approx(MulticlassFocalLoss().mean_loss(Y3, Z3), rel=1e-12))
    y = (RNG.random(200) < 0.4).astype(float)
    z = RNG.normal(size=200)
    assert (FocalLoss().mean_loss(y, z, w * 5e307)
            == pytest.approx(FocalLoss().mean_loss(y, z, w), rel=1e-12))
    zero = np.zeros(200)  # each row's loss 1e308 * (1/2)^2 log 2 < float64 max; their sum is not
    assert (FocalLoss(pos_weight=1e308).mean_loss(y, zero)
            == pytest.approx(1e308 * 0.25 * np.log(2) * y.mean()
                             + 0.25 * np.log(2) * (1 - y.mean()), rel=1e-9))
    with pytest.raises(ValueError, match="overflows"):
        FocalLoss(pos_weight=1e308).mean_loss(y, zero - 30.0)
    # only the ratios matter for the start
    np.testing.assert_allclose(MulticlassFocalLoss(alpha=[1e308, 1e308, 1.0]).init_score(Y3),
                               MulticlassFocalLoss(alpha=[1.0, 1.0, 1e-308]).init_score(Y3),
                               atol=1e-9)


# -- 9. CatBoost classes_count / class_names ----------------------------------------------------
@pytest.mark.parametrize("params, words", [
    (dict(classes_count=4), "classes_count = 4"),
    (dict(class_names=[0, 1, 2, 3]), "absent from the training labels"),
    (dict(class_names=[0, 1, 2, 3], classes_count=4), "absent from the training labels"),
])
def test_catboost_class_counts_disagreeing_with_labels(params, words):
    pytest.importorskip("catboost")
    from catboost import CatBoost, CatBoostClassifier

    from boostfocal.catboost import MulticlassFocalObjective, fit

    X = RNG.normal(size=(200, 3))
    for model in (CatBoostClassifier(loss_function=MulticlassFocalObjective(), iterations=2,
                                     verbose=0, **params),
                  CatBoost(dict(loss_function=MulticlassFocalObjective(), iterations=2,
                                verbose=0, **params))):
        with pytest.raises(ValueError, match=words):
            fit(model, X, Y3)


# -- 10. string labels at the binary seams -------------------------------------------------------
def test_catboost_fit_binary_string_labels_say_what_to_pass():
    pytest.importorskip("catboost")
    from catboost import CatBoostClassifier

    from boostfocal.catboost import FocalObjective, fit

    X = RNG.normal(size=(100, 3))
    y = np.where(RNG.random(100) < 0.3, "pos", "neg")
    with pytest.raises(TypeError, match="numeric labels 0/1"):
        fit(CatBoostClassifier(loss_function=FocalObjective(), iterations=2, verbose=0), X, y)


def test_xgboost_dask_string_labels_say_what_to_pass():
    pytest.importorskip("xgboost")
    da = pytest.importorskip("dask.array")
    y = da.from_array(np.array(["a", "b", "a", "b"]), chunks=2)
    with pytest.raises(TypeError, match="numeric"):  # the binary start of xgboost and lightgbm
        FocalLoss().start(y, None)
    with pytest.raises(TypeError, match="numeric"):
        MulticlassFocalLoss().start(y, None, 2)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_xgboost_lightgbm_objects_shared_by_concurrent_trainings(booster):
    """One objective and metric object trains K = 3 and K = 4 in two threads at once; each model
    equals the one trained alone."""
    pytest.importorskip(booster)
    mod = __import__(f"boostfocal.{booster}", fromlist=["x"])
    obj = mod.MulticlassFocalObjective(gamma=2.0)
    metric = mod.MulticlassFocalMetric(gamma=2.0)

    def train(k):
        rng = np.random.default_rng(k)
        X, y = rng.normal(size=(400, 4)), rng.integers(0, k, 400)
        if booster == "xgboost":
            import xgboost as xgb

            d = xgb.DMatrix(X, label=y)
            bst = mod.train({"num_class": k, "nthread": 1, "max_depth": 2}, d, 5, obj=obj,
                            custom_metric=metric, evals=[(d, "t")], verbose_eval=False)
            return bst.predict(d, output_margin=True)
        import lightgbm as lgb

        bst = mod.train({"num_class": k, "objective": obj, "metric": "None", "verbose": -1,
                         "num_threads": 1}, lgb.Dataset(X, label=y), 5, feval=metric)
        return bst.predict(X, raw_score=True)

    alone = {k: train(k) for k in (3, 4)}
    together, errors = {}, []

    def run(k):
        try:
            together[k] = train(k)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(k,)) for k in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in (3, 4):
        np.testing.assert_allclose(together[k], alone[k], rtol=1e-12, atol=1e-12)
