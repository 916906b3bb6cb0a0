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
from __future__ import annotations

import numbers
import os
from collections.abc import Mapping

import numba
import numpy as np
from catboost import CatBoost, CatBoostClassifier, Pool

from . import _catboost_gpu, _catboost_kernels, _stored
from . import _checks as check
from ._adapter import (FocalParams, MulticlassFocalParams, booster_package, caller_module,
                       fitting_model, warn_once)

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "fit", "train", "predict_proba"]

_fitting = 0  # how many boostfocal.catboost.fit calls are training now (the objective warns if 0)
_GPU = ("task_type='GPU': CatBoost has no GPU entry point for a multi-class Python objective "
        "(calc_ders_multi runs on the CPU only); train MulticlassFocalObjective with "
        "task_type='CPU' (FocalObjective, the binary loss, does run on the GPU)")
_MULTICLASS = ("FocalObjective is binary (one approx per row, labels in [0, 1]); for multi-class "
               "use MulticlassFocalObjective / MulticlassFocalMetric")
_BINARY = ("CatBoost keeps one raw score per row (two classes, or no class_names / classes_count): "
           "MulticlassFocalObjective needs class_names with at least 3 classes (boostfocal.catboost"
           ".fit sets them); for two classes use FocalObjective")


class _Objective:
    """What the binary and multi-class objectives share: refusing other boosters' calls and
    CatBoost's GPU lookup."""

    __slots__ = ()
    _booster = "catboost"

    def __call__(self, *args, **kwargs):
        """XGBoost and LightGBM call objectives; CatBoost calls ``calc_ders_range`` /
        ``calc_ders_multi``."""
        raise self._wrong_booster(booster_package(caller_module()) or "")

    @property
    def calc_ders_range_gpu(self):  # CatBoost's GPU callback reads it; the error aborts training
        raise ValueError(_GPU)


class _Metric:
    """What the binary and multi-class metrics share: the weighted mean loss, one vectorised pass
    per call over the rows CatBoost hands over (lower is better)."""

    __slots__ = ()
    _booster = "catboost"
    no_jit = True  # see the module docstring: the loss is already compiled, and we are immutable

    def is_max_optimal(self):
        return False

    def evaluate(self, approxes, target, weight):
        per_row = self.loss.loss(target, self._raw_score(approxes), weight)
        total = float(per_row.shape[0]) if weight is None else float(np.sum(weight, dtype=float))
        return float(per_row.sum()), total

    def get_final_error(self, error, weight):
        return error / weight if weight > 0 else float("nan")


class FocalObjective(_Objective, FocalParams):
    """CatBoost ``loss_function``: the focal loss of ``FocalLoss(**params)``.

    ``calc_ders_range`` returns minus the (weighted) gradient and hessian: CatBoost maximises.
    """

    __slots__ = ()
    no_jit = True  # see the module docstring: FocalLoss is already compiled, and we are immutable

    def calc_ders_range(self, approxes, targets, weights):
        _warn_plain(self)
        return self.loss.gradient_hessian(targets, approxes, weights,
                                          out=np.empty((len(approxes), 2)), scale=-1.0)

    @property
    def calc_ders_range_gpu(self):
        """The CUDA kernel CatBoost launches with ``task_type="GPU"`` (``_catboost_gpu``)."""
        return _catboost_gpu.kernel(self.loss)

    def calc_ders_multi(self, approxes, target, weight):
        raise ValueError(f"CatBoost asked for multi-class derivatives (class_names has more than "
                         f"two classes): {_MULTICLASS}")


def _warn_plain(objective):
    """Warn (``SetupWarning``, once per message) when CatBoost trains ``objective`` outside
    ``fit`` without a piece of the setup (``_plain_missing``)."""
    if not _fitting and booster_package(caller_module(3)) == "catboost":
        missing = _plain_missing(objective)
        if missing:
            message = (f"CatBoost is training {type(objective).__name__} outside "
                       f"boostfocal.catboost.fit: {'; '.join(missing)}. "
                       "boostfocal.catboost.fit(model, X, y) sets all of it")
            warn_once(("catboost.plain", message), message, stacklevel=4)


def _plain_missing(objective):
    """What the CatBoost model now training ``objective`` was not given: ``class_names``, a
    start (a ``baseline``, in ``fit`` or in the Pool) and an ``eval_metric`` of the same loss
    (CatBoost itself requires one). Without the model on the stack (CatBoost called from its
    own threads), every piece is named: nothing could be checked."""
    binary = isinstance(objective, FocalObjective)
    metric = "FocalMetric" if binary else "MulticlassFocalMetric"
    pieces = {
        "class_names": "pass class_names=" + ("[0, 1]" if binary else "[the K labels]")
        + " (else predict() raises IndexError)",
        "baseline": "pass the start as fit's baseline= (obj.loss.init_score(y, w), one "
        + ("value" if binary else "row of K") + " per row; else training starts at 0, and "
        "predictions need it too)",
        "eval_metric": f"pass eval_metric={metric}(...) with the objective's parameters"}
    found = fitting_model(CatBoost)
    if found is None:
        return list(pieces.values())
    model, local = found
    params = model.get_params()
    missing = []
    if params.get("class_names") is None:
        missing.append(pieces["class_names"])
    X = local.get("X")
    if local.get("baseline") is None and not (isinstance(X, Pool) and _has_baseline(X)):
        missing.append(pieces["baseline"])
    given = params.get("eval_metric")
    if isinstance(given, _Metric) and given.loss != objective.loss:
        missing.append(f"eval_metric={given!r} has other parameters than the objective "
                       f"({objective!r})")
    elif not isinstance(given, _Metric):
        missing.append(pieces["eval_metric"])
    return missing


class FocalMetric(_Metric, FocalParams):
    """CatBoost ``eval_metric``: the weighted mean focal loss (lower is better).

    Equals ``FocalLoss.mean_loss(y, raw_score, w)`` on the raw scores CatBoost holds (which
    include a Pool's baseline).
    """

    __slots__ = ()

    @staticmethod
    def _raw_score(approxes):
        if len(approxes) != 1:
            raise ValueError(f"FocalMetric got {len(approxes)} approxes per row: {_MULTICLASS}")
        return approxes[0]


class MulticlassFocalObjective(_Objective, MulticlassFocalParams):
    """CatBoost ``loss_function``: the multi-class focal loss of ``MulticlassFocalLoss(**params)``.

    ``calc_ders_multi(approxes, target, weight)`` returns minus the weighted gradient (K,) and
    minus the weighted full K x K hessian, as tuples (CatBoost maximises, reads the upper triangle
    and solves each leaf's Newton step by Cholesky: the "expected" and "clipped" hessians are
    positive semi-definite); entries below the diagonal, which CatBoost never reads, are None.
    For K <= 10 it is a numba kernel compiled for that K with the parameters as constants, for
    larger K one kernel for every K (``_catboost_kernels``); both are cached on disk and per
    process, keyed by the loss and K, so one objective can serve fits of different K at once.
    """

    __slots__ = ("_by_k",)  # {K: kernel}: a cache of _catboost_kernels' (which is keyed by loss and
    # K), filled under the GIL by whichever fit meets K first; no state a fit depends on
    no_jit = True  # see the module docstring: the kernels are already compiled

    def _init(self, values):
        super()._init(values)
        object.__setattr__(self, "_by_k", {})

    def kernel(self, num_class):
        """The compiled ``calc_ders_multi`` for ``num_class`` classes (built on first use)."""
        return _catboost_kernels.calc_ders_multi(self.loss, num_class)

    def calc_ders_multi(self, approxes, target, weight):
        try:
            return self._by_k[len(approxes)](approxes, target, weight)
        except (KeyError, TypeError, numba.core.errors.TypingError):
            _warn_plain(self)  # here: it looks at CatBoost as its caller's caller
            return self._slow_call(approxes, target, weight)

    def _slow_call(self, approxes, target, weight):
        """The first call for a K (the kernel built), or arguments of the wrong types (named)."""
        if isinstance(approxes, (str, bytes)) or not hasattr(approxes, "__len__"):
            raise TypeError("calc_ders_multi: approxes must be a 1-D sequence of K raw scores, "
                            f"got {type(approxes).__name__}")
        for name, value in (("target", target), ("weight", weight)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise TypeError(f"calc_ders_multi: {name} must be a float, got {value!r}")
        k = len(approxes)
        kernel = self._by_k.get(k)
        if kernel is None:
            kernel = self._by_k[k] = self.kernel(k)
        return kernel(np.asarray(approxes, dtype=np.float64), float(target), float(weight))

    def calc_ders_range(self, approxes, targets, weights):
        raise ValueError(f"CatBoost asked for one derivative per row: {_BINARY}")


class MulticlassFocalMetric(_Metric, MulticlassFocalParams):
    """CatBoost ``eval_metric``: the weighted mean multi-class focal loss (lower is better).

    Equals ``MulticlassFocalLoss.mean_loss(y, raw_score, w)`` on the (n, K) raw scores CatBoost
    holds (which include a Pool's baseline).
    """

    __slots__ = ()

    @staticmethod
    def _raw_score(approxes):
        if len(approxes) < 3:
            raise ValueError(f"MulticlassFocalMetric got {len(approxes)} approxes per row: "
                             f"{_BINARY}")
        return np.column_stack(approxes)


_OBJECTIVES = (FocalObjective, MulticlassFocalObjective)
# The thread count fit gives a multi-class objective when the user sets none: CatBoost calls the
# Python objective per object with the GIL held, and its threads then only wait for each other
# (100k x 20, K = 5: 31 s at 1 thread vs 45 s at 2; benchmarks/bench_catboost_multiclass.py).
MULTICLASS_THREAD_COUNT = 1
_METRICS = {FocalObjective: FocalMetric, MulticlassFocalObjective: MulticlassFocalMetric}


# -- training with the focal start -----------------------------------------------------------
def fit(model, X, y=None, *, eval_set=None, start=None, **fit_params):
    """``model.fit(X, y, eval_set=..., **fit_params)``, started at the focal optimum.

    ``model`` is a ``CatBoost`` / ``CatBoostClassifier`` whose ``loss_function`` is a
    ``FocalObjective`` or ``MulticlassFocalObjective``. Training and eval sets start at the
    loss's ``init_score`` of the training labels and weights (passed as their baseline; a Pool
    that already has a baseline keeps it and the start is then 0), the start is stored in the
    model as its bias (``set_scale_and_bias``, a K-vector for K classes), so raw predictions,
    saved models and ``predict_proba`` below include it, and so is the loss (in the model's
    metadata). ``start`` (a float; K floats for multi-class) replaces the optimum (``start=0.0``:
    plain zero start, like XGBoost's ``base_score`` or LightGBM without ``init_score``). Unset
    ``eval_metric`` becomes the matching metric. Unset ``class_names`` becomes [0, 1] (binary),
    the sorted labels (multi-class ``CatBoostClassifier``: labels of any type) or 0..K-1
    (multi-class ``CatBoost``, whose labels must be class indices; K is the loss's number of
    classes if its ``gamma`` or ``alpha`` is per class, else the largest label + 1). Unset
    ``thread_count`` becomes ``MULTICLASS_THREAD_COUNT`` (1) for a multi-class objective: CatBoost
    calls it once per object holding the GIL, so more threads only contend (docs/speed-warmup.md).
    Returns ``model``.
    """
    if not isinstance(model, CatBoost):
        raise TypeError("model must be a CatBoost or CatBoostClassifier, got "
                        f"{type(model).__name__}")
    objective = _checked_params(model.get_params())
    if "init_model" in fit_params and fit_params["init_model"] is not None:
        raise ValueError("init_model is not supported by boostfocal.catboost.fit: CatBoost drops "
                         "the init model's bias (the focal start) when it continues training")
    if isinstance(X, Pool):
        if y is not None:
            raise ValueError("y must be None when X is a catboost.Pool (the Pool holds the labels)")
        if "baseline" in fit_params or "sample_weight" in fit_params:
            raise ValueError("baseline and sample_weight must be None when X is a catboost.Pool")
        labels, weights = X.get_label(), _pool_weights(X)
        given = _has_baseline(X)
    else:
        if y is None:
            raise ValueError("y is required when X is not a catboost.Pool")
        labels, weights = y, fit_params.get("sample_weight")
        given = fit_params.get("baseline") is not None
    if labels is None:
        raise ValueError("the training set has no labels")
    if isinstance(objective, MulticlassFocalObjective):
        labels, class_names, k = _class_indices(labels, model, objective.loss)
        if objective.loss.n_classes is None:  # K comes from the data: label rows carry it
            labels = np.eye(k)[labels]
    else:
        if np.asarray(labels).dtype.kind not in "biuf":
            raise TypeError(
                f"FocalObjective (binary) needs numeric labels 0/1 (or soft labels in [0, 1]), got "
                f"dtype {np.asarray(labels).dtype} with values {np.unique(labels)[:5].tolist()}: "
                "pass y == positive_label, or use FocalCatBoostClassifier, which maps any two "
                "labels")
        class_names = [0, 1] if _hard_binary(labels) else None
    optimum = objective.loss.init_score(labels, weights)  # also checks the labels
    start = _start(start, optimum, given)
    if _on_gpu(model.get_params()):  # everything the kernel needs, before CatBoost can abort
        baseline = X.get_baseline() if isinstance(X, Pool) else fit_params.get("baseline")
        _catboost_gpu.prepare(objective.loss, weights, (start, baseline))

    defaults = {}
    if (isinstance(objective, MulticlassFocalObjective)
            and model.get_params().get("thread_count") is None):
        defaults["thread_count"] = MULTICLASS_THREAD_COUNT
    if model.get_params().get("eval_metric") is None:
        defaults["eval_metric"] = _METRICS[type(objective)].from_loss(objective.loss)
    if model.get_params().get("class_names") is None and class_names is not None:
        defaults["class_names"] = class_names
    if _on_gpu(model.get_params()) and model.get_params()["task_type"] != "GPU":
        defaults["task_type"] = "GPU"  # CatBoost picks the GPU objective for "GPU" only
    if defaults:
        model.set_params(**defaults)

    global _fitting
    lent = []  # Pools given the start as baseline, reset afterwards: predict() adds a baseline
    _fitting += 1
    try:
        if isinstance(X, Pool):
            if not given:
                _lend_start(X, start, lent)
        elif not given:
            fit_params["baseline"] = _baseline(start, len(labels))
        if eval_set is not None:
            eval_set = _eval_pools(eval_set, start, X, fit_params, model, lent)
        model.fit(X, y, eval_set=eval_set, **fit_params)
    finally:
        _fitting -= 1
        for pool in lent:
            pool.set_baseline(_baseline(np.zeros_like(start), pool.num_row()))
    scale, bias = model.get_scale_and_bias()
    bias = np.add(bias, start)
    model.set_scale_and_bias(scale, bias.tolist() if bias.ndim else float(bias))
    model.get_metadata()[_stored.KEY] = _stored.dumps(objective.loss)
    return model


def train(pool, params, *, eval_set=None, **fit_params):
    """``catboost.train(pool, params, ...)`` through ``fit``: a ``CatBoost`` model with the focal
    start (see ``fit``). ``params["loss_function"]`` must be a ``FocalObjective`` or a
    ``MulticlassFocalObjective`` (labels: class indices)."""
    if not isinstance(params, Mapping):
        raise TypeError("params must be a dict of CatBoost parameters, got "
                        f"{type(params).__name__}")
    return fit(CatBoost(all_threads(params)), pool, eval_set=eval_set, **fit_params)


def all_threads(params):
    """``params`` (a copy) with a multi-class objective's ``thread_count=-1`` (all cores) written
    as the number of cores: CatBoost drops -1 from a model's parameters, and ``fit`` would then
    take it for unset."""
    params = dict(params)
    if (params.get("thread_count") == -1
            and isinstance(params.get("loss_function"), MulticlassFocalObjective)):
        params["thread_count"] = os.cpu_count() or 1
    return params


def predict_proba(model, data, loss=None, **predict_params):
    """Calibrated class probabilities, (n, 2) or (n, K): the loss's ``predict_proba`` of the raw
    scores.

    CatBoost's own ``predict_proba`` is sigmoid / softmax of the raw scores, which is the focal
    posterior only for gamma = 0 without class weights (it ranks rows the same way). ``loss`` (a
    ``FocalLoss`` / ``MulticlassFocalLoss`` or an objective holding one) defaults to the model's
    objective (``model`` is a CatBoost model or a ``FocalCatBoostClassifier``) or, for a model
    trained by ``fit`` and saved (cbm or json), to the loss stored in its metadata. ``data`` is a
    Pool or what ``model.predict`` takes; ``predict_params`` go to it (``ntree_end``, ...). The
    model predicts with every tree it holds: with an eval set CatBoost's default
    ``use_best_model`` already cut it at the best iteration.
    """
    model = getattr(model, "booster_", model)  # a FocalCatBoostClassifier's
    if loss is None:
        loss = _model_loss(model)
    loss = _stored.resolve(loss, None, "", "")
    raw = model.predict(data, prediction_type="RawFormulaVal", **predict_params)
    return loss.predict_proba(np.asarray(raw, dtype=np.float64))


# -- helpers ---------------------------------------------------------------------------------
def _checked_params(params):
    """The objective of ``params``, after rejecting what cannot run with it."""
    objective = params.get("loss_function")
    if not isinstance(objective, _OBJECTIVES):
        raise TypeError("loss_function must be a boostfocal.catboost.FocalObjective or "
                        f"MulticlassFocalObjective, got {objective!r}")
    if _on_gpu(params) and isinstance(objective, MulticlassFocalObjective):
        raise ValueError(_GPU)
    if params.get("boost_from_average"):
        raise ValueError("boost_from_average=True: CatBoost refuses it for custom objectives; "
                         "boostfocal.catboost.fit starts at the loss's init_score instead")
    for key in ("class_weights", "auto_class_weights", "scale_pos_weight"):
        if params.get(key) not in (None, "None"):
            raise ValueError(f"{key}={params[key]!r}: CatBoost does not apply class weights to a "
                             "custom objective (it ignores them or refuses them); use "
                             "FocalObjective(alpha=...) or (pos_weight=...), "
                             "MulticlassFocalObjective(alpha=[...]), or sample weights")
    metric = params.get("eval_metric")
    if isinstance(metric, tuple(_METRICS.values())) and metric.loss != objective.loss:
        raise ValueError(f"eval_metric {metric!r} and loss_function {objective!r} differ: early "
                         "stopping would watch another loss than the one trained")
    return objective


def _on_gpu(params):
    return str(params.get("task_type", "CPU")).upper() == "GPU"


def _class_indices(labels, model, loss):
    """(class indices, the class_names CatBoost needs or None to keep the model's, K).

    With ``class_names`` set, a label's index is its position there (CatBoost's mapping);
    a ``CatBoostClassifier`` without them gets the sorted labels; a ``CatBoost`` takes labels
    that are class indices 0..K-1.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"y must hold one class label per row, got shape {labels.shape}")
    names = model.get_params().get("class_names")
    values, inverse = np.unique(labels, return_inverse=True)
    count = model.get_params().get("classes_count")
    if count is not None:
        expected = len(names) if names is not None else len(values)
        if count != expected:
            raise ValueError(
                f"classes_count = {count} but the training labels hold {len(values)} classes"
                + " "
                + (f"and class_names {len(names)}" if names is not None else "").rstrip()
                + ": with a custom objective CatBoost trains exactly the classes of the training "
                "labels; set classes_count to that number or leave it unset")
    if names is not None:
        position = {name: i for i, name in enumerate(names)}
        missing = [v for v in values.tolist() if v not in position]
        if missing:
            raise ValueError(f"labels {missing[:5]} are not in class_names {list(names)}")
        absent = [n for n in names if n not in set(values.tolist())]
        if absent:
            raise ValueError(
                f"class_names {list(names)} include classes absent from the training labels: "
                f"{absent[:5]}; with a custom objective CatBoost keeps one raw score per class "
                "present in the training labels only, so remove them from class_names (or add "
                "rows of those classes)")
        indices, num_class = np.array([position[v] for v in values.tolist()])[inverse], len(names)
        names = None
    elif isinstance(model, CatBoostClassifier):
        indices, num_class, names = inverse, len(values), values.tolist()
    else:
        if values.dtype.kind not in "biuf" or not (
                np.all(np.isfinite(values)) and np.all(values == np.round(values))
                and values[0] >= 0):
            raise ValueError("y must hold class indices 0, 1, ..., K-1 for a CatBoost model "
                             f"(got {values[:5].tolist()}...); use CatBoostClassifier for labels "
                             "of other types")
        num_class = loss.n_classes or int(values[-1]) + 1
        indices, names = labels.astype(np.intp), list(range(num_class))
    if num_class < 3:
        raise ValueError(f"{num_class} classes: {_BINARY}")
    if loss.n_classes not in (None, num_class):
        raise ValueError(f"the loss's alpha / gamma give {loss.n_classes} classes but CatBoost "
                         f"would train {num_class}: set class_names (all {loss.n_classes})")
    return indices, names, num_class


def _start(start, optimum, given):
    """The start raw score(s): the optimum, ``start`` (checked), or 0 with a given baseline."""
    if start is not None:
        if np.ndim(optimum) == 0:
            start = check.real("start", start)
        else:
            start = np.asarray(start, dtype=np.float64) if not isinstance(start, str) else start
            if not (isinstance(start, np.ndarray) and start.shape == np.shape(optimum)
                    and np.all(np.isfinite(start))):
                raise ValueError(f"start must be {np.size(optimum)} finite numbers (one per "
                                 f"class), got {start!r}")
        if given and np.any(start != 0.0):
            raise ValueError("start must be None or 0 when the training data has a baseline "
                             "(the baseline is the start)")
    if given:
        return np.zeros_like(optimum) if np.ndim(optimum) else 0.0
    return optimum if start is None else start


def _baseline(start, n):
    """The start for n rows: (n,) for one raw score per row, (n, K) for K."""
    return np.tile(np.asarray(start, dtype=np.float64), (n, 1)) if np.ndim(start) else \
        np.full(n, start)


def _pool_weights(pool):
    w = np.asarray(pool.get_weight(), dtype=np.float64)
    return None if w.size == 0 or np.all(w == 1.0) else w


def _has_baseline(pool):
    b = pool.get_baseline()
    return b is not None and np.size(b) > 0 and bool(np.any(np.asarray(b) != 0.0))


def _hard_binary(labels):
    y = np.asarray(labels, dtype=np.float64)
    return bool(np.all((y == 0.0) | (y == 1.0)))


def _lend_start(pool, start, lent):
    if np.any(np.asarray(start) != 0.0) and not _has_baseline(pool):
        pool.set_baseline(_baseline(start, pool.num_row()))
        lent.append(pool)


def _eval_pools(eval_set, start, X, fit_params, model, lent):
    """Eval sets as Pools starting at ``start`` (a Pool without a baseline gets it for the fit)."""
    single = isinstance(eval_set, (Pool, tuple))
    sets = [eval_set] if single else list(eval_set)
    features = {}
    for key in ("cat_features", "text_features", "embedding_features"):
        value = fit_params.get(key, model.get_params().get(key))
        if value is None and isinstance(X, Pool):
            value = getattr(X, f"get_{key[:-1]}_indices", lambda: None)() or None
        if value is not None:
            features[key] = value
    pools = []
    for item in sets:
        if isinstance(item, Pool):
            _lend_start(item, start, lent)
            pools.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            pools.append(Pool(item[0], item[1], baseline=_baseline(start, len(item[1])),
                              **features))
        else:
            raise TypeError("eval_set must be a Pool, an (X, y) tuple or a list of them, got "
                            f"{type(item).__name__}")
    return pools[0] if single else pools


def _model_loss(model):
    if not isinstance(model, CatBoost):
        raise TypeError(f"model must be a CatBoost model, got {type(model).__name__}")
    objective = model.get_params().get("loss_function")
    if isinstance(objective, _OBJECTIVES):
        return objective.loss
    stored = model.get_metadata().get(_stored.KEY) if model.is_fitted() else None
    return _stored.resolve(None, stored, "this CatBoost model",
                           "Train it with boostfocal.catboost.fit, or pass "
                           "loss=FocalLoss(...) / MulticlassFocalLoss(...).")
