"""CatBoost adapter: the focal loss as a custom objective and eval metric.

``FocalObjective`` / ``MulticlassFocalObjective`` are CatBoost ``loss_function`` objects and
``FocalMetric`` / ``MulticlassFocalMetric`` ``eval_metric`` objects, for ``CatBoost``,
``CatBoostClassifier`` and ``catboost.train``. Every number comes from ``FocalLoss`` /
``MulticlassFocalLoss``; this module only moves approxes, targets and weights between CatBoost
and them. ``fit`` / ``train`` add what a custom objective cannot get from CatBoost itself: the
focal start (``init_score``) and predictions that include it; ``predict_proba`` the calibrated
probabilities, also from a saved model. Binary and multi-class share all of it.

CatBoost facts this module handles (1.2.10):

* ``calc_ders_range(approxes, targets, weights)`` gets read-only views of CatBoost's memory
  (approxes float64, targets and weights float32; ``weights`` is None without sample weights) in
  blocks of a few hundred rows, and CatBoost *maximises*: it wants minus the gradient and minus
  the hessian, weights included, as an (n, 2) float64 array.
* With numba installed CatBoost tries to ``numba.njit`` the methods of a custom objective or
  metric, which only works for methods that ignore ``self``, and marks the object with
  ``setattr(obj, "_jited", True)``, which an immutable object refuses (fit would fail). Our
  per-row work is already compiled inside ``FocalLoss``, so both classes set ``no_jit``.
* A custom objective needs an ``eval_metric`` (CatBoostError otherwise); ``boost_from_average``
  is refused for it, so training starts at 0 unless the Pool has a ``baseline``. The baseline is
  not part of the model, and ``predict`` adds a Pool's baseline to the model's raw score.
  ``model.set_scale_and_bias`` is part of the model (kept by cbm/json save and pickle).
* With a custom objective *and* a custom metric CatBoost stores no class labels: ``predict()``
  raises IndexError unless ``class_names`` is set.
* ``catboost.train`` with a custom objective passes labels as they are (0, 1, 2, ... for a
  multi-class Pool): ``FocalLoss`` checks them on every call. With ``class_names`` (or
  ``classes_count``) of more than two classes CatBoost keeps K raw scores per row and calls
  ``calc_ders_multi(approxes, target, weight)`` once per object, twice per iteration, with the
  class index (a position in ``class_names``) as ``target``; with two classes it keeps one score
  per row whatever the parameters, so ``MulticlassFocalObjective`` needs K >= 3. A multi-class
  baseline is an (n, K) array and ``set_scale_and_bias`` takes a K-vector bias. Without
  ``class_names`` a ``CatBoostClassifier`` cannot parse string labels for a custom objective:
  ``fit`` sets them (sorted labels, as built-in ``MultiClass`` orders them).
* ``calc_ders_multi`` is one Python-level call per object: ``MulticlassFocalObjective`` makes it
  a numba dispatcher that CatBoost calls directly (``_catboost_kernels``; its ``no_jit`` keeps
  CatBoost from wrapping it), so a failure to compile raises instead of degrading silently.
* ``class_weights`` and ``auto_class_weights`` are silently ignored for a custom objective
  (``weights`` stays None) and ``scale_pos_weight`` is refused: ``fit`` / ``train`` reject all
  three; the focal loss has ``alpha`` / ``pos_weight`` for that.
* ``task_type="GPU"``: CatBoost 1.2.10 runs a Python objective on the GPU only as a numba CUDA
  kernel, ``calc_ders_range_gpu``, which it looks up inside a training callback, where any error
  aborts the whole process (std::terminate). ``FocalObjective`` provides it (``_catboost_gpu``)
  and ``fit`` / ``train`` build, compile and check it before CatBoost starts
  (docs/gpu-catboost.md). A multi-class Python objective has no GPU entry point in CatBoost:
  ``fit`` refuses ``MulticlassFocalObjective`` with GPU. ``FocalMetric`` is evaluated on the CPU.
"""
from ._facts import MULTICLASS_THREAD_COUNT  # noqa: F401
from ._fit import all_threads, fit, train
from ._model import predict_proba
from ._objective import FocalMetric, FocalObjective, MulticlassFocalMetric, MulticlassFocalObjective

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "fit", "train", "all_threads", "predict_proba"]

for _cls in (FocalObjective, FocalMetric, MulticlassFocalObjective, MulticlassFocalMetric):
    _cls.__module__ = __name__  # pickles name the public path, whatever module defines them
del _cls
