"""ONNX export that keeps the calibration: the tree ensemble, then the focal posterior as ONNX
operators.

``to_onnx(model, X)`` converts the trees with the established converters (onnxmltools for XGBoost
and LightGBM, CatBoost's own ``save_model(format="onnx")``), keeps them as one
``TreeEnsembleRegressor`` that outputs the raw scores (start included), and appends the loss's
posterior in float64: ``_math.posterior`` / ``_multiclass_math.posterior`` themselves, bound by
``_bind.bind`` to ONNX operators (``_ops.Ops``) instead of numpy ufuncs, so the math has one
source. Outputs: ``label`` and ``probabilities`` (float32, like ``predict_proba``). Needs the
``[onnx]`` extra. Limits and the recipe: docs/deployment.md.
"""
from __future__ import annotations

import numpy as np

from .. import _stored
from ..loss import FocalLoss
from . import _trees
from ._ops import Builder
from ._posterior import posterior

OPSET = 17  # ai.onnx; onnxruntime >= 1.13 runs it
ML_OPSET = 3  # ai.onnx.ml (TreeEnsembleRegressor's attributes are the same since version 1)


def to_onnx(model, X, *, loss=None, name="boostfocal"):
    """An ``onnx.ModelProto`` computing ``predict(X)`` and ``predict_proba(X)`` of ``model``.

    ``model``: a fitted ``FocalXGBClassifier`` / ``FocalLGBMClassifier`` /
    ``FocalCatBoostClassifier``, or a native ``xgboost.Booster``, ``lightgbm.Booster`` or CatBoost
    model trained by boostfocal (its stored loss is read; ``loss=`` overrides it, and a booster
    trained otherwise needs it). ``X``: the number of features or a sample of the input (its
    column count is used). The graph has one input ``X`` (float32, (n, n_features), features in
    training order; NaN is missing) and two outputs: ``label`` ((n,): an estimator's
    ``classes_``, a booster's class index) and ``probabilities`` ((n, K) float32: the focal
    posterior of the raw scores, as ``predict_proba``). Raises ValueError naming the reason for
    what cannot be exported (DART, linear boosters, categorical splits, no stored loss).
    """
    _trees.require()
    n_features = _trees.n_features(X)
    est = model if hasattr(type(model), "_proba_loss") else None  # a boostfocal estimator
    if est is not None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(est, "init_score_")
        booster = est.booster_
    else:  # XGBClassifier / LGBMClassifier wrap a booster (their loss must be given)
        booster = (model.get_booster() if hasattr(model, "get_booster")
                   else getattr(model, "booster_", model))
    if est is not None:
        frame = getattr(est, "_frame", None)
        if frame is not None and list(frame.columns):
            raise ValueError(f"cannot export to ONNX: the model was fitted on categorical columns "
                             f"{list(frame.columns)} (their encoding happens in Python, outside "
                             "the trees); encode them as numbers before fitting")
        if loss is None:
            loss = est._proba_loss()
        classes = np.asarray(est.classes_)
    else:
        classes = None
    kind = _trees.booster_kind(booster)
    loss = _stored.resolve(loss, _trees.stored_text(kind, booster) if loss is None else None,
                           f"this {kind} model", "Pass loss=FocalLoss(...) / "
                           "MulticlassFocalLoss(...) (the loss it was trained with).")
    outputs = _trees.n_outputs(kind, booster, n_features)  # raw scores per row: 1 binary, K multiclass
    binary = isinstance(loss, FocalLoss)
    if binary != (outputs == 1):
        raise ValueError(f"the model gives {outputs} raw score(s) per row, so it needs "
                         f"{'FocalLoss' if outputs == 1 else 'MulticlassFocalLoss'}; got "
                         f"{type(loss).__name__}")
    k = 2 if binary else outputs
    if not binary and loss.n_classes not in (None, k):
        raise ValueError(f"loss has K = {loss.n_classes} classes but the model has {k}")
    if classes is None:
        classes = np.arange(k)
    if len(classes) != k:
        raise ValueError(f"the model has {k} classes but classes_ holds {len(classes)}")
    attrs = _trees.ensemble(kind, booster, n_features, outputs)
    return _graph(attrs, loss, k, classes, n_features, name)


def _label_tensor(classes):
    """classes_ as an ONNX constant type: int64, float64, bool or string."""
    kind = classes.dtype.kind
    if kind in "iu":
        return classes.astype(np.int64)
    if kind == "f":
        return classes.astype(np.float64)
    if kind == "b":
        return classes.astype(bool)
    if kind in "UO" and all(isinstance(c, str) for c in classes.tolist()):
        return np.array(classes.tolist(), dtype=object)
    raise TypeError(f"classes_ of dtype {classes.dtype} cannot be ONNX labels (int, float, bool "
                    "or str only)")


def _graph(attrs, loss, k, classes, n_features, name):
    """X -> TreeEnsembleRegressor (raw scores) -> float64 posterior -> label, probabilities."""
    from onnx import TensorProto, helper

    b = Builder()
    binary = isinstance(loss, FocalLoss)
    targets = 1 if binary else k
    tree = dict(attrs, n_targets=targets, post_transform="NONE", aggregate_function="SUM")
    raw = b.op("TreeEnsembleRegressor", "X", domain="ai.onnx.ml", **tree)
    z = b.op("Cast", raw, to=TensorProto.DOUBLE)
    labels = _label_tensor(classes)
    if binary:
        eta = posterior(b, z, loss, k)
        proba = b.op("Concat", b.op("Sub", b.const(1.0), eta), eta, axis=1)
        index = b.op("Cast", b.op("Greater", b.op("Squeeze", eta, b.const([1], np.int64)),
                                  b.const(0.5)), to=TensorProto.INT64)
    else:
        proba = posterior(b, z, loss, k)
        index = b.op("ArgMax", proba, axis=1, keepdims=0)
    b.nodes.append(helper.make_node("Cast", [proba], ["probabilities"], to=TensorProto.FLOAT))
    b.nodes.append(helper.make_node("Gather", [b.const(labels, labels.dtype), index], ["label"],
                                    axis=0))
    b.prune(["label", "probabilities"])
    elem = {"i": TensorProto.INT64, "f": TensorProto.DOUBLE, "b": TensorProto.BOOL,
            "O": TensorProto.STRING}[labels.dtype.kind]
    graph = helper.make_graph(
        b.nodes, name, [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, n_features])],
        [helper.make_tensor_value_info("label", elem, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, k])],
        initializer=b.inits)
    model = helper.make_model(graph, producer_name="boostfocal",
                              opset_imports=[helper.make_opsetid("", OPSET),
                                             helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    model.ir_version = 8  # onnxruntime >= 1.13 reads it
    helper.set_model_props(model, {_stored.KEY: _stored.dumps(loss)})
    import onnx

    onnx.checker.check_model(model)
    return model
