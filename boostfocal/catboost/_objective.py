"""The CatBoost objective and metric classes (``calc_ders_range`` / ``calc_ders_multi``,
``evaluate``); every number comes from the loss (the multi-class per-row kernels from
``_catboost_kernels``, the GPU kernel from ``_catboost_gpu``)."""
from __future__ import annotations

import numbers

import numba
import numpy as np
from catboost import CatBoost, Pool

from .. import _catboost_gpu, _catboost_kernels
from .._adapter import (FocalParams, MulticlassFocalParams, booster_package, caller_module,
                        fitting_model, warn_once)
from ._facts import BINARY_ONLY, GPU_REFUSAL, ONE_SCORE

_fitting = 0  # how many boostfocal.catboost.fit calls are training now (the objective warns if 0)


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
        raise ValueError(GPU_REFUSAL)


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
                         f"two classes): {BINARY_ONLY}")


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
    if local.get("baseline") is None and not (isinstance(X, Pool) and has_baseline(X)):
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
            raise ValueError(f"FocalMetric got {len(approxes)} approxes per row: {BINARY_ONLY}")
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
        raise ValueError(f"CatBoost asked for one derivative per row: {ONE_SCORE}")


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
                             f"{ONE_SCORE}")
        return np.column_stack(approxes)


OBJECTIVES = (FocalObjective, MulticlassFocalObjective)
METRICS = {FocalObjective: FocalMetric, MulticlassFocalObjective: MulticlassFocalMetric}


def has_baseline(pool):
    b = pool.get_baseline()
    return b is not None and np.size(b) > 0 and bool(np.any(np.asarray(b) != 0.0))


class fitting:
    """Marks a ``boostfocal.catboost.fit`` in progress (the objectives then do not warn)."""

    def __enter__(self):
        global _fitting
        _fitting += 1

    def __exit__(self, *exc):
        global _fitting
        _fitting -= 1
