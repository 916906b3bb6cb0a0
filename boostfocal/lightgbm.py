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
"""
from __future__ import annotations

import lightgbm as lgb
import numpy as np

from . import _validation as check
from ._adapter import FocalParams, MulticlassFocalParams
from ._family import Binary, Multiclass, class_frequencies

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "train", "add_init_score", "posterior"]

# LightGBM 4.x parameter aliases (lightgbm.basic._ConfigAliases).
_OBJECTIVE = ("objective", "objective_type", "loss", "app", "application")
_METRIC = ("metric", "metrics", "metric_types")
_NUM_CLASS = ("num_class", "num_classes")
_LINEAR = ("linear_tree", "linear_trees")


class _Binary:
    """One raw score per row, labels in [0, 1], a float start; 1-D returns."""

    @staticmethod
    def scores(preds, who):
        if np.ndim(preds) != 1:
            raise ValueError(
                f"{who} is binary: got raw scores of shape {np.shape(preds)} (num_class > 1); "
                "for multi-class focal loss use MulticlassFocalObjective / MulticlassFocalMetric"
            )
        return preds

    @staticmethod
    def num_class(params):
        if any(k is not None and int(k) > 1 for k in _find(params, _NUM_CLASS)):
            raise ValueError("FocalObjective is binary: num_class must be 1; for multi-class "
                             "focal loss use MulticlassFocalObjective / MulticlassFocalMetric")
        return None

    @staticmethod
    def start(loss, y, w, num_class):
        return loss.init_score(y, w)

    start_rows = staticmethod(Binary.start_rows)


class _Multiclass:
    """(n, K) raw scores (column-major), class-index labels, a (K,) start; (n, K) returns."""

    @staticmethod
    def scores(preds, who):
        if np.ndim(preds) != 2 or np.shape(preds)[1] < 2:
            raise ValueError(
                f"{who} needs one raw score per class: got shape {np.shape(preds)}; set "
                "num_class = K >= 2 (for binary focal loss use FocalObjective / FocalMetric)")
        return preds

    @staticmethod
    def num_class(params):
        given = _find(params, _NUM_CLASS)
        if not given or any(k is None or isinstance(k, bool) or int(k) != k or int(k) < 2
                            for k in given):
            raise ValueError("MulticlassFocalObjective needs params['num_class'] = K >= 2 (the "
                             f"number of classes); got {given[0] if given else None!r}")
        return int(given[0])

    start = staticmethod(Multiclass.start)
    start_rows = staticmethod(Multiclass.start_rows)


_BINARY, _MULTICLASS = _Binary(), _Multiclass()


def _unpack(arg0, arg1, weight, family, who):
    """(y, raw scores, w) from either calling convention, the scores' shape checked."""
    if isinstance(arg1, lgb.Dataset):  # lightgbm.train: (preds, train_data)
        preds, y, weight = arg0, arg1.get_label(), arg1.get_weight()
    else:  # scikit-learn / Dask wrapper: (y_true, y_pred, weight, group)
        y, preds = arg0, arg1
    return y, family.scores(preds, who), weight


class _Objective:
    """The body every LightGBM objective shares: both calling conventions."""

    __slots__ = ()
    _family = _BINARY

    def __call__(self, preds_or_y_true, train_data_or_y_pred, weight=None, group=None):
        """``(preds, train_data)`` from ``lightgbm.train``; ``(y_true, y_pred, weight, group)``
        from the scikit-learn wrapper. Returns ``(grad, hess)``, float64 arrays."""
        y, z, w = _unpack(preds_or_y_true, train_data_or_y_pred, weight, self._family,
                          type(self).__name__)
        return self.gradient_hessian(y, z, w)

    def gradient_hessian(self, y, z, w=None):
        return self.loss.gradient_hessian(y, z, w)


class _Metric:
    """The body every LightGBM metric shares: ``(name, weighted mean loss, False)``."""

    __slots__ = ()
    _family = _BINARY
    name = "focal"

    def __call__(self, preds_or_y_true, eval_data_or_y_pred, weight=None, group=None):
        """``(preds, eval_data)`` from ``lightgbm.train``; ``(y_true, y_pred, weight, group)``
        from the scikit-learn wrapper."""
        y, z, w = _unpack(preds_or_y_true, eval_data_or_y_pred, weight, self._family,
                          type(self).__name__)
        return self.name, self.loss.mean_loss(y, z, w), False


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
    _extra = {"hessian_scale": None}
    _family = _MULTICLASS

    def __init__(self, gamma=2.0, alpha=None, label_smoothing=0.0, hessian="expected",
                 min_hessian=1e-12, hessian_scale=None):
        super().__init__(gamma, alpha, label_smoothing, hessian, min_hessian)
        object.__setattr__(self, "hessian_scale", check.real(
            "hessian_scale", hessian_scale, low=0.0, low_open=True, allow_none=True))

    def gradient_hessian(self, y, z, w=None):
        """(n, K) raw scores -> (grad, hess), (n, K) column-major, weighted."""
        n, k = np.shape(z)
        grad, hess = np.empty((k, n)).T, np.empty((k, n)).T
        self.loss.gradient_hessian(y, z, w, out=(grad, hess))
        scale = k / (k - 1.0) if self.hessian_scale is None else self.hessian_scale
        if scale != 1.0:
            hess *= scale
        return grad, hess


class MulticlassFocalMetric(_Metric, MulticlassFocalParams):
    """Weighted mean multiclass focal loss of the (n, K) raw scores: ``("focal", value,
    False)``, equal to ``MulticlassFocalLoss.mean_loss``; use it with
    ``MulticlassFocalObjective``."""

    __slots__ = ()
    _family = _MULTICLASS


def _find(params, aliases):
    return [params[k] for k in aliases if k in params]


def _constructed(dataset):
    return getattr(dataset, "_handle", None) is not None


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

    A ``MulticlassFocalObjective`` needs ``num_class`` = K >= 2 in ``params``; its labels
    (class indices 0..K-1) are checked before the first round. With neither a ``metric`` in
    ``params`` nor ``feval``, ``feval`` defaults to the matching ``FocalMetric`` /
    ``MulticlassFocalMetric`` (LightGBM computes no metric for a custom objective, and a named
    built-in one such as ``binary_logloss`` would read raw scores as probabilities).
    Returns the ``lightgbm.Booster``.
    """
    objectives = _find(params, _OBJECTIVE)
    if len(objectives) != 1 or not isinstance(objectives[0], _Objective):
        raise TypeError("boostfocal.lightgbm.train needs params['objective'] to be a "
                        "FocalObjective or MulticlassFocalObjective, got "
                        f"{objectives[0] if objectives else None!r}")
    objective = objectives[0]
    family = objective._family
    num_class = family.num_class(params)
    if isinstance(valid_sets, lgb.Dataset):
        valid_sets = [valid_sets]
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
        class_frequencies(_label(train_set), _weight(train_set), num_class)
    if init_model is not None or init_score is None:
        start = None
    elif auto:
        start = family.start(objective.loss, _label(train_set), _weight(train_set), num_class)
    else:
        start = _constant(init_score, family, num_class)

    folded = start is not None and np.any(start != 0.0)
    if folded and any(_find(params, _LINEAR)):
        raise ValueError("a constant init_score cannot be folded into linear_tree models; pass "
                         "init_score=None (start 0) to train one")

    datasets = [train_set] + [d for d in valid_sets or () if d is not train_set]
    datasets = [d for i, d in enumerate(datasets) if all(d is not e for e in datasets[:i])]
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
                d.set_init_score(family.start_rows(start, len(_label(d))))
                touched.append(d)
        booster = lgb.train(params, train_set, num_boost_round, valid_sets=valid_sets,
                            valid_names=valid_names, feval=feval, init_model=init_model,
                            **kwargs)
    finally:
        for d in touched:
            _clear_init_score(d)
    if folded:
        add_init_score(booster, start)
    return booster


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


def posterior(booster, X, objective, **predict_kwargs):
    """P(y = 1 | x) of a focal-trained ``booster``: ``objective.loss.posterior`` of its raw scores
    (for a multiclass model the (n, K) class probabilities).

    ``objective`` is the ``FocalObjective`` / ``MulticlassFocalObjective`` (or the loss) it was
    trained with; ``predict_kwargs`` go to ``booster.predict`` (e.g. ``num_iteration``).
    Returns shape (n,), or (n, K).
    """
    loss = getattr(objective, "loss", objective)
    return loss.posterior(booster.predict(X, raw_score=True, **predict_kwargs))
