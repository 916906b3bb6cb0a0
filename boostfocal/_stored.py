"""The loss a model was trained with, as one JSON string stored inside the booster's own model file.

``{"family": "binary", "params": FocalLoss(...).get_params()}``: each booster adapter stores
``dumps(loss)`` where its format keeps a string (XGBoost: ``Booster.set_attr``; LightGBM: a line
of the model text's parameters block; CatBoost: the model metadata) and ``loads`` rebuilds the
loss, so a reloaded model gives calibrated probabilities without being told its objective. A new
loss family (same ``get_params()`` / constructor convention) is one line in ``_FAMILIES``.
"""
from __future__ import annotations

import json

from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss

KEY = "boostfocal_loss"  # the name under which every booster stores it
_FAMILIES = {"binary": FocalLoss, "multiclass": MulticlassFocalLoss}


def dumps(loss) -> str:
    """The one stored form of ``loss``: compact JSON, floats written exactly (repr round-trips)."""
    for family, cls in _FAMILIES.items():
        if type(loss) is cls:
            return json.dumps({"family": family, "params": loss.get_params()}, sort_keys=True,
                              separators=(",", ":"))
    raise TypeError(f"loss must be one of {[c.__name__ for c in _FAMILIES.values()]}, got "
                    f"{type(loss).__name__}")


def loads(text: str, where: str = "the model"):
    """The loss ``dumps`` wrote. A bare parameter dict (CatBoost metadata before the family key)
    reads as binary."""
    try:
        stored = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: the stored {KEY} is not JSON: {text!r:.200}") from exc
    if isinstance(stored, dict) and "family" not in stored:
        stored = {"family": "binary", "params": stored}
    if not (isinstance(stored, dict) and isinstance(stored.get("params"), dict)):
        raise ValueError(f"{where}: the stored {KEY} is not a {{family, params}} object: "
                         f"{text!r:.200}")
    family = stored["family"]
    if family not in _FAMILIES:
        raise ValueError(f"{where}: stored loss family {family!r} is unknown to this boostfocal "
                         f"(knows {sorted(_FAMILIES)}); upgrade boostfocal")
    return _FAMILIES[family](**stored["params"])


def missing(where: str, fix: str) -> ValueError:
    """The error for a model that holds no stored loss."""
    return ValueError(f"{where} holds no boostfocal loss ({KEY}): it was not trained by "
                      f"boostfocal, or trained in a way that cannot store it. {fix}")


def resolve(loss, stored_text, where, fix):
    """``loss`` if given (a FocalLoss-family object, or anything with ``.loss``), else the stored
    one, else the clear error."""
    if loss is not None:
        if type(loss) not in _FAMILIES.values():  # a FocalObjective / FocalMetric holds one
            loss = getattr(type(loss), "loss", None) and loss.loss
        if type(loss) not in _FAMILIES.values():
            raise TypeError(f"loss must be a FocalLoss or MulticlassFocalLoss (or an objective "
                            f"holding one), got {type(loss).__name__}")
        return loss
    if stored_text is None:
        raise missing(where, fix)
    return loads(stored_text, where)
