"""The loss stored in a CatBoost model (its metadata, kept by cbm / json / pickle) and the
calibrated probabilities read back from it."""
from __future__ import annotations

import numpy as np
from catboost import CatBoost

from .. import _stored
from ._objective import OBJECTIVES


def predict_proba(model, data, loss=None, **predict_params):
    """Calibrated class probabilities, (n, 2) or (n, K): the loss's ``predict_proba`` of the raw
    scores.

    CatBoost's own ``predict_proba`` is sigmoid / softmax of the raw scores, which is the focal
    posterior only for gamma = 0 without class weights (it ranks rows the same way). ``loss`` (a
    ``FocalLoss`` / ``MulticlassFocalLoss`` or an objective holding one) defaults to the model's
    objective (``model`` is a CatBoost model or a ``FocalCatBoostClassifier``) or, for a model
    trained by ``fit`` and saved (cbm or json), to the loss stored in its metadata. ``data`` is a
    Pool or what ``model.predict`` takes; ``predict_params`` go to it (``ntree_end``, ...). The
    model predicts with every tree it holds: with an eval set CatBoost's default
    ``use_best_model`` already cut it at the best iteration.
    """
    model = getattr(model, "booster_", model)  # a FocalCatBoostClassifier's
    if loss is None:
        loss = model_loss(model)
    loss = _stored.resolve(loss, None, "", "")
    raw = model.predict(data, prediction_type="RawFormulaVal", **predict_params)
    return loss.predict_proba(np.asarray(raw, dtype=np.float64))


def model_loss(model):
    if not isinstance(model, CatBoost):
        raise TypeError(f"model must be a CatBoost model, got {type(model).__name__}")
    objective = model.get_params().get("loss_function")
    if isinstance(objective, OBJECTIVES):
        return objective.loss
    stored = model.get_metadata().get(_stored.KEY) if model.is_fitted() else None
    return _stored.resolve(None, stored, "this CatBoost model",
                           "Train it with boostfocal.catboost.fit, or pass "
                           "loss=FocalLoss(...) / MulticlassFocalLoss(...).")


def stored_text(model):
    """The loss's JSON: the model's own boostfocal objective, else its metadata; None if none."""
    try:
        return _stored.dumps(model_loss(model))
    except ValueError:
        return None
