"""The loss stored in an XGBoost model (a booster attribute, kept by JSON / UBJSON and pickle)
and the calibrated probabilities read back from it."""
from __future__ import annotations

import numpy as np
import xgboost as xgb

from .. import _stored


def store(booster, loss):
    """Keep ``loss`` in ``booster`` (``booster[:n]`` slices and saved files keep it)."""
    booster.set_attr(**{_stored.KEY: _stored.dumps(loss)})


def stored_text(booster):
    """The stored loss's JSON, or None."""
    return booster.attr(_stored.KEY)


def predict_proba(model, data, loss=None, **predict_kwargs):
    """Calibrated class probabilities of a focal-trained XGBoost model: the loss's posterior
    ``predict_proba`` of its margins (``Booster.predict`` gives their sigmoid / softmax);
    (n, 2) for a binary model, (n, K) rows for a multiclass one.

    ``model`` is an ``xgb.Booster`` trained by ``train`` (or a ``FocalXGBClassifier``'s), also
    one reloaded from its JSON / UBJSON file: the loss is read from its ``boostfocal_loss``
    attribute unless ``loss`` (a ``FocalLoss`` / ``MulticlassFocalLoss`` or the objective) is
    given, which a booster trained otherwise (``XGBClassifier``, plain ``xgb.train``) needs.
    ``data`` is a DMatrix or anything ``Booster.inplace_predict`` takes (numpy, pandas, ...).
    ``predict_kwargs`` go to ``predict`` / ``inplace_predict`` (``iteration_range``,
    ``base_margin``, ...); without an ``iteration_range`` a booster that records
    ``best_iteration`` (early stopping) predicts with the rounds up to it, as ``XGBClassifier``
    does.
    """
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    if not isinstance(booster, xgb.Booster):
        raise TypeError(f"model must be an xgboost.Booster, got {type(model).__name__}")
    loss = _stored.resolve(loss, stored_text(booster), "this XGBoost booster",
                           "Pass loss=FocalLoss(...) / MulticlassFocalLoss(...) (or the "
                           "objective it was trained with).")
    best = booster.attr("best_iteration")
    if "iteration_range" not in predict_kwargs and best is not None:
        predict_kwargs["iteration_range"] = (0, int(best) + 1)
    if isinstance(data, xgb.DMatrix):
        margins = booster.predict(data, output_margin=True, **predict_kwargs)
    else:
        margins = booster.inplace_predict(data, predict_type="margin", **predict_kwargs)
    return loss.predict_proba(loss.check_scores(np.asarray(margins), "predict_proba"))
