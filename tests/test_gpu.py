"""GPU checks (marker ``gpu``): run by hand on a CUDA machine, skipped with the reason elsewhere.

Results of the last run, with the GPU's name, are in benchmarks/RESULTS.md.
"""
import numpy as np
import pytest

from boostfocal import FocalLoss, check_gradients

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
