"""Per-object numba kernels for CatBoost's multi-class objective API.

CatBoost 1.2.10 calls ``objective.calc_ders_multi(approxes, target, weight)`` for every object,
twice per iteration, holding the GIL (``approxes``: a float64 view of the K raw scores, ``target``
the class index as a float, ``weight`` a float, 1.0 without sample weights), and reads back K first
derivatives and the upper triangle of a K x K second-derivative matrix of the loss it *maximises*.
The call itself is the cost, so the kernel is an ``numba.njit`` dispatcher that CatBoost calls
directly (no Python frame in between), built for one K with every parameter a compile-time
constant, returning tuples (numba boxes a tuple of floats cheaply; arrays or lists cost 2-10x
more per call to box and for CatBoost to unpack; measured in benchmarks/RESULTS.md).

The math is not here: the kernel calls ``_multiclass_kernels.row_gradient_full_hessian`` (the
``_multiclass_math`` formulas bound to scalar arithmetic), with ``-weight`` as the row's weight.
Compiling those inlined formulas takes seconds, so they are compiled once, as one row function
with every parameter an argument (per-class gamma, the hessian mode a run-time branch), cached
on disk (``_row_function``); the kernel for one K and parameter set is a small wrapper compiled per
process: it checks what it reads (O(K): the approxes' length and values, the class index, the
weight), calls the row function with the parameters as constants and writes the results out as
tuples, None below the hessian's diagonal (CatBoost reads row i from column i on; 10 fewer floats
to box for K = 5 saved ~0.4 us of a ~7 us call on the loaded machine, paired A/B). Against the
call itself the run-time branches cost nothing measurable.
"""
from __future__ import annotations

import numbers
import threading

import numba
import numpy as np

from . import _libm, _multiclass_kernels, _multiclass_math
from ._checks import MAX as _MAX
from ._numba_core import sources_sha256

_KERNELS = {}
_ROW = None  # the row function, compiled (or loaded from disk) on first use
_ROW_GENERIC = None  # the same, as a global of _generic_kernel
_BUILDING = threading.Lock()
_ANY_GAMMA = _multiclass_math.ANY_GAMMA  # gamma[c] read per class

# nogil=False: CatBoost holds the GIL around the call anyway; releasing and retaking it would cost.
_FLAGS = dict(_libm.FLAGS, nogil=False)


# numba's disk cache notices changes to this file only; its key also holds the row function's
# closure values, so the hash of the files it compiles in is one of them.
_SOURCES = sources_sha256(_multiclass_math, _libm, _multiclass_kernels)
_gfh = _multiclass_kernels.row_gradient_full_hessian


def _row_function():
    sources = _SOURCES

    def row(z, y, alpha, gamma, eps, mode, floor, ws, buf):
        """buf[:K], buf[K:K + K * K] = ws * (gradient, full hessian); the rest is scratch."""
        _ = sources  # part of the cache key (see _SOURCES)
        k = z.shape[0]
        hess = buf[k:k + k * k].reshape((k, k))
        _gfh(z, y, k, alpha, gamma, _ANY_GAMMA, eps, mode, floor, ws, buf[:k], hess,
             buf[k + k * k:2 * k + k * k], buf[2 * k + k * k:3 * k + k * k], buf[3 * k + k * k:])

    return numba.njit(cache=True, **_FLAGS)(row)


_TEMPLATE = '''
def _factory(ALPHA, GAMMA, EPS, MODE, FLOOR, SOURCES):
    def calc_ders_multi(approxes, target, weight):
        _ = SOURCES
        if approxes.ndim != 1 or approxes.shape[0] != K:
            raise ValueError(SHAPE)
        if not (0.0 <= target < K and target == np.floor(target)):
            raise ValueError(LABEL)
        if not (0.0 <= weight <= MAX):
            raise ValueError(WEIGHT)
        for j in range(K):
            if not abs(approxes[j]) <= MAX:
                raise ValueError(APPROX)
        buf = np.empty(K * (K + 4))  # grad, H and three scratch rows
        {call}
        return ({grad}), ({hess})
    return calc_ders_multi
'''
_ROW_CALL = "ROW(approxes, target, ALPHA, GAMMA, EPS, MODE, FLOOR, -weight, buf)"
TUPLE_MAX = 10  # above: one kernel for every K returning arrays (tuples compile in ~K^3 time)


def source(k, call=_ROW_CALL, lower=True):
    """The kernel factory's Python source for ``k`` classes (the tuples written out element by
    element); ``call`` fills buf[:K] and buf[K:K + K * K] with minus the weighted gradient and
    hessian. ``lower=False`` returns None below the diagonal (CatBoost reads row i from column i
    on). The parameters are the factory's arguments, closure values of the kernel: numba's disk
    cache keys the kernel by them (and by its code, which holds K)."""
    grad = "".join(f"buf[{i}], " for i in range(k))
    hess = "".join("(" + "".join(f"buf[{k + i * k + j}], " if lower or j >= i else "None, "
                                 for j in range(k)) + "), " for i in range(k))
    return _TEMPLATE.format(call=call, grad=grad, hess=hess)


def calc_ders_multi(loss, k):
    """The compiled ``calc_ders_multi`` of ``loss`` (a ``MulticlassFocalLoss``) for ``k`` classes,
    built on first use (loaded from numba's disk cache where an earlier process compiled it) and
    kept for the process; thread-safe."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"the number of classes must be an integer, got {k!r}")
    key = (loss, int(k))  # the loss is an immutable, hashable value object
    kernel = _KERNELS.get(key)
    if kernel is None:
        with _BUILDING:
            kernel = _KERNELS.get(key)
            if kernel is None:
                kernel = _KERNELS[key] = _build(loss, int(k))
    return kernel


def _build(loss, k, lower=False):
    if k < 2:
        raise ValueError(f"the number of classes must be at least 2, got {k}")
    if loss.n_classes is not None and loss.n_classes != k:
        raise ValueError(f"CatBoost trains {k} classes but the loss's alpha / gamma give "
                         f"{loss.n_classes}")
    global _ROW
    alpha, gamma, _ = loss.vectors(k)
    if _ROW is None:
        _ROW = _row_function()
    params = (alpha, gamma, loss.label_smoothing, loss.mode, loss.min_hessian)
    if k > TUPLE_MAX:
        return _generic(k, params)
    constants = {"ROW": _ROW, "ALPHA": alpha, "GAMMA": gamma, "EPS": loss.label_smoothing,
                 "MODE": loss.mode, "FLOOR": loss.min_hessian}
    return compile_kernel(k, constants, lower=lower)


def _namespace(k):
    return {
        "__name__": __name__,  # numba's disk cache rebuilds the kernel's environment from it
        "np": np, "K": k, "MAX": _MAX,
        "SHAPE": f"calc_ders_multi: approxes must hold one raw score per class ({k})",
        "LABEL": f"calc_ders_multi: target must be a class index 0..{k - 1}",
        "WEIGHT": "calc_ders_multi: weight must be a finite float >= 0",
        "APPROX": "calc_ders_multi: raw scores must be finite",
    }


_FACTORY_ARGS = ("ALPHA", "GAMMA", "EPS", "MODE", "FLOOR")


def compile_kernel(k, constants, call=_ROW_CALL, lower=True):
    """``source(k, call, lower)`` compiled with ``constants`` (the factory's arguments
    ALPHA..FLOOR where given, the rest globals), cached on disk where a cache directory can be
    written: the code is attributed to this file, so numba's locator finds a home for it."""
    if k < 2:
        raise ValueError(f"the number of classes must be at least 2, got {k}")
    namespace = {**_namespace(k), **{n: v for n, v in constants.items()
                                     if n not in _FACTORY_ARGS}}
    exec(compile(source(k, call, lower), __file__, "exec"), namespace)
    args = [constants.get(n, 0.0) for n in _FACTORY_ARGS]
    f = namespace["_factory"](*args, _SOURCES)
    f.__qualname__ = f"calc_ders_multi_k{k}"
    return _njit_cached(f)


def _njit_cached(f):
    try:
        return numba.njit(cache=True, **_FLAGS)(f)
    except RuntimeError as e:  # no writable cache directory: compile in memory
        if "cannot cache" not in str(e):
            raise
        return numba.njit(**_FLAGS)(f)


def _generic_kernel(approxes, target, weight, alpha, gamma, eps, mode, floor):
    """calc_ders_multi for any K: (gradient (K,), hessian (K, K)) arrays (a run-time K; no
    per-K compile)."""
    k = approxes.shape[0]
    if not (0.0 <= target < k and target == np.floor(target)):
        raise ValueError("calc_ders_multi: target must be a class index 0..K-1")
    if not (0.0 <= weight <= _MAX):
        raise ValueError("calc_ders_multi: weight must be a finite float >= 0")
    for j in range(k):
        if not abs(approxes[j]) <= _MAX:
            raise ValueError("calc_ders_multi: raw scores must be finite")
    buf = np.empty(k * (k + 4))
    _ROW_GENERIC(approxes, target, alpha, gamma, eps, mode, floor, -weight, buf)
    return buf[:k].copy(), buf[k:k + k * k].copy().reshape((k, k))


_GENERIC = None


def _generic(k, params):
    """The any-K kernel with the loss's parameters bound (a Python closure: one frame per call,
    small next to the K^2 values CatBoost unpacks)."""
    global _GENERIC, _ROW_GENERIC
    if _GENERIC is None:
        _ROW_GENERIC = _ROW
        _GENERIC = _njit_cached(_generic_kernel)
    alpha, gamma, eps, mode, floor = params
    alpha, gamma = np.ascontiguousarray(alpha, dtype=np.float64), np.ascontiguousarray(gamma, dtype=np.float64)
    kernel = _GENERIC

    def calc_ders_multi(approxes, target, weight):
        if len(approxes) != k:
            raise ValueError(f"calc_ders_multi: approxes must hold one raw score per class ({k})")
        return kernel(np.asarray(approxes, dtype=np.float64), float(target), float(weight),
                      alpha, gamma, eps, mode, floor)

    return calc_ders_multi
