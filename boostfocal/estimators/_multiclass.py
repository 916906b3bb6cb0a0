"""What the estimators do differently with three or more classes: per-class parameters given in
the caller's terms (class labels).

With K = ``len(classes_)`` > 2 the estimators train ``MulticlassFocalLoss``
(``L = -sum_c y_c alpha_c (1 - p_c)^gamma_c log p_c``, ``p = softmax(z)``); with two classes they
keep the binary ``FocalLoss`` exactly.
"""
from __future__ import annotations

import numbers

import numpy as np


def _is_scalar(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _example(classes, values):
    shown = ", ".join(f"{c!r}: {v:g}" for c, v in zip(classes[:3], values[:3]))
    return "{" + shown + (", ..." if len(classes) > 3 else "") + "}"


def per_class(name, value, classes, scalar_ok):
    """``value`` for the K ``classes`` as a list in ``classes`` order (or None / a scalar).

    Accepted: None; a scalar where ``scalar_ok`` (gamma: one value for every class); a sequence
    of K values in ``classes_`` order; a dict keyed by class label with every class once.
    """
    classes = [c.item() if hasattr(c, "item") else c for c in classes]
    k = len(classes)
    if value is None:
        return None
    if _is_scalar(value):
        if scalar_ok:
            return value
        raise ValueError(
            f"{name}={value!r} is the binary focal loss's weight of the positive class, but y has "
            f"{k} classes {classes if k <= 10 else classes[:10] + ['...']}: pass one {name} per "
            f"class, a sequence in classes_ order (e.g. {name}={[1.0] * min(k, 10)}) or a dict "
            f"keyed by class label (e.g. {name}={_example(classes, [1.0] * k)}); None weighs "
            "every class 1")
    if isinstance(value, dict):
        missing = [c for c in classes if c not in value]
        extra = [key for key in value if key not in set(classes)]
        if missing or extra:
            raise ValueError(
                f"{name} as a dict needs one entry per class label of y, {classes}: "
                + ", ".join(part for part in (f"missing {missing}" if missing else "",
                                              f"not a class {extra}" if extra else "") if part))
        return [value[c] for c in classes]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be None, a sequence of {k} numbers in classes_ order or a "
                        f"dict keyed by class label; got {type(value).__name__}")
    if len(value) != k:
        raise ValueError(f"{name} has {len(value)} values but y has {k} classes {classes}: give "
                         "one per class, in classes_ order (or a dict keyed by class label)")
    return list(value)

