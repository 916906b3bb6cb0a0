"""GPU checks (marker ``gpu``): run by hand on a CUDA machine, skipped with the reason elsewhere.

Results of the last run, with the GPU's name, are in benchmarks/RESULTS.md.
"""
import numpy as np
import pytest

from boostfocal import FocalLoss, MulticlassFocalLoss, check_gradients

cp = pytest.importorskip("cupy", reason="CuPy is not installed (GPU tests need CuPy and CUDA)")
try:
    _GPUS = cp.cuda.runtime.getDeviceCount()
except Exception as exc:  # noqa: BLE001 - any CUDA failure means: no usable GPU
    _GPUS, _WHY = 0, f"no usable CUDA device: {exc}"
else:
    _WHY = "no CUDA device"

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(_GPUS == 0, reason=_WHY)]
GAMMAS = [0.0, 0.5, 2.0, 5.0]
CLASS_WEIGHTS = [{}, {"alpha": 0.25}, {"pos_weight": 3.0}]


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("kw", CLASS_WEIGHTS)
def test_gpu_derivatives_against_finite_differences_on_the_gpu(gamma, kw):
    z = cp.linspace(-40.0, 40.0, 4001, dtype=cp.float64)
    w = cp.asarray(np.random.default_rng(0).uniform(0.0, 3.0, z.size))
    for y in (0.0, 1.0):
        r = check_gradients(FocalLoss(gamma=gamma, **kw), cp.full_like(z, y), z, w)
        assert r.passed(1e-6), r


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("kw", CLASS_WEIGHTS + [{"label_smoothing": 0.1}])
@pytest.mark.parametrize("mode", ["expected", "exact", "clipped"])
def test_gpu_matches_the_cpu_implementation(gamma, kw, mode):
    rng = np.random.default_rng(1)
    z = np.concatenate([np.linspace(-40, 40, 2001), rng.normal(0, 5, 2000)])
    y = (rng.random(z.size) < 0.3).astype(float)
    w = rng.uniform(0, 2, z.size)
    fl = FocalLoss(gamma=gamma, hessian=mode, **kw)
    zg, yg, wg = cp.asarray(z), cp.asarray(y), cp.asarray(w)
    grad, hess = fl.gradient_hessian(yg, zg, wg)
    assert isinstance(grad, cp.ndarray) and grad.dtype == cp.float64
    cpu = fl.gradient_hessian(y, z, w) + (fl.loss(y, z, w), fl.posterior(z))
    gpu = (grad, hess, fl.loss(yg, zg, wg), fl.posterior(zg))
    for c, g in zip(cpu, gpu):
        np.testing.assert_allclose(cp.asnumpy(g), c, rtol=1e-12, atol=1e-300)
    assert fl.init_score(yg, wg) == pytest.approx(fl.init_score(y, w), rel=1e-12)


# --- MulticlassFocalLoss: (n, K) CuPy arrays take the eager CuPy binding --------------------------
MULTICLASS = [{"gamma": 2.0}, {"gamma": [0.5, 2.0, 3.0, 1.0], "alpha": [0.5, 1.0, 2.0, 1.5]},
              {"gamma": 1.0, "label_smoothing": 0.1, "alpha": [1.0, 2.0, 1.0, 0.5]}]


def _multiclass_data(n=2000, k=4, seed=2):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 4, (n, k))
    z[:3] *= 1e3  # saturated rows
    return z, rng.integers(0, k, n), rng.dirichlet(np.ones(k), n), rng.uniform(0, 3, n)


@pytest.mark.parametrize("kw", MULTICLASS)
def test_gpu_multiclass_derivatives_against_finite_differences_on_the_gpu(kw):
    z, y, ys, w = _multiclass_data()
    zg = cp.asarray(z[3:])  # away from the saturated rows: differences must carry information
    for yy in (y[3:], ys[3:]):
        r = check_gradients(MulticlassFocalLoss(**kw), cp.asarray(yy), zg, cp.asarray(w[3:]))
        assert r.passed(1e-6), r


@pytest.mark.parametrize("kw", MULTICLASS)
@pytest.mark.parametrize("mode", ["expected", "exact", "clipped"])
def test_gpu_multiclass_matches_the_cpu_implementation(kw, mode):
    z, y, ys, w = _multiclass_data(seed=3)
    fl = MulticlassFocalLoss(hessian=mode, **kw)
    zg, wg = cp.asarray(z), cp.asarray(w)
    for yy in (y, ys):
        yg = cp.asarray(yy)
        grad, hess = fl.gradient_hessian(yg, zg, wg, scale=-1.0)
        assert isinstance(grad, cp.ndarray) and grad.dtype == cp.float64 and grad.shape == z.shape
        cpu = [*fl.gradient_hessian(yy, z, w, scale=-1.0), fl.loss(yy, z, w),
               *fl.gradient_full_hessian(yy, z, w), fl.posterior(z), fl.init_score(yy, w)]
        gpu = [grad, hess, fl.loss(yg, zg, wg), *fl.gradient_full_hessian(yg, zg, wg),
               fl.posterior(zg), fl.init_score(yg, wg)]
        for c, g in zip(cpu, gpu):
            assert isinstance(g, cp.ndarray) and g.dtype == cp.float64
            np.testing.assert_allclose(cp.asnumpy(g), c, rtol=1e-12,
                                       atol=1e-14 * np.max(np.abs(c)))
        assert fl.mean_loss(yg, zg, wg) == pytest.approx(fl.mean_loss(yy, z, w), rel=1e-12)
    g, h = cp.empty(z.shape), cp.empty(z.shape)
    assert fl.gradient_hessian(cp.asarray(y), zg, out=(g, h))[0] is g
    np.testing.assert_allclose(cp.asnumpy(h), fl.gradient_hessian(y, z)[1], rtol=1e-12,
                               atol=1e-14)


# --- XGBoost on the GPU ---------------------------------------------------------------------------
def _xgb_gpu_or_skip():
    xgb = pytest.importorskip("xgboost")
    if not xgb.build_info().get("USE_CUDA"):
        pytest.skip("this XGBoost build has no CUDA support")
    return xgb


def _data(n=20_000, rate=0.1, seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n, 20, n_informative=10, weights=[1 - rate], random_state=seed)
    return X.astype(np.float32), y.astype(np.float32)


def test_gpu_objective_returns_device_arrays_from_resident_labels():
    xgb = _xgb_gpu_or_skip()
    from boostfocal.xgboost import FocalObjective

    X, y = _data(2000)
    d = xgb.DMatrix(X, label=y, weight=np.full(len(y), 2.0, np.float32))
    obj = FocalObjective(gamma=2.0, alpha=0.25, device="cuda")
    z = np.random.default_rng(0).normal(size=len(y)).astype(np.float32)
    grad, hess = obj(z, d)
    assert isinstance(grad, cp.ndarray) and isinstance(hess, cp.ndarray)
    g_cpu, h_cpu = FocalObjective(gamma=2.0, alpha=0.25)(z, d)
    np.testing.assert_allclose(cp.asnumpy(grad), g_cpu, rtol=1e-12)
    np.testing.assert_allclose(cp.asnumpy(hess), h_cpu, rtol=1e-12)
    assert obj._resident[0]() is d  # labels stayed on the GPU for the next round


def test_gpu_gamma0_equals_builtin_logistic_on_the_gpu():
    xgb = _xgb_gpu_or_skip()
    from boostfocal.xgboost import FocalObjective, train

    X, y = _data()
    d = xgb.DMatrix(X, label=y)
    base = float(y.mean())
    common = {"tree_method": "hist", "device": "cuda", "max_depth": 6, "base_score": base}
    focal = train(dict(common), d, 100, obj=FocalObjective(gamma=0.0))
    builtin = xgb.train({**common, "objective": "binary:logistic"}, d, 100)
    mf = focal.predict(d, output_margin=True)
    mb = builtin.predict(d, output_margin=True)
    assert np.max(np.abs(mf - mb)) <= 1e-4


def test_gpu_gamma2_objective_on_gpu_equals_objective_on_host():
    """The same GPU trainer fed gradients computed on the GPU or on the host: the same model."""
    xgb = _xgb_gpu_or_skip()
    from sklearn.metrics import roc_auc_score

    from boostfocal.xgboost import FocalObjective, train

    X, y = _data(rate=0.02)
    d = xgb.DMatrix(X, label=y)
    params = {"tree_method": "hist", "device": "cuda", "max_depth": 6}
    margins, aucs = {}, {}
    for where in ("cuda", "cpu"):
        obj = FocalObjective(gamma=2.0, alpha=0.25, device=where)
        margins[where] = train(dict(params), d, 100, obj=obj).predict(d, output_margin=True)
        aucs[where] = roc_auc_score(y, margins[where])
    assert np.all(np.isfinite(margins["cuda"]))
    assert np.max(np.abs(margins["cuda"] - margins["cpu"])) <= 1e-3
    assert round(aucs["cuda"], 3) == round(aucs["cpu"], 3)


def test_gpu_gamma2_model_is_as_close_to_cpu_hist_as_xgboost_itself():
    """XGBoost's CPU and GPU hist differ (sketching, summation order) even with its built-in
    objective; the focal model may differ between them by no more than that, and AUC agrees."""
    xgb = _xgb_gpu_or_skip()
    from sklearn.metrics import roc_auc_score

    from boostfocal.xgboost import FocalObjective, train

    X, y = _data(rate=0.02)
    d = xgb.DMatrix(X, label=y)
    diff, auc = {}, {}
    for name, obj in (("builtin", None), ("focal", FocalObjective(gamma=2.0, alpha=0.25))):
        m = {}
        for device in ("cpu", "cuda"):
            p = {"tree_method": "hist", "device": device, "max_depth": 6}
            b = (xgb.train({**p, "objective": "binary:logistic"}, d, 100) if obj is None
                 else train(p, d, 100, obj=obj))
            m[device] = b.predict(d, output_margin=True)
        diff[name] = np.max(np.abs(m["cpu"] - m["cuda"]))
        auc[name] = abs(roc_auc_score(y, m["cpu"]) - roc_auc_score(y, m["cuda"]))
    assert auc["focal"] <= 0.005
    assert diff["focal"] <= 3 * diff["builtin"] + 1e-3, diff


def test_gpu_estimator_fits_predicts_pickles():
    _xgb_gpu_or_skip()
    import pickle

    from boostfocal.estimators.xgboost import FocalXGBClassifier

    X, y = _data(5000)
    clf = FocalXGBClassifier(gamma=2.0, alpha=0.25, n_estimators=50, device="cuda").fit(X, y)
    assert '"device":"cuda' in clf.get_booster().save_config().replace(" ", "")
    proba = clf.predict_proba(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    assert (clf.predict(X) == y).mean() > 0.9
    proba_cpu = FocalXGBClassifier(gamma=2.0, alpha=0.25, n_estimators=50).fit(X, y)
    assert np.mean(proba_cpu.predict(X) == clf.predict(X)) > 0.98


# --- the device-resident loop (boostfocal.xgboost._resident) ------------------------------------------
def test_gpu_resident_loop_margins_equal_xgboosts_training_margins():
    xgb = _xgb_gpu_or_skip()
    from boostfocal.xgboost._resident import ResidentLoop
    from boostfocal.xgboost import FocalObjective

    X, y = _data(20_000, rate=0.05)
    Xd = cp.asarray(X)
    d = xgb.QuantileDMatrix(Xd, label=cp.asarray(y))
    obj = FocalObjective(gamma=2.0, alpha=0.25)
    params = obj.train_params({"tree_method": "hist", "device": "cuda", "max_depth": 6}, y)
    bst = xgb.Booster(params, [d])
    loop = ResidentLoop(bst, d, Xd, obj.loss)
    assert isinstance(loop.margins, cp.ndarray) and isinstance(loop.y, cp.ndarray)
    for i in range(20):
        loop.step(i)
    own = bst.predict(d, output_margin=True, training=True)
    np.testing.assert_allclose(cp.asnumpy(loop.margins), own, rtol=0, atol=1e-5)


def test_gpu_resident_train_equals_the_standard_path():
    """data= on the GPU builds the model xgb.train builds (within XGBoost's own GPU
    nondeterminism: the same call twice on the standard path sets the tolerance)."""
    xgb = _xgb_gpu_or_skip()
    from boostfocal.xgboost import FocalMetric, FocalObjective, train

    X, y = _data(20_000, rate=0.05)
    Xd = cp.asarray(X)
    d = xgb.QuantileDMatrix(Xd, label=cp.asarray(y))
    dv = xgb.QuantileDMatrix(Xd[:4000], label=cp.asarray(y[:4000]), ref=d)
    params = {"tree_method": "hist", "device": "cuda", "max_depth": 6}
    kw = dict(obj=FocalObjective(gamma=2.0, alpha=0.25), evals=[(dv, "valid")],
              custom_metric=FocalMetric(gamma=2.0, alpha=0.25), verbose_eval=False)
    runs = [train(dict(params), d, 50, **kw, **extra) for extra in ({}, {}, {"data": Xd})]
    m = [cp.asnumpy(b.inplace_predict(Xd, predict_type="margin")) for b in runs]
    own = np.max(np.abs(m[0] - m[1]))
    assert np.max(np.abs(m[2] - m[0])) <= max(1e-4, 3 * own)


def test_gpu_resident_train_with_host_features_falls_back():
    xgb = _xgb_gpu_or_skip()
    from boostfocal.xgboost import FocalObjective, train

    X, y = _data(2000)
    d = xgb.DMatrix(X, label=y)
    with pytest.warns(UserWarning, match="trains on the GPU but data is a ndarray"):
        train({"device": "cuda"}, d, 3, obj=FocalObjective(), data=X)


def test_gpu_resident_loop_multiclass_margins_equal_xgboosts():
    xgb = _xgb_gpu_or_skip()
    from boostfocal.xgboost._resident import ResidentLoop
    from boostfocal.xgboost import MulticlassFocalObjective

    rng = np.random.default_rng(5)
    X = rng.normal(size=(20_000, 10)).astype(np.float32)
    y = np.argmax(X[:, :5] + rng.gumbel(size=(20_000, 5)), axis=1).astype(np.float32)
    Xd = cp.asarray(X)
    d = xgb.QuantileDMatrix(Xd, label=cp.asarray(y))
    obj = MulticlassFocalObjective(gamma=2.0)
    params = obj.train_params({"tree_method": "hist", "device": "cuda", "max_depth": 6,
                               "num_class": 5}, y)
    bst = xgb.Booster(params, [d])
    loop = ResidentLoop(bst, d, Xd, obj)
    assert isinstance(loop.margins, cp.ndarray) and loop.margins.shape == (20_000, 5)
    for i in range(10):
        loop.step(i)
    own = bst.predict(d, output_margin=True, training=True)
    np.testing.assert_allclose(cp.asnumpy(loop.margins), own, rtol=0, atol=1e-5)
