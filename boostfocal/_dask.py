"""The two label reductions a loss's start needs, run on the cluster for dask collections
(arrays or series): the weighted mean label (binary) and the weighted class frequencies
(multiclass). The focal-optimal constant depends on the labels only through them, because the
loss is linear in the label."""
from __future__ import annotations

import numpy as np

from . import _checks as check


def mean_label(y, w):
    """Weighted mean label of dask collections (init_score depends on the labels only through
    it: the loss is linear in y)."""
    import dask

    check.dask_numeric(y)
    if w is None:
        total, count, lo, hi = dask.compute(y.sum(), (y * 0 + 1).sum(), y.min(), y.max())
        wmin = 1.0
    else:
        total, count, lo, hi, wmin = dask.compute((y * w).sum(), w.sum(), y.min(), y.max(),
                                                  w.min())
    if not (0.0 <= lo and hi <= 1.0):
        raise ValueError(f"y_true must lie in [0, 1] (binary 0/1 or soft labels); got values in "
                         f"[{lo}, {hi}]")
    if not (wmin >= 0.0 and np.isfinite(count)):
        raise check.bad_weights(f"min {float(wmin)}, sum {float(count)}")
    if not count > 0.0:
        raise check.zero_weights(check.NO_CONSTANT)
    return float(total) / float(count)


def class_frequencies(y, sample_weight=None, num_class=None):
    """``MulticlassFocalLoss.class_frequencies`` of dask collections (array or series), reduced on the cluster."""
    import dask

    num_class = check.num_class(num_class)
    if num_class is None:
        num_class = max(int(dask.compute(y.max())[0]) + 1, 2)
    w = 1.0 if sample_weight is None else sample_weight
    sums = [((y == k) * w).sum() for k in range(num_class)]
    wmin = 0.0 if sample_weight is None else sample_weight.min()
    lo, hi, frac, wmin, *counts = dask.compute(y.min(), y.max(), (y != y // 1).sum(), wmin,
                                               *sums)
    check.class_range(float(lo), float(hi), bool(frac), num_class)
    if not float(wmin) >= 0.0:
        raise check.bad_weights()
    return check.frequencies(np.array(counts, dtype=np.float64))
