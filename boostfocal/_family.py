"""What the booster adapters' family translators share between boosters: class-index labels
checked as the boosters store them (floats 0..K-1), the binary and multiclass starts, and a
constant start as per-row init scores.

Each adapter module writes its objective, metric and train helper once and asks a small family
object (``_BINARY`` / ``_MULTICLASS`` there) what differs: the raw scores' shape ((n,) or
(n, K)), the labels ([0, 1] or class indices), the start (a float or a (K,) vector). The
multiclass start depends on the labels only through the weighted class frequencies, because the
loss is linear in the label row; they are reduced here from numpy arrays or, on the cluster,
from dask collections.
"""
from __future__ import annotations

import numpy as np

from . import _checks as check


def class_frequencies(y, sample_weight=None, num_class=None):
    """Weighted class frequencies (K,) of class-index labels, after checking them.

    K is ``num_class``, or the largest label + 1. Labels must be finite integral values in
    0..K-1, weights finite, >= 0 and not all zero; anything else is a ValueError.
    """
    num_class = check.num_class(num_class)
    y = check.class_indices(y)
    lo, hi = float(y.min()), float(y.max())
    nonintegral = bool(np.isfinite(lo) and np.isfinite(hi) and np.any(y != np.floor(y)))
    check.class_range(lo, hi, nonintegral, num_class)
    k = num_class if num_class is not None else max(int(hi) + 1, 2)
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 2 and w.shape[1] == 1:
            w = w[:, 0]
        if w.shape != y.shape:
            raise ValueError(f"sample_weight has shape {w.shape} but y_true has {y.shape}")
        if not (float(w.min()) >= 0.0 and np.isfinite(float(w.max()))):
            raise check.bad_weights()
    else:
        w = None
    counts = np.bincount(y.astype(np.intp), weights=w, minlength=k)
    return _normalised(counts)


def _normalised(counts):
    total = float(np.sum(counts))
    if not total > 0.0:
        raise check.zero_weights(check.NO_CONSTANT)
    return np.asarray(counts, dtype=np.float64) / total


def dask_class_frequencies(y, sample_weight=None, num_class=None):
    """``class_frequencies`` of dask collections (array or series), reduced on the cluster."""
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
    return _normalised(np.array(counts, dtype=np.float64))


def start_rows(start, n):
    """A constant start as the per-row init score a booster's Dataset takes: (n,) for a float,
    (n, K) rows for a vector of K."""
    start = np.asarray(start, dtype=np.float64)
    return np.full(n, float(start)) if start.ndim == 0 else np.tile(start, (n, 1))


def dask_mean_label(y, w):
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


def binary_start(loss, y, w, num_class=None):
    """The focal-optimal constant of labels in [0, 1] (numpy, or dask collections reduced on
    the cluster to their weighted mean label)."""
    if hasattr(y, "__dask_graph__"):
        y, w = np.array([dask_mean_label(y, w)]), None
    return loss.init_score(y, w)


def multiclass_start(loss, y, w, num_class=None):
    """The focal-optimal constant vector (K,): ``loss.init_score`` of the weighted class
    frequencies of class-index labels (numpy, or dask collections reduced on the cluster)."""
    if loss.n_classes is not None and num_class is not None and int(num_class) != loss.n_classes:
        raise ValueError(f"num_class = {num_class} but the loss's alpha / gamma give K = "
                         f"{loss.n_classes} classes: make them agree")
    if hasattr(y, "__dask_graph__"):
        check.dask_numeric(y)
        freq = dask_class_frequencies(y, w, num_class)
    else:
        freq = class_frequencies(y, w, num_class)
    return np.asarray(loss.init_score(freq[None, :]), dtype=np.float64)
