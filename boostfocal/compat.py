"""Drop-in numpy versions of the two reference APIs boostfocal was seeded from.

* ``binary_focal_crossentropy``: Keras 3 ``keras.losses.binary_focal_crossentropy`` (with the loss
  class's ``reduction`` and ``sample_weight``). Keras works on probabilities clipped to
  [1e-7, 1 - 1e-7], also when ``from_logits=True`` (it applies the sigmoid first), so its values
  differ from the exact loss for confident predictions; this reproduces Keras, clipping included.
* ``binary_focal_loss``: the ``focal-loss`` package's per-example loss. Its logit path is the
  exact logit-form focal loss, so it is ``FocalLoss.loss``; its probability path clips at 1e-7.

For training, use ``FocalLoss`` (exact, with gradients); these exist so that numbers obtained with
Keras or ``focal-loss`` can be reproduced and compared.
"""
from __future__ import annotations

import numpy as np

from . import _checks as check
from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss

KERAS_EPSILON = 1e-7  # keras.config.epsilon() and focal-loss's _EPSILON
_REDUCTIONS = (None, "none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight")


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _same_rank(y_true, y_pred):
    """Keras 3's ``squeeze_or_expand_to_same_rank`` (the ``Loss`` wrapper aligns labels and
    predictions before the function sees them): where the ranks differ by one and the longer one
    ends in a length-1 axis, a rank-1 array gains that axis, otherwise the axis is squeezed. So
    labels (n,) against predictions (n, 1) stay n pairs instead of broadcasting to n x n."""
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        else:
            y_pred = y_pred[..., 0]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        else:
            y_true = y_true[..., 0]
    return y_true, y_pred


def _numeric(name, x):
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    return arr.astype(np.float64)


def _arrays(y_true, y_pred, from_logits):
    y_pred = _numeric("y_pred", y_pred)
    y_true = _numeric("y_true", y_true)
    if from_logits:
        if np.isnan(y_pred).any():
            raise ValueError("y_pred (logits) must not contain NaN")
    elif not np.all((y_pred >= 0.0) & (y_pred <= 1.0)):  # False for NaN too
        raise ValueError("y_pred must be probabilities in [0, 1] with no NaN (pass "
                         "from_logits=True for raw scores)")
    if not np.all((y_true >= 0) & (y_true <= 1)):
        raise ValueError("y_true must lie in [0, 1] with no NaN")
    if y_pred.size == 0:
        raise ValueError("y_pred is empty: at least one prediction is needed")
    y_true, y_pred = _same_rank(y_true, y_pred)
    try:
        shape = np.broadcast_shapes(y_true.shape, y_pred.shape)
    except ValueError:
        shape = None
    if shape != y_pred.shape:  # labels may broadcast to the predictions, not widen them
        raise ValueError(f"y_true shape {y_true.shape} does not broadcast to y_pred shape "
                         f"{y_pred.shape}")
    return np.broadcast_arrays(y_true, y_pred)


def _weights(sample_weight, values):
    """``sample_weight`` checked (finite, >= 0) and shaped to multiply ``values``."""
    sw = _numeric("sample_weight", sample_weight)
    if not np.all((sw >= 0.0) & (sw <= np.finfo(np.float64).max)):  # False for NaN too
        raise check.bad_weights()
    if sw.ndim < values.ndim:
        sw = sw.reshape(sw.shape + (1,) * (values.ndim - sw.ndim))
    try:
        shape = np.broadcast_shapes(sw.shape, values.shape)
    except ValueError:
        shape = None
    if shape != values.shape:
        raise ValueError(f"sample_weight shape {np.shape(sample_weight)} does not match the "
                         f"per-sample losses' shape {values.shape}")
    return sw


def _clipped_focal(y, p, a, b, gamma):
    """Keras / focal-loss probability form: p clipped to [eps, 1 - eps] before the logs."""
    p = np.clip(p, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    return -(a * y * (1.0 - p) ** gamma * np.log(p) + b * (1.0 - y) * p**gamma * np.log(1.0 - p))


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1,
                              reduction="sum_over_batch_size", sample_weight=None):
    """Keras 3 binary focal cross-entropy (function plus ``Loss`` reduction), in float64.

    Per element, with smoothed labels y' = y (1 - ls) + ls / 2, p = clip(y_pred or sigmoid) and
    p_t = y' p + (1 - y') (1 - p)::

        (1 - p_t)^gamma * bce(y', p) * [alpha y' + (1 - alpha)(1 - y') if apply_class_balancing]

    averaged over ``axis``, multiplied by ``sample_weight`` (broadcast over the leading axes) and
    reduced: "sum_over_batch_size"/"mean" (sum / number of values), "sum",
    "mean_with_sample_weight" (sum / sum of weights) or None/"none".
    """
    gamma = check.real("gamma", gamma, low=0.0, high=check.GAMMA_MAX)
    alpha = check.real("alpha", alpha, low=0.0, high=1.0)
    label_smoothing = check.real("label_smoothing", label_smoothing, low=0.0, high=1.0)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    y, p = _arrays(y_true, y_pred, from_logits)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = _sigmoid(p)
    p_c = np.clip(p, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    bce = -(y * np.log(p_c) + (1.0 - y) * np.log(1.0 - p_c))
    p_t = y * p + (1.0 - y) * (1.0 - p)
    values = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        values = (alpha * y + (1.0 - alpha) * (1.0 - y)) * values
    values = values.mean(axis=axis) if values.ndim else values
    return _keras_reduce(values, sample_weight, reduction)


def binary_focal_loss(y_true, y_pred, gamma, *, pos_weight=None, from_logits=False,
                      label_smoothing=None):
    """The ``focal-loss`` package's ``binary_focal_loss``: the per-example loss (no reduction)::

        L = -pos_weight y (1 - p)^gamma log p - (1 - y) p^gamma log(1 - p)

    ``from_logits=True`` evaluates it exactly in logit form (``FocalLoss.loss``); probabilities
    are clipped to [1e-7, 1 - 1e-7] as the package does. Without label smoothing the package
    treats any non-zero label as positive; with it, labels are mixed linearly.
    """
    gamma = check.real("gamma", gamma, low=0.0, high=check.GAMMA_MAX)
    pos_weight = check.real("pos_weight", pos_weight, low=0.0, allow_none=True)
    label_smoothing = check.real("label_smoothing", label_smoothing, low=0.0, high=1.0,
                                 allow_none=True)
    y, p = _arrays(y_true, y_pred, from_logits)
    if from_logits and not np.all(np.isfinite(p)):
        raise ValueError("y_pred (logits) must be finite: got inf")
    a = 1.0 if pos_weight is None else pos_weight
    if label_smoothing is None:
        y = (y != 0).astype(np.float64)
    else:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if not from_logits:
        return _clipped_focal(y, p, a, 1.0, gamma)
    # a = pos_weight, b = 1; pos_weight = 0 (allowed by the package) is FocalLoss's alpha = 0
    loss = FocalLoss(gamma=gamma, alpha=0.0) if a == 0.0 else FocalLoss(gamma=gamma, pos_weight=a)
    shape = y.shape
    return loss.loss(y.ravel(), p.ravel()).reshape(shape)


# --- multiclass ----------------------------------------------------------------------------------
def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _class_axis_last(name, x, axis):
    """x with its class axis moved last (at least 1-D, float64); NaN rejected."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError(f"{name} must have a class axis, got a scalar")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} of shape {x.shape}")
    if np.isnan(x).any():
        raise ValueError(f"{name} contains NaN")
    return np.moveaxis(x, axis, -1)


def _check_predictions(p, from_logits):
    """Logits finite; probabilities in [0, 1] with no row all zero."""
    if from_logits:
        if not np.isfinite(p).all():
            raise ValueError("y_pred (logits, from_logits=True) must be finite")
        return
    if not ((p >= 0.0) & (p <= 1.0)).all():
        raise ValueError("y_pred must hold probabilities in [0, 1] (pass from_logits=True for "
                         "raw scores)")
    if not (p.sum(axis=-1) > 0.0).all():
        raise ValueError("y_pred has a row of all-zero probabilities: each row must sum to a "
                         "positive number")


def _per_class_values(name, value, k):
    """A scalar, or a length-K vector of finite values >= 0 (broadcast over the class axis)."""
    if value is None or isinstance(value, (str, bytes, bool, np.bool_, dict)):
        raise TypeError(f"{name} must be a number >= 0 or a list of K = {k} numbers, got "
                        f"{value!r}")
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf" or (isinstance(value, (list, tuple)) and any(
            isinstance(v, (bool, np.bool_)) for v in value)):
        raise TypeError(f"{name} must be a number >= 0 or a list of K = {k} numbers, got "
                        f"{value!r}")
    arr = raw.astype(np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != k):
        raise ValueError(f"{name} must be a scalar or a list of K = {k} values (one per class), "
                         f"got shape {arr.shape}")
    if not (np.isfinite(arr).all() and (arr >= 0).all()):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return arr


def _keras_reduce(values, sample_weight, reduction):
    """Keras 3 ``Loss`` reduction of per-example values, weights (finite, >= 0) broadcast over
    the leading axes: None/"none", "sum", "sum_over_batch_size"/"mean" (sum / number of values),
    "mean_with_sample_weight" (sum / sum of weights)."""
    if sample_weight is not None:
        sw = _weights(sample_weight, values)
        values = values * sw
    if reduction in (None, "none"):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(np.sum(sw))
    else:
        divisor = float(values.size)
    return total / divisor if divisor else 0.0


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                                   sample_weight=None):
    """Keras 3 categorical focal cross-entropy (function plus ``Loss`` reduction), in float64.

    With one-hot (or probability) labels y smoothed to y (1 - ls) + ls / K, probabilities
    p = y_pred (softmax of it if ``from_logits``) renormalised to sum 1 and clipped to
    [1e-7, 1 - 1e-7], per example::

        sum_c alpha_c (1 - p_c)^gamma (-y_c log p_c)

    ``alpha`` a scalar or one value per class. Then multiplied by ``sample_weight`` and reduced as
    Keras does ("sum_over_batch_size"/"mean", "sum", "mean_with_sample_weight", None/"none").
    Keras clips also for logits, so confident predictions differ from the exact loss
    (``MulticlassFocalLoss``, which trains).
    """
    gamma = check.real("gamma", gamma, low=0.0)
    label_smoothing = check.real("label_smoothing", label_smoothing, low=0.0, high=1.0)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    p = _class_axis_last("y_pred", y_pred, axis)
    y = _class_axis_last("y_true", y_true, axis)
    if y.shape != p.shape:
        raise ValueError(f"y_true shape {np.shape(y_true)} and y_pred shape {np.shape(y_pred)} "
                         "differ (y_true must be one-hot or probability rows)")
    if not ((y >= 0) & (y <= 1)).all():
        raise ValueError("y_true must lie in [0, 1] (one-hot or probability rows)")
    k = p.shape[-1]
    alpha = _per_class_values("alpha", alpha, k)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / k
    _check_predictions(p, from_logits)
    if from_logits:
        p = _softmax(p)
    out = np.clip(p / p.sum(axis=-1, keepdims=True), KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    values = ((1.0 - out) ** gamma * alpha * (-y * np.log(out))).sum(axis=-1)
    return _keras_reduce(values, sample_weight, reduction)


def sparse_categorical_focal_loss(y_true, y_pred, gamma, *, class_weight=None, from_logits=False,
                                  axis=-1):
    """The ``focal-loss`` package's ``sparse_categorical_focal_loss``: per-example loss (no
    reduction) for integer labels y::

        L = -class_weight_y (1 - p_y)^gamma_y log p_y

    ``gamma`` a scalar or one per class (the true class's applies). ``from_logits=True`` is the
    exact loss on the logits (``MulticlassFocalLoss.loss``). With probabilities the package
    takes log p_y from the probabilities clipped to [1e-7, 1 - 1e-7] and renormalised, and the
    modulating factor from the unclipped p_y; reproduced here.
    """
    z = _class_axis_last("y_pred", y_pred, axis)
    k = z.shape[-1]
    if k < 2:
        raise ValueError(f"y_pred must have K >= 2 classes along axis {axis}, got {k}")
    gammas = _per_class_values("gamma", gamma, k)
    if (gammas < 0).any():
        raise ValueError("gamma must be >= 0")
    weights = None if class_weight is None else _per_class_values("class_weight", class_weight, k)
    if weights is not None and weights.ndim == 0:
        raise ValueError(f"class_weight must be a list of K = {k} values (one per class)")
    y = np.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y_true must hold integer class labels, got dtype {y.dtype}")
    if y.size != z.size // k:
        raise ValueError(f"y_true has {y.size} labels but y_pred has {z.size // k} examples "
                         f"of K = {k} classes")
    shape = z.shape[:-1]
    y = y.reshape(-1).astype(np.float64)
    if not ((y >= 0) & (y < k) & (y == np.floor(y))).all():
        raise ValueError(f"y_true must hold integer class labels in 0..{k - 1}")
    z = z.reshape(-1, k)
    _check_predictions(z, from_logits)
    if from_logits:
        fl = MulticlassFocalLoss(gamma=float(gammas) if gammas.ndim == 0 else gammas,
                                 alpha=weights)
        return fl.loss(y, z).reshape(shape)
    idx = y.astype(np.intp)
    rows = np.arange(z.shape[0])
    logits = np.log(np.clip(z, KERAS_EPSILON, 1.0 - KERAS_EPSILON))
    arg = logits.argmax(axis=1)
    top = logits[rows, arg]
    others = np.exp(logits - top[:, None])
    others[rows, arg] = 0.0  # log-sum-exp = top + log1p(sum of the others): no log(1 + tiny)
    xent = (top - logits[rows, idx]) + np.log1p(others.sum(axis=1))
    g = gammas if gammas.ndim == 0 else gammas[idx]
    loss = (1.0 - z[rows, idx]) ** g * xent
    if weights is not None:
        loss = loss * weights[idx]
    return loss.reshape(shape)
