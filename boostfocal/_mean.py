"""The weighted mean loss sum(w L) / sum(w) of both loss families, safe against overflowing
sums (the per-row losses come from ``FocalLoss.loss`` / ``MulticlassFocalLoss.loss``)."""
from __future__ import annotations

import numpy as np

from ._checks import MEAN_UNDEFINED, zero_weights


def weighted_mean(per_row, sample_weight, unweighted, xp=np):
    """sum(w L) / sum(w) of weighted per-row losses (``xp``: numpy or CuPy), for both loss
    families; ``unweighted()`` gives the rows again without weights when a sum overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        if sample_weight is None:
            mean = float(per_row.mean())
        else:
            total = float(xp.asarray(sample_weight, dtype=xp.float64).sum())
            if total <= 0.0:
                raise zero_weights(MEAN_UNDEFINED)
            mean = float(per_row.sum()) / total
        if not np.isfinite(mean):  # a sum overflowed: scale the rows and weights down
            host = (lambda a: a) if xp is np else xp.asnumpy
            w = None if sample_weight is None else host(xp.asarray(sample_weight))
            mean = overflow_safe_mean(host(unweighted()), w)
    return mean


def overflow_safe_mean(unweighted, sample_weight):
    """sum(w L) / sum(w) (numpy) for per-row losses L and weights whose products or sums overflow
    float64: both scaled by their maxima first. ValueError if a row's loss itself overflowed."""
    L = np.asarray(unweighted, dtype=np.float64)
    top = float(L.max())
    if not np.isfinite(top):
        raise ValueError("the loss overflows float64 (inf): alpha / pos_weight are too large (only "
                         "their ratios matter: divide them by their maximum)")
    if top == 0.0:
        return 0.0
    if sample_weight is None:
        return top * float(np.mean(L / top))
    w = np.asarray(sample_weight, dtype=np.float64)
    w = w / float(w.max())
    return top * float(np.sum((L / top) * w) / np.sum(w))
