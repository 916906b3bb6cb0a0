"""Every input check of boostfocal, each message written once: a bad value becomes a
ValueError/TypeError naming the argument and the allowed range, before any loop or booster sees it
(LightGBM, given a value it rejects, used to take the process down with it)."""
from __future__ import annotations

import numbers

import numpy as np

MAX = float(np.finfo(np.float64).max)  # a Python float: compared with scale on every call

# gamma's upper bound. Up to it every output is finite and, where its true value is a normal
# float64, accurate: at z = 0 the loss is 2^-gamma ln 2 and the expected hessian's products
# 2^-2 gamma, both far from underflow (2^-200 = 6e-61), and gamma (1 + gamma) stays far from
# overflow. Far above it float64 fails: the hessian's gamma^2 overflows (gamma = 1e200: NaN),
# both branches underflow (gamma = 2000: posterior(0) is 0, not 0.5). Published uses take
# gamma <= 5.
GAMMA_MAX = 100.0


def real(name, value, *, low=None, high=None, low_open=False, high_open=False, allow_none=False):
    """Return ``value`` as a float after checking its type and range."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the float range, e.g. 10**400
        value = float("inf") if value > 0 else float("-inf")
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


def per_class(name, value, *, allow_none, allow_scalar):
    """A float (scalar allowed), None, or a tuple of >= 2 finite non-negative floats."""
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{name} must not be None")
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        if not allow_scalar:
            raise TypeError(f"{name} must be None or a sequence of K non-negative class weights "
                            f"(one per class, as in Keras), got the scalar {value!r}")
        return real(name, value, low=0.0)
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a number or a sequence of K numbers, got "
                        f"{type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype.kind == "b" or (not isinstance(value, np.ndarray) and any(
            isinstance(v, (bool, np.bool_)) for v in value)):
        raise TypeError(f"{name} must hold numbers, not booleans; got {value!r}")
    if arr.ndim != 1 or arr.shape[0] < 2:
        raise ValueError(f"{name} must be a flat sequence of K >= 2 values (one per class), got "
                         f"shape {arr.shape}")
    return tuple(real(f"{name}[{i}]", v.item() if hasattr(v, "item") else v, low=0.0)
                 for i, v in enumerate(arr))


def choice(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _vector(name, x, n=None, xp=np):
    """1-D float view (float32 kept, everything numeric else as float64); ``xp`` numpy or cupy."""
    arr = _column(name, xp.asarray(x), "numeric, got an array of dtype", "value")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but raw_score has {n}")
    if arr.dtype not in (np.float32, np.float64):  # also float32/64 in non-native byte order
        arr = arr.astype(np.float64)
    return xp.ascontiguousarray(arr)


def raw_score(z, xp=np):
    """Raw scores: 1-D, finite (a NaN or inf margin means the booster already diverged)."""
    z = _vector("raw_score", z, None, xp)
    lo, hi = float(z.min()), float(z.max())  # NaN propagates through min/max
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("raw_score must be finite: got NaN or inf (did training diverge?)")
    return z


def target(y, w, n, xp=np, values=True):
    """Labels in [0, 1] (hard or soft) and non-negative finite weights, both float64, n rows.
    ``values=False`` checks type, shape and length only (``check_input=False``)."""
    y = _vector("y_true", y, n, xp).astype(xp.float64, copy=False)
    if not values:
        w = None if w is None else _vector("sample_weight", w, n, xp).astype(xp.float64,
                                                                              copy=False)
        return y, w
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
            raise bad_weights(f"values in [{lo}, {hi}]")
    return y, w


# -- weights: the two messages every family and booster shares -------------------------------
def bad_weights(seen=None):
    """The ValueError for negative, NaN or infinite sample weights (``seen``: what was found)."""
    return ValueError("sample_weight must be finite and >= 0 with no NaN"
                      + ("" if seen is None else f"; got {seen}"))


MEAN_UNDEFINED = "the weighted mean loss is undefined"
NO_CONSTANT = "no constant minimises the loss"


def zero_weights(consequence):
    """The ValueError for weights summing to zero (``MEAN_UNDEFINED`` or ``NO_CONSTANT``)."""
    return ValueError(f"sample_weight sums to zero: {consequence}")


def frequencies(counts):
    """Weighted counts as frequencies (summing to 1); ValueError when they sum to zero."""
    total = float(np.sum(counts))
    if not total > 0.0:
        raise zero_weights(NO_CONSTANT)
    return np.asarray(counts, dtype=np.float64) / total


def wrong_family(who, family, seen):
    """The ValueError for scores or parameters of the other family than ``who``'s."""
    if family == "binary":
        return ValueError(f"{who} is binary (one raw score per row, labels in [0, 1]) but got "
                          f"{seen}; for multi-class focal loss use MulticlassFocalObjective / "
                          "MulticlassFocalMetric (num_class = K)")
    return ValueError(f"{who} needs one raw score per class (num_class = K >= 2, labels "
                      f"0..K-1) but got {seen}; for binary focal loss use FocalObjective / "
                      "FocalMetric")


# -- class-index labels, as the boosters store them (floats 0..K-1) --------------------------
def class_indices(y, name="y_true"):
    """``y`` as a non-empty 1-D numeric numpy array ((n, 1) squeezed); values not checked."""
    return _column(name, np.asarray(y), "numeric class indices, got dtype", "class index")


def _column(name, arr, numeric, each):
    """A numeric 1-D array, (n, 1) squeezed, non-empty: the one shape check of label-like
    inputs (``numeric`` and ``each`` name the expected content in the messages)."""
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be {numeric} {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one {each} per row), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one row is needed")
    return arr


def class_range(lo, hi, nonintegral, num_class, name="y_true"):
    """Raise unless every label is a class index in 0..num_class-1 (num_class None: any)."""
    top = "K-1" if num_class is None else num_class - 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        found = "NaN or inf"
    elif lo < 0 or nonintegral or (num_class is not None and hi > num_class - 1):
        found = f"values in [{lo:g}, {hi:g}]" + (", not all integral" if nonintegral else "")
    else:
        return
    raise ValueError(f"{name} must hold class indices 0, 1, ..., {top} (integral floats, as the "
                     f"boosters store them); got {found}")


def num_class(value, who="num_class"):
    """None, or an integer >= 2 (the multiclass loss's K)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or int(value) != value or value < 2:
        raise ValueError(f"{who} must be an integer >= 2 for the multiclass focal loss; got "
                         f"{value!r}")
    return int(value)


def dask_numeric(y):
    """Refuse non-numeric dask labels before a reduction fails on them."""
    dtype = getattr(y, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "O") not in "biuf":
        raise TypeError(f"y (labels) must be numeric, got dtype {dtype}: encode string labels "
                        "as numbers first (binary: 0/1, e.g. (y == positive_label).astype(float); "
                        "multiclass: class indices 0..K-1)")


def device(name, device):
    """None (host, unless ``train`` sees ``params['device']``), 'cpu', 'cuda', 'cuda:N', 'gpu'."""
    if device is None:
        return None
    if not isinstance(device, str) or not (device == "cpu" or gpu_ordinal(device) is not None):
        raise ValueError(f"{name} must be None, 'cpu', 'cuda', 'cuda:<ordinal>' or 'gpu' (as "
                         f"XGBoost's device parameter); got {device!r}")
    return device


def gpu_ordinal(device):
    """The CUDA ordinal a device string names, or None for the host."""
    if not device or device == "cpu":
        return None
    name, _, ordinal = device.partition(":")
    if name not in ("cuda", "gpu") or (ordinal and not ordinal.isdigit()):
        return None
    return int(ordinal or 0)


def _out_array(name, a, shape, xp):
    if not isinstance(a, xp.ndarray):
        raise TypeError(f"{name} must be a {xp.__name__} array, got {type(a).__name__}")
    if a.dtype not in (np.float32, np.float64):  # False for other byte orders too
        raise TypeError(f"{name} must be float32 or float64 in native byte order, got {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (raw_score has {shape[0]} rows), got "
                         f"{a.shape}")
    if not a.flags.writeable:
        raise ValueError(f"{name} is read-only")


def out(out, n, xp=np):
    """``gradient_hessian``'s ``out``: a pair of writable (n,) float arrays, or one (n, 2) array.
    Returns the (grad, hess) views to write (numpy subclasses as plain ndarray views)."""
    if isinstance(out, tuple):
        if len(out) != 2:
            raise ValueError(f"out must be a pair (grad, hess) or one (n, 2) array, got a tuple "
                             f"of {len(out)}")
        for name, a in zip(("out[0]", "out[1]"), out):
            _out_array(name, a, (n,), xp)
        grad, hess = out
        if xp is np:
            grad, hess = np.asarray(grad), np.asarray(hess)
            if np.may_share_memory(grad, hess) and np.shares_memory(grad, hess):
                raise ValueError("out[0] and out[1] overlap: the hessian would overwrite the "
                                 "gradient")
        return grad, hess
    _out_array("out", out, (n, 2), xp)
    out = np.asarray(out) if xp is np else out
    return out[:, 0], out[:, 1]


def no_alias(outputs, **inputs):
    """Refuse output arrays that share memory with an input (numpy; O(1) bounds checks first):
    the compiled loops read a row's inputs and write its outputs, so aliasing gives wrong values."""
    for o in outputs:
        if type(o) is not np.ndarray:
            continue
        for name, a in inputs.items():
            if type(a) is np.ndarray and np.may_share_memory(o, a) and _overlap(o, a):
                raise ValueError(f"out must not share memory with {name}: the results would "
                                 f"overwrite the {name} they are computed from")


def _overlap(a, b):
    try:
        return np.shares_memory(a, b, max_work=10_000)
    except np.exceptions.TooHardError:
        return True


# -- booster parameters (counts, rounds, class numbers), as the boosters parse them -----------

def integer(name, value, *, low=None, allow_none=False):
    """``value`` as an int: ints and integral floats (tuners hand out 100.0) pass, bools and
    fractional, non-finite or non-numeric values raise, as do values below ``low``."""
    if value is None and allow_none:
        return None
    bad_type = isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
    if bad_type:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and float(value) == int(value)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def integer_like(name, value):
    """An integer booster parameter that may also come as a string ("2", "2.0"), as the
    boosters parse them; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {value!r}") from None
        return integer(name, number)
    return integer(name, value)


def number_like(name, value):
    """A real booster parameter that may also come as a string; None stays None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def flag_like(value):
    """A boolean booster parameter as the boosters read it (True, 1, "true", "+" ...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "+", "yes", "t")
    return bool(value)
