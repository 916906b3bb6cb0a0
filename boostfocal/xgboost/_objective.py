"""The XGBoost objective and metric: one body each for both families (``_Objective``,
``_Metric``), the family's facts in ``_facts``; every number comes from the loss."""
from __future__ import annotations

import numpy as np
import xgboost as xgb
from xgboost import collective

from .. import _checks as check
from .. import _spec
from .._adapter import (FocalParams, MulticlassFocalParams, SetupWarning, caller_module,
                        fitting_model, warn_missing)
from . import _gpu
from ._facts import BINARY, MULTICLASS, PLACEHOLDER_MARGIN, checked_params, labels_weights


class _Objective:
    """The body every XGBoost objective shares: calling conventions, start, parameters.

    Subclasses combine it with a parameter holder (``FocalParams`` or ``MulticlassFocalParams``)
    and name their family in ``_family``.
    """

    __slots__ = ()
    _family = BINARY
    _booster = "xgboost"

    def __call__(self, arg1, arg2, sample_weight=None):
        """``(margins, dtrain)`` (native) or ``(y_true, margins[, sample_weight])`` (sklearn).

        A DMatrix proves XGBoost's native call, so that round goes straight to the loss: the
        margins' shape checked once, no caller lookup. Otherwise, called by another booster
        (LightGBM passes a Dataset, or labels from its sklearn wrapper) it raises a TypeError
        naming the right object; called by ``XGBClassifier`` it warns (``SetupWarning``, once)
        about a missing piece of the setup.
        """
        if isinstance(arg2, xgb.DMatrix):
            z = self.loss.check_scores(arg1, type(self).__name__)
            if z.shape[0] and z.flat[0] == PLACEHOLDER_MARGIN:  # O(1) unless it may be round 0
                _warn_if_placeholder_start(z, type(self).__name__)
            return self._native_round(z, arg2)
        module = caller_module()
        self._refuse_foreign(module, arg2)
        if module == "xgboost.sklearn":
            warn_missing("XGBClassifier", self, _sklearn_missing(self))
        return self.gradient_hessian(arg1, arg2, sample_weight)

    def _native_round(self, z, dtrain):
        """One round of ``xgb.train``: z already checked."""
        y, w = labels_weights(dtrain)
        return self._gradient(y, z, w)

    def gradient_hessian(self, y_true, raw_score, sample_weight=None):
        """Margins -> (grad, hess), weighted (see the class)."""
        return self._gradient(y_true, self.loss.check_scores(raw_score, type(self).__name__),
                              sample_weight)

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
        out = checked_params(params, self._family)
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
            y, w = labels_weights(y)
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
        ordinal = None if self.device is None else _gpu.ordinal(self.device)
        if ordinal is not None and z.shape[0]:  # labels and weights kept on the GPU
            return _gpu.resident_round(self, z, dtrain, ordinal)
        y, w = labels_weights(dtrain)
        return self._gradient(y, z, w)

    def _gradient(self, y_true, z, sample_weight):
        """Checked margins -> (grad, hess), weighted: the one step of every round. With
        ``device="cuda"`` a pair of CuPy arrays (XGBoost takes them without a copy back)."""
        if z.shape[0] == 0:  # an empty xgboost.dask shard
            return np.zeros(0), np.zeros(0)
        ordinal = None if self.device is None else _gpu.ordinal(self.device)
        if ordinal is None:
            return self.loss.gradient_hessian(y_true, z, sample_weight)
        return _gpu.gradient_hessian(self.loss, ordinal, y_true, z, sample_weight)


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
    _family = MULTICLASS

    def _gradient(self, y_true, z, sample_weight):
        """Checked (n, K) margins -> (grad, hess), weighted, the hessian times
        ``hessian_scale``."""
        if z.shape[0] == 0:  # an empty xgboost.dask shard
            return np.zeros(z.shape), np.zeros(z.shape)
        grad, hess = self.loss.gradient_hessian(y_true, z, sample_weight,
                                                hessian_scale=self.hessian_scale)
        return grad, hess


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

    if np.all(z == PLACEHOLDER_MARGIN):
        warnings.warn(
            f"{who}: training starts at XGBoost's placeholder margin 0.5, not at the focal "
            "optimum. Use boostfocal.xgboost.train(...) or xgb.train(obj.train_params(params, "
            "dtrain), ...) to start at the loss's init_score.", SetupWarning, stacklevel=4)


class _Metric:
    """The body every XGBoost metric shares: both calling conventions, the all-reduced mean."""

    __slots__ = ()
    _booster = "xgboost"
    __name__ = "focal"  # XGBClassifier names a callable eval_metric by its __name__
    _family = BINARY

    def __call__(self, arg1, arg2, sample_weight=None):
        """``(margins, dmatrix) -> ("focal", value)`` or ``(y_true, margins[, sample_weight])
        -> value``."""
        if isinstance(arg2, xgb.DMatrix):
            y, w = labels_weights(arg2)
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
    _family = MULTICLASS


OBJECTIVES = (FocalObjective, MulticlassFocalObjective)  # what train accepts
