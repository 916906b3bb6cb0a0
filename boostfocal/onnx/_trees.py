"""The tree ensemble of each booster as ``TreeEnsembleRegressor`` attributes that output the raw
scores (start included): onnxmltools for XGBoost and LightGBM, CatBoost's own
``save_model(format="onnx")``; plus what ``to_onnx`` reads off a native model (kind, stored loss,
scores per row)."""
from __future__ import annotations

import os
import re
import tempfile

import numpy as np

_CONVERTER_OPSET = 15  # the highest onnxmltools' tree converters accept


def require(module="onnx"):
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"boostfocal.onnx needs {module}: pip install 'boostfocal[onnx]' "
                          "(onnx, onnxmltools, onnxruntime)") from exc


def booster_kind(booster):
    module = type(booster).__module__.split(".")[0]
    if module in ("xgboost", "lightgbm", "catboost"):
        return module
    raise TypeError(f"model must be a boostfocal estimator, an xgboost.Booster, a "
                    f"lightgbm.Booster or a CatBoost model, got {type(booster).__name__}")


def stored_text(kind, booster):
    """The loss stored in a native model: each adapter's ``_model`` reads its own storage."""
    import importlib

    return importlib.import_module(f"boostfocal.{kind}._model").stored_text(booster)


def n_outputs(kind, booster, n_features):
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


def n_features(X):
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

    require("onnxmltools")
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

    require("onnxmltools")
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

    # fitted, feature count and categorical features were checked by n_outputs
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        try:
            model.save_model(path, format="onnx")
        except Exception as exc:  # CatBoostError: text / embedding features, non-oblivious trees
            raise ValueError(f"cannot export to ONNX: CatBoost's ONNX export refused the model: "
                             f"{exc}") from exc
        proto = onnx.load(path)
    return _tree_attrs(proto, targets)


_READERS = {"xgboost": _xgboost, "lightgbm": _lightgbm, "catboost": _catboost}


def ensemble(kind, booster, n_features, targets):
    """The ``TreeEnsembleRegressor`` attributes of ``booster`` (a ``kind`` model) with
    ``targets`` raw scores per row."""
    return _READERS[kind](booster, n_features, targets)
