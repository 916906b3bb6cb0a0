"""``fit`` / ``train``: CatBoost training from the focal-optimal constant (the Pools' baseline
during training, then the model's bias), the loss stored in the model's metadata."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from catboost import CatBoost, CatBoostClassifier, Pool

from .. import _catboost_gpu, _stored
from .. import _checks as check
from .._cpus import usable_cpus
from ._facts import GPU_REFUSAL, MULTICLASS_THREAD_COUNT, ONE_SCORE, on_gpu
from ._objective import METRICS, OBJECTIVES, MulticlassFocalObjective, has_baseline, fitting


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
    objective = checked_params(model.get_params())
    if "init_model" in fit_params and fit_params["init_model"] is not None:
        raise ValueError("init_model is not supported by boostfocal.catboost.fit: CatBoost drops "
                         "the init model's bias (the focal start) when it continues training")
    if isinstance(X, Pool):
        if y is not None:
            raise ValueError("y must be None when X is a catboost.Pool (the Pool holds the labels)")
        if "baseline" in fit_params or "sample_weight" in fit_params:
            raise ValueError("baseline and sample_weight must be None when X is a catboost.Pool")
        labels, weights = X.get_label(), _pool_weights(X)
        given = has_baseline(X)
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
    if on_gpu(model.get_params()):  # everything the kernel needs, before CatBoost can abort
        baseline = X.get_baseline() if isinstance(X, Pool) else fit_params.get("baseline")
        _catboost_gpu.prepare(objective.loss, weights, (start, baseline))

    defaults = {}
    if (isinstance(objective, MulticlassFocalObjective)
            and model.get_params().get("thread_count") is None):
        defaults["thread_count"] = MULTICLASS_THREAD_COUNT
    if model.get_params().get("eval_metric") is None:
        defaults["eval_metric"] = METRICS[type(objective)].from_loss(objective.loss)
    if model.get_params().get("class_names") is None and class_names is not None:
        defaults["class_names"] = class_names
    if on_gpu(model.get_params()) and model.get_params()["task_type"] != "GPU":
        defaults["task_type"] = "GPU"  # CatBoost picks the GPU objective for "GPU" only
    if defaults:
        model.set_params(**defaults)

    lent = []  # Pools given the start as baseline, reset afterwards: predict() adds a baseline
    try:
        with fitting():
            if isinstance(X, Pool):
                if not given:
                    _lend_start(X, start, lent)
            elif not given:
                fit_params["baseline"] = _baseline(start, len(labels))
            if eval_set is not None:
                eval_set = _eval_pools(eval_set, start, X, fit_params, model, lent)
            model.fit(X, y, eval_set=eval_set, **fit_params)
    finally:
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
        params["thread_count"] = usable_cpus()
    return params


def checked_params(params):
    """The objective of ``params``, after rejecting what cannot run with it."""
    objective = params.get("loss_function")
    if not isinstance(objective, OBJECTIVES):
        raise TypeError("loss_function must be a boostfocal.catboost.FocalObjective or "
                        f"MulticlassFocalObjective, got {objective!r}")
    if on_gpu(params) and isinstance(objective, MulticlassFocalObjective):
        raise ValueError(GPU_REFUSAL)
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
    if isinstance(metric, tuple(METRICS.values())) and metric.loss != objective.loss:
        raise ValueError(f"eval_metric {metric!r} and loss_function {objective!r} differ: early "
                         "stopping would watch another loss than the one trained")
    return objective


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
        raise ValueError(f"{num_class} classes: {ONE_SCORE}")
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


def _hard_binary(labels):
    y = np.asarray(labels, dtype=np.float64)
    return bool(np.all((y == 0.0) | (y == 1.0)))


def _lend_start(pool, start, lent):
    if np.any(np.asarray(start) != 0.0) and not has_baseline(pool):
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
