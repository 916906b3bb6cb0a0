"""The ``_math`` formulas compiled by numba into one parallel loop per entry point.

Each row is read once and written once; the primitives are scalar math, so nothing is
re-derived here. Kernels are cached on disk after the first compile.
"""
import hashlib
import math
import pathlib

import numba

from . import _math
from ._backends import bind

# numba invalidates a cached kernel only when *this* file changes, not when ``_math`` does. The
# disk cache is therefore used only while _math.py still hashes to the value recorded here
# (tests/test_loss.py checks it; update it whenever _math.py changes).
MATH_SHA256 = "b87056aa8e019b8f03791ed2047664970ee13e71aaa456538bddddca7ae83a2c"
_CACHE = hashlib.sha256(pathlib.Path(_math.__file__).read_bytes()).hexdigest() == MATH_SHA256

_jit = numba.njit(inline="always", nogil=True)


def _power(x, log_x, g):
    """x^g: exact products for small integer g, exp(g log x) otherwise (log x is at hand)."""
    if g == 2.0:
        return x * x
    if g == 0.0:
        return 1.0
    if g == 1.0:
        return x
    if g == 3.0:
        return x * x * x
    return math.exp(g * log_x)


_m = bind(
    dict(
        exp=math.exp, log1p=math.log1p, absolute=_jit(lambda x: abs(x)),
        maximum=_jit(lambda x, y: x if x > y else y), where=_jit(lambda c, x, y: x if c else y),
        power=_jit(_power),
    ),
    wrap=_jit,
)
_gradient_hessian, _loss, _posterior = _m.gradient_hessian, _m.loss, _m.posterior

# Below this many rows the serial loop wins: a parallel launch costs more than it saves, much more
# on a busy machine (measured: 20k rows took 7.5 ms in parallel vs 0.6 ms serially under load).
PARALLEL_MIN_ROWS = 50_000


_f64 = numba.float64  # float32 inputs (XGBoost margins) are computed in float64


def gradient_hessian(z, y, w, eps, a, b, g, mode, floor, grad, hess):
    for i in numba.prange(z.shape[0]):
        yi = _f64(y[i]) * (1.0 - eps) + 0.5 * eps
        gi, hi = _gradient_hessian(_f64(z[i]), yi, a, b, g, mode, floor)
        if w is None:
            grad[i] = gi
            hess[i] = hi
        else:
            grad[i] = gi * _f64(w[i])
            hess[i] = hi * _f64(w[i])


def loss(z, y, w, eps, a, b, g, out):
    for i in numba.prange(z.shape[0]):
        li = _loss(_f64(z[i]), _f64(y[i]) * (1.0 - eps) + 0.5 * eps, a, b, g)
        out[i] = li if w is None else li * _f64(w[i])


def posterior(z, a, b, g, out):
    for i in numba.prange(z.shape[0]):
        out[i] = _posterior(_f64(z[i]), a, b, g)


def _compile(f):
    """The loop compiled twice (parallel and serial); the call picks by row count."""
    par = numba.njit(parallel=True, nogil=True, cache=_CACHE)(f)
    ser = numba.njit(nogil=True, cache=_CACHE)(f)

    def run(z, *args):
        return (par if z.shape[0] >= PARALLEL_MIN_ROWS else ser)(z, *args)

    run.__name__, run.__doc__ = f.__name__, f.__doc__
    return run


gradient_hessian, loss, posterior = map(_compile, (gradient_hessian, loss, posterior))
