"""The multiclass loss's inputs and outputs checked (shapes, dtypes, values where no compiled loop
checks them), each message written once, and class-index labels reduced to what a start needs
(weighted class frequencies, the mean label row); ``MulticlassFocalLoss`` calls these."""
from __future__ import annotations

import numpy as np

from . import _checks as check
from ._multiclass_math import SOFT_LABEL_TOL


def scores(raw_score, k_fixed, xp=np):
    """z as a 2-D float32/float64 ``xp`` array (any order), K checked; CuPy: float64."""
    if type(raw_score) is not np.ndarray or raw_score.dtype.char not in "fd":
        arr = xp.asarray(raw_score)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"raw_score must be numeric, got an array of dtype {arr.dtype}")
        raw_score = arr.astype(xp.float64)
    if not raw_score.dtype.isnative:
        raw_score = raw_score.astype(raw_score.dtype.newbyteorder("="))
    if raw_score.ndim != 2:
        raise ValueError(f"raw_score must be 2-D (n rows, K classes), got shape "
                         f"{raw_score.shape}")
    n, k = raw_score.shape
    if n == 0:
        raise ValueError("raw_score is empty: at least one row is needed")
    if k < 2:
        raise ValueError(f"raw_score must have K >= 2 columns (one per class), got {k}")
    if k_fixed is not None and k != k_fixed:
        raise ValueError(f"raw_score has {k} columns (the booster's num_class) but alpha/gamma "
                         f"give K = {k_fixed} classes")
    return raw_score


def finite(z, xp=np):
    if not xp.isfinite(z).all():
        raise ValueError("raw_score must be finite: got NaN or inf (did training diverge?)")


def label_array(y_true, n, k, xp=np):
    """y_true as (n,) or (n, K) float64 C-contiguous, its shape checked (not its values)."""
    y = xp.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y_true must be numeric class indices or label rows, got dtype "
                        f"{y.dtype}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"y_true must be (n,) class indices or (n, K) label rows for n = "
                         f"{n} rows, got shape {y.shape}")
    if y.ndim == 2 and y.shape[1] != k:
        raise ValueError(f"y_true has {y.shape[1]} columns but raw_score has K = {k}")
    return xp.ascontiguousarray(y, dtype=xp.float64)


def labels(y_true, n, k, xp=np):
    """(n,) float64 class indices, or (n, K) float64 label rows; checked."""
    y = label_array(y_true, n, k, xp)
    if y.ndim == 1:
        ok = (y >= 0) & (y < k) & (y == xp.floor(y))
        if not ok.all():
            bad = y[~ok][:5]
            raise ValueError(f"y_true must hold class indices 0..{k - 1} (integers); got "
                             f"{bad}")
        return y
    if not ((y >= 0) & (y <= 1)).all():
        raise ValueError("y_true label rows must lie in [0, 1] with no NaN")
    dev = xp.abs(y.sum(axis=1) - 1.0)
    if not (dev <= SOFT_LABEL_TOL).all():
        i = int(xp.argmax(dev))
        raise ValueError(f"y_true label rows must sum to 1 (within {SOFT_LABEL_TOL:g}); row "
                         f"{i} sums to {y[i].sum()!r}")
    return y


def weights(sample_weight, n, check_values=True, xp=np):
    if sample_weight is None:
        return None
    w = xp.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
    w = xp.ascontiguousarray(w, dtype=xp.float64)
    if check_values and not ((w >= 0) & (w <= np.finfo(np.float64).max)).all():
        raise check.bad_weights()
    return w


def outputs(out, n, k, z, xp=np):
    if out is None:
        return xp.empty((n, k)), xp.empty((n, k))
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("out must be a pair (grad, hess) of float64 (n, K) arrays")
    for name, a in zip(("out[0]", "out[1]"), out):
        if (type(a) is not xp.ndarray or a.dtype != np.float64 or not a.dtype.isnative
                or a.shape != (n, k) or not getattr(a.flags, "writeable", True)
                or not (a.flags.c_contiguous or a.flags.f_contiguous)):
            raise ValueError(f"{name} must be a writable, contiguous, native float64 "
                             f"{xp.__name__} array of shape ({n}, {k})")
    if xp.may_share_memory(out[0], out[1]):
        raise ValueError("out[0] and out[1] must not overlap")
    if xp.may_share_memory(out[0], z) or xp.may_share_memory(out[1], z):
        raise ValueError("out must not overlap raw_score (the rows are scratch space)")
    return out


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
    return check.frequencies(counts)


def mean_label_row(y_true, sample_weight, k_fixed, xp=np):
    """``init_score``'s target: the weighted mean label row (1, K) on the host, of class indices
    or (n, K) label rows, checked; K is ``k_fixed`` (alpha / a per-class gamma), or the label
    rows', or max(y) + 1. Classes absent from the target get float64 eps (as scikit-learn clips),
    so that the start stays finite."""
    y = xp.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y_true must be numeric class indices or (n, K) label rows, got dtype "
                        f"{y.dtype}; encode labels as 0..K-1 first (e.g. "
                        "sklearn.preprocessing.LabelEncoder)")
    if y.size and not bool(xp.isfinite(y).all()):
        raise ValueError("y_true must be finite class indices or label rows: got NaN or inf")
    if (k_fixed is not None and y.ndim == 2 and y.shape[1] > 1
            and y.shape[1] != k_fixed):
        raise ValueError(f"y_true has {y.shape[1]} label columns (classes) but the loss's "
                         f"alpha / gamma give K = {k_fixed}")
    if k_fixed is not None:
        k = k_fixed
    elif y.ndim == 2 and y.shape[1] > 1:
        k = y.shape[1]
    elif y.size and y.dtype.kind in "biuf" and xp.isfinite(y).all():
        k = max(int(y.max()) + 1, 2)  # checked as class indices below
    else:
        raise ValueError("init_score needs K: give alpha or a per-class gamma, or y_true "
                         "as class indices or (n, K) label rows")
    n = y.shape[0] if y.ndim else 0
    if n == 0:
        raise ValueError("y_true is empty: at least one row is needed")
    y = labels(y_true, n, k, xp)
    w = weights(sample_weight, n, xp=xp)
    rows = y if y.ndim == 2 else (y[:, None] == xp.arange(k)).astype(xp.float64)
    if w is None:
        ybar = rows.mean(axis=0)
    else:
        total = float(w.sum())
        if total <= 0.0:
            raise check.zero_weights(check.NO_CONSTANT)
        ybar = (w @ rows) / total
    if xp is not np:  # K numbers: the start is solved on the host
        ybar = xp.asnumpy(ybar)
    ybar = np.maximum(ybar, np.finfo(np.float64).eps)
    ybar = (ybar / ybar.sum())[None, :]
    return ybar
