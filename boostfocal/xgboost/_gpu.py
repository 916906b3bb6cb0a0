"""XGBoost on a GPU: the device parameter, CuPy, and the labels kept on the device between rounds
(checked once per DMatrix); only the margins cross over, once per round."""
from __future__ import annotations

import weakref

from .. import _checks as check
from ._facts import labels_weights

ordinal = check.gpu_ordinal


def cupy():
    try:
        import cupy
    except ImportError as exc:
        raise ImportError("FocalObjective(device='cuda') computes the focal gradient on the GPU "
                          "with CuPy: pip install 'boostfocal[gpu]' (or the cupy-cudaXXx wheel "
                          "matching your CUDA)") from exc
    return cupy


def gradient_hessian(loss, ordinal, y_true, z, sample_weight):
    """``loss.gradient_hessian`` on the GPU ``ordinal``: CuPy results, which XGBoost takes
    without a copy back to the host."""
    cp = cupy()
    with cp.cuda.Device(ordinal):
        w = None if sample_weight is None else cp.asarray(sample_weight)
        return loss.gradient_hessian(cp.asarray(y_true), cp.asarray(z), w)


def resident_round(objective, z, dtrain, ordinal):
    """One native round with the labels and weights resident on the GPU (cached on the
    objective per DMatrix, weakly)."""
    cp = cupy()
    cached = objective._resident
    with cp.cuda.Device(ordinal):
        if cached is None or cached[0]() is not dtrain:
            y, w = labels_weights(dtrain)
            y, w = check.target(y, w, z.shape[0])
            cached = (weakref.ref(dtrain), cp.asarray(y), None if w is None else cp.asarray(w))
            object.__setattr__(objective, "_resident", cached)
        return objective.loss.gradient_hessian(cached[1], cp.asarray(z), cached[2],
                                               check_input=False)
