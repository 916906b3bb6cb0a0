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

from . import _validation as check
from .loss import FocalLoss

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
        raise ValueError("sample_weight must be finite and >= 0 with no NaN")
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
