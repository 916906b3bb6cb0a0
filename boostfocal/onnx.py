"""ONNX export that keeps the calibration: the tree ensemble, then the focal posterior as ONNX
operators.

``to_onnx(model, X)`` converts the trees with the established converters (onnxmltools for XGBoost
and LightGBM, CatBoost's own ``save_model(format="onnx")``), keeps them as one
``TreeEnsembleRegressor`` that outputs the raw scores (start included), and appends the loss's
posterior (``_math.posterior`` / ``_multiclass_math.posterior``, written again here as graph
nodes, in float64). Outputs: ``label`` and ``probabilities`` (float32, like ``predict_proba``).
Needs the ``[onnx]`` extra. Limits and the recipe: docs/deployment.md.
"""
from __future__ import annotations

import os
import re
import tempfile

import numpy as np

from . import _stored
from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss

OPSET = 17  # ai.onnx; onnxruntime >= 1.13 runs it
ML_OPSET = 3  # ai.onnx.ml (TreeEnsembleRegressor's attributes are the same since version 1)
_TINY = 1e-300  # as _math.TINY / _multiclass_math.TINY
_LOG_FLOOR = 1e300  # as _multiclass_math.LOG_FLOOR
_CONVERTER_OPSET = 15  # the highest onnxmltools' tree converters accept


def _require():
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise ImportError("boostfocal.onnx needs the onnx extra: pip install "
                          "'boostfocal[onnx]' (onnx, onnxmltools, onnxruntime)") from exc


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
    _require()
    n_features = _n_features(X)
    est = model if hasattr(model, "classes_") and hasattr(model, "booster_") else None
    booster = model.booster_ if est is not None else model
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
    kind = _kind(booster)
    reader = {"xgboost": _xgboost, "lightgbm": _lightgbm, "catboost": _catboost}[kind]
    loss = _stored.resolve(loss, _stored_text(kind, booster) if loss is None else None,
                           f"this {kind} model", "Pass loss=FocalLoss(...) / "
                           "MulticlassFocalLoss(...) (the loss it was trained with).")
    outputs = _n_outputs(kind, booster, n_features)  # raw scores per row: 1 binary, K multiclass
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
    attrs = reader(booster, n_features, outputs)
    return _graph(attrs, loss, k, classes, n_features, name)


# -- the boosters --------------------------------------------------------------------------
def _kind(booster):
    module = type(booster).__module__.split(".")[0]
    if module in ("xgboost", "lightgbm", "catboost"):
        return module
    raise TypeError(f"model must be a boostfocal estimator, an xgboost.Booster, a "
                    f"lightgbm.Booster or a CatBoost model, got {type(booster).__name__}")


def _stored_text(kind, booster):
    if kind == "xgboost":
        return booster.attr(_stored.KEY)
    if kind == "lightgbm":
        from .lightgbm import _stored_text as text

        return text(booster)
    from .catboost import _model_loss

    try:  # the live objective, or the metadata of a saved model
        return _stored.dumps(_model_loss(booster))
    except ValueError:
        return None


def _n_outputs(kind, booster, n_features):
    """The number of raw scores per row (1: binary, K: multiclass)."""
    if kind == "xgboost":
        import json

        n = max(int(json.loads(booster.save_config())["learner"]["learner_model_param"]
                    ["num_class"]), 1)
    elif kind == "lightgbm":
        n = booster.num_model_per_iteration()
    else:
        if not booster.is_fitted():
            raise ValueError("the CatBoost model is not fitted")
        _check_features(len(booster.feature_names_), n_features)
        cats = booster.get_cat_feature_indices()
        if cats:
            raise ValueError(f"cannot export to ONNX: the CatBoost model has categorical "
                             f"features {cats} (CatBoost's ONNX export does not support them)")
        raw = np.asarray(booster.predict(np.zeros((1, n_features)),
                                         prediction_type="RawFormulaVal"))
        n = raw.shape[1] if raw.ndim == 2 else 1
    return int(n)


def _n_features(X):
    if isinstance(X, (int, np.integer)) and not isinstance(X, (bool, np.bool_)):
        n = int(X)
    else:
        shape = getattr(X, "shape", None) or np.shape(X)
        if len(shape) != 2:
            raise ValueError(f"X must be the number of features or a 2-D sample, got shape "
                             f"{shape}")
        n = int(shape[1])
    if n < 1:
        raise ValueError(f"X must give n_features >= 1, got {n}")
    return n


def _check_features(n_model, n_features):
    if n_model != n_features:
        raise ValueError(f"X has {n_features} features but the model was trained on {n_model}")


def _tree_attrs(model_proto, targets):
    """The converter's tree-ensemble node as TreeEnsembleRegressor attributes (raw scores)."""
    import onnx

    nodes = [n for n in model_proto.graph.node if n.op_type.startswith("TreeEnsemble")]
    if len(nodes) != 1:
        raise ValueError(f"the converter produced {len(nodes)} tree-ensemble nodes (expected 1)")
    rename = {"class_ids": "target_ids", "class_nodeids": "target_nodeids",
              "class_treeids": "target_treeids", "class_weights": "target_weights"}
    attrs = {}
    for a in nodes[0].attribute:
        if a.name.startswith("nodes_") or a.name in ("base_values",) or a.name in rename \
                or a.name.startswith("target_"):
            attrs[rename.get(a.name, a.name)] = onnx.helper.get_attribute_value(a)
        elif a.name.endswith("_as_tensor"):
            raise ValueError(f"the converter wrote {a.name} (double precision); not supported")
    ids = attrs.get("target_ids", [])
    if len(ids) and max(ids) + 1 > targets:
        raise ValueError(f"the converter's trees write {max(ids) + 1} outputs, expected {targets}")
    base = list(attrs.get("base_values", [])) or [0.0] * targets
    attrs["base_values"] = base
    return attrs


def _converter_input(n_features):
    from onnxmltools.convert.common.data_types import FloatTensorType

    return [("X", FloatTensorType([None, n_features]))]


def _xgboost(booster, n_features, targets):
    import json

    import onnxmltools
    import xgboost as xgb

    config = json.loads(booster.save_config())
    name = config["learner"]["gradient_booster"]["name"]
    if name != "gbtree":
        raise ValueError(f"cannot export to ONNX: an XGBoost {name!r} booster (DART weights "
                         "trees at prediction and gblinear has no trees; only gbtree converts)")
    _check_features(booster.num_features(), n_features)
    best = booster.attr("best_iteration")
    if best is not None and int(best) + 1 < booster.num_boosted_rounds():
        booster = booster[:int(best) + 1]  # what predict_proba uses
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    if any(len(t.get("categories", [])) for t in trees):
        raise ValueError("cannot export to ONNX: the XGBoost model has categorical splits, which "
                         "onnxmltools does not convert; encode categories as numbers")
    if booster.feature_names is not None:  # the converter wants f0, f1, ...
        booster = booster.copy()
        booster.feature_names = None
        booster.feature_types = None
    proto = onnxmltools.convert_xgboost(booster, initial_types=_converter_input(n_features),
                                        target_opset=_CONVERTER_OPSET)
    attrs = _tree_attrs(proto, targets)
    # the start margin(s): XGBoost's meaning of base_score differs by objective and version, so it
    # is measured: a given base_margin replaces base_score, the difference is the intercept
    zero = np.zeros((1, n_features), dtype=np.float32)
    with_base = booster.predict(xgb.DMatrix(zero), output_margin=True)
    no_base = booster.predict(xgb.DMatrix(zero, base_margin=np.zeros_like(with_base)),
                              output_margin=True)
    attrs["base_values"] = [float(v) for v in np.ravel(with_base - no_base).astype(np.float64)]
    return attrs


_LGB_OBJECTIVE = re.compile(r"^objective=.*$", re.M)


def _lightgbm(booster, n_features, targets):
    import lightgbm as lgb
    import onnxmltools

    _check_features(booster.num_feature(), n_features)
    text = booster.model_to_string()
    header = text.split("\nTree=", 1)[0]
    if re.search(r"^\[boosting: dart\]", text, re.M):
        raise ValueError("cannot export to ONNX: a LightGBM DART model (only gbdt converts "
                         "exactly)")
    if re.search(r"^num_cat=[1-9]", text, re.M):
        raise ValueError("cannot export to ONNX: the LightGBM model has categorical splits; "
                         "encode categories as numbers (or train without categorical_feature)")
    if "linear_tree=1" in text or re.search(r"^is_linear=1", text, re.M):
        raise ValueError("cannot export to ONNX: LightGBM linear trees do not convert")
    # onnxmltools refuses a custom objective's model (no objective line, or 'none' / 'custom'):
    # the same trees under a built-in objective of the same output shape convert, and only their
    # raw scores are kept
    line = "objective=" + ("regression" if targets == 1 else
                           f"multiclass num_class:{targets}")
    if _LGB_OBJECTIVE.search(header):
        header = _LGB_OBJECTIVE.sub(line, header, count=1)
    elif re.search(r"^max_feature_idx=.*$", header, re.M):
        header = re.sub(r"^(max_feature_idx=.*)$", lambda m: m.group(1) + "\n" + line, header,
                        count=1, flags=re.M)
    else:
        raise ValueError("the LightGBM model text has no header to convert")
    text = header + text[len(text.split("\nTree=", 1)[0]):]
    text = re.sub(r"^\[objective: .*\]$", "[" + line.replace("=", ": ", 1) + "]", text, count=1,
                  flags=re.M)  # the parameters block, which onnxmltools reads first
    best = booster.best_iteration if booster.best_iteration > 0 else None
    copy = lgb.Booster(model_str=text)
    if best is not None:  # what predict_proba uses by default
        copy = lgb.Booster(model_str=copy.model_to_string(num_iteration=best))
    proto = onnxmltools.convert_lightgbm(copy, initial_types=_converter_input(n_features),
                                         target_opset=_CONVERTER_OPSET, zipmap=False)
    return _tree_attrs(proto, targets)


def _catboost(model, n_features, targets):
    import onnx

    # fitted, feature count and categorical features were checked by _n_outputs
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        try:
            model.save_model(path, format="onnx")
        except Exception as exc:  # CatBoostError: text / embedding features, non-oblivious trees
            raise ValueError(f"cannot export to ONNX: CatBoost's ONNX export refused the model: "
                             f"{exc}") from exc
        proto = onnx.load(path)
    return _tree_attrs(proto, targets)


# -- the graph -------------------------------------------------------------------------------
class _Builder:
    """Collects nodes and constants (float64 unless stated) with fresh names."""

    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, dtype=np.float64, hint="c"):
        from onnx import numpy_helper

        out = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), out))
        return out

    def op(self, op_type, *inputs, hint=None, domain=None, **attrs):
        from onnx import helper

        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], domain=domain, **attrs))
        return out

    def __call__(self, op_type, *inputs, **attrs):
        return self.op(op_type, *inputs, **attrs)

    def log1p(self, x):
        """log(1 + x) to full precision for x >= 0: log(u) x / (u - 1), u = 1 + x (x where u = 1)."""
        u = self("Add", x, self.const(1.0))
        d = self("Sub", u, self.const(1.0))
        safe = self("Where", self("Equal", d, self.const(0.0)), self.const(1.0), d)
        ratio = self("Div", self("Mul", self("Log", u), x), safe)
        return self("Where", self("Equal", d, self.const(0.0)), x, ratio)


def _binary_power(b, x, log_x, g):
    """x^g as _backends' power: x^g for g in {0, 1, 2, 3}, else exp(g max(log x, -800 / g))."""
    if g == 0.0:
        return b.const(1.0)  # broadcasts
    if g in (1.0, 2.0, 3.0):
        return b("Pow", x, b.const(g))
    return b("Exp", b("Mul", b.const(g), b("Max", log_x, b.const(-800.0 / g))))


def _binary_posterior(b, z, loss):
    """eta(z) = G0 / (G0 - G1) (``_math.posterior``), label smoothing undone; z (n, 1)."""
    a, bb, g = loss.a, loss.b, loss.gamma
    e = b("Exp", b("Neg", b("Abs", z)))
    l1p = b.log1p(e)
    r = b("Reciprocal", b("Add", e, b.const(1.0)))
    pos = b("GreaterOrEqual", z, b.const(0.0))
    er = b("Mul", e, r)
    p = b("Where", pos, r, er)
    q = b("Where", pos, er, r)
    log_p = b("Neg", b("Add", b("Max", b("Neg", z), b.const(0.0)), l1p))
    log_q = b("Neg", b("Add", b("Max", z, b.const(0.0)), l1p))
    pg, qg = _binary_power(b, p, log_p, g), _binary_power(b, q, log_q, g)
    # G1 = -a q^g (q - g p log p), G0 = b p^g (p - g q log q)
    inner1 = b("Sub", q, b("Mul", b.const(g), b("Mul", p, log_p)))
    inner0 = b("Sub", p, b("Mul", b.const(g), b("Mul", q, log_q)))
    g1 = b("Mul", b.const(-a), b("Mul", qg, inner1))
    g0 = b("Mul", b.const(bb), b("Mul", pg, inner0))
    eta = b("Div", g0, b("Max", b("Sub", g0, g1), b.const(_TINY)))
    eps = loss.label_smoothing
    if eps:
        eta = b("Div", b("Sub", eta, b.const(0.5 * eps)), b.const(1.0 - eps))
        eta = b("Clip", eta, b.const(0.0), b.const(1.0))
    return eta


def _multiclass_posterior(b, z, loss, k):
    """eta_c = (p_c / F_c) / sum_k p_k / F_k (``_multiclass_math.posterior``), label smoothing
    undone; z (n, K)."""
    alpha, gamma, _ = loss._vectors(k)
    av, gv = b.const(alpha.reshape(1, k)), b.const(gamma.reshape(1, k))
    zmax = b("ReduceMax", z, axes=[1], keepdims=1)
    m = b("ArgMax", z, axis=1, keepdims=1, select_last_index=0)  # the first maximum
    mask = b("Equal", m, b.const(np.arange(k).reshape(1, k), np.int64))
    shifted = b("Sub", z, zmax)
    e = b("Exp", shifted)
    s1 = b("ReduceSum", b("Where", mask, b.const(0.0), e), b.const([1], np.int64), keepdims=1)
    log_s = b.log1p(s1)
    big = b("Add", s1, b.const(1.0))
    p = b("Div", e, big)
    s = b("Div", b("Where", mask, s1, b("Sub", big, e)), big)
    lg = b("Max", b("Sub", shifted, log_s), b.const(-_LOG_FLOOR))
    sg = b("Pow", s, gv)
    r = b("Div", lg, b("Max", s, b.const(_TINY)))
    f = b("Mul", b("Mul", av, sg), b("Sub", b.const(1.0), b("Mul", b("Mul", gv, p), r)))
    u = b("Div", p, b("Max", f, b.const(_TINY)))
    axis = b.const([1], np.int64)
    eta = b("Div", u, b("ReduceSum", u, axis, keepdims=1))
    eps = loss.label_smoothing
    if eps:
        eta = b("Max", b("Div", b("Sub", eta, b.const(eps / k)), b.const(1.0 - eps)),
                b.const(0.0))
        eta = b("Div", eta, b("ReduceSum", eta, axis, keepdims=1))
    return eta


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

    b = _Builder()
    binary = isinstance(loss, FocalLoss)
    targets = 1 if binary else k
    tree = dict(attrs, n_targets=targets, post_transform="NONE", aggregate_function="SUM")
    raw = b.op("TreeEnsembleRegressor", "X", hint="raw_score", domain="ai.onnx.ml", **tree)
    z = b("Cast", raw, to=TensorProto.DOUBLE)
    labels = _label_tensor(classes)
    if binary:
        eta = _binary_posterior(b, z, loss)
        proba = b("Concat", b("Sub", b.const(1.0), eta), eta, axis=1)
        index = b("Cast", b("Greater", b("Squeeze", eta, b.const([1], np.int64)), b.const(0.5)),
                  to=TensorProto.INT64)
    else:
        proba = _multiclass_posterior(b, z, loss, k)
        index = b("ArgMax", proba, axis=1, keepdims=0)
    b.nodes.append(helper.make_node("Cast", [proba], ["probabilities"], to=TensorProto.FLOAT))
    label_const = b.const(labels, labels.dtype)
    b.nodes.append(helper.make_node("Gather", [label_const, index], ["label"], axis=0))
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
