"""The loss stored in a LightGBM model (a line of its parameters block, kept by ``save_model``,
``model_to_string`` and pickle), the calibrated probabilities read back from it, and the start
folded into the first iteration's leaves (LightGBM does not store a Dataset's init_score)."""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

import lightgbm as lgb
import numpy as np

from .. import _checks as check
from .. import _stored
from ._facts import LINEAR, find


_LOSS_LINE = re.compile(r"^\[" + _stored.KEY + r"(?:=([^:\]\n]*): |: ([^\]\n]*))\]\n", re.M)
_END = "end of parameters\n"


def store(booster, loss):
    """Reload ``booster`` from its own text with the line ``[boostfocal_loss=...: ]`` added to
    its parameters block (see the module docstring). Keeps its Python attributes
    (``best_iteration``, ``best_score``, ``params``) and every tree."""
    text = _LOSS_LINE.sub("", booster.model_to_string(num_iteration=-1))
    if _END not in text:
        raise ValueError("the LightGBM model text has no parameters block to store the loss in")
    line = f"[{_stored.KEY}={quote(_stored.dumps(loss), safe='')}: ]\n"
    booster.model_from_string(text.replace(_END, line + _END, 1))


def stored_text(booster):
    """The stored JSON, or None. Reads the model text without its trees (start past the last)."""
    text = booster.model_to_string(start_iteration=booster.current_iteration(), num_iteration=1)
    found = _LOSS_LINE.search(text)
    return None if found is None else unquote(found.group(1) or found.group(2))


def predict_proba(model, data, loss=None, **predict_kwargs):
    """Calibrated class probabilities of a focal-trained LightGBM model: the loss's posterior
    ``predict_proba`` of its raw scores; (n, 2) for a binary model, (n, K) rows for a multiclass
    one.

    ``model`` is a ``lightgbm.Booster`` trained by ``train`` (or a ``FocalLGBMClassifier``'s), also
    one reloaded with ``lgb.Booster(model_file=...)`` / ``model_str=...``: the loss is read from
    its model text unless ``loss`` (a ``FocalLoss`` / ``MulticlassFocalLoss`` or the objective)
    is given, which a model trained otherwise (``LGBMClassifier``, plain ``lightgbm.train``)
    needs. ``data`` is what
    ``Booster.predict`` takes; ``predict_kwargs`` go to it (``num_iteration``, ...; by default
    LightGBM uses ``best_iteration`` when the booster records one).
    """
    booster = getattr(model, "booster_", model)
    if not isinstance(booster, lgb.Booster):
        raise TypeError(f"model must be a lightgbm.Booster, got {type(model).__name__}")
    stored = stored_text(booster) if loss is None else None
    loss = _stored.resolve(loss, stored, "this LightGBM booster",
                           "Pass loss=FocalLoss(...) / MulticlassFocalLoss(...) (or the objective "
                           "it was trained with).")
    for key in ("raw_score", "pred_leaf", "pred_contrib"):
        if predict_kwargs.pop(key, False):
            raise ValueError(f"{key}=True: predict_proba returns probabilities; call "
                             "booster.predict for raw scores, leaves or contributions")
    raw = booster.predict(data, raw_score=True, **predict_kwargs)
    raw = loss.check_scores(np.asarray(raw, dtype=np.float64), "predict_proba")
    return loss.predict_proba(raw)


def add_init_score(booster, init_score):
    """Fold a constant raw score into ``booster`` by adding it to every leaf of the first tree
    (multiclass: class k's constant to every leaf of the first iteration's tree k).

    ``init_score`` is a float for a binary model and K floats for a K-class model. Use it after
    training from a constant ``init_score`` (``train`` does; after
    ``LGBMClassifier.fit(..., init_score=...)`` call it on ``clf.booster_``): predictions,
    ``save_model`` and ``model_from_string`` then include the start. Call it once per model;
    not for ``linear_tree`` models (their leaves predict through separate constants).
    Returns ``booster``.
    """
    per_iteration = booster.num_model_per_iteration()
    if per_iteration == 1:
        values = [check.real("init_score", init_score)]
    else:
        values = np.asarray(init_score, dtype=np.float64) if not isinstance(
            init_score, (str, bytes)) else None
        if values is None or values.shape != (per_iteration,) or not np.isfinite(values).all():
            raise ValueError(f"booster has {per_iteration} trees per iteration (multi-class): "
                             f"init_score must be {per_iteration} finite raw scores, one per "
                             f"class; got {init_score!r}")
    if booster.num_trees() == 0:
        raise ValueError("booster has no trees to fold init_score into")
    trees = booster.dump_model(num_iteration=1)["tree_info"]
    for tree in trees:
        node = tree["tree_structure"]
        while "left_child" in node:
            node = node["left_child"]
        if "leaf_const" in node or any(find(booster.params, LINEAR)):
            raise ValueError("cannot fold init_score into a linear_tree model; train with "
                             "init_score=None and add the start to its raw predictions yourself")
    for tree, value in zip(trees, values):
        index = tree["tree_index"]
        for leaf in range(tree["num_leaves"]):
            booster.set_leaf_output(index, leaf, booster.get_leaf_output(index, leaf) + value)
    return booster


def posterior(booster, X, objective=None, **predict_kwargs):
    """P(y = 1 | x) of a focal-trained binary ``booster``: column 1 of ``predict_proba``, shape
    (n,); for a multiclass model all of ``predict_proba``, (n, K).

    ``objective`` is the ``FocalObjective`` / ``MulticlassFocalObjective`` (or the loss) it was
    trained with; None reads the loss ``train`` stored in the model. ``predict_kwargs`` go to
    ``booster.predict``.
    """
    proba = predict_proba(booster, X, loss=objective, **predict_kwargs)
    return proba if getattr(booster, "booster_", booster).num_model_per_iteration() > 1 \
        else proba[:, 1]
