"""The binary focal loss as CatBoost's GPU objective: a numba CUDA kernel.

The math is ``_math``'s, bound (``_backends.bind``) to CUDA's scalar ``math`` as device functions.
CatBoost launches ``kernel[blocks, threads, stream](0, approx, target, weight, value, der1, der2)``
on float32 device arrays; row i gets (z, y, w) = (approx[i], smooth(target[i]), weight[i]),
computed in float64, and

    der1[i] = -w dL/dz,   der2[i] = w d2L/dz2,   value[0] += -sum_i w L_i

(CatBoost maximises; its GPU convention takes the hessian of the loss, not of its negative).
``der1`` / ``der2`` / ``value`` / ``weight`` may be empty (CatBoost passes no buffer): the kernel
then skips them (weight 1). Facts about CatBoost's side are in docs/gpu-catboost.md.

Nothing may fail inside CatBoost's callback (it aborts the process), so ``prepare`` builds,
compiles and runs the kernel on a few rows against the CPU kernel before training starts.
"""
from __future__ import annotations

import math
import threading

import numba
import numpy as np

from ._backends import bind

_F32_MAX = float(np.finfo(np.float32).max)
_KERNELS = {}  # loss -> kernel
_LOCK = threading.Lock()
_BOUND = {}  # cuda module -> _math bound to it
cuda = None  # numba.cuda once imported (a module global: the CUDA simulator swaps it in kernels)


def cuda_module():
    """``numba.cuda`` (the simulator with NUMBA_ENABLE_CUDASIM=1), or a RuntimeError saying why
    it cannot run CatBoost's GPU objective here."""
    global cuda
    try:
        from numba import cuda
    except Exception as exc:  # noqa: BLE001 - any import failure: no CUDA objective
        raise RuntimeError(f"task_type='GPU' needs numba.cuda, which cannot be imported: {exc}") \
            from exc
    from numba.core import config

    if not config.ENABLE_CUDASIM:  # numba's CUDA simulator (tests) needs no device
        try:
            usable = cuda.is_available()
        except Exception:  # noqa: BLE001
            usable = False
        if not usable:
            raise RuntimeError("task_type='GPU': numba.cuda finds no usable CUDA GPU and driver "
                               "(numba.cuda.is_available() is False); CatBoost runs the focal "
                               "objective on the GPU only as a numba CUDA kernel")
        missing = [f for f in ("external_stream", "from_cuda_array_interface")
                   if not hasattr(cuda, f)]
        if missing:
            raise RuntimeError(f"task_type='GPU': this numba.cuda lacks {missing}, which CatBoost "
                               "uses to launch the objective; install numba-cuda")
    return cuda


def _bound(cuda):
    """``_math`` bound to CUDA device functions (scalar ``math``; compiled with the kernel)."""
    m = _BOUND.get(cuda)
    if m is None:
        def power(x, log_x, g):
            """x^g: exact products for small integer g, exp(g log x) otherwise."""
            if g == 2.0:
                return x * x
            if g == 0.0:
                return 1.0
            if g == 1.0:
                return x
            if g == 3.0:
                return x * x * x
            return math.exp(g * log_x)  # g log x <= 0

        def maximum(x, y):
            return x if x > y else y

        def where(c, x, y):
            return x if c else y

        def absolute(x):
            return abs(x)

        device = cuda.jit(device=True)
        m = _BOUND[cuda] = bind(dict(exp=math.exp, log1p=math.log1p, absolute=device(absolute),
                                     maximum=device(maximum), where=device(where),
                                     power=device(power)), wrap=device)
    return m


def _build(loss):
    """The kernel for ``loss``'s parameters (constants in the compiled code)."""
    m = _bound(cuda)
    smooth, gradient_hessian, row_loss = m.smooth, m.gradient_hessian, m.loss
    a, b, g = float(loss.a), float(loss.b), float(loss.gamma)
    mode, floor, eps = int(loss.mode), float(loss.min_hessian), float(loss.label_smoothing)
    f64, f32 = numba.float64, numba.float32

    def calc_ders_range_gpu(_self, approx, target, weight, value, der1, der2):
        i = cuda.grid(1)
        total = 0.0
        if i < approx.shape[0]:
            z = f64(approx[i])
            y = smooth(f64(target[i]), eps)
            w = f64(weight[i]) if i < weight.shape[0] else 1.0
            grad, hess = gradient_hessian(z, y, a, b, g, mode, floor)
            if i < der1.shape[0]:
                der1[i] = -w * grad
            if i < der2.shape[0]:
                der2[i] = w * hess
            if value.shape[0] > 0:
                total = -w * row_loss(z, y, a, b, g)
        if value.shape[0] > 0:  # the block's sum, then one atomic add per block
            buf = cuda.shared.array(1024, numba.float64)
            t = cuda.threadIdx.x
            buf[t] = total
            cuda.syncthreads()
            s = 512
            while s > 0:
                if t < s and t + s < cuda.blockDim.x:
                    buf[t] += buf[t + s]
                cuda.syncthreads()
                s //= 2
            if t == 0:
                cuda.atomic.add(value, 0, f32(buf[0]))

    return cuda.jit(calc_ders_range_gpu)


def kernel(loss):
    """The CUDA kernel of ``loss`` (a ``FocalLoss``), built once per parameter set and process
    (compiled by numba on its first launch)."""
    k = _KERNELS.get(loss)  # CatBoost reads the kernel at every iteration
    if k is None:
        with _LOCK:
            k = _KERNELS.get(loss)
            if k is None:
                cuda_module()
                k = _KERNELS[loss] = _build(loss)
    return k


def launch(k, cuda, z, y, w=None, want_value=False, threads=1024):
    """Run kernel ``k`` as CatBoost does (device arrays of ``z``'s dtype, weight and value possibly
    empty); returns (der1, der2, value) as numpy arrays. For ``prepare`` and the tests."""
    dtype = np.asarray(z).dtype
    n = len(z)
    dev = [cuda.to_device(np.ascontiguousarray(a, dtype=dtype)) for a in
           (z, y, np.empty(0) if w is None else w, np.zeros(1 if want_value else 0))]
    der1, der2 = cuda.to_device(np.zeros(n, dtype)), cuda.to_device(np.zeros(n, dtype))
    blocks = max(1, (n + threads - 1) // threads)
    k[blocks, threads](0, *dev, der1, der2)
    return der1.copy_to_host(), der2.copy_to_host(), dev[3].copy_to_host()


def prepare(loss, weights=None, scores=()):
    """Check everything the GPU objective needs before CatBoost starts (where a failure would
    abort the process): weights and start scores (the start, a baseline: ``scores``) that
    CatBoost can hold in float32, numba.cuda, and the compiled kernel agreeing with the CPU kernel
    on a few rows. Labels and weights are checked by the caller (``FocalLoss.init_score``).
    Returns the kernel."""
    if weights is not None and np.size(weights) and float(np.max(weights)) > _F32_MAX:
        raise ValueError("sample weights must be <= 3.4e38 for task_type='GPU' (CatBoost holds "
                         "them in float32)")
    for s in scores:
        if s is not None and np.size(s) and not np.all(
                np.abs(np.asarray(s, dtype=np.float64)) <= _F32_MAX):
            raise ValueError("the start score and baseline must be finite and within float32 "
                             "(|z| <= 3.4e38) for task_type='GPU' (CatBoost holds raw scores in "
                             "float32; the focal derivatives of an infinite score are NaN)")
    k = kernel(loss)
    z = np.array([-30.0, -2.5, -0.25, 0.0, 0.5, 3.0, 30.0, 1.0], dtype=np.float32)
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.7], dtype=np.float32)
    w = np.array([1.0, 0.5, 2.0, 1.0, 1.5, 1.0, 3.0, 0.25], dtype=np.float32)
    try:
        der1, der2, value = launch(k, cuda, z, y, w, want_value=True, threads=32)
    except Exception as exc:  # noqa: BLE001 - it failed to compile or launch: say so, now
        raise RuntimeError(f"task_type='GPU': the focal objective's CUDA kernel failed to compile "
                           f"or run on this machine: {type(exc).__name__}: {exc}") from exc
    z64, y64, w64 = (a.astype(np.float64) for a in (z, y, w))
    grad, hess = loss.gradient_hessian(y64, z64, w64)
    expected = (-grad, hess, -np.sum(loss.loss(y64, z64, w64)))
    for got, want in zip((der1, der2, value[0]), expected):
        if not np.allclose(got, want, rtol=1e-5, atol=1e-30):
            raise RuntimeError("task_type='GPU': the focal objective's CUDA kernel disagrees with "
                               f"the CPU kernel on a test block ({got} vs {want}); train on the "
                               "CPU")
    return k
