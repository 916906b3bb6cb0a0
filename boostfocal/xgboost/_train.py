"""Training with a focal objective: ``train`` (``xgb.train`` from the focal optimum, the loss stored
in the booster), ``dask_train``, and the device-resident loop's eligibility."""
from __future__ import annotations

import xgboost as xgb

from .. import _checks as check
from . import _gpu, _model, _resident
from ._facts import MULTICLASS, labels_weights
from ._objective import OBJECTIVES, FocalObjective


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
        the device instead of XGBoost's per-round copy to host memory (``_resident``); the
        model is the one ``xgb.train`` builds. On the CPU (numpy / pandas) the same loop runs,
        with no speed gain. What the loop cannot serve (DART, gblinear, distributed, features
        not on the booster's device, the multiclass objective) falls back to ``xgb.train``
        with a warning saying why.
    """
    if not isinstance(obj, OBJECTIVES):
        raise TypeError("obj must be a FocalObjective or MulticlassFocalObjective, got "
                        f"{type(obj).__name__}")
    num_boost_round = check.integer("num_boost_round", num_boost_round, low=0)
    params = obj.train_params(params, None)
    if kwargs.get("xgb_model") is None:
        if params.get("base_score") is None:
            params["base_score"] = obj.base_score(dtrain, num_class=params.get("num_class"))
        elif obj._family is MULTICLASS:  # still check the labels before the first round
            obj.loss.check_labels(*labels_weights(dtrain), num_class=params["num_class"])
    device = params.get("device")
    if getattr(obj, "device", False) is None and _gpu.ordinal(device) is not None:
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
        booster = _resident.train(params, dtrain, data, obj, num_boost_round, **kwargs)
    _model.store(booster, obj.loss)
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

    if not isinstance(obj, OBJECTIVES):
        raise TypeError("obj must be a FocalObjective or MulticlassFocalObjective, got "
                        f"{type(obj).__name__}")
    num_boost_round = check.integer("num_boost_round", num_boost_round, low=0)
    params = obj.train_params(params, labels, sample_weight)
    if params.get("base_score") is None and kwargs.get("xgb_model") is None:
        raise TypeError("dask_train needs labels= (the dask collection of labels the DaskDMatrix "
                        "was built from; sample_weight= too if it has weights) to start at the "
                        "focal optimum, or a base_score in params")
    out = dxgb.train(client, params, dtrain, num_boost_round, obj=obj, **kwargs)
    _model.store(out["booster"], obj.loss)
    return out


def _resident_unsupported(params, dtrain, data, obj=None):
    """Why the device-resident loop cannot serve this call, or None."""
    on_gpu = _gpu.ordinal(params.get("device")) is not None
    module = type(data).__module__.split(".")[0]
    if on_gpu != (module in ("cupy", "cudf")):
        where = "GPU" if on_gpu else "CPU"
        return (f"the booster trains on the {where} but data is a {type(data).__name__} "
                f"({'host' if on_gpu else 'device'} memory); pass the features where training "
                "runs (CuPy/cuDF for device='cuda')")
    return _resident.unsupported(params, dtrain)
