"""The ``_math`` formulas compiled by numba into one parallel loop per entry point.

Each row is read once and written once; the primitives are scalar math, so nothing is
re-derived here. Kernels are cached on disk after the first compile.
"""
import math

import numba

from ._backends import bind

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
_kernel = numba.njit(parallel=True, nogil=True, cache=True)


@_kernel
def gradient_hessian(z, y, w, eps, a, b, g, mode, floor, grad, hess):
    for i in numba.prange(z.shape[0]):
        gi, hi = _gradient_hessian(z[i], y[i] * (1.0 - eps) + 0.5 * eps, a, b, g, mode, floor)
        if w is None:
            grad[i] = gi
            hess[i] = hi
        else:
            grad[i] = gi * w[i]
            hess[i] = hi * w[i]


@_kernel
def loss(z, y, w, eps, a, b, g, out):
    for i in numba.prange(z.shape[0]):
        li = _loss(z[i], y[i] * (1.0 - eps) + 0.5 * eps, a, b, g)
        out[i] = li if w is None else li * w[i]


@_kernel
def posterior(z, a, b, g, out):
    for i in numba.prange(z.shape[0]):
        out[i] = _posterior(z[i], a, b, g)
