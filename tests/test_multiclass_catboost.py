"""boostfocal.catboost: MulticlassFocalObjective / MulticlassFocalMetric with CatBoost.

Kernels are compiled per parameter set and K: the tests share three parameter sets (GAMMA0, FOCAL,
SOFT) and K = 4 to keep compilation out of the suite's time.
"""
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

catboost = pytest.importorskip("catboost")
numba = pytest.importorskip("numba")
from catboost import CatBoost, CatBoostClassifier, CatBoostError, Pool  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from boostfocal.catboost import (  # noqa: E402
    FocalObjective, MulticlassFocalMetric, MulticlassFocalObjective, fit, predict_proba, train)
from boostfocal.multiclass import MulticlassFocalLoss  # noqa: E402

K = 4
GAMMA0 = {"gamma": 0.0}
FOCAL = {"gamma": 2.0, "alpha": [0.4, 0.2, 0.2, 0.2]}
SOFT = {"gamma": [0.5, 1.0, 2.0, 3.0], "alpha": [1.0, 2.0, 0.5, 1.5], "label_smoothing": 0.1,
        "hessian": "exact"}
SMALL = {"thread_count": 2, "verbose": 0, "random_seed": 0, "allow_writing_files": False}
# Built-in MultiClass defaults to Bayesian bootstrap, custom objectives to MVS, and to several
# Newton steps: pin both to one plain step.
PINNED = {**SMALL, "iterations": 60, "depth": 6, "leaf_estimation_method": "Newton",
          "leaf_estimation_iterations": 1, "leaf_estimation_backtracking": "No",
          "bootstrap_type": "No"}


def raw(model, data):
    return model.predict(data, prediction_type="RawFormulaVal")


def onehot(y, k=K):
    return np.eye(k)[y]


@pytest.fixture(scope="module")
def data():
    """2,000 rows, 4 classes from a softmax of a linear score, with positive weights."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(2_000, 6))
    y = np.argmax(X @ rng.normal(size=(6, K)) + rng.gumbel(size=(2_000, K)), axis=1)
    w = rng.uniform(0.2, 3.0, y.shape[0])
    return X.astype(np.float32), y, w


@pytest.fixture(scope="module")
def rare():
    """5,000 rows, 4 classes, the smallest 2%."""
    from sklearn.datasets import make_classification

    X, y = make_classification(5_000, 8, n_informative=6, n_classes=K, n_clusters_per_class=1,
                               weights=[0.02, 0.38, 0.3, 0.3], flip_y=0.0, random_state=3)
    return X.astype(np.float32), y


# -- the per-object kernel ---------------------------------------------------------------------
@pytest.mark.parametrize("params", [GAMMA0, FOCAL, SOFT])
def test_calc_ders_multi_is_minus_weighted_gradient_and_full_hessian(rng, params):
    obj = MulticlassFocalObjective(**params)
    n = 200
    z = rng.normal(0.0, 3.0, (n, K))
    y = rng.integers(0, K, n)
    w = rng.uniform(0.1, 4.0, n)
    grad, hess = obj.loss.gradient_full_hessian(y, z, w)
    kernel = obj.kernel(K)
    for i in range(n):
        # CatBoost passes a float64 view of the K scores, the class index and weight as floats
        ders, matrix = kernel(z[i], float(y[i]), float(w[i]))
        assert type(ders) is tuple and len(ders) == K
        assert type(matrix) is tuple and all(type(r) is tuple and len(r) == K for r in matrix)
        np.testing.assert_allclose(ders, -grad[i], rtol=1e-12, atol=1e-15)
        # CatBoost reads row j from column j on; below the diagonal is None (nothing to box)
        assert all(matrix[j][k] is None for j in range(K) for k in range(j))
        upper = np.array([[matrix[min(j, k)][max(j, k)] for k in range(K)] for j in range(K)])
        np.testing.assert_allclose(upper, -hess[i], rtol=1e-12, atol=1e-15)
        if params["gamma"] == 2.0:  # the expected hessian is positive semi-definite, so
            assert np.linalg.eigvalsh(upper).max() <= 1e-12 * w[i]  # Cholesky sees NSD


def test_kernel_checks_what_it_reads():
    kernel = MulticlassFocalObjective(**GAMMA0).kernel(K)
    z = np.zeros(K)
    for args, match in [((np.zeros(K + 1), 0.0, 1.0), "one raw score per class"),
                        ((z, 4.0, 1.0), "class index 0..3"), ((z, 1.5, 1.0), "class index"),
                        ((z, -1.0, 1.0), "class index"), ((z, float("nan"), 1.0), "class index"),
                        ((z, 0.0, -1.0), "weight"), ((z, 0.0, float("inf")), "weight"),
                        ((np.array([0.0, np.nan, 0.0, 0.0]), 0.0, 1.0), "finite")]:
        with pytest.raises(ValueError, match=match):
            kernel(*args)
    with pytest.raises(ValueError, match="alpha / gamma give 4"):
        MulticlassFocalObjective(**FOCAL).kernel(3)


def test_catboost_calls_the_compiled_kernel_directly(data):
    """The speed guard: CatBoost's call reaches the numba dispatcher after one dict lookup by K,
    compiled for the types it passes (a Python-level objective is 4-10x slower; CatBoost's own
    jit falls back silently). The objective keeps no per-fit state (issue 22)."""
    X, y, _ = data
    obj = MulticlassFocalObjective(**GAMMA0)
    fit(CatBoost({**SMALL, "iterations": 2, "loss_function": obj}), X, y)
    kernel = obj._by_k[K]
    assert isinstance(kernel, numba.core.registry.CPUDispatcher)
    assert kernel is obj.kernel(K)
    assert (numba.types.Array(numba.float64, 1, "C"), numba.float64,
            numba.float64) in kernel.signatures  # what CatBoost passes: compiled for it
    assert kernel.nopython_signatures  # compiled in nopython mode: no object-mode fallback
    assert not hasattr(obj, "_jited")  # CatBoost did not wrap it (no_jit)
    # the next fit finds its own K's kernel; the first one's stays
    y3 = np.minimum(y, 2)
    model = fit(CatBoost({**SMALL, "iterations": 2, "loss_function": obj}), X, y3)
    assert raw(model, X).shape == (X.shape[0], 3)
    assert obj._by_k[3] is obj.kernel(3) and obj._by_k[K] is obj.kernel(K)
    # plain calc_ders_range means CatBoost kept one score per row: a clear error
    with pytest.raises(ValueError, match="at least 3 classes"):
        obj.calc_ders_range(np.zeros(3), np.zeros(3, np.float32), None)


# -- equality with built-in MultiClass (gamma = 0 is softmax cross-entropy) ----------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_gamma0_equals_builtin_multiclass(data, weighted):
    X, y, w = data
    ww = w if weighted else None
    obj = MulticlassFocalObjective(**GAMMA0)
    start = obj.loss.init_score(onehot(y), ww)
    pool = Pool(X, y, weight=ww, baseline=np.tile(start, (y.shape[0], 1)))
    builtin = CatBoost({**PINNED, "loss_function": "MultiClass",
                        "boost_from_average": False}).fit(pool)
    helped = fit(CatBoost({**PINNED, "loss_function": obj}), X, y, sample_weight=ww)
    expected = raw(builtin, X) + start
    assert np.abs(raw(helped, X) - expected).max() <= 1e-9  # the bar is 1e-3; measured 1e-15
    assert np.ptp(expected) > 2.0  # a real model, not a constant
    np.testing.assert_array_equal(helped.get_scale_and_bias()[1], start)  # the start is the bias
    # at gamma = 0 the focal posterior is the softmax: CatBoost's own probabilities
    np.testing.assert_allclose(predict_proba(helped, X), helped.predict(X, "Probability"),
                               rtol=1e-12)


def test_gamma2_alpha_rare_class_trains_without_divergence(rare):
    X, y = rare
    obj = MulticlassFocalObjective(gamma=2.0, alpha=[0.55, 0.15, 0.15, 0.15])
    model = fit(CatBoostClassifier(loss_function=obj, iterations=60, depth=4, **SMALL),
                X[:3000], y[:3000], eval_set=(X[3000:], y[3000:]))
    z = raw(model, X)
    assert np.isfinite(z).all() and np.abs(z).max() < 30.0
    history = model.get_evals_result()["validation"]["MulticlassFocalMetric"]
    assert history[-1] < 0.5 * history[0]  # it learned
    assert np.all(np.diff(history[:40]) < 1e-3)  # and did not oscillate on the way
    p = predict_proba(model, X[3000:])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    yv = y[3000:]
    assert (np.argmax(p, axis=1) == yv).mean() > 0.8
    rare_rows = yv == 0  # the 2% class is found: ranked by its (calibrated) probability
    assert rare_rows.sum() >= 10 and roc_auc_score(rare_rows, p[:, 0]) > 0.85


# -- the metric ------------------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_metric_equals_mean_loss(rng, weighted):
    metric = MulticlassFocalMetric(**FOCAL)
    n = 555
    z = rng.normal(0.0, 2.0, (n, K))
    y = rng.integers(0, K, n).astype(np.float32)
    w = rng.uniform(0.1, 4.0, n).astype(np.float32) if weighted else None
    error, weight = metric.evaluate(tuple(z.T), y, w)  # CatBoost: K arrays of n scores
    assert weight == pytest.approx(n if w is None else float(w.astype(np.float64).sum()),
                                   rel=1e-15)
    assert metric.get_final_error(error, weight) == pytest.approx(
        metric.loss.mean_loss(y.astype(np.intp), z, w), rel=1e-13)
    assert metric.is_max_optimal() is False
    with pytest.raises(ValueError, match="at least 3 classes"):
        metric.evaluate((z[:, 0],), y, w)


def test_metric_recorded_by_catboost_equals_mean_loss(data):
    X, y, w = data
    obj = MulticlassFocalObjective(**FOCAL)
    model = fit(CatBoost({**SMALL, "iterations": 20, "loss_function": obj}),
                X[:1500], y[:1500], sample_weight=w[:1500],
                eval_set=Pool(X[1500:], y[1500:], weight=w[1500:]))
    assert model.get_params()["eval_metric"] == MulticlassFocalMetric(**FOCAL)
    history = model.get_evals_result()
    for name, rows in (("learn", slice(None, 1500)), ("validation", slice(1500, None))):
        recorded = history[name]["MulticlassFocalMetric"][-1]
        assert recorded == pytest.approx(obj.loss.mean_loss(y[rows], raw(model, X[rows]),
                                                            w[rows]), rel=1e-7)


# -- labels, classes, start ------------------------------------------------------------------------
def test_classifier_takes_labels_of_any_type(data):
    X, y, _ = data
    names = np.array(["owl", "cat", "emu", "ant"])  # sorted: ant cat emu owl
    obj = MulticlassFocalObjective(**FOCAL)
    model = fit(CatBoostClassifier(loss_function=obj, iterations=20, **SMALL), X, names[y])
    assert model.classes_.tolist() == ["ant", "cat", "emu", "owl"]
    index = np.searchsorted(model.classes_, names[y])  # the class order CatBoost uses
    np.testing.assert_array_equal(model.get_scale_and_bias()[1],
                                  obj.loss.init_score(index, None))
    p = predict_proba(model, X)
    assert np.abs(p.sum(axis=1) - 1.0).max() < 1e-12
    assert model.predict(X).ravel().tolist() == model.classes_[np.argmax(raw(model, X), 1)].tolist()
    # given class_names fix the order (and the start follows it)
    order = ["owl", "emu", "cat", "ant"]
    named = fit(CatBoostClassifier(loss_function=obj, iterations=20, class_names=order, **SMALL),
                X, names[y])
    position = np.array([order.index(v) for v in names[y]])
    np.testing.assert_array_equal(named.get_scale_and_bias()[1],
                                  obj.loss.init_score(position, None))
    assert named.classes_.tolist() == order


def test_catboost_takes_class_indices_and_train(data):
    X, y, w = data
    params = {**SMALL, "iterations": 10, "loss_function": MulticlassFocalObjective(**GAMMA0)}
    model = train(Pool(X, y, weight=w), params)
    assert type(model) is CatBoost and raw(model, X).shape == (X.shape[0], K)
    start = MulticlassFocalLoss(gamma=0.0).init_score(onehot(y), w.astype(np.float32))
    np.testing.assert_allclose(model.get_scale_and_bias()[1], start, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="class indices"):
        fit(CatBoost(params), X, y + 0.5)
    with pytest.raises(ValueError, match="class indices"):
        fit(CatBoost(params), X, np.array(["a", "b", "c", "d"])[y])


def test_fit_start_and_pools(data):
    X, y, _ = data
    obj = MulticlassFocalObjective(**FOCAL)
    train_pool, valid_pool = Pool(X[:1500], y[:1500]), Pool(X[1500:], y[1500:])
    model = fit(CatBoost({**SMALL, "iterations": 5, "loss_function": obj}), train_pool,
                eval_set=valid_pool)
    for pool in (train_pool, valid_pool):  # lent, then reset: predicting counts the start once
        assert not np.any(pool.get_baseline())
    np.testing.assert_array_equal(raw(model, train_pool), raw(model, X[:1500]))
    # an explicit start: one round at a negligible learning rate stays there
    start = [0.5, -0.5, 0.25, -0.25]
    model = fit(CatBoost({**SMALL, "iterations": 1, "learning_rate": 1e-6, "loss_function": obj}),
                X, y, start=start)
    np.testing.assert_allclose(raw(model, X), np.tile(start, (X.shape[0], 1)), atol=1e-4)
    with pytest.raises(ValueError, match="4 finite numbers"):
        fit(CatBoost({**SMALL, "loss_function": obj}), X, y, start=0.5)
    # a given (n, K) baseline is the start
    offset = np.tile([0.1, 0.0, -0.1, 0.0], (X.shape[0], 1))
    model = fit(CatBoost({**SMALL, "iterations": 2, "loss_function": obj}),
                Pool(X, y, baseline=offset))
    assert model.get_scale_and_bias()[1] == [0.0] * K


@pytest.mark.parametrize("labels, params, match", [
    (lambda y: y % 2, {}, "2 classes"),
    (lambda y: np.minimum(y, 2), {"alpha": [1.0, 1.0, 1.0, 1.0]}, "give 4 classes"),
    (lambda y: y, {"class_names": [0, 1, 2]}, r"labels \[3\] are not in class_names"),
])
def test_bad_classes(data, labels, params, match):
    X, y, _ = data
    alpha = params.pop("alpha", None)
    model = CatBoostClassifier(loss_function=MulticlassFocalObjective(alpha=alpha),
                               iterations=2, **SMALL, **params)
    with pytest.raises(ValueError, match=match):
        fit(model, X, labels(y))


def test_plain_catboost_with_class_names_and_errors_inside_training(data, monkeypatch):
    from boostfocal import _adapter

    X, y, _ = data
    obj, metric = MulticlassFocalObjective(**GAMMA0), MulticlassFocalMetric(**GAMMA0)
    monkeypatch.setattr(_adapter, "_WARNED", set())
    with pytest.warns(UserWarning, match="MulticlassFocalObjective outside boostfocal.catboost"):
        model = CatBoostClassifier(loss_function=obj, eval_metric=metric,
                                   class_names=[0, 1, 2, 3], iterations=5,
                                   **SMALL).fit(X, y)  # no fit(): starts at 0
    assert raw(model, X).shape == (X.shape[0], K) and model.get_scale_and_bias()[1] == [0.0] * K
    # without class_names CatBoost keeps one score per row and calls calc_ders_range
    with pytest.raises(CatBoostError, match="at least 3 classes"):
        CatBoost({**SMALL, "iterations": 2, "loss_function": obj, "eval_metric": metric}).fit(X, y)
    # a binary FocalMetric next to the multi-class objective is refused up front
    with pytest.raises(ValueError, match="differ"):
        fit(CatBoost({**SMALL, "loss_function": obj, "eval_metric": MulticlassFocalMetric()}),
            X, y)


# -- the model: stored loss, reload in a fresh process -------------------------------------------
def test_saved_model_predicts_focal_probabilities_in_a_fresh_process(tmp_path, data):
    X, y, _ = data
    model = fit(CatBoostClassifier(loss_function=MulticlassFocalObjective(**SOFT), iterations=10,
                                   **SMALL), X, y)
    expected = predict_proba(model, X[:50])
    np.testing.assert_allclose(expected, model.get_params()["loss_function"].loss.predict_proba(
        raw(model, X[:50])))
    assert np.abs(expected - model.predict_proba(X[:50])).max() > 1e-3  # not CatBoost's softmax
    path = tmp_path / "model.cbm"
    model.save_model(str(path))
    np.save(tmp_path / "X.npy", X[:50])
    code = textwrap.dedent(f"""
        import numpy as np
        from catboost import CatBoost
        from boostfocal.catboost import predict_proba
        model = CatBoost()
        model.load_model({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "p.npy")!r}, predict_proba(model, X))
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(predict_proba(restored, X[:50]), expected)


# -- value objects -------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MulticlassFocalObjective, MulticlassFocalMetric])
def test_value_objects(cls):
    obj = cls(**FOCAL)
    for twin in (pickle.loads(pickle.dumps(obj)), clone(obj, safe=False),
                 cls.from_loss(MulticlassFocalLoss(**FOCAL))):
        assert twin == obj and hash(twin) == hash(obj) and type(twin) is cls
    assert obj != cls(gamma=2.0) and obj.no_jit is True
    with pytest.raises(AttributeError, match="immutable"):
        obj.loss = MulticlassFocalLoss()
    model = CatBoostClassifier(loss_function=obj if cls is MulticlassFocalObjective else
                               MulticlassFocalObjective(**FOCAL), iterations=3, **SMALL)
    assert clone(model).get_params()["loss_function"] == model.get_params()["loss_function"]


def test_unpickled_objective_rebuilds_its_kernel(data):
    X, y, _ = data
    obj = pickle.loads(pickle.dumps(MulticlassFocalObjective(**FOCAL)))
    assert obj._by_k == {}
    fit(CatBoost({**SMALL, "iterations": 1, "loss_function": obj}), X, y)
    assert obj._by_k[K] is MulticlassFocalObjective(**FOCAL).kernel(K)
    # the binary objective still refuses multi-class, naming the multi-class one
    with pytest.raises(ValueError, match="MulticlassFocalObjective"):
        FocalObjective().calc_ders_multi(np.zeros(3), 0.0, 1.0)


def test_one_thread_by_default_only_when_unset(data):
    """fit / train / FocalCatBoostClassifier give a multi-class objective thread_count 1 (its
    faster setting) only where the user set none; a user's value (also via n_jobs) is kept, and
    the binary objective keeps CatBoost's default."""
    from boostfocal.catboost import MULTICLASS_THREAD_COUNT
    from boostfocal.estimators import FocalCatBoostClassifier

    X, y = data[0][:300], data[1][:300]
    quick = {"iterations": 2, "verbose": 0, "allow_writing_files": False}
    assert MULTICLASS_THREAD_COUNT == 1
    objective = MulticlassFocalObjective(**FOCAL)
    unset = fit(CatBoostClassifier(loss_function=objective, **quick), X, y)
    assert unset.get_params()["thread_count"] == 1
    assert train(Pool(X, y), {"loss_function": objective, **quick}).get_params()[
        "thread_count"] == 1
    model = fit(CatBoostClassifier(loss_function=objective, thread_count=2, **quick), X, y)
    assert model.get_params()["thread_count"] == 2
    from boostfocal._cpus import usable_cpus
    every = train(Pool(X, y), {"loss_function": objective, "thread_count": -1, **quick})
    assert every.get_params()["thread_count"] == usable_cpus()  # -1: all cores, by number
    binary = fit(CatBoostClassifier(loss_function=FocalObjective(), **quick), X, (y == 0) * 1)
    assert "thread_count" not in binary.get_params()
    est = FocalCatBoostClassifier(gamma=2.0, n_estimators=2).fit(X, y)
    assert est.booster_.get_params()["thread_count"] == 1
    est = FocalCatBoostClassifier(gamma=2.0, n_estimators=2, n_jobs=2).fit(X, y)
    assert est.booster_.get_params()["thread_count"] == 2
    est = FocalCatBoostClassifier(gamma=2.0, n_estimators=2, thread_count=2).fit(X, y)
    assert est.booster_.get_params()["thread_count"] == 2
    est = FocalCatBoostClassifier(gamma=2.0, n_estimators=2, n_jobs=-1).fit(X, y)
    assert est.booster_.get_params()["thread_count"] == usable_cpus()
