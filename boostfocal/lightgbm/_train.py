"""Training from the focal-optimal constant: ``train`` (the start lent to the Datasets, then
folded into the leaves) and ``dask_fit``, with the checks LightGBM would otherwise crash on."""
from __future__ import annotations

import inspect
from collections.abc import Mapping

import lightgbm as lgb
import numpy as np

from .. import _checks as check
from ._facts import (BINARY, LINEAR, METRIC, MULTICLASS, NUM_CLASS, OBJECTIVE, SCALE_POS,
                     UNBALANCE, find)
from ._model import store, add_init_score
from ._objective import OBJECTIVES, FocalMetric, MulticlassFocalMetric


def _constructed(dataset):
    """True once LightGBM built the C++ Dataset. A failed construction (a parameter LightGBM
    rejects) leaves a NULL ``c_void_p`` handle, which must never be written through."""
    handle = getattr(dataset, "_handle", None)
    return handle is not None and bool(getattr(handle, "value", handle))


def _broken(dataset):
    handle = getattr(dataset, "_handle", None)
    return handle is not None and not _constructed(dataset)


def _label(dataset):
    if dataset.label is None and not _constructed(dataset):
        dataset.construct()  # labels read from a file are known only after construction
    return dataset.get_label()


def _weight(dataset):
    return dataset.get_weight() if _constructed(dataset) else dataset.weight


def _clear_init_score(dataset):
    dataset.init_score = None
    if _constructed(dataset):  # clear the C++ side too
        dataset.set_field("init_score", None)


def _constant(init_score, family, num_class):
    """A user-given constant start: a float (binary) or K floats (multiclass)."""
    if family is BINARY:
        return check.real("init_score", init_score)
    start = np.asarray(init_score, dtype=np.float64) if not isinstance(init_score, str) else None
    if start is None or start.shape != (num_class,) or not np.isfinite(start).all():
        raise ValueError(f"init_score must be 'auto', None or {num_class} finite raw scores (one "
                         f"per class); got {init_score!r}")
    return start


def train(params, train_set, num_boost_round=100, valid_sets=None, valid_names=None, feval=None,
          init_model=None, *, init_score="auto", **kwargs):
    """``lightgbm.train`` for a ``FocalObjective`` or ``MulticlassFocalObjective``, started from
    the focal-optimal constant.

    Parameters are those of ``lightgbm.train`` plus:

    init_score : "auto", float (K floats for multiclass) or None, default "auto"
        The constant raw score training starts from. "auto" is the loss's
        ``init_score(label, weight)`` of ``train_set`` (ignored with ``init_model``, whose
        predictions are the start); None starts from 0 as ``lightgbm.train`` does, keeping any
        per-row ``init_score`` the Datasets carry (yours to add at prediction time). A constant
        is set as the init score of ``train_set`` and every valid set for training, removed from
        them afterwards, and folded into the model (``add_init_score``), so
        ``booster.predict(X, raw_score=True)`` includes it.

    Refused before LightGBM sees them: ``scale_pos_weight``, ``is_unbalance`` (any alias) and
    ``class_weight``, which LightGBM ignores with a custom objective; ``num_class`` > 1 for the
    binary objective, a missing or < 2 one for the multiclass objective; NaN labels or weights
    in a Dataset built from arrays (LightGBM would read them as 0). A
    ``MulticlassFocalObjective``'s labels (class indices 0..K-1) are checked before the first
    round.

    With neither a ``metric`` in ``params`` nor ``feval``, ``feval`` defaults to the matching
    ``FocalMetric`` / ``MulticlassFocalMetric`` (LightGBM computes no metric for a custom
    objective, and a named built-in one such as ``binary_logloss`` would read raw scores as
    probabilities).
    Returns the ``lightgbm.Booster``. It carries the loss in its model text (see the module
    docstring), so ``predict_proba(booster, X)`` gives calibrated probabilities, also after
    ``save_model`` and a reload; not with ``keep_training_booster=True`` (storing it means
    reloading the model, which ends its training): pass ``loss=`` to ``predict_proba`` then.
    """
    objective = _checked_params(params)
    family = objective._family
    num_class = family.num_class(params)
    num_boost_round = check.integer("num_boost_round", num_boost_round, low=1)
    if isinstance(valid_sets, lgb.Dataset):
        valid_sets = [valid_sets]
    datasets = [train_set] + [d for d in valid_sets or () if d is not train_set]
    datasets = [d for i, d in enumerate(datasets) if all(d is not e for e in datasets[:i])]
    _check_datasets(datasets)
    if feval is None and not find(params, METRIC):
        metric = MulticlassFocalMetric if family is MULTICLASS else FocalMetric
        feval = metric.from_loss(objective.loss)

    if isinstance(init_score, str) and init_score != "auto":
        raise ValueError(f"init_score must be 'auto', a float or None; got {init_score!r}")
    auto = isinstance(init_score, str)
    if init_model is not None and not (auto or init_score is None):
        raise ValueError("give init_model or a constant init_score, not both: the init model's "
                         "predictions are the start")
    if family is MULTICLASS:  # labels checked before training, whatever the start
        objective.loss.check_labels(_label(train_set), _weight(train_set), num_class)
    if init_model is not None or init_score is None:
        start = None
    elif auto:
        start = objective.loss.start(_label(train_set), _weight(train_set), num_class)
    else:
        start = _constant(init_score, family, num_class)

    folded = start is not None and np.any(start != 0.0)
    if folded and any(find(params, LINEAR)):
        raise ValueError("a constant init_score cannot be folded into linear_tree models; pass "
                         "init_score=None (start 0) to train one")

    if start is not None:
        for d in datasets:
            if getattr(d, "_predictor", None) is not None:  # LightGBM would zero our start
                raise ValueError("a Dataset given to train was used with init_model before and "
                                 "carries that model's scores; pass a new Dataset")
            if d.init_score is not None:
                raise ValueError("a Dataset given to train already has an init_score; pass "
                                 "init_score=None to train from it as lightgbm.train does")
    touched = []
    try:
        if start is not None:
            for d in datasets:
                d.set_init_score(objective.loss.start_rows(start, len(_label(d))))
                touched.append(d)
        booster = lgb.train(params, train_set, num_boost_round, valid_sets=valid_sets,
                            valid_names=valid_names, feval=feval, init_model=init_model,
                            **kwargs)
    finally:
        for d in touched:
            _clear_init_score(d)
    if folded:
        add_init_score(booster, start)
    if not kwargs.get("keep_training_booster", False):
        store(booster, objective.loss)
    return booster


def dask_fit(model, X, y, sample_weight=None, *, init_score="auto", eval_set=None,
             eval_sample_weight=None, **fit_kwargs):
    """Fit a ``lightgbm.dask.DaskLGBMClassifier`` whose ``objective`` is a ``FocalObjective`` or
    ``MulticlassFocalObjective`` as ``train`` trains: from the focal-optimal constant, folded
    into the model, with the loss stored in ``model.booster_`` (``predict_proba(model, X)``
    needs no ``loss=``, also after ``save_model``). Returns ``model``.

    ``X``, ``y``, ``sample_weight`` and ``eval_set`` (a list of (X, y) pairs; or ``eval_X`` /
    ``eval_y``) are dask collections as ``DaskLGBMClassifier.fit`` takes them. ``init_score`` is
    "auto" (the loss's ``init_score`` of ``y`` and ``sample_weight``, reduced on the cluster), a
    constant (K of them for multiclass, labels 0..K-1) or None (start at 0, LightGBM's own).
    The start is passed as the per-row ``init_score`` / ``eval_init_score`` of every set. Other
    keywords go to ``fit`` (``eval_metric``, ``callbacks``, ...); pass ``metric="None"`` to the
    classifier when watching eval sets.
    """
    objective = getattr(model, "objective", None)
    if not isinstance(objective, OBJECTIVES):
        raise TypeError("model must be a lightgbm.dask.DaskLGBMClassifier(objective="
                        "FocalObjective(...) or MulticlassFocalObjective(...)); got objective "
                        f"{objective!r}")
    family = objective._family
    num_class = None
    if family is MULTICLASS:
        import dask

        num_class = max(int(dask.compute(y.max())[0]) + 1, 2)
    if isinstance(init_score, str) and init_score != "auto":
        raise ValueError(f"init_score must be 'auto', a float or None; got {init_score!r}")
    if init_score is None:
        start = None
    elif isinstance(init_score, str):
        start = objective.loss.start(y, sample_weight, num_class)
    else:
        start = _constant(init_score, family, num_class)
    eval_X, eval_y = fit_kwargs.pop("eval_X", None), fit_kwargs.pop("eval_y", None)
    if eval_set:  # one form for LightGBM: eval_X / eval_y where fit takes them (4.7: eval_set
        eval_X, eval_y = zip(*eval_set)  # is deprecated), eval_set before
    elif eval_X is not None and not isinstance(eval_X, (list, tuple)):
        eval_X, eval_y = (eval_X,), (eval_y,)
    if eval_X is not None:
        if "eval_X" in inspect.signature(type(model).fit).parameters:
            fit_kwargs.update(eval_X=tuple(eval_X), eval_y=tuple(eval_y))
        else:
            fit_kwargs["eval_set"] = list(zip(eval_X, eval_y))
    if start is not None:
        fit_kwargs["init_score"] = _dask_rows(start, y)
        if eval_y is not None:
            fit_kwargs["eval_init_score"] = [_dask_rows(start, ye) for ye in eval_y]
    model.fit(X, y, sample_weight=sample_weight, eval_sample_weight=eval_sample_weight,
              **fit_kwargs)
    if start is not None and np.any(start != 0.0):
        add_init_score(model.booster_, start)
    store(model.booster_, objective.loss)
    return model


def _dask_rows(start, like):
    """The constant ``start`` once per row of the dask collection ``like`` (same partitions):
    (n,) for a float, (n, K) for K starts."""
    start = np.asarray(start, dtype=np.float64)
    if hasattr(like, "map_partitions"):  # dask DataFrame / Series
        import pandas as pd

        if start.ndim == 0:
            return like.map_partitions(lambda part: pd.Series(float(start), index=part.index),
                                       meta=pd.Series(dtype=np.float64))
        columns = [str(k) for k in range(start.size)]
        return like.map_partitions(
            lambda part: pd.DataFrame(np.tile(start, (len(part), 1)), index=part.index,
                                      columns=columns),
            meta=pd.DataFrame(columns=columns, dtype=np.float64))
    if start.ndim == 0:
        return like.map_blocks(lambda b: np.full(b.shape[0], float(start)), dtype=np.float64,
                               chunks=(like.chunks[0],), drop_axis=list(range(1, like.ndim)))
    return like.map_blocks(lambda b: np.tile(start, (b.shape[0], 1)), dtype=np.float64,
                           chunks=(like.chunks[0], (start.size,)),
                           **({"new_axis": 1} if like.ndim == 1 else {}))


def _checked_params(params):
    """The FocalObjective / MulticlassFocalObjective of ``params``, after rejecting what LightGBM
    would ignore or crash on with it."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of LightGBM parameters, got "
                        f"{type(params).__name__}")
    objectives = find(params, OBJECTIVE)
    if len(objectives) != 1 or not isinstance(objectives[0], OBJECTIVES):
        raise TypeError("boostfocal.lightgbm.train needs params['objective'] to be a "
                        "FocalObjective or MulticlassFocalObjective, got "
                        f"{objectives[0] if objectives else None!r}")
    for key in NUM_CLASS:
        if key in params:
            check.integer_like(f"params[{key!r}]", params[key])
    weighting = [f"{k}={params[k]!r}" for k in SCALE_POS if k in params
                 and check.number_like(f"params[{k!r}]", params[k]) != 1.0]
    weighting += [f"{k}={params[k]!r}" for k in UNBALANCE if k in params
                  and check.flag_like(params[k])]
    weighting += [f"class_weight={params['class_weight']!r}"] \
        if params.get("class_weight") is not None else []
    if weighting:
        raise ValueError(f"{', '.join(weighting)}: LightGBM does not apply class weights to a "
                         "custom objective (it ignores them); use FocalObjective(alpha=...) or "
                         "(pos_weight=...), MulticlassFocalObjective(alpha=[...]), or sample "
                         "weights")
    return objectives[0]


def _check_datasets(datasets):
    """Refuse Datasets LightGBM could not build before (a NULL handle), and NaN labels and
    weights, which LightGBM turns into 0 when it builds the Dataset (the objective never sees
    them). Labels and weights read from files are LightGBM's alone to read."""
    for i, d in enumerate(datasets):
        name = "train_set" if i == 0 else "a valid set"
        if not isinstance(d, lgb.Dataset):
            raise TypeError(f"{name} must be a lightgbm.Dataset, got {type(d).__name__}")
        if _broken(d):
            raise ValueError(f"{name} failed to build in an earlier call (LightGBM rejected its "
                             "parameters) and cannot be used again: pass a new lightgbm.Dataset")
        if not _constructed(d):
            _check_finite(d.label, f"the label of {name}")
            _check_finite(d.weight, f"the weight of {name}")


def _check_finite(values, what):
    if values is None:
        return
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return  # LightGBM's own error will name it
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{what} has NaN or inf (first at row {int(bad[0])}): LightGBM would "
                         "train on it as 0")
