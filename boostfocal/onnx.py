"""ONNX export that keeps the calibration: the tree ensemble, then the focal posterior as ONNX
operators.

``to_onnx(model, X)`` converts the trees with the established converters (onnxmltools for XGBoost
and LightGBM, CatBoost's own ``save_model(format="onnx")``), keeps them as one
``TreeEnsembleRegressor`` that outputs the raw scores (start included), and appends the loss's
posterior in float64: ``_math.posterior`` / ``_multiclass_math.posterior`` themselves, bound by
``_bind.bind`` to ONNX operators (``_Ops``) instead of numpy ufuncs, so the math has one
source. Outputs: ``label`` and ``probabilities`` (float32, like ``predict_proba``). Needs the
``[onnx]`` extra. Limits and the recipe: docs/deployment.md.
"""
from __future__ import annotations

import os
import re
import tempfile

import numpy as np

from . import _stored
from .loss import FocalLoss

OPSET = 17  # ai.onnx; onnxruntime >= 1.13 runs it
ML_OPSET = 3  # ai.onnx.ml (TreeEnsembleRegressor's attributes are the same since version 1)
_CONVERTER_OPSET = 15  # the highest onnxmltools' tree converters accept


def _require(module="onnx"):
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"boostfocal.onnx needs {module}: pip install 'boostfocal[onnx]' "
                          "(onnx, onnxmltools, onnxruntime)") from exc


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
    """The loss stored in a native model: each adapter's ``_model`` reads its own storage."""
    import importlib

    return importlib.import_module(f"boostfocal.{kind}._model").stored_text(booster)


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

    _require("onnxmltools")
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

    _require("onnxmltools")
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
    """Collects ONNX nodes and constants with fresh names."""

    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, dtype=np.float64):
        from onnx import numpy_helper

        out = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), out))
        return out

    def op(self, op_type, *inputs, domain=None, **attrs):
        from onnx import helper

        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], domain=domain, **attrs))
        return out

    def prune(self, outputs):
        """Drop the nodes and constants no output depends on (the bound formulas also form
        terms that the posterior does not use)."""
        needed, kept = set(outputs), []
        for node in reversed(self.nodes):
            if needed.intersection(node.output):
                kept.append(node)
                needed.update(node.input)
        self.nodes = kept[::-1]
        self.inits = [t for t in self.inits if t.name in needed]


class _Sym:
    """A graph value (float64 unless a comparison made it bool, or an index int64) that the
    formulas of ``_math`` / ``_multiclass_math`` compute with, as they do with numpy arrays."""

    __array_ufunc__ = None  # numpy scalars (alpha[c]) defer to the reflected operators here
    __hash__ = object.__hash__

    def __init__(self, b, name):
        self.b, self.name = b, name

    def _op(self, op_type, *args):
        return _Sym(self.b, self.b.op(op_type, *(_value(self.b, a) for a in args)))

    def __add__(self, o): return self._op("Add", self, o)  # noqa: E704
    def __radd__(self, o): return self._op("Add", o, self)  # noqa: E704
    def __sub__(self, o): return self._op("Sub", self, o)  # noqa: E704
    def __rsub__(self, o): return self._op("Sub", o, self)  # noqa: E704
    def __mul__(self, o): return self._op("Mul", self, o)  # noqa: E704
    def __rmul__(self, o): return self._op("Mul", o, self)  # noqa: E704
    def __truediv__(self, o): return self._op("Div", self, o)  # noqa: E704
    def __rtruediv__(self, o): return self._op("Div", o, self)  # noqa: E704
    def __pow__(self, o): return self._op("Pow", self, o)  # noqa: E704
    def __neg__(self): return self._op("Neg", self)  # noqa: E704
    def __ge__(self, o): return self._op("GreaterOrEqual", self, o)  # noqa: E704
    def __gt__(self, o): return self._op("Greater", self, o)  # noqa: E704
    def __eq__(self, o): return self._op("Equal", self, o)  # noqa: E704


def _value(b, x):
    """A graph name for a _Sym or a Python / numpy number (int -> int64, else float64)."""
    if isinstance(x, _Sym):
        return x.name
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("a bool constant in a formula")
    return b.const(x, np.int64 if isinstance(x, (int, np.integer)) else np.float64)


class _Ops:
    """The array namespace ``_backends`` binds the formulas to (``exp``, ``log1p``, ...), as
    ONNX operators on _Sym values."""

    def __init__(self, b):
        self.b = b

    def _sym(self, op_type, *args, **attrs):
        return _Sym(self.b, self.b.op(op_type, *(_value(self.b, a) for a in args), **attrs))

    def exp(self, x):
        return self._sym("Exp", x)

    def abs(self, x):
        return self._sym("Abs", x)

    def maximum(self, x, y):
        return self._sym("Max", x, y)

    def power(self, x, g):
        return self._sym("Pow", x, g)

    def where(self, cond, x, y):
        return self._sym("Where", cond, x, y)

    def log1p(self, x):
        """log(1 + x) to full precision for x >= 0 (ONNX has no Log1p): log(u) x / (u - 1) with
        u = 1 + x, and x itself where u rounds to 1."""
        u = 1.0 + x
        d = u - 1.0
        at_one = d == 0.0
        return self.where(at_one, x, self._sym("Log", u) * x / self.where(at_one, 1.0, d))


def _posterior(b, z, loss, k):
    """The loss's posterior of the raw scores ``z`` ((n, 1) binary, (n, K)) as graph nodes: the
    formulas of ``_math.posterior`` / ``_multiclass_math.posterior`` themselves, bound by
    ``_backends`` to ONNX operators; label smoothing undone as ``posterior`` does."""
    from . import _math, _multiclass_math
    from ._backends import eager_primitives, multiclass_primitives
    from ._bind import FUNCS, MULTICLASS_FUNCS, bind

    ops = _Ops(b)
    eps = loss.label_smoothing
    if isinstance(loss, FocalLoss):
        m = bind(eager_primitives(ops), module=_math, names=FUNCS)
        eta = m.posterior(_Sym(b, z), loss.a, loss.b, loss.gamma)
        if eps:
            eta = ops._sym("Clip", m.unsmooth(eta, eps), 0.0, 1.0)
        return eta.name
    m = bind(multiclass_primitives(ops), module=_multiclass_math, names=MULTICLASS_FUNCS)
    alpha, gamma, g = loss.vectors(k)
    columns = [_Sym(b, b.op("Gather", z, b.const([c], np.int64), axis=1)) for c in range(k)]
    out = [None] * k  # the row e / out of the formulas: one (n, 1) column per class
    m.posterior(columns, k, alpha, gamma, _multiclass_math.ANY_GAMMA, out, out)
    eta = b.op("Concat", *(c.name for c in out), axis=1)
    if eps:  # MulticlassFocalLoss._unsmooth
        eta = (ops.maximum((_Sym(b, eta) - eps / k) / (1.0 - eps), 0.0)).name
        eta = b.op("Div", eta, b.op("ReduceSum", eta, b.const([1], np.int64), keepdims=1))
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
    raw = b.op("TreeEnsembleRegressor", "X", domain="ai.onnx.ml", **tree)
    z = b.op("Cast", raw, to=TensorProto.DOUBLE)
    labels = _label_tensor(classes)
    if binary:
        eta = _posterior(b, z, loss, k)
        proba = b.op("Concat", b.op("Sub", b.const(1.0), eta), eta, axis=1)
        index = b.op("Cast", b.op("Greater", b.op("Squeeze", eta, b.const([1], np.int64)),
                                  b.const(0.5)), to=TensorProto.INT64)
    else:
        proba = _posterior(b, z, loss, k)
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
