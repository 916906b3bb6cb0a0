"""Per-object numba kernels for CatBoost's multi-class objective API.

CatBoost 1.2.10 calls ``objective.calc_ders_multi(approxes, target, weight)`` for every object,
twice per iteration, holding the GIL (``approxes``: a float64 view of the K raw scores, ``target``
the class index as a float, ``weight`` a float, 1.0 without sample weights), and reads back K first
derivatives and the upper triangle of a K x K second-derivative matrix of the loss it *maximises*.
The call itself is the cost, so the kernel is an ``numba.njit`` dispatcher that CatBoost calls
directly (no Python frame in between), built for one K with every parameter a compile-time
constant, returning tuples (numba boxes a tuple of floats cheaply; arrays or lists cost 2-10x
more per call to box and for CatBoost to unpack; measured in benchmarks/RESULTS.md).

The math is not here: ``build(row, k, key)`` wraps a compiled per-row function
``row(z, c, grad, hess)`` that writes the unweighted gradient (K,) and the full hessian (K, K) of
the loss at raw scores ``z`` for class index ``c``. The wrapper checks what it reads (O(K)), calls
``row`` and returns minus the weighted results as tuples. One kernel per ``key`` per process.
"""
from __future__ import annotations

import threading

import numba
import numpy as np

from . import _libm

_KERNELS = {}
_BUILDING = threading.Lock()
_MAX = 1.7976931348623157e308

# nogil=False: CatBoost holds the GIL around the call anyway; releasing and retaking it would cost.
_FLAGS = dict(_libm.FLAGS, nogil=False)

_TEMPLATE = '''
def calc_ders_multi(approxes, target, weight):
    if approxes.ndim != 1 or approxes.shape[0] != K:
        raise ValueError(SHAPE)
    if not (0.0 <= target < K and target == np.floor(target)):
        raise ValueError(LABEL)
    if not (0.0 <= weight <= MAX):
        raise ValueError(WEIGHT)
    for j in range(K):
        if not abs(approxes[j]) <= MAX:
            raise ValueError(APPROX)
    grad = np.empty(K)
    hess = np.empty((K, K))
    row(approxes, int(target), grad, hess)
    s = -weight
    return ({grad}), ({hess})
'''


def source(k):
    """The kernel's Python source for ``k`` classes (the tuples written out element by element)."""
    grad = "".join(f"s * grad[{i}], " for i in range(k))
    hess = "".join("(" + "".join(f"s * hess[{i}, {j}], " for j in range(k)) + "), "
                   for i in range(k))
    return _TEMPLATE.format(grad=grad, hess=hess)


def build(row, k, key):
    """The compiled ``calc_ders_multi`` for ``k`` classes around ``row`` (see the module
    docstring), made once per ``key`` (which must identify ``row`` and ``k``) per process."""
    kernel = _KERNELS.get(key)
    if kernel is None:
        with _BUILDING:
            kernel = _KERNELS.get(key)
            if kernel is None:
                kernel = _KERNELS[key] = _compile(row, k)
    return kernel


def _compile(row, k):
    k = int(k)
    if k < 2:
        raise ValueError(f"the number of classes must be at least 2, got {k}")
    namespace = {
        "np": np, "row": row, "K": k, "MAX": _MAX,
        "SHAPE": f"calc_ders_multi: approxes must hold one raw score per class ({k})",
        "LABEL": f"calc_ders_multi: target must be a class index 0..{k - 1}",
        "WEIGHT": "calc_ders_multi: weight must be finite and >= 0",
        "APPROX": "calc_ders_multi: raw scores must be finite",
    }
    exec(compile(source(k), f"<boostfocal calc_ders_multi K={k}>", "exec"), namespace)
    return numba.njit(**_FLAGS)(namespace["calc_ders_multi"])
