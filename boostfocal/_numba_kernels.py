"""The ``_math`` formulas compiled by numba into one loop per entry point.

Each row is read once and written once; the primitives are scalar arithmetic (exp and log1p from
``_libm``), so nothing is re-derived here. Each loop is compiled per gamma in {0, 1, 2, 3, other}
and per hessian mode, with those as constants: LLVM folds the branches on them and vectorises
what remains (a branch on a run-time value would be if-converted by computing both sides). The
compile-on-first-use, the disk cache and the thread pool are ``_numba_core``'s.
"""
import numba
import numba.extending

from . import _libm, _math
from ._bind import bind
from ._numba_core import F64 as _f64, MAX as _MAX, compiled
from ._numba_core import inline as _inline, jit as _jit

SOURCES = (_math, _libm)  # the formula modules compiled into these loops


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
    return _libm.exp_nonpositive(g * log_x)  # g log x <= 0


_m = bind(
    dict(
        exp=_libm.exp_nonpositive, log1p=_libm.log1p_unit, absolute=_jit(lambda x: abs(x)),
        maximum=_jit(lambda x, y: x if x > y else y), where=_jit(lambda c, x, y: x if c else y),
        power=_jit(_power),
    ),
    wrap=_inline,
)
_smooth, _gradient_hessian, _loss, _posterior = _m.smooth, _m.gradient_hessian, _m.loss, _m.posterior


# Each loop also checks its inputs as it reads them and returns the number of bad rows, so a call
# needs no separate validation passes; FocalLoss re-checks with numpy to name the problem if > 0.
@_jit
def _bad(z, y, w):
    """1 unless z is finite, y in [0, 1] and w finite and >= 0 (NaN fails every comparison)."""
    return 0 if abs(z) <= _MAX and 0.0 <= y <= 1.0 and 0.0 <= w <= _MAX else 1


def _store(grad, hess, i, g, h):
    """grad[i], hess[i] = g, h; or, with hess None, grad[2i], grad[2i + 1] = g, h (grad is then
    the flat view of a C-ordered (n, 2) block)."""


@numba.extending.overload(_store, inline="always")
def _store_overload(grad, hess, i, g, h):
    # One flat block, not the (n, 2) block's two column views: those overlap in memory, so LLVM's
    # run-time alias check sends every row to the scalar loop (CatBoost's 1000-row blocks: 37 us
    # instead of 14 us); a 2-D store has a run-time row stride, which LLVM does not vectorise.
    if isinstance(hess, numba.types.NoneType):
        def store(grad, hess, i, g, h):
            grad[2 * i] = g
            grad[2 * i + 1] = h
    else:
        def store(grad, hess, i, g, h):
            grad[i] = g
            hess[i] = h
    return store


# Loop factories: G (gamma, or ANY_GAMMA for "the g argument") and MODE are constants in the loop.
# A large call is split into chunks (slices of every row-indexed array) run on several threads.
ANY_GAMMA = -1.0
GAMMAS = (0.0, 1.0, 2.0, 3.0)  # the gammas _power computes by products; others share one loop


def _gradient_hessian_loop(G, MODE):
    def gradient_hessian(z, y, w, eps, a, b, g, floor, scale, grad, hess):
        bad = 0
        for i in range(z.shape[0]):
            zi, yi = _f64(z[i]), _f64(y[i])
            wi = 1.0 if w is None else _f64(w[i])
            bad += _bad(zi, yi, wi)
            gi, hi = _gradient_hessian(zi, _smooth(yi, eps), a, b, g if G == ANY_GAMMA else G,
                                       MODE, floor)
            _store(grad, hess, i, gi * (wi * scale), hi * (wi * scale))
        return bad
    return gradient_hessian


def _loss_loop(G):
    def loss(z, y, w, eps, a, b, g, out):
        bad = 0
        for i in range(z.shape[0]):
            zi, yi = _f64(z[i]), _f64(y[i])
            wi = 1.0 if w is None else _f64(w[i])
            bad += _bad(zi, yi, wi)
            out[i] = _loss(zi, _smooth(yi, eps), a, b, g if G == ANY_GAMMA else G) * wi
        return bad
    return loss


def _posterior_loop(G):
    def posterior(z, a, b, g, out):
        bad = 0
        for i in range(z.shape[0]):
            zi = _f64(z[i])
            bad += _bad(zi, 0.0, 0.0)
            out[i] = _posterior(zi, a, b, g if G == ANY_GAMMA else G)
        return bad
    return posterior


def _loop(factory, *key):
    return compiled(factory, *key, sources=SOURCES)


def _gamma(g):
    return g if g in GAMMAS else ANY_GAMMA


def gradient_hessian(z, y, w, eps, a, b, g, mode, floor, scale, grad, hess):
    """Weighted, scaled gradient and hessian into grad and hess (or, with hess None, interleaved
    into grad, the flat view of an (n, 2) block); returns the number of bad rows."""
    return _loop(_gradient_hessian_loop, _gamma(g), mode)(z, y, w, eps, a, b, g, floor, scale,
                                                            grad, hess)


def loss(z, y, w, eps, a, b, g, out):
    """Weighted per-row loss into out; returns the number of bad rows."""
    return _loop(_loss_loop, _gamma(g))(z, y, w, eps, a, b, g, out)


def posterior(z, a, b, g, out):
    """eta(z) into out; returns the number of non-finite scores."""
    return _loop(_posterior_loop, _gamma(g))(z, a, b, g, out)
