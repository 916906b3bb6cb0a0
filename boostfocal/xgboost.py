"""XGBoost adapter: the focal loss as a custom objective and metric.

One ``FocalObjective`` serves ``xgb.train(obj=...)`` (called as ``(margins, dtrain)``),
``xgb.XGBClassifier(objective=...)`` (called as ``(y_true, margins[, sample_weight=...])``) and
``xgboost.dask.train(obj=...)`` (called per worker on its shard); ``FocalMetric`` likewise for
``custom_metric=`` and ``XGBClassifier(eval_metric=...)``. ``MulticlassFocalObjective`` and
``MulticlassFocalMetric`` do the same for ``MulticlassFocalLoss`` with ``num_class`` = K: the
classes share one body (``_Objective``, ``_Metric``) and differ only in their family
(``_BINARY``, ``_MULTICLASS``: margin shape, objective name, start). Every number comes from the
loss; this module only moves labels, weights and margins between XGBoost and it.

XGBoost facts this module handles (3.x):

* Custom objectives get raw margins, and XGBoost does not apply sample weights to them: the
  objective multiplies by the DMatrix weights itself. ``scale_pos_weight`` is silently ignored
  with a custom objective, so ``train_params`` rejects it (use ``pos_weight=``).
* ``xgb.train`` with a custom objective and no ``objective`` param runs the placeholder
  ``reg:squarederror``: training starts at margin 0.5 and the default metric (rmse), like
  ``logloss``, is computed on raw margins, which is meaningless. ``train`` / ``train_params``
  set ``objective="binary:logistic"`` (as ``XGBClassifier`` does) and ``base_score`` at the focal
  optimum, so the booster starts there and saved models keep it.
* Multiclass: margins arrive as (n, K) float32 (C order); (n, K) gradients are taken back.
  ``num_class`` alone selects the ``multi:softmax`` placeholder, whose ``predict`` returns labels,
  so ``train`` sets ``multi:softprob`` (``predict`` gives softmax(margins)). Under
  ``multi:softprob`` XGBoost 3.x (tested up to 3.4.1) takes a vector ``base_score`` of K margins
  (no link applied, saved in the model): ``train`` sets it to ``MulticlassFocalLoss.init_score``
  (``vector_base_score_is_margin`` asks a newer XGBoost, dmlc/xgboost#12426).
* ``multi:softprob``'s own hessian is max(2 p (1 - p) w, 1e-16), twice the softmax diagonal. The
  multiclass objective scales its hessian by ``hessian_scale`` (default 2.0, XGBoost's), so at
  gamma = 0 it reproduces ``multi:softprob`` and XGBoost's ``eta``, ``lambda`` and
  ``min_child_weight`` mean what they mean there.
"""
from __future__ import annotations

from collections.abc import Mapping

import functools
import re
import weakref

import numpy as np
import xgboost as xgb
from xgboost import collective

from . import _spec, _stored
from . import _checks as check
from . import _xgb_resident
from ._adapter import (FocalParams, MulticlassFocalParams, SetupWarning, caller_module,
                       fitting_model, warn_missing)
from .loss import FocalLoss

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "train", "dask_train", "predict_proba"]

_PLACEHOLDER_MARGIN = 0.5  # base_score of the reg:squarederror placeholder xgb.train runs
_MAX_START = 15.0  # |start margin| cap: sigmoid(+-15) stays strictly inside (0, 1) in float32


_gpu_ordinal = check.gpu_ordinal


def _cupy():
    try:
        import cupy
    except ImportError as exc:
        raise ImportError("FocalObjective(device='cuda') computes the focal gradient on the GPU "
                          "with CuPy: pip install 'boostfocal[gpu]' (or the cupy-cudaXXx wheel "
                          "matching your CUDA)") from exc
    return cupy


def _labels_weights(dmatrix):
    """Labels and weights of a DMatrix (weights None when it has none)."""
    w = dmatrix.get_weight()
    return dmatrix.get_label(), (w if w.size else None)


def _mapping(params):
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of XGBoost parameters, got {type(params).__name__}")
    return dict(params)


class _Binary:
    """One margin per row, labels in [0, 1], objective binary:logistic, a probability start."""

    objective = "binary:logistic"
    metric = "FocalMetric"

    @staticmethod
    def wrong(what):
        return check.wrong_family("boostfocal's XGBoost FocalObjective", "binary", what)

    def check_params(self, out):
        objective = out.get("objective")
        if objective is not None and objective != self.objective:
            if str(objective).startswith("multi:"):
                raise self.wrong(f"params['objective'] = {objective!r}")
            raise ValueError(
                f"params['objective'] must be unset or {self.objective!r} (it only fixes the "
                f"link and base_score; FocalObjective supplies the gradients); got {objective!r}")
        num_class = check.integer_like("params['num_class']", out.get("num_class"))
        if num_class is not None and num_class > 1:
            raise self.wrong(f"params['num_class'] = {out['num_class']!r}")
        if num_class is not None:
            out["num_class"] = num_class  # "1.0" -> 1: XGBoost parses ints strictly
        return None

    @staticmethod
    def base_score(start):
        return base_score_for(start)


class _Multiclass:
    """(n, K) margins, class-index labels, objective multi:softprob, a vector of K margins."""

    objective = "multi:softprob"
    metric = "MulticlassFocalMetric"

    @staticmethod
    def wrong(what):
        return check.wrong_family("MulticlassFocalObjective", "multiclass", what)

    def check_params(self, out):
        objective = out.get("objective")
        if objective is not None and objective != self.objective:
            raise ValueError(
                f"params['objective'] must be unset or {self.objective!r} (it only fixes the "
                "softmax link and base_score; MulticlassFocalObjective supplies the gradients); "
                f"got {objective!r}" + ("" if str(objective).startswith("multi:") else
                                        ". For binary focal loss use FocalObjective"))
        num_class = check.integer_like("params['num_class']", out.get("num_class"))
        if num_class is None or num_class < 2:
            raise self.wrong(f"params['num_class'] = {out.get('num_class')!r}")
        out["num_class"] = num_class  # "4.0" -> 4: XGBoost parses ints strictly
        return num_class

    @staticmethod
    def base_score(start):
        """The start margins as XGBoost's vector ``base_score``, shifted to mean 0 (softmax
        ignores a common shift) and capped at +-15: the margins themselves where XGBoost reads a
        vector base_score as margins (3.x up to 3.4), else their softmax (class probabilities,
        as dmlc/xgboost#12426 proposes)."""
        start = np.asarray(start, dtype=np.float64)
        margins = np.clip(start - start.mean(), -_MAX_START, _MAX_START)
        if not vector_base_score_is_margin():
            e = np.exp(margins - margins.max())
            margins = e / e.sum()
        return [float(v) for v in margins]


_BINARY, _MULTICLASS = _Binary(), _Multiclass()


def _checked_params(params, family=_BINARY):
    """A copy of ``params`` with the family's objective, after rejecting what a custom
    objective would silently ignore or cannot serve."""
    out = _mapping(params)
    family.check_params(out)
    spw = out.get("scale_pos_weight")
    if spw is not None and check.number_like("params['scale_pos_weight']", spw) != 1.0:
        raise ValueError(
            f"params['scale_pos_weight'] = {spw!r}: XGBoost ignores it with a custom objective. "
            "Use FocalObjective(pos_weight=...) and FocalMetric(pos_weight=...) instead "
            "(the same weighting for 0/1 labels), and leave scale_pos_weight unset or 1"
        )
    out["objective"] = family.objective
    return out


class _Objective:
    """The body every XGBoost objective shares: calling conventions, start, parameters.

    Subclasses combine it with a parameter holder (``FocalParams`` or ``MulticlassFocalParams``)
    and name their family in ``_family``.
    """

    __slots__ = ()
    _family = _BINARY
    _booster = "xgboost"

    def __call__(self, arg1, arg2, sample_weight=None):
        """``(margins, dtrain)`` (native) or ``(y_true, margins[, sample_weight])`` (sklearn).

        Called by another booster (LightGBM passes a Dataset, or labels from its sklearn
        wrapper) it raises a TypeError naming the right object; called by ``XGBClassifier`` it
        warns once that XGBoost's ``predict_proba`` is not calibrated for it.
        """
        module = caller_module()
        self._refuse_foreign(module, arg2)
        if isinstance(arg2, xgb.DMatrix):
            z = self.loss.check_scores(arg1, type(self).__name__)
            if z.shape[0] and z.flat[0] == _PLACEHOLDER_MARGIN:  # O(1) unless it may be round 0
                _warn_if_placeholder_start(z, type(self).__name__)
            return self._native_round(z, arg2)
        if module == "xgboost.sklearn":
            warn_missing("XGBClassifier", self, _sklearn_missing(self))
        return self.gradient_hessian(arg1, arg2, sample_weight)

    def _native_round(self, z, dtrain):
        y, w = _labels_weights(dtrain)
        return self.gradient_hessian(y, z, w)

    def train_params(self, params, dtrain, sample_weight=None):
        """``params`` ready for ``xgb.train`` / ``xgboost.dask.train`` with this objective.

        Returns a copy with the family's objective (``binary:logistic`` / ``multi:softprob``:
        XGBoost then uses only its link: ``predict`` gives sigmoid / softmax of the margins,
        built-in metrics are right) and ``base_score = self.base_score(dtrain, sample_weight)``,
        so training starts at the focal optimum; a ``base_score`` already in ``params`` is kept.
        ``dtrain`` is the training DMatrix, or the labels (numpy, or the dask collection behind
        a ``DaskDMatrix``, with ``sample_weight`` alike); None leaves ``base_score`` alone
        (continued training). ``scale_pos_weight`` (ignored by XGBoost with a custom objective),
        the other family's setup and any other objective raise a ValueError.
        """
        out = _checked_params(params, self._family)
        if dtrain is not None and out.get("base_score") is None:
            out["base_score"] = self.base_score(dtrain, sample_weight,
                                                num_class=out.get("num_class"))
        return out

    def base_score(self, y, sample_weight=None, *, num_class=None):
        """XGBoost's ``base_score`` that starts training at the loss's ``init_score``.

        Binary: sigmoid(init_score), a probability, because ``objective='binary:logistic'``
        maps base_score to the margin logit(base_score); capped at +-15, which only binds for a
        one-class target or alpha in {0, 1}. Multiclass: the list of K start margins
        (``multi:softprob`` applies no link to a vector base_score), shifted to mean 0; K is
        ``num_class`` (default: the largest label + 1). ``y`` is an array of labels
        (``sample_weight`` optional), a DMatrix (its own labels and weights) or a dask array /
        series (reduced on the cluster).
        """
        return self._family.base_score(self._init_score(y, sample_weight, num_class))

    def _init_score(self, y, w, num_class=None):
        if isinstance(y, xgb.DMatrix):
            if w is not None:
                raise ValueError("sample_weight must be None when y is a DMatrix (its weights "
                                 "are used)")
            y, w = _labels_weights(y)
        elif type(y).__name__ == "DaskDMatrix":
            raise TypeError("a DaskDMatrix does not give its labels back: pass the dask "
                            "collection of labels (and sample_weight) it was built from")
        return self.loss.start(y, w, num_class)


class FocalObjective(_Objective, FocalParams):
    """The binary focal loss as an XGBoost custom objective (``FocalLoss``'s parameters).

    Pass it as ``obj=`` to ``xgb.train`` / ``xgboost.dask.train`` or as ``objective=`` to
    ``xgb.XGBClassifier``. It returns the gradient and hessian of the focal loss at the
    booster's raw margins, multiplied by the sample weights (XGBoost does not apply them to
    custom objectives). Labels and weights are validated every round (well under 1% of a round).

    Start margin: use ``boostfocal.xgboost.train`` (or ``xgb.train(obj.train_params(params,
    dtrain), dtrain, obj=obj)``) so the booster starts at ``FocalLoss.init_score`` rather than
    XGBoost's placeholder; with ``XGBClassifier`` pass ``base_score=obj.base_score(y, w)``.

    Multi-class input (``num_class > 1`` or labels outside [0, 1]) raises a ValueError that
    points at ``MulticlassFocalObjective``.
    """

    __slots__ = ("device", "_resident")
    _EXTRAS = _spec.EXTRAS["xgboost", "binary"]  # device

    def _init(self, values):
        super()._init(values)
        object.__setattr__(self, "_resident", None)  # (DMatrix weakref, labels, weights) on GPU

    def _native_round(self, z, dtrain):
        if _gpu_ordinal(self.device) is not None and z.shape[0]:
            return self._gpu_round(z, dtrain)
        return super()._native_round(z, dtrain)

    def gradient_hessian(self, y_true, raw_score, sample_weight=None):
        """Margins -> (grad, hess), weighted: the one step of every round.

        With ``device="cuda"`` the arrays are moved to the GPU and the result is a pair of CuPy
        arrays, which XGBoost takes without a copy back to the host.
        """
        z = self.loss.check_scores(raw_score, "FocalObjective")
        if z.shape[0] == 0:  # an empty xgboost.dask shard
            return np.zeros(0), np.zeros(0)
        ordinal = _gpu_ordinal(self.device)
        if ordinal is None:
            return self.loss.gradient_hessian(y_true, z, sample_weight)
        cp = _cupy()
        with cp.cuda.Device(ordinal):
            w = None if sample_weight is None else cp.asarray(sample_weight)
            return self.loss.gradient_hessian(cp.asarray(y_true), cp.asarray(z), w)

    def _gpu_round(self, z, dtrain):
        """Native GPU round: labels and weights stay on the GPU between rounds (checked once per
        DMatrix); only the margins cross over, once per round."""
        cp = _cupy()
        cached = self._resident
        with cp.cuda.Device(_gpu_ordinal(self.device)):
            if cached is None or cached[0]() is not dtrain:
                y, w = _labels_weights(dtrain)
                y, w = check.target(y, w, z.shape[0])
                cached = (weakref.ref(dtrain), cp.asarray(y),
                          None if w is None else cp.asarray(w))
                object.__setattr__(self, "_resident", cached)
            return self.loss.gradient_hessian(cached[1], cp.asarray(z), cached[2],
                                              check_input=False)


class MulticlassFocalObjective(_Objective, MulticlassFocalParams):
    """The multiclass focal loss as an XGBoost custom objective (``MulticlassFocalLoss``'s
    parameters, plus ``hessian_scale``); the binary ``FocalObjective``'s calling conventions.

    XGBoost passes (n, K) margins (``num_class`` = K); labels are class indices 0..K-1 stored as
    floats. The result is the weighted (n, K) gradient and the hessian times ``hessian_scale``
    (default 2.0: ``multi:softprob``'s convention, so gamma = 0 without alpha reproduces
    XGBoost's softmax objective; 1.0 is the loss's own hessian).

    Start: ``boostfocal.xgboost.train`` sets ``multi:softprob`` and the vector ``base_score``
    of ``MulticlassFocalLoss.init_score``; with ``XGBClassifier`` pass
    ``base_score=obj.base_score(y, w)``. ``predict`` then gives softmax(margins), not the focal
    posterior: use ``obj.loss.predict_proba(margins)``.
    """

    __slots__ = ("hessian_scale",)
    _EXTRAS = _spec.EXTRAS["xgboost", "multiclass"]  # hessian_scale = 2.0
    _family = _MULTICLASS

    def gradient_hessian(self, y_true, raw_score, sample_weight=None):
        """(n, K) margins -> (grad, hess), weighted, the hessian times ``hessian_scale``."""
        z = self.loss.check_scores(raw_score, type(self).__name__)
        if z.shape[0] == 0:  # an empty xgboost.dask shard
            return np.zeros(z.shape), np.zeros(z.shape)
        grad, hess = self.loss.gradient_hessian(y_true, z, sample_weight,
                                                hessian_scale=self.hessian_scale)
        return grad, hess

def xgboost_version(version=None):
    """The installed XGBoost's (major, minor, patch) (``3.4.1`` -> (3, 4, 1); ``3.5.0.dev0`` ->
    (3, 5, 0))."""
    parts = re.findall(r"\d+", (version or xgb.__version__))[:3]
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


@functools.lru_cache(maxsize=1)
def vector_base_score_is_margin():
    """Whether this XGBoost reads a ``multi:softprob`` vector ``base_score`` as K margins.

    True for 3.x up to 3.4 (tested: 3.2.0, 3.4.1). dmlc/xgboost#12426 proposes class
    probabilities instead, so a newer XGBoost is asked: a booster of 0 rounds predicts its
    base_score as margins."""
    if xgboost_version() < (3, 5, 0):
        return True
    probe = [0.5, 0.3, 0.2]
    d = xgb.DMatrix(np.zeros((3, 1)), label=np.array([0.0, 1.0, 2.0]))
    booster = xgb.train({"objective": "multi:softprob", "num_class": 3, "base_score": probe,
                         "nthread": 1, "verbosity": 0}, d, 0)
    return bool(np.allclose(booster.predict(d, output_margin=True)[0], probe, atol=1e-6))


def base_score_for(margin):
    """XGBoost's ``base_score`` under ``binary:logistic`` (a probability) that starts training at
    the raw score ``margin``, capped at +-15."""
    margin = float(np.clip(margin, -_MAX_START, _MAX_START))
    return float(FocalLoss(gamma=0.0).posterior(np.array([margin]))[0])  # the sigmoid


def _sklearn_missing(obj):
    """What ``XGBClassifier(objective=obj)``, now training, was not given: the start
    (``base_score``, or ``base_margin`` / ``xgb_model`` in ``fit``) and, with an ``eval_set``,
    an ``eval_metric`` (a focal one with the objective's parameters). ``[(name, advice)]``;
    empty when the classifier cannot be found on the stack (``xgboost.dask`` workers)."""
    found = fitting_model(xgb.XGBModel, depth=4)
    if found is None:
        return []
    model, local = found
    metric, missing = obj._family.metric, []
    if model.base_score is None and local.get("base_margin") is None \
            and local.get("xgb_model") is None:
        missing.append(("base_score", "pass base_score=obj.base_score(y, sample_weight) "
                        "(else training starts at margin 0, not at the focal optimum)"))
    given = model.eval_metric
    if local.get("eval_set") and given is None:
        missing.append(("eval_metric", f"pass eval_metric={metric}(...) with the objective's "
                        "parameters (else the eval_set is scored by XGBoost's logloss, not the "
                        "focal loss)"))
    elif isinstance(given, _Metric) and given.loss != obj.loss:
        missing.append(("eval_metric", f"eval_metric={given!r} has other parameters than the "
                        f"objective ({obj!r}): early stopping would watch another loss"))
    return missing


def _warn_if_placeholder_start(z, who="FocalObjective"):
    import warnings

    if np.all(z == _PLACEHOLDER_MARGIN):
        warnings.warn(
            f"{who}: training starts at XGBoost's placeholder margin 0.5, not at the focal "
            "optimum. Use boostfocal.xgboost.train(...) or xgb.train(obj.train_params(params, "
            "dtrain), ...) to start at the loss's init_score.", SetupWarning, stacklevel=4)


class _Metric:
    """The body every XGBoost metric shares: both calling conventions, the all-reduced mean."""

    __slots__ = ()
    _booster = "xgboost"
    __name__ = "focal"  # XGBClassifier names a callable eval_metric by its __name__
    _family = _BINARY

    def __call__(self, arg1, arg2, sample_weight=None):
        """``(margins, dmatrix) -> ("focal", value)`` or ``(y_true, margins[, sample_weight])
        -> value``."""
        if isinstance(arg2, xgb.DMatrix):
            y, w = _labels_weights(arg2)
            return self.__name__, self.mean_loss(y, arg1, w)
        return self.mean_loss(arg1, arg2, sample_weight)

    def mean_loss(self, y, raw_score, sample_weight=None):
        """The loss's ``mean_loss``, all-reduced over the workers in distributed training."""
        z = self.loss.check_scores(raw_score, type(self).__name__)
        if not collective.is_distributed():
            return self.loss.mean_loss(y, z, sample_weight)
        sums = np.zeros(2)  # [sum w L, sum w] of this worker's shard (zeros if it is empty)
        if z.shape[0]:
            sums[0] = self.loss.loss(y, z, sample_weight).sum()
            sums[1] = z.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        total_loss, total_weight = collective.allreduce(sums, collective.Op.SUM)
        if total_weight <= 0.0:
            raise check.zero_weights(check.MEAN_UNDEFINED)
        return float(total_loss / total_weight)


class FocalMetric(_Metric, FocalParams):
    """Weighted mean focal loss of the raw margins, named ``"focal"`` (lower is better).

    Pass it as ``custom_metric=`` to ``xgb.train`` / ``xgboost.dask.train`` or as
    ``eval_metric=`` to ``XGBClassifier``; early stopping minimises it. It needs raw margins,
    which XGBoost passes to custom metrics whenever a custom objective trains (with a built-in
    objective it would receive probabilities). Under ``xgboost.dask`` the sums are all-reduced
    across workers, so every worker sees the global value and early stopping stays in step.
    XGBoost logs custom metrics with 6 decimals.
    """

    __slots__ = ()


class MulticlassFocalMetric(_Metric, MulticlassFocalParams):
    """Weighted mean multiclass focal loss of the (n, K) raw margins, named ``"focal"``; as
    ``FocalMetric`` otherwise (``MulticlassFocalLoss``'s parameters)."""

    __slots__ = ()
    _family = _MULTICLASS


def train(params, dtrain, num_boost_round=10, *, obj, data=None, **kwargs):
    """``xgb.train`` with a ``FocalObjective`` or ``MulticlassFocalObjective``, started at the
    focal optimum.

    Same arguments as ``xgboost.train``; ``params`` go through ``obj.train_params(params,
    dtrain)``: objective ``binary:logistic`` (binary) or ``multi:softprob`` (multiclass, with
    ``num_class`` >= 2 required), ``base_score`` = ``obj.base_score(dtrain)`` (unless given, or
    when continuing from ``xgb_model``), ``scale_pos_weight`` and the other family's setup
    rejected. Labels are checked before the first round. The returned booster's
    ``predict(..., output_margin=True)`` are focal margins; it carries the loss as the attribute
    ``boostfocal_loss`` (kept by its JSON / UBJSON files), so ``predict_proba(booster, data)``
    gives calibrated probabilities ((n, 2), or (n, K) rows for multiclass), also after a reload.

    data : the training features ``dtrain`` was built from (same rows, same order), optional
        On a GPU pass them as a CuPy array or cuDF DataFrame: training then keeps the margins on
        the device instead of XGBoost's per-round copy to host memory (``_xgb_resident``); the
        model is the one ``xgb.train`` builds. On the CPU (numpy / pandas) the same loop runs,
        with no speed gain. What the loop cannot serve (DART, gblinear, distributed, features
        not on the booster's device, the multiclass objective) falls back to ``xgb.train``
        with a warning saying why.
    """
    if not isinstance(obj, _Objective):
        raise TypeError("obj must be a FocalObjective or MulticlassFocalObjective, got "
                        f"{type(obj).__name__}")
    num_boost_round = check.integer("num_boost_round", num_boost_round, low=0)
    params = obj.train_params(params, None)
    if kwargs.get("xgb_model") is None:
        if params.get("base_score") is None:
            params["base_score"] = obj.base_score(dtrain, num_class=params.get("num_class"))
        elif obj._family is _MULTICLASS:  # still check the labels before the first round
            obj.loss.check_labels(*_labels_weights(dtrain), num_class=params["num_class"])
    device = params.get("device")
    if getattr(obj, "device", False) is None and _gpu_ordinal(device) is not None:
        obj = FocalObjective(**{**obj.params(), "device": device})
    if data is not None:
        reason = _resident_unsupported(params, dtrain, data, obj)
        if reason is not None:
            import warnings

            warnings.warn(f"boostfocal.xgboost.train: data= given, but training takes the "
                          f"standard path (margins copied to the host each round): {reason}",
                          UserWarning, stacklevel=2)
            data = None
    if data is None:
        booster = xgb.train(params, dtrain, num_boost_round, obj=obj, **kwargs)
    else:
        booster = _xgb_resident.train(params, dtrain, data, obj, num_boost_round, **kwargs)
    booster.set_attr(**{_stored.KEY: _stored.dumps(obj.loss)})
    return booster


def dask_train(client, params, dtrain, num_boost_round=10, *, obj, labels=None,
               sample_weight=None, **kwargs):
    """``xgboost.dask.train`` with a ``FocalObjective`` or ``MulticlassFocalObjective``, started
    at the focal optimum, returning its ``{"booster", "history"}`` with the loss stored in the
    booster as ``train`` does (``predict_proba(out["booster"], X)`` needs no ``loss=``).

    ``dtrain`` is the ``DaskDMatrix``; ``labels`` (and ``sample_weight``) the dask collections
    it was built from, reduced on the cluster for the start (``obj.train_params``); they may be
    left out when ``params`` holds a ``base_score`` or ``xgb_model`` continues a model. Other
    arguments are ``xgboost.dask.train``'s (``custom_metric``, ``evals``, ...).
    """
    from xgboost import dask as dxgb

    if not isinstance(obj, _Objective):
        raise TypeError("obj must be a FocalObjective or MulticlassFocalObjective, got "
                        f"{type(obj).__name__}")
    num_boost_round = check.integer("num_boost_round", num_boost_round, low=0)
    params = obj.train_params(params, labels, sample_weight)
    if params.get("base_score") is None and kwargs.get("xgb_model") is None:
        raise TypeError("dask_train needs labels= (the dask collection of labels the DaskDMatrix "
                        "was built from; sample_weight= too if it has weights) to start at the "
                        "focal optimum, or a base_score in params")
    out = dxgb.train(client, params, dtrain, num_boost_round, obj=obj, **kwargs)
    out["booster"].set_attr(**{_stored.KEY: _stored.dumps(obj.loss)})
    return out


def _resident_unsupported(params, dtrain, data, obj=None):
    """Why the device-resident loop cannot serve this call, or None."""
    on_gpu = _gpu_ordinal(params.get("device")) is not None
    module = type(data).__module__.split(".")[0]
    if on_gpu != (module in ("cupy", "cudf")):
        where = "GPU" if on_gpu else "CPU"
        return (f"the booster trains on the {where} but data is a {type(data).__name__} "
                f"({'host' if on_gpu else 'device'} memory); pass the features where training "
                "runs (CuPy/cuDF for device='cuda')")
    return _xgb_resident.unsupported(params, dtrain)


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
    loss = _stored.resolve(loss, booster.attr(_stored.KEY), "this XGBoost booster",
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
