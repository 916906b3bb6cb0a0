"""boostfocal.onnx: the exported graph's probabilities are predict_proba's (float32 inputs), after
a reload in a fresh process; the posterior graph alone matches the loss for extreme scores."""
import json
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the [onnx] extra (onnx) is not installed")
ort = pytest.importorskip("onnxruntime", reason="the [onnx] extra (onnxruntime) is not installed")
pytest.importorskip("onnxmltools", reason="the [onnx] extra (onnxmltools) is not installed")

import boostfocal  # noqa: E402
from boostfocal import FocalLoss, MulticlassFocalLoss  # noqa: E402
from boostfocal.onnx import to_onnx  # noqa: E402

ESTIMATORS = [boostfocal.FocalXGBClassifier, boostfocal.FocalLGBMClassifier,
              boostfocal.FocalCatBoostClassifier]
TOL = 1e-5

RUN = """
import json, sys
import numpy as np, onnxruntime as ort
X = np.load(sys.argv[1])
for i, path in enumerate(sys.argv[2:]):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    label, proba = s.run(None, {"X": X})
    np.save(f"{path}.p.npy", proba)
    json.dump([v.item() if hasattr(v, "item") else v for v in label.tolist()],
              open(f"{path}.l.json", "w"))
"""


def run_fresh(models, X, tmp_path):
    """[(labels, probabilities)] of each model saved as .onnx, run by onnxruntime in one new
    process."""
    paths = [str(tmp_path / f"model{i}.onnx") for i in range(len(models))]
    for model, path in zip(models, paths):
        onnx.save(model, path)
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "X.npy"), *paths], check=True)
    return [(np.array(json.load(open(f"{p}.l.json"))), np.load(f"{p}.p.npy").astype(np.float64))
            for p in paths]


def data(k):
    rng = np.random.default_rng(k)
    X = rng.normal(size=(700, 5))
    score = X[:, 0] * 3.0 + X[:, 1] ** 2
    y = (np.digitize(score, np.quantile(score, np.linspace(0, 1, k + 1)[1:-1]))
         if k > 2 else (score > 1.0).astype(int))
    X[-20:] *= 30.0  # far outside the training range: the trees' extreme leaves
    X[rng.uniform(size=X.shape) < 0.05] = np.nan  # missing values take the trees' default path
    return X, y


def params(k):
    common = dict(gamma=2.0, label_smoothing=0.05, init_score="optimal", n_estimators=15,
                  learning_rate=0.8)
    return dict(common, alpha=0.25) if k == 2 else dict(common, gamma=[1.0, 2.0, 3.0],
                                                        alpha=[1.0, 2.0, 0.5])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_export_matches_predict_proba(cls, tmp_path):
    fitted = {}
    for k in (2, 3):
        X, y = data(k)
        labels = np.array(["ant", "bee", "cat"])[:k][y]  # string classes_: ONNX string labels
        fitted[k] = cls(**params(k)).fit(X[:400], labels[:400])
    held = X[400:].astype(np.float32)
    results = run_fresh([to_onnx(fitted[k], X) for k in (2, 3)], held, tmp_path)
    for k, (label, proba) in zip((2, 3), results):
        clf = fitted[k]
        ref = clf.predict_proba(held)
        z = clf.decision_function(held)
        assert np.ptp(z) > 3.0  # away from 0 (the posterior graph test covers extremes)
        np.testing.assert_allclose(proba, ref, atol=TOL, rtol=0)
        link = (FocalLoss(gamma=0.0) if k == 2 else MulticlassFocalLoss(gamma=0.0)).predict_proba(z)
        assert np.abs(proba - link).max() > 0.01  # the export keeps the calibration, not the link
        top = np.sort(ref, axis=1)
        confident = top[:, -1] - top[:, -2] > 1e-4
        np.testing.assert_array_equal(label[confident], clf.predict(held)[confident])
        assert label.dtype.kind == "U"


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("kind", ["xgboost", "lightgbm", "catboost"])
def test_native_booster_export(kind, k, tmp_path):
    X, y = data(k)
    loss = (FocalLoss(gamma=2.0, pos_weight=3.0) if k == 2 else
            MulticlassFocalLoss(gamma=2.0, alpha=[1.0, 1.5, 3.0]))
    held = X[400:].astype(np.float32)
    if kind == "xgboost":
        import xgboost as xgb

        from boostfocal.xgboost import (FocalObjective, MulticlassFocalObjective,
                                        predict_proba, train)
        obj = (FocalObjective if k == 2 else MulticlassFocalObjective).from_loss(loss)
        p = {"nthread": 1, "eta": 0.8, "max_depth": 3, **({"num_class": k} if k > 2 else {})}
        booster = train(p, xgb.DMatrix(X[:400], y[:400]), 30, obj=obj)
        booster = xgb.Booster(model_file=_saved(booster, tmp_path / "m.json"))
    elif kind == "lightgbm":
        import lightgbm as lgb

        from boostfocal.lightgbm import (FocalObjective, MulticlassFocalObjective,
                                         predict_proba, train)
        obj = (FocalObjective if k == 2 else MulticlassFocalObjective).from_loss(loss)
        p = {"objective": obj, "verbosity": -1, "learning_rate": 0.8, "num_threads": 1,
             **({"num_class": k} if k > 2 else {})}
        booster = train(p, lgb.Dataset(X[:400], y[:400]), 30)
        booster = lgb.Booster(model_str=booster.model_to_string())
    else:
        from catboost import CatBoost

        from boostfocal.catboost import (FocalObjective, MulticlassFocalObjective, fit,
                                         predict_proba)
        obj = (FocalObjective if k == 2 else MulticlassFocalObjective).from_loss(loss)
        model = CatBoost({"loss_function": obj, "iterations": 30, "learning_rate": 0.8,
                          "verbose": False, "allow_writing_files": False, "thread_count": 1})
        fit(model, X[:400], y[:400])
        model.save_model(str(tmp_path / "m.cbm"))
        booster = CatBoost().load_model(str(tmp_path / "m.cbm"))  # the stored loss only
    [(label, proba)] = run_fresh([to_onnx(booster, X.shape[1])], held, tmp_path)
    ref = predict_proba(booster, held)
    np.testing.assert_allclose(proba, ref, atol=TOL, rtol=0)
    assert proba.shape == (len(held), k)
    np.testing.assert_array_equal(label, (ref[:, 1] > 0.5) if k == 2 else ref.argmax(axis=1))


def _saved(booster, path):
    booster.save_model(str(path))
    return str(path)


# -- the posterior graph alone, for scores no tree ensemble reaches --------------------------
def posterior_session(loss, k):
    """The exported graph of a one-leaf model whose raw score is the input's first column."""
    from boostfocal.onnx import _graph

    targets = 1 if k == 2 else k
    attrs = {  # one stump per output: leaf value = X[:, t] is not expressible; use a fixed leaf
        "nodes_treeids": [0], "nodes_nodeids": [0], "nodes_featureids": [0],
        "nodes_modes": ["LEAF"], "nodes_values": [0.0], "nodes_truenodeids": [0],
        "nodes_falsenodeids": [0], "nodes_missing_value_tracks_true": [0],
        "target_treeids": [0] * targets, "target_nodeids": [0] * targets,
        "target_ids": list(range(targets)), "target_weights": [0.0] * targets,
        "base_values": [0.0] * targets}
    model = _graph(attrs, loss, k, np.arange(k), 1, "posterior")
    # feed the raw score directly: replace the tree node's output by a graph input
    tree = next(n for n in model.graph.node if n.op_type == "TreeEnsembleRegressor")
    z_name = tree.output[0]
    model.graph.node.remove(tree)
    del model.graph.input[:]
    model.graph.input.append(onnx.helper.make_tensor_value_info(z_name, onnx.TensorProto.FLOAT,
                                                                [None, targets]))
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]), \
        z_name


EXTREME = np.array([0.0, 1e-6, -1e-6, 0.5, -3.0, 8.0, -17.0, 37.0, -40.0, 90.0, -200.0, 745.0,
                    -800.0, 1e4, -1e30, 3e38, -3e38])


@pytest.mark.parametrize("loss", [FocalLoss(), FocalLoss(gamma=0.5, alpha=0.25),
                                  FocalLoss(gamma=3.0, pos_weight=4.0, label_smoothing=0.1),
                                  FocalLoss(gamma=0.0), FocalLoss(gamma=7.3, alpha=0.9)],
                         ids=repr)
def test_binary_posterior_graph_extreme_scores(loss):
    sess, name = posterior_session(loss, 2)
    z = EXTREME.astype(np.float32)[:, None]
    proba = sess.run(["probabilities"], {name: z})[0]
    ref = loss.predict_proba(z[:, 0].astype(np.float64))
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba, ref, atol=1e-7, rtol=0)


@pytest.mark.parametrize("loss", [MulticlassFocalLoss(), MulticlassFocalLoss(gamma=0.0),
                                  MulticlassFocalLoss(gamma=[0.5, 2.0, 4.0], alpha=[1.0, 3.0, 0.2],
                                                      label_smoothing=0.1)], ids=repr)
def test_multiclass_posterior_graph_extreme_scores(loss):
    sess, name = posterior_session(loss, 3)
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.normal(0, 3, (40, 3)), rng.choice(EXTREME, (60, 3)),
                        [[3e38, 3e38, -3e38], [0, 0, 0], [50, 50, 49], [-1e30, 0, 1e30]]])
    z = z.astype(np.float32)
    proba = sess.run(["probabilities"], {name: z})[0]
    ref = loss.predict_proba(z.astype(np.float64))
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba, ref, atol=1e-6, rtol=0)


# -- what cannot be exported ----------------------------------------------------------------
def test_refusals(tmp_path):
    import lightgbm as lgb
    import pandas as pd
    import xgboost as xgb

    X, y = data(2)
    with pytest.raises(ValueError, match="DART"):
        to_onnx(boostfocal.FocalXGBClassifier(n_estimators=3, booster="dart").fit(X, y), X)
    with pytest.raises(ValueError, match="DART"):
        to_onnx(boostfocal.FocalLGBMClassifier(n_estimators=3, boosting="dart").fit(X, y), X)
    frame = pd.DataFrame({"x": X[:, 0], "c": pd.Categorical(np.where(y == 1, "a", "b"))})
    with pytest.raises(ValueError, match=r"categorical columns \['c'\]"):
        to_onnx(boostfocal.FocalLGBMClassifier(n_estimators=3).fit(frame, y), frame)
    plain = xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(X, y), 2)
    with pytest.raises(ValueError, match="holds no boostfocal loss.*Pass loss="):
        to_onnx(plain, X)
    exported = to_onnx(plain, X, loss=FocalLoss(gamma=0.0))  # the sigmoid of the margins
    sess = ort.InferenceSession(exported.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(["probabilities"], {"X": X.astype(np.float32)})[0][:, 1],
                               plain.predict(xgb.DMatrix(X.astype(np.float32))), atol=TOL)
    booster = lgb.train({"objective": "binary", "verbosity": -1}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="X has 4 features but the model was trained on 5"):
        to_onnx(booster, 4, loss=FocalLoss())
    with pytest.raises(ValueError, match="needs MulticlassFocalLoss"):
        to_onnx(lgb.train({"objective": "multiclass", "num_class": 3, "verbosity": -1},
                          lgb.Dataset(X, np.arange(len(y)) % 3), 2), X, loss=FocalLoss())
    with pytest.raises(TypeError, match="must be a boostfocal estimator"):
        to_onnx(object(), X)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(boostfocal.FocalXGBClassifier(), X)
    with pytest.raises(ValueError, match="holds no boostfocal loss"):  # its booster, no loss
        to_onnx(xgb.XGBClassifier(n_estimators=2).fit(X, y), X)
    with pytest.raises(ValueError, match="number of features or a 2-D sample"):
        to_onnx(plain, X[0], loss=FocalLoss())
    cb = boostfocal.FocalCatBoostClassifier(n_estimators=3)
    text = pd.DataFrame({"x": X[:, 0], "c": np.where(y == 1, "a", "b")})
    with pytest.raises(ValueError, match="categorical"):
        to_onnx(cb.fit(text, y), text)


def test_link_probabilities_and_numeric_labels_in_process():
    """proba="sigmoid" exports the link; float classes_ stay floats (in-process run)."""
    X, y = data(2)
    clf = boostfocal.FocalXGBClassifier(proba="sigmoid", n_estimators=5).fit(X, 2.0 * y + 1.0)
    sess = ort.InferenceSession(to_onnx(clf, X).SerializeToString(),
                                providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, {"X": X.astype(np.float32)})
    ref = clf.predict_proba(X.astype(np.float32))
    np.testing.assert_allclose(proba, ref, atol=TOL, rtol=0)
    sigmoid = 1.0 / (1.0 + np.exp(-clf.decision_function(X.astype(np.float32))))
    np.testing.assert_allclose(proba[:, 1], sigmoid, atol=TOL, rtol=0)
    assert label.dtype == np.float64 and set(np.unique(label)) <= {1.0, 3.0}
