"""CatBoost task_type="GPU" with FocalObjective: the CUDA kernel (``_catboost_gpu``) against the CPU
kernel in numba's CUDA simulator, the checks that run before CatBoost starts, and (marker ``gpu``)
training on a real GPU."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from catboost import CatBoost, CatBoostClassifier, Pool

from boostfocal import FocalLoss, _catboost_gpu
from boostfocal.catboost import (FocalMetric, FocalObjective, MulticlassFocalObjective, fit,
                                 train)
from boostfocal.estimators import FocalCatBoostClassifier

SMALL = dict(iterations=3, verbose=False, allow_writing_files=False, thread_count=1)

# Runs in a fresh interpreter: NUMBA_ENABLE_CUDASIM must be set before numba.cuda is imported.
_SIMULATED = textwrap.dedent('''
    import json, sys
    import numpy as np
    from boostfocal import FocalLoss
    from boostfocal import _catboost_gpu as g

    rng = np.random.default_rng(0)
    z = np.concatenate([[0.0, 1e-30, -1e-30, 36.0, -36.0, 80.0, -80.0, 3e38, -3e38],
                        np.linspace(-30, 30, 61), rng.normal(0, 4, 60)])
    n = z.size  # 130 rows: 3 blocks of 64 threads, the last one partly out of range
    y = np.where(rng.random(n) < 0.4, 1.0, 0.0)
    y[:4] = [1.0, 0.0, 0.25, 0.8]  # soft labels too
    w = rng.uniform(0.0, 3.0, n)
    out = []
    for kw, dtype, weighted in json.loads(sys.argv[1]):
        loss = FocalLoss(**kw)
        k = g.kernel(loss)
        zz, yy, ww = (a.astype(dtype) for a in (z, y, w))
        der1, der2, value = g.launch(k, g.cuda, zz, yy, ww if weighted else None,
                                     want_value=True, threads=64)
        z64, y64 = zz.astype(np.float64), yy.astype(np.float64)
        w64 = ww.astype(np.float64) if weighted else None
        grad, hess = loss.gradient_hessian(y64, z64, w64)
        total = -np.sum(loss.loss(y64, z64, w64))
        # the size of the two label branches mixed for soft labels: their sum can cancel
        ys = loss._smooth(y64)
        g1, h1 = loss.gradient_hessian(np.ones(n), z64, w64)
        g0, h0 = loss.gradient_hessian(np.zeros(n), z64, w64)
        eps = loss.label_smoothing
        g1, h1 = (g1 - 0.5 * eps * g0) / (1 - 0.5 * eps), (h1 - 0.5 * eps * h0) / (1 - 0.5 * eps)
        out.append(dict(der1=der1.tolist(), der2=der2.tolist(), value=float(value[0]),
                        grad=grad.tolist(), hess=hess.tolist(), total=float(total),
                        gscale=(ys * abs(g1) + (1 - ys) * abs(g0)).tolist(),
                        hscale=(ys * abs(h1) + (1 - ys) * abs(h0)).tolist(),
                        dtype=str(der1.dtype)))
    # CatBoost's own call: the objective's attribute, 1024 threads per block, a stream, float32
    # device arrays, no weights (empty), and value[0] zeroed by CatBoost before the launch
    from numba import cuda
    from boostfocal.catboost import FocalObjective
    objective = FocalObjective(gamma=2.0, alpha=0.25)
    m = 1100
    zc, yc = rng.normal(0, 3, m).astype(np.float32), (rng.random(m) < 0.3).astype(np.float32)
    dev = [cuda.to_device(a) for a in (zc, yc, np.empty(0, np.float32), np.zeros(1, np.float32),
                                       np.zeros(m, np.float32), np.zeros(m, np.float32))]
    objective.calc_ders_range_gpu[(m + 1023) // 1024, 1024, 0](0, *dev)
    grad, hess = objective.loss.gradient_hessian(yc.astype(float), zc.astype(float))
    catboost_call = dict(der1=dev[4].copy_to_host().tolist(), der2=dev[5].copy_to_host().tolist(),
                         value=float(dev[3].copy_to_host()[0]), grad=grad.tolist(),
                         hess=hess.tolist(),
                         total=-float(np.sum(objective.loss.loss(yc.astype(float),
                                                                 zc.astype(float)))))
    # prepare() passes for a correct kernel and stops a wrong one before training
    loss = FocalLoss(gamma=2.0)
    g.prepare(loss)
    good = g._build
    g._KERNELS.clear()
    g._build = lambda l: good(FocalLoss(gamma=1.0))  # a kernel of another loss
    try:
        g.prepare(loss)
        wrong = "prepare accepted a wrong kernel"
    except RuntimeError as exc:
        wrong = str(exc)
    print(json.dumps(dict(cases=out, wrong=wrong, catboost_call=catboost_call)))
''')

CASES = [
    ({"gamma": 2.0}, "float64", True),
    ({"gamma": 0.0}, "float64", False),
    ({"gamma": 0.5, "alpha": 0.25, "hessian": "exact"}, "float64", True),
    ({"gamma": 3.7, "pos_weight": 3.0, "hessian": "clipped", "min_hessian": 1e-6},
     "float64", True),
    ({"gamma": 1.0, "label_smoothing": 0.1, "hessian": "expected"}, "float64", True),
    ({"gamma": 3.0, "alpha": 0.75, "label_smoothing": 0.05, "hessian": "exact"},
     "float64", False),
    ({"gamma": 2.0, "alpha": 0.25}, "float32", True),  # what CatBoost passes
    ({"gamma": 1.5, "hessian": "clipped"}, "float32", False),
]


@pytest.fixture(scope="module")
def simulated():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    run = subprocess.run([sys.executable, "-c", _SIMULATED, json.dumps(CASES)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("i", range(len(CASES)))
def test_simulated_kernel_matches_the_cpu_kernel(simulated, i):
    case = simulated["cases"][i]
    grad, hess = np.array(case["grad"]), np.array(case["hess"])
    der1, der2 = np.array(case["der1"]), np.array(case["der2"])
    assert np.all(np.isfinite(der1)) and np.all(np.isfinite(der2))
    if CASES[i][1] == "float64":
        assert case["dtype"] == "float64"
        # 1e-12 relative, or 1e-14 of the branches where the soft label's mix cancels them
        gscale, hscale = np.array(case["gscale"]), np.array(case["hscale"])
        assert np.all(abs(der1 + grad) <= 1e-12 * abs(grad) + 1e-14 * gscale + 1e-300)
        assert np.all(abs(der2 - hess) <= 1e-12 * abs(hess) + 1e-14 * hscale + 1e-300)
    else:  # float32 out: the CPU kernel's float64 result rounded once (at most 1 ulp apart)
        assert case["dtype"] == "float32"
        np.testing.assert_array_max_ulp(np.float32(der1), np.float32(-grad), maxulp=1)
        np.testing.assert_array_max_ulp(np.float32(der2), np.float32(hess), maxulp=1)
    assert np.any(der2 != 0.0) and np.any(der1 > 0.0) and np.any(der1 < 0.0)
    # value[0]: minus the weighted loss, summed per block in float64, added in float32 (the rows
    # at |z| = 3e38 lose ~3e38 each: beyond float32 unless their label is right)
    if abs(case["total"]) < float(np.finfo(np.float32).max):
        assert case["value"] == pytest.approx(case["total"], rel=1e-6)
    else:
        assert case["value"] == -np.inf


def test_simulated_catboost_call(simulated):
    """As CatBoost 1.2.10 launches ``objective.calc_ders_range_gpu`` (_GpuObjectiveCalcDersRange)."""
    c = simulated["catboost_call"]
    np.testing.assert_array_max_ulp(np.float32(c["der1"]), np.float32(-np.array(c["grad"])),
                                    maxulp=1)
    np.testing.assert_array_max_ulp(np.float32(c["der2"]), np.float32(c["hess"]), maxulp=1)
    assert c["value"] == pytest.approx(c["total"], rel=1e-6)


def test_prepare_stops_a_wrong_kernel(simulated):
    assert "disagrees with the CPU kernel" in simulated["wrong"]


# Runs in a fresh interpreter: compiles the kernel for a real GPU (sm_90) without one, as CatBoost
# will call it (an int for self, six C-contiguous float32 arrays), with numba's real CUDA target.
_PTX = textwrap.dedent('''
    import types as pytypes
    import numba.cuda.dispatcher
    from numba import cuda, types
    from boostfocal import FocalLoss
    from boostfocal import _catboost_gpu as g

    # device functions are compiled for the current device's compute capability: pretend one
    numba.cuda.dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(
        compute_capability=(9, 0))
    g.cuda = cuda
    arr = types.Array(types.float32, 1, "C")
    for kw in ({"gamma": 2.0, "alpha": 0.25}, {"gamma": 0.5, "hessian": "exact"},
               {"gamma": 3.7, "pos_weight": 3.0, "hessian": "clipped", "label_smoothing": 0.1}):
        ptx, restype = cuda.compile_ptx(g._build(FocalLoss(**kw)).py_func,
                                        (types.int64,) + (arr,) * 6, cc=(9, 0))
        # one kernel, everything inlined: 3 loads and 2 stores per row, one atomic per block
        print(str(restype), ptx.count(".entry"), ptx.count("call"), ptx.count("ld.global"),
              ptx.count("st.global"), ptx.count("atom.global.add.f32"))
''')


def _nvvm():
    try:
        from numba.cuda.cudadrv import nvvm
        return nvvm.is_available()
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.skipif(not _nvvm(), reason="numba finds no libNVVM (CUDA toolkit, or pip "
                    "nvidia-cuda-nvcc-cu12 with CUDA_HOME at its nvidia/cuda_nvcc)")
def test_kernel_compiles_for_a_real_gpu():
    run = subprocess.run([sys.executable, "-c", _PTX], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split("\n")[:3] == ["none 1 0 3 2 1"] * 3


def test_catboost_takes_the_kernel_as_it_is():
    """CatBoost 1.2.10's GPU descriptor: it would numba.cuda.jit a method named
    calc_ders_range_gpu, but leaves an object with no_jit alone (so it launches our kernel)."""
    from catboost import _catboost

    assert _catboost.custom_gpu_objective_methods_to_optimize == ["calc_ders_range_gpu"]
    objective = FocalObjective(gamma=2.0)
    _catboost._try_jit_methods(objective, ["calc_ders_range_gpu"], isCuda=True)
    assert not hasattr(objective, "_jited")  # returned at no_jit, before touching anything


# -- checks before CatBoost starts (no GPU, no simulator needed) ---------------------------------
def _cuda_usable():
    try:
        from numba import cuda
        return bool(cuda.is_available())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(float)
    return X, y


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("CatBoost started training")
    monkeypatch.setattr(CatBoost, "_fit", refuse)


def test_multiclass_gpu_is_refused_before_training(data, no_training):
    X, _ = data
    y3 = np.arange(X.shape[0]) % 3
    model = CatBoostClassifier(loss_function=MulticlassFocalObjective(), task_type="GPU", **SMALL)
    with pytest.raises(ValueError, match=r"no GPU entry point.*multi-class.*task_type='CPU'"):
        fit(model, X, y3)
    with pytest.raises(ValueError, match="multi-class"):
        MulticlassFocalObjective().calc_ders_range_gpu  # noqa: B018


def test_bad_input_is_refused_before_training(data, no_training):
    X, y = data
    model = CatBoostClassifier(loss_function=FocalObjective(), task_type="GPU", **SMALL)
    with pytest.raises(ValueError, match="y_true"):
        fit(model, X, np.where(y > 0, 2.0, 0.0))
    w = np.ones(len(y))
    w[0] = 1e39  # finite in float64, inf in CatBoost's float32
    with pytest.raises(ValueError, match=r"sample weights must be <= 3.4e38"):
        fit(model, X, y, sample_weight=w)
    w[0] = -1.0
    with pytest.raises(ValueError, match="sample_weight"):
        fit(model, X, y, sample_weight=w)
    for z in (np.inf, np.nan, 1e39):
        b = np.zeros(len(y))
        b[5] = z
        with pytest.raises(ValueError, match=r"baseline must be finite and within float32"):
            fit(model, X, y, baseline=b)
        with pytest.raises(ValueError, match=r"baseline must be finite and within float32"):
            fit(model, Pool(X, y, baseline=b))
    with pytest.raises(ValueError, match=r"start score and baseline must be finite"):
        fit(model, X, y, start=1e39)


@pytest.mark.skipif(_cuda_usable(), reason="a CUDA GPU is present: the objective runs there")
def test_no_cuda_is_a_clear_error_before_training(data, no_training):
    X, y = data
    with pytest.raises(RuntimeError, match=r"no usable CUDA GPU"):
        fit(CatBoostClassifier(loss_function=FocalObjective(), task_type="GPU", **SMALL), X, y)
    with pytest.raises(RuntimeError, match=r"no usable CUDA GPU"):
        train(Pool(X, y), {"loss_function": FocalObjective(), "task_type": "GPU", **SMALL})
    with pytest.raises(RuntimeError, match=r"no usable CUDA GPU"):
        FocalCatBoostClassifier(task_type="GPU", n_estimators=3).fit(X, y)


def test_lowercase_gpu_is_gpu(data, monkeypatch):
    # CatBoost's Python layer builds the GPU objective for task_type == "GPU" only
    X, y = data
    seen = []
    monkeypatch.setattr(_catboost_gpu, "prepare", lambda *a: seen.append(a))

    def record(self, *args, **kwargs):
        seen.append(self.get_params()["task_type"])
        raise RuntimeError("stop")
    monkeypatch.setattr(CatBoost, "_fit", record)
    with pytest.raises(RuntimeError, match="stop"):
        fit(CatBoostClassifier(loss_function=FocalObjective(), task_type="gpu", **SMALL), X, y)
    assert seen[-1] == "GPU" and len(seen) == 2  # checked (prepare), then trained as "GPU"


def test_classifier_passes_task_type_through(data, no_training):
    X, _ = data
    with pytest.raises(ValueError, match=r"no GPU entry point.*multi-class"):
        FocalCatBoostClassifier(task_type="GPU", n_estimators=3).fit(X, np.arange(len(X)) % 3)


# -- a real GPU (marker gpu) ---------------------------------------------------------------------
def _gpus():
    if not _cuda_usable():
        return 0, "numba.cuda finds no CUDA GPU"
    from catboost.utils import get_gpu_device_count
    n = get_gpu_device_count()
    return n, "CatBoost finds no GPU (a CPU-only build?)"


_N_GPUS, _WHY = _gpus()


@pytest.mark.gpu
@pytest.mark.skipif(_N_GPUS == 0, reason=_WHY)
@pytest.mark.parametrize("kw", [{"gamma": 0.0}, {"gamma": 2.0, "alpha": 0.25}])
def test_gpu_training_matches_cpu_training(kw):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=20000, n_features=10, weights=[0.8], random_state=0)
    Xt, yt, Xv, yv = X[:15000], y[:15000], X[15000:], y[15000:]
    loss = FocalLoss(**kw)
    # the same quantization, no bootstrap, no random split noise and one Newton step per leaf on
    # both devices and both losses (on the CPU, focal at gamma = 0 is then Logloss to 2e-8)
    params = dict(iterations=200, depth=6, learning_rate=0.1, verbose=False,
                  allow_writing_files=False, random_seed=0, border_count=128,
                  bootstrap_type="No", random_strength=0, leaf_estimation_method="Newton",
                  leaf_estimation_iterations=1)
    models = {}
    for task in ("CPU", "GPU"):
        models[task] = fit(CatBoost(dict(params, loss_function=FocalObjective.from_loss(loss),
                                         task_type=task)), Xt, yt)
    start = loss.mean_loss(yv, np.full(len(yv), loss.init_score(yt)))
    raw = {t: m.predict(Xv, prediction_type="RawFormulaVal") for t, m in models.items()}
    held = {t: loss.mean_loss(yv, r) for t, r in raw.items()}
    assert held["GPU"] < 0.6 * start  # it learned (a wrong sign or hessian would not)
    assert held["GPU"] == pytest.approx(held["CPU"], rel=0.05)
    assert np.corrcoef(raw["CPU"], raw["GPU"])[0, 1] > 0.97
    if kw["gamma"] == 0.0:  # the focal loss at gamma = 0 is Logloss, from the same start: the
        # built-in's model on the GPU is the same up to float32 sums (der1 = w (y - p) and
        # der2 = w p (1 - p) are its derivatives: a sign or hessian convention error shows here)
        builtin = CatBoost(dict(params, loss_function="Logloss", task_type="GPU",
                                boost_from_average=True)).fit(Xt, yt)
        rb = builtin.predict(Xv, prediction_type="RawFormulaVal")
        assert held["GPU"] == pytest.approx(loss.mean_loss(yv, rb), rel=0.01)
        assert np.corrcoef(raw["GPU"], rb)[0, 1] > 0.99
    assert isinstance(models["GPU"].get_params()["eval_metric"], FocalMetric)
