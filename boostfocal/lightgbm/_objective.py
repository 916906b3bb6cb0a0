"""The LightGBM objective and metric: one body each for both families (``_Objective``,
``_Metric``), both calling conventions; every number comes from the loss."""
from __future__ import annotations

import lightgbm as lgb
import numpy as np

from .. import _spec
from .._adapter import (FocalParams, MulticlassFocalParams, caller_module, fitting_model,
                        warn_missing)
from ._facts import BINARY, METRIC, MULTICLASS, NO_METRIC, RANK_METRICS, find


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
    _family = BINARY
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
    _family = BINARY
    _booster = "lightgbm"
    name = "focal"

    def __call__(self, preds_or_y_true, eval_data_or_y_pred, weight=None, group=None):
        """``(preds, eval_data)`` from ``lightgbm.train``; ``(y_true, y_pred, weight, group)``
        from the scikit-learn wrapper."""
        y, z, w = _unpack(preds_or_y_true, eval_data_or_y_pred, weight, self.loss,
                          type(self).__name__)
        return self.name, self.loss.mean_loss(y, z, w), False


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
    metrics = [str(m) for m in find(params, METRIC) for m in
               (m if isinstance(m, (list, tuple)) else [m]) if m is not None]
    wrong = [m for m in metrics if m.lower() not in NO_METRIC | RANK_METRICS]
    if wrong:
        missing.append(("metric", f"pass metric='None' (else the eval sets are scored by "
                        f"{wrong[0]} of the raw scores read as probabilities, which is "
                        "meaningless)"))
    given = local.get("eval_metric_list")
    if given is None:
        given = local.get("eval_metric")
        given = [] if given is None else given if isinstance(given, list) else [given]
    focal = [f for f in given if isinstance(f, _Metric)]
    if not any(callable(f) for f in given) and not any(m.lower() in RANK_METRICS
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
    _family = MULTICLASS

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
    _family = MULTICLASS


OBJECTIVES = (FocalObjective, MulticlassFocalObjective)  # what train accepts
