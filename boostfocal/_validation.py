"""Argument checks: every bad input becomes a ValueError/TypeError that names the argument."""
from __future__ import annotations

import numbers

import numpy as np



def real(name, value, *, low=None, high=None, low_open=False, high_open=False, allow_none=False):
    """Return ``value`` as a float after checking its type and range."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    rng = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        raise ValueError(f"{name} must be a finite number in {rng}, got {value!r}")
    return value


def choice(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _vector(name, x, n=None, xp=np):
    """1-D float view (float32 kept, everything numeric else as float64); ``xp`` numpy or cupy."""
    arr = xp.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per row), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one row is needed")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but raw_score has {n}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    return xp.ascontiguousarray(arr)


def raw_score(z, xp=np):
    """Raw scores: 1-D, finite (a NaN or inf margin means the booster already diverged)."""
    z = _vector("raw_score", z, None, xp)
    lo, hi = float(z.min()), float(z.max())  # NaN propagates through min/max
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("raw_score must be finite: got NaN or inf (did training diverge?)")
    return z


def target(y, w, n, xp=np):
    """Labels in [0, 1] (hard or soft) and non-negative finite weights, both float64, n rows."""
    y = _vector("y_true", y, n, xp).astype(xp.float64, copy=False)
    lo, hi = float(y.min()), float(y.max())
    if not (lo >= 0.0 and hi <= 1.0):  # False for NaN too
        classes = np.unique(xp.asnumpy(y) if hasattr(xp, "asnumpy") else y)
        if np.isfinite(classes).all() and np.all(classes == np.round(classes)) and classes.size > 2:
            raise ValueError(
                f"y_true has {classes.size} classes {classes[:10]}: FocalLoss and the binary "
                "objectives are binary (labels 0/1 or soft labels in [0, 1]); multi-class is not "
                "supported by them: use MulticlassFocalLoss, or MulticlassFocalObjective / "
                "MulticlassFocalMetric of boostfocal.xgboost / boostfocal.lightgbm"
            )
        raise ValueError(
            f"y_true must lie in [0, 1] (binary 0/1 or soft labels) with no NaN; got values in "
            f"[{lo}, {hi}]"
        )
    if w is not None:
        w = _vector("sample_weight", w, n, xp).astype(xp.float64, copy=False)
        lo, hi = float(w.min()), float(w.max())
        if not (lo >= 0.0 and np.isfinite(hi)):
            raise ValueError(
                f"sample_weight must be finite and >= 0 with no NaN; got values in [{lo}, {hi}]"
            )
    return y, w
