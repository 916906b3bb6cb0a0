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
from ._facts import base_score_for, vector_base_score_is_margin, xgboost_version
from ._model import predict_proba
from ._objective import FocalMetric, FocalObjective, MulticlassFocalMetric, MulticlassFocalObjective
from ._train import dask_train, train

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "train", "dask_train", "predict_proba", "base_score_for", "vector_base_score_is_margin",
           "xgboost_version"]

for _cls in (FocalObjective, FocalMetric, MulticlassFocalObjective, MulticlassFocalMetric):
    _cls.__module__ = __name__  # pickles name the public path, whatever module defines them
del _cls
