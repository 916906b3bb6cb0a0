"""LightGBM adapter: focal objective and metric callables, and a ``train`` that starts well.

``FocalObjective`` and ``FocalMetric`` serve both calling conventions with one object:
``lightgbm.train`` calls ``f(preds, train_data)`` and the scikit-learn / Dask wrappers call
``f(y_true, y_pred, weight, group)`` (they count the parameters of ``__call__``: four). Every
number comes from ``FocalLoss``; LightGBM never applies sample weights to custom gradients, so
they are passed to ``FocalLoss.gradient_hessian``, which multiplies them in.

LightGBM starts a custom objective from raw score 0 (``boost_from_average`` is ignored) and does
not store a Dataset's ``init_score`` in the model. ``train`` therefore sets the focal-optimal
constant ``FocalLoss.init_score(y, w)`` as the init score of the training and validation sets,
trains, restores the Datasets, and folds the constant into the first tree with
``add_init_score``: ``booster.predict(X, raw_score=True)`` then includes it, also after
``save_model`` / ``model_from_string``.

``MulticlassFocalObjective`` / ``MulticlassFocalMetric`` serve the same entry points for
``MulticlassFocalLoss`` with ``num_class`` = K. They share the binary classes' bodies
(``_Objective``, ``_Metric``) and ``train``; the family (``_BINARY``, ``_MULTICLASS``) says what
differs. LightGBM passes (n, K) raw scores in column-major order and flattens 2-D returns in
that order (a 1-D return must be class-major); the start is a vector of K constants, folded
into the first iteration's K trees. LightGBM's built-in ``multiclass`` scales the softmax
hessian by K / (K - 1); so does ``MulticlassFocalObjective`` by default (``hessian_scale``).

Where the loss travels: LightGBM keeps no user attributes, and drops unknown training parameters
("Unknown parameter"). What a model text does keep verbatim is its ``parameters:`` block when the
model was *loaded* (``model_from_string``, which ``lightgbm.train`` itself does before returning
unless ``keep_training_booster=True``), and reloading never interprets a line it does not know.
``train`` therefore reloads the booster from its own text with one more line,
``[boostfocal_loss=<percent-encoded JSON>: ]``, which every later ``save_model`` /
``model_to_string`` / pickle writes back. LightGBM reads that line as a parameter with an empty
value and skips it silently (``Booster.params`` does not list it); the older form
``[boostfocal_loss: <JSON>]`` made it print "Ignoring unrecognized parameter" on every load,
and is still read.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from urllib.parse import quote, unquote

import lightgbm as lgb
import numpy as np

from . import _spec, _stored
from . import _checks as check
from ._adapter import (FocalParams, MulticlassFocalParams, caller_module, fitting_model,
                       warn_missing)

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "train", "dask_fit", "add_init_score", "predict_proba", "posterior"]

# LightGBM 4.x parameter aliases (lightgbm.basic._ConfigAliases).
_OBJECTIVE = ("objective", "objective_type", "loss", "app", "application")
_METRIC = ("metric", "metrics", "metric_types")
_NUM_CLASS = ("num_class", "num_classes")
_LINEAR = ("linear_tree", "linear_trees")
_SCALE_POS = ("scale_pos_weight",)
_UNBALANCE = ("is_unbalance", "unbalance", "unbalanced_sets")


class _Binary:
    """One raw score per row, labels in [0, 1], a float start; 1-D returns."""

    metric = "FocalMetric"
    start_rows = "np.full(len(y), start)"

    @staticmethod
    def num_class(params):
        if any((check.integer_like("num_class", k) or 1) > 1 for k in _find(params, _NUM_CLASS)):
            raise ValueError("FocalObjective is binary: num_class must be 1; for multi-class "
                             "focal loss use MulticlassFocalObjective / MulticlassFocalMetric")
        return None



class _Multiclass:
    """(n, K) raw scores (column-major), class-index labels, a (K,) start; (n, K) returns."""

    metric = "MulticlassFocalMetric"
    start_rows = "np.tile(start, (len(y), 1))"

    @staticmethod
    def num_class(params):
        given = [check.integer_like("num_class", k) for k in _find(params, _NUM_CLASS)]
        if not given or any(k is None or k < 2 for k in given) or len(set(given)) > 1:
            raise ValueError("MulticlassFocalObjective needs params['num_class'] = K >= 2 (the "
                             f"number of classes); got {_find(params, _NUM_CLASS) or None!r}")
        return given[0]



_BINARY, _MULTICLASS = _Binary(), _Multiclass()


def _unpack(arg0, arg1, weight, loss, who):
    """(y, raw scores, w) from either calling convention, the scores' shape checked."""
    if isinstance(arg1, lgb.Dataset):  # lightgbm.train: (preds, train_data)
        preds, y, weight = arg0, arg1.get_label(), arg1.get_weight()
    else:  # scikit-learn / Dask wrapper: (y_true, y_pred, weight, group)
        y, preds = arg0, arg1
    return y, loss.check_scores(preds, who), weight


class _Objective:
    """The body every LightGBM objective shares: both calling conventions."""

    __slots__ = ()
    _family = _BINARY
    _booster = "lightgbm"

    def __call__(self, preds_or_y_true, train_data_or_y_pred, weight=None, group=None):
        """``(preds, train_data)`` from ``lightgbm.train``; ``(y_true, y_pred, weight, group)``
        from the scikit-learn wrapper. Returns ``(grad, hess)``, float64 arrays.

        Called by another booster (XGBoost passes a DMatrix, or labels from ``XGBClassifier``)
        it raises a TypeError naming the right object; called by ``LGBMClassifier`` it warns
        (``SetupWarning``, once) if a piece of the setup is missing (``_sklearn_missing``)."""
        module = caller_module()
        self._refuse_foreign(module, train_data_or_y_pred)
        if module == "lightgbm.sklearn":
            warn_missing("LGBMClassifier", self, _sklearn_missing(self))
        y, z, w = _unpack(preds_or_y_true, train_data_or_y_pred, weight, self.loss,
                          type(self).__name__)
        return self.gradient_hessian(y, z, w)

    def gradient_hessian(self, y, z, w=None):
        return self.loss.gradient_hessian(y, z, w)

    def init_score(self, y, sample_weight=None, *, num_class=None):
        """The focal-optimal constant start (what ``train`` starts from): a float, or for the
        multiclass objective K floats (K = ``num_class``, default the largest label + 1). For
        ``LGBMClassifier.fit(init_score=...)`` repeat it per row (``np.tile(start, (n, 1))``
        for multiclass) and fold it in afterwards with ``add_init_score``."""
        return self.loss.start(y, sample_weight, num_class)


class _Metric:
    """The body every LightGBM metric shares: ``(name, weighted mean loss, False)``."""

    __slots__ = ()
    _family = _BINARY
    _booster = "lightgbm"
    name = "focal"

    def __call__(self, preds_or_y_true, eval_data_or_y_pred, weight=None, group=None):
        """``(preds, eval_data)`` from ``lightgbm.train``; ``(y_true, y_pred, weight, group)``
        from the scikit-learn wrapper."""
        y, z, w = _unpack(preds_or_y_true, eval_data_or_y_pred, weight, self.loss,
                          type(self).__name__)
        return self.name, self.loss.mean_loss(y, z, w), False


_NO_METRIC = frozenset({"none", "null", "custom", "na", ""})
_RANK_METRICS = frozenset({"auc", "average_precision", "auc_mu"})  # right on raw scores too


def _sklearn_missing(obj):
    """What ``LGBMClassifier(objective=obj)``, now training, was not given: the start
    (``init_score`` or ``init_model`` in ``fit``) and, with eval sets, ``metric="None"`` (a
    built-in metric such as binary_logloss reads the raw scores as probabilities) and a metric
    to watch (``eval_metric``: a focal one with the objective's parameters). ``[(name,
    advice)]``; empty when the classifier cannot be found on the stack."""
    found = fitting_model(lgb.LGBMModel)
    if found is None:
        return []
    _, local = found
    family, missing = obj._family, []
    if local.get("init_score") is None and local.get("init_model") is None:
        missing.append(("init_score", f"pass init_score={family.start_rows} to fit, with start "
                        "= obj.init_score(y, sample_weight), and add_init_score(clf.booster_, "
                        "start) after it (else training starts at 0, not at the focal optimum)"))
    if not local.get("valid_sets"):
        return missing
    params = local.get("params") or {}
    metrics = [str(m) for m in _find(params, _METRIC) for m in
               (m if isinstance(m, (list, tuple)) else [m]) if m is not None]
    wrong = [m for m in metrics if m.lower() not in _NO_METRIC | _RANK_METRICS]
    if wrong:
        missing.append(("metric", f"pass metric='None' (else the eval sets are scored by "
                        f"{wrong[0]} of the raw scores read as probabilities, which is "
                        "meaningless)"))
    given = local.get("eval_metric_list")
    if given is None:
        given = local.get("eval_metric")
        given = [] if given is None else given if isinstance(given, list) else [given]
    focal = [f for f in given if isinstance(f, _Metric)]
    if not any(callable(f) for f in given) and not any(m.lower() in _RANK_METRICS
                                                       for m in metrics):
        missing.append(("eval_metric", f"pass eval_metric={family.metric}(...) with the "
                        "objective's parameters (to watch the focal loss)"))
    elif any(f.loss != obj.loss for f in focal):
        missing.append(("eval_metric", f"eval_metric={focal[0]!r} has other parameters than "
                        f"the objective ({obj!r}): early stopping would watch another loss"))
    return missing


class FocalObjective(_Objective, FocalParams):
    """Focal-loss objective for ``params["objective"]``, ``LGBMClassifier(objective=...)`` and
    ``lightgbm.dask.DaskLGBMClassifier(objective=...)``; takes ``FocalLoss``'s parameters.

    Returns the weighted gradient and hessian of ``FocalLoss`` at LightGBM's raw scores (which
    LightGBM casts to float32). With LightGBM's default parameters every hessian mode trains
    stably from 0 (plain ``lightgbm.train``) and from the focal-optimal start (``train``), but
    not from the log-loss start logit(positive rate): there all hessians are tiny.

    Labels, weights and raw scores are checked every round, inside FocalLoss's compiled loop
    (no extra pass over the data).
    """

    __slots__ = ()


class FocalMetric(_Metric, FocalParams):
    """Weighted mean focal loss for ``feval=`` and ``eval_metric=``; returns
    ``("focal", value, False)`` (lower is better), equal to ``FocalLoss.mean_loss``.

    It reads raw scores, which LightGBM passes to a metric only with a custom objective (with a
    built-in objective it passes probabilities): use it together with ``FocalObjective``.
    """

    __slots__ = ()


class MulticlassFocalObjective(_Objective, MulticlassFocalParams):
    """Multiclass focal-loss objective (``MulticlassFocalLoss``'s parameters, plus
    ``hessian_scale``) for the same three entry points, with ``num_class`` = K.

    LightGBM passes (n, K) raw scores in column-major order; labels are class indices 0..K-1.
    The result is a pair of (n, K) column-major arrays (LightGBM flattens them in that order
    without a copy): the weighted gradient, and the hessian times ``hessian_scale``. The default
    None means K / (K - 1), LightGBM's own ``multiclass`` convention, so at gamma = 0 without
    alpha training reproduces ``objective="multiclass"`` and ``learning_rate``, ``lambda_l2``
    and ``min_sum_hessian_in_leaf`` mean what they mean there; 1.0 is the loss's own hessian.
    """

    __slots__ = ("hessian_scale",)
    _EXTRAS = _spec.EXTRAS["lightgbm", "multiclass"]  # hessian_scale = None: K / (K - 1)
    _family = _MULTICLASS

    def gradient_hessian(self, y, z, w=None):
        """(n, K) raw scores -> (grad, hess), (n, K) column-major (LightGBM ravels them in
        column order without a copy), weighted, the hessian scaled in the same pass."""
        n, k = np.shape(z)
        grad, hess = np.empty((k, n)).T, np.empty((k, n)).T
        scale = k / (k - 1.0) if self.hessian_scale is None else self.hessian_scale
        return self.loss.gradient_hessian(y, z, w, out=(grad, hess), hessian_scale=scale)


class MulticlassFocalMetric(_Metric, MulticlassFocalParams):
    """Weighted mean multiclass focal loss of the (n, K) raw scores: ``("focal", value,
    False)``, equal to ``MulticlassFocalLoss.mean_loss``; use it with
    ``MulticlassFocalObjective``."""

    __slots__ = ()
    _family = _MULTICLASS


def _find(params, aliases):
    return [params[k] for k in aliases if k in params]


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
    if family is _BINARY:
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
    if feval is None and not _find(params, _METRIC):
        metric = MulticlassFocalMetric if family is _MULTICLASS else FocalMetric
        feval = metric.from_loss(objective.loss)

    if isinstance(init_score, str) and init_score != "auto":
        raise ValueError(f"init_score must be 'auto', a float or None; got {init_score!r}")
    auto = isinstance(init_score, str)
    if init_model is not None and not (auto or init_score is None):
        raise ValueError("give init_model or a constant init_score, not both: the init model's "
                         "predictions are the start")
    if family is _MULTICLASS:  # labels checked before training, whatever the start
        objective.loss.check_labels(_label(train_set), _weight(train_set), num_class)
    if init_model is not None or init_score is None:
        start = None
    elif auto:
        start = objective.loss.start(_label(train_set), _weight(train_set), num_class)
    else:
        start = _constant(init_score, family, num_class)

    folded = start is not None and np.any(start != 0.0)
    if folded and any(_find(params, _LINEAR)):
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
        _store_loss(booster, objective.loss)
    return booster


# The stored line: "[boostfocal_loss=<percent-encoded JSON>: ]". LightGBM lists a loaded model's
# parameters by reading each line of the block as "[key: value]" and skips a line whose text
# after its first colon is " ]" (an empty value) without a word; the encoded JSON holds no colon.
# Models saved before kept "[boostfocal_loss: <JSON>]", which LightGBM reports as an
# unrecognized parameter on every load: still read, and rewritten in the new form when stored.
_LOSS_LINE = re.compile(r"^\[" + _stored.KEY + r"(?:=([^:\]\n]*): |: ([^\]\n]*))\]\n", re.M)
_END = "end of parameters\n"


def _store_loss(booster, loss):
    """Reload ``booster`` from its own text with the line ``[boostfocal_loss=...: ]`` added to
    its parameters block (see the module docstring). Keeps its Python attributes
    (``best_iteration``, ``best_score``, ``params``) and every tree."""
    text = _LOSS_LINE.sub("", booster.model_to_string(num_iteration=-1))
    if _END not in text:
        raise ValueError("the LightGBM model text has no parameters block to store the loss in")
    line = f"[{_stored.KEY}={quote(_stored.dumps(loss), safe='')}: ]\n"
    booster.model_from_string(text.replace(_END, line + _END, 1))


def _stored_text(booster):
    """The stored JSON, or None. Reads the model text without its trees (start past the last)."""
    text = booster.model_to_string(start_iteration=booster.current_iteration(), num_iteration=1)
    found = _LOSS_LINE.search(text)
    return None if found is None else unquote(found.group(1) or found.group(2))


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
    if not isinstance(objective, _Objective):
        raise TypeError("model must be a lightgbm.dask.DaskLGBMClassifier(objective="
                        "FocalObjective(...) or MulticlassFocalObjective(...)); got objective "
                        f"{objective!r}")
    family = objective._family
    num_class = None
    if family is _MULTICLASS:
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
    _store_loss(model.booster_, objective.loss)
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
    stored = _stored_text(booster) if loss is None else None
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


def _checked_params(params):
    """The FocalObjective / MulticlassFocalObjective of ``params``, after rejecting what LightGBM
    would ignore or crash on with it."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of LightGBM parameters, got "
                        f"{type(params).__name__}")
    objectives = _find(params, _OBJECTIVE)
    if len(objectives) != 1 or not isinstance(objectives[0], _Objective):
        raise TypeError("boostfocal.lightgbm.train needs params['objective'] to be a "
                        "FocalObjective or MulticlassFocalObjective, got "
                        f"{objectives[0] if objectives else None!r}")
    for key in _NUM_CLASS:
        if key in params:
            check.integer_like(f"params[{key!r}]", params[key])
    weighting = [f"{k}={params[k]!r}" for k in _SCALE_POS if k in params
                 and check.number_like(f"params[{k!r}]", params[k]) != 1.0]
    weighting += [f"{k}={params[k]!r}" for k in _UNBALANCE if k in params
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
        if "leaf_const" in node or any(_find(booster.params, _LINEAR)):
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
