"""The ``_multiclass_math`` formulas compiled by numba: one loop over rows per entry point.

``ROW`` is the formulas bound to scalar primitives and compiled with ``inline="always"``; its
functions are also module attributes ``row_gradient_hessian``, ``row_gradient_full_hessian``,
``row_loss``, ``row_posterior``, which a numba kernel working on single rows calls directly
(CatBoost's per-object ``calc_ders_multi(approx, target, weight)``), for example::

    from boostfocal import _multiclass_kernels as mk

    @numba.njit
    def ders(approx, target, weight):           # K, ALPHA, GAMMA, G, EPS, MODE, FLOOR: globals
        grad, hess = np.empty(K), np.empty((K, K))
        e, f, c = np.empty(K), np.empty(K), np.empty(K)
        mk.row_gradient_full_hessian(approx, target, K, ALPHA, GAMMA, G, EPS, MODE, FLOOR,
                                     weight, grad, hess, e, f, c)
        return grad, hess

(numba resolves module attributes, not a namespace's). ``approx``: the K scores (float array);
``target``: the class index (a number) or a row of K label probabilities; ALPHA/GAMMA: float64
arrays of K; G: the common gamma or ``_multiclass_math.ANY_GAMMA`` (read GAMMA[c]); MODE:
``_multiclass_math.EXACT/EXPECTED/CLIPPED``; weight: w * scale (CatBoost maximises: scale -1).
``row_gradient_hessian(z, y, K, alpha, gamma, G, eps, mode, floor, ws, grad, hess, c)`` gives
the diagonal instead (grad and hess also serve as scratch; c: one more row of K);
``row_loss(z, y, K, alpha, gamma, G, eps, e)`` returns the unweighted loss;
``row_posterior(z, K, alpha, gamma, G, e, out)`` writes eta. The row functions check nothing:
callers pass K finite scores and a valid label.

The loops below check every value they read (finite scores, labels in range, weights >= 0) and
return the number of bad rows; ``MulticlassFocalLoss`` checks shapes, dtypes and byte order
before calling them and names the problem with numpy when a loop reports a bad row.
"""
import math

import numba
import numpy as np
from numba.extending import overload

from . import _libm, _multiclass_math
from ._bind import MULTICLASS_FUNCS, bind
from ._numba_core import MAX as _MAX, compiled
from ._numba_core import inline as _inline, jit as _jit

SOURCES = (_multiclass_math, _libm)  # the formula modules compiled into these loops


def _power(x, g):
    """x^g for x in [0, 1]: products for g in {0, 1, 2, 3}, pow otherwise (g is the same for
    every row, so the branches cost nothing; a constant g folds them)."""
    if g == 2.0:
        return x * x
    if g == 0.0:
        return 1.0
    if g == 1.0:
        return x
    if g == 3.0:
        return x * x * x
    return x**g


def onehot(y, c):
    """y[c] for a label row, [y == c] for a class index."""


@overload(onehot, inline="always")
def _onehot(y, c):
    if isinstance(y, numba.types.Array):
        def row(y, c):
            return numba.float64(y[c])
        return row

    def index(y, c):
        return numba.float64(y == c)
    return index


ROW = bind(
    dict(exp=_libm.exp_nonpositive, log1p=_jit(lambda x: math.log1p(x)),
         maximum=_jit(lambda x, y: x if x > y else y), where=_jit(lambda c, x, y: x if c else y),
         power=_jit(_power), f64=_jit(lambda x: numba.float64(x)), skip=_jit(lambda t: t == 0.0),
         onehot=onehot),
    wrap=_inline, module=_multiclass_math, names=MULTICLASS_FUNCS,
)
row_gradient_hessian = _gh = ROW.gradient_hessian
row_gradient_full_hessian = _gfh = ROW.gradient_full_hessian
row_loss = _loss = ROW.loss
row_posterior = _post = ROW.posterior

ANY_GAMMA = _multiclass_math.ANY_GAMMA
SOFT_LABEL_TOL = _multiclass_math.SOFT_LABEL_TOL


@_jit
def _bad_row(z, y, w, K):
    """1 unless the K scores are finite, the label valid and w finite and >= 0."""
    for k in range(K):
        if not abs(z[k]) <= _MAX:
            return 1
    if not 0.0 <= w <= _MAX:
        return 1
    return _bad_label(y, K)


def _bad_label(y, K):
    """A class index must be an integer in [0, K); a label row in [0, 1], summing to 1."""


@overload(_bad_label, inline="always")
def _bad_label_overload(y, K):
    if isinstance(y, numba.types.Array):
        def bad(y, K):
            total = 0.0
            for k in range(K):
                v = numba.float64(y[k])
                if not 0.0 <= v <= 1.0:
                    return 1
                total += v
            return 0 if abs(total - 1.0) <= SOFT_LABEL_TOL else 1
        return bad

    def bad(y, K):
        v = numba.float64(y)
        return 0 if (0.0 <= v < K and v == math.floor(v)) else 1
    return bad


# One serial loop per entry point, run by ``_numba_core``'s machinery: compiled twice (serial
# with the GIL for small calls; GIL released for the chunks of a large call, which run on
# boostfocal's own thread pool, never on numba's threading layer: fork- and thread-safe). The
# scratch rows are allocated inside the loop, so every chunk (thread) has its own.
def _gradient_hessian_loop():
    def gradient_hessian(z, y, w, alpha, gamma, eps, mode, floor, scale, hscale, grad, hess):
        n, K = z.shape
        c = np.empty(K)
        bad = 0
        for i in range(n):
            wi = 1.0 if w is None else numba.float64(w[i])
            bad += _bad_row(z[i], y[i], wi, K)
            _gh(z[i], y[i], K, alpha, gamma, ANY_GAMMA, eps, mode, floor, wi * scale, grad[i],
                hess[i], c)
            if hscale != 1.0:  # the row is in cache: no second pass over hess
                for k in range(K):
                    hess[i, k] *= hscale
        return bad
    return gradient_hessian


def _full_hessian_loop():
    def gradient_full_hessian(z, y, w, alpha, gamma, eps, mode, floor, scale, grad, hess):
        n, K = z.shape
        e, f, c = np.empty(K), np.empty(K), np.empty(K)
        bad = 0
        for i in range(n):
            wi = 1.0 if w is None else numba.float64(w[i])
            bad += _bad_row(z[i], y[i], wi, K)
            _gfh(z[i], y[i], K, alpha, gamma, ANY_GAMMA, eps, mode, floor, wi * scale, grad[i],
                 hess[i], e, f, c)
        return bad
    return gradient_full_hessian


def _loss_loop():
    def loss(z, y, w, alpha, gamma, eps, out):
        n, K = z.shape
        e = np.empty(K)
        bad = 0
        for i in range(n):
            wi = 1.0 if w is None else numba.float64(w[i])
            bad += _bad_row(z[i], y[i], wi, K)
            out[i] = _loss(z[i], y[i], K, alpha, gamma, ANY_GAMMA, eps, e) * wi
        return bad
    return loss


def _posterior_loop():
    def posterior(z, alpha, gamma, out):
        bad = 0
        for i in range(z.shape[0]):
            bad += _bad_row(z[i], 0.0, 0.0, z.shape[1])
            _post(z[i], z.shape[1], alpha, gamma, ANY_GAMMA, out[i], out[i])
        return bad
    return posterior


def _loop(factory):
    """factory() compiled on first use (``_numba_core.compiled``)."""
    return compiled(factory, sources=SOURCES)


def gradient_hessian(z, y, w, alpha, gamma, g, eps, mode, floor, scale, grad, hess,
                     hessian_scale=1.0):
    """Weighted gradient and hessian diagonal times ``scale`` into grad, hess (n, K), the
    hessian also times ``hessian_scale``; bad-row count."""
    return _loop(_gradient_hessian_loop)(z, y, w, alpha, gamma, eps, mode, floor, scale,
                                         hessian_scale, grad, hess)


def gradient_full_hessian(z, y, w, alpha, gamma, g, eps, mode, floor, scale, grad, hess):
    """Weighted gradient (n, K) and full hessian (n, K, K); bad-row count."""
    return _loop(_full_hessian_loop)(z, y, w, alpha, gamma, eps, mode, floor, scale, grad, hess)


def loss(z, y, w, alpha, gamma, g, eps, out):
    """Weighted per-row loss into out; bad-row count."""
    return _loop(_loss_loop)(z, y, w, alpha, gamma, eps, out)


def posterior(z, alpha, gamma, g, out):
    """eta(z) into out (n, K); number of rows with a non-finite score."""
    return _loop(_posterior_loop)(z, alpha, gamma, out)
