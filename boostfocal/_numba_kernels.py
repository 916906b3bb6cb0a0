"""The ``_math`` formulas compiled by numba into one parallel loop per entry point.

Each row is read once and written once; the primitives are scalar math, so nothing is
re-derived here. Kernels are cached on disk after the first compile.
"""
import hashlib
import math
import pathlib
import types

import numba

from . import _math
from ._backends import NUMBA_LOCK, bind

# numba invalidates a cached kernel only when *this* file changes, not when ``_math`` does. The
# disk cache is therefore used only while _math.py still hashes to the value recorded here
# (tests/test_loss.py checks it; update it whenever _math.py changes).
MATH_SHA256 = "e9d669ffdc677567fc34051f465dfb623ebf8b894eb54aba71c22aae6fea3268"
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
_smooth, _gradient_hessian, _loss, _posterior = _m.smooth, _m.gradient_hessian, _m.loss, _m.posterior

# Below this many rows the serial loop wins: a parallel launch costs more than it saves, much more
# on a busy machine (measured: 20k rows took 7.5 ms in parallel vs 0.6 ms serially under load).
PARALLEL_MIN_ROWS = 50_000


_f64 = numba.float64  # float32 inputs (XGBoost margins) are computed in float64
_MAX = 1.7976931348623157e308


# Each loop also checks its inputs as it reads them and returns the number of bad rows, so a call
# needs no separate validation passes; FocalLoss re-checks with numpy to name the problem if > 0.
@_jit
def _bad(z, y, w):
    """1 unless z is finite, y in [0, 1] and w finite and >= 0 (NaN fails every comparison)."""
    return 0 if abs(z) <= _MAX and 0.0 <= y <= 1.0 and 0.0 <= w <= _MAX else 1


def gradient_hessian(z, y, w, eps, a, b, g, mode, floor, scale, grad, hess):
    bad = 0
    for i in numba.prange(z.shape[0]):
        zi, yi = _f64(z[i]), _f64(y[i])
        wi = 1.0 if w is None else _f64(w[i])
        bad += _bad(zi, yi, wi)
        gi, hi = _gradient_hessian(zi, _smooth(yi, eps), a, b, g, mode, floor)
        grad[i] = gi * (wi * scale)
        hess[i] = hi * (wi * scale)
    return bad


def loss(z, y, w, eps, a, b, g, out):
    bad = 0
    for i in numba.prange(z.shape[0]):
        zi, yi = _f64(z[i]), _f64(y[i])
        wi = 1.0 if w is None else _f64(w[i])
        bad += _bad(zi, yi, wi)
        out[i] = _loss(zi, _smooth(yi, eps), a, b, g) * wi
    return bad


def posterior(z, a, b, g, out):
    bad = 0
    for i in numba.prange(z.shape[0]):
        zi = _f64(z[i])
        bad += _bad(zi, 0.0, 0.0)
        out[i] = _posterior(zi, a, b, g)
    return bad


def _compile(f):
    """The loop compiled twice; the call picks by row count. The parallel one releases the GIL
    and takes NUMBA_LOCK (numba's default threading layer must not be entered by two threads at
    once); the serial one keeps the GIL and needs no lock, which is what many small calls from a
    booster's threads (CatBoost: ~700 blocks per iteration) want."""
    par = numba.njit(parallel=True, nogil=True, cache=_CACHE)(f)
    # numba's disk cache is keyed by the function's qualified name, not by parallel=: the serial
    # compilation needs a function of its own name, or the two overwrite each other's cache entry
    # (seen: the "parallel" kernel loaded serial code from the cache).
    serial = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial")
    serial.__qualname__ = f.__qualname__ + "_serial"
    ser = numba.njit(cache=_CACHE)(serial)

    def run(z, *args):
        if z.shape[0] < PARALLEL_MIN_ROWS:
            return ser(z, *args)
        with NUMBA_LOCK:
            return par(z, *args)

    run.__name__, run.__doc__ = f.__name__, f.__doc__
    return run


gradient_hessian, loss, posterior = map(_compile, (gradient_hessian, loss, posterior))
