"""Bind the formulas in ``_math`` to an array backend.

``_math`` is written against six primitives (exp, log1p, absolute, maximum, where, power). Binding
them gives three executions of the same source:

* ``numpy``: primitives are numpy ufuncs; each line is an array pass (reference, always available).
* ``numba``: primitives are scalar math; the functions are compiled and called per element inside
  one loop (split over a thread pool for large calls), so each row is read once and written once
  (the fast CPU path).
* ``cupy``: primitives are CuPy ufuncs on device arrays (the GPU path, imported only when used).
"""
from __future__ import annotations

import os
import threading

import numpy as np

from . import _multiclass_math
from ._bind import MULTICLASS_FUNCS as _MULTICLASS_FUNCS, bind


def eager_primitives(xp):
    def power(x, log_x, g):
        """x^g: exact products for small integer g, exp(g log x) otherwise (log x is at hand)."""
        if g in (0.0, 1.0, 2.0, 3.0):
            return x**g
        return xp.exp(g * xp.maximum(log_x, -800.0 / g))  # g log x >= -800: no overflow to -inf

    return dict(exp=xp.exp, log1p=xp.log1p, absolute=xp.abs, maximum=xp.maximum, where=xp.where,
                power=power)


NUMPY = bind(eager_primitives(np))


def multiclass_primitives(xp):
    """For ``_multiclass_math`` on (n,) columns: z.T, Y.T, grad.T ... are passed as rows."""
    def power(x, g):
        return x**g if g in (0.0, 1.0, 2.0, 3.0) else xp.power(x, g)

    def onehot(y, c):  # y: (n,) class indices, or (K, n) label rows (Y.T)
        return y[c] if y.ndim == 2 else (y == c).astype(xp.float64)

    return dict(exp=xp.exp, log1p=xp.log1p, maximum=xp.maximum, where=xp.where, power=power,
                f64=lambda x: x, skip=lambda t: False, onehot=onehot)


MULTICLASS_NUMPY = bind(multiclass_primitives(np), module=_multiclass_math,
                        names=_MULTICLASS_FUNCS)
_MULTICLASS_EAGER = {np: MULTICLASS_NUMPY}


def multiclass_eager(xp):
    """The multiclass formulas bound to ``xp``'s ufuncs (numpy, or CuPy built on first use)."""
    m = _MULTICLASS_EAGER.get(xp)
    if m is None:
        m = _MULTICLASS_EAGER[xp] = bind(multiclass_primitives(xp), module=_multiclass_math,
                                         names=_MULTICLASS_FUNCS)
    return m


_CUPY = None


def array_namespace(x):
    """numpy, or cupy for a CuPy array (cupy is imported only when one is passed)."""
    if type(x).__module__.startswith("cupy"):
        import cupy

        return cupy
    return np


def eager(xp):
    """The formulas bound to ``xp``'s ufuncs: NUMPY, or the CuPy binding (built on first use)."""
    global _CUPY
    if xp is np:
        return NUMPY
    if _CUPY is None:
        _CUPY = bind(eager_primitives(xp))
    return _CUPY


_FUSED = {}


def fused_gradient_hessian(xp, a, b, g, mode, floor, eps, weighted):
    """CuPy: the same ``_math.gradient_hessian``, traced by ``cupy.fuse`` into one GPU kernel
    (smoothing and weights included), cached per parameter set."""
    key = (a, b, g, mode, floor, eps, weighted)
    if key not in _FUSED:
        m = eager(xp)

        if weighted:
            def f(z, y, w):
                grad, hess = m.gradient_hessian(z, m.smooth(y, eps), a, b, g, mode, floor)
                return grad * w, hess * w
        else:
            def f(z, y):
                return m.gradient_hessian(z, m.smooth(y, eps), a, b, g, mode, floor)
        _FUSED[key] = xp.fuse(kernel_name="focal_gradient_hessian")(f)
    return _FUSED[key]


def _load_numba():
    """Compiled kernels (``_numba_kernels``), or None if numba is missing or BOOSTFOCAL_NUMBA=0."""
    if os.environ.get("BOOSTFOCAL_NUMBA", "1") == "0":
        return None
    try:
        from . import _numba_kernels
    except ImportError:  # pragma: no cover - numba is a declared dependency
        return None
    return _numba_kernels


_numba = None
_numba_loaded = False
# Guards the one-time import (and so compilation set-up) of the numba kernels. The kernels
# themselves need no lock: they run on boostfocal's own thread pool, not on numba's threading
# layer (see _numba_core.compiled).
NUMBA_LOCK = threading.Lock()


def numba_kernels():
    global _numba, _numba_loaded
    if not _numba_loaded:
        with NUMBA_LOCK:
            if not _numba_loaded:
                _numba = _load_numba()
                _numba_loaded = True
    return _numba
