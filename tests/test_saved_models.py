"""Models saved by boostfocal 0.1.0 (before the issue-24 redesign) still load and predict the same.

tests/data/saved_models/ was written once by tests/data/make_saved_models.py: tiny models for each
booster x family (binary; multiclass K = 3) x entry (the booster module's train / fit, saved in the
booster's own formats; the estimator, pickled, and its booster saved too), with the input rows and
the predict_proba they gave then. Never regenerate them to make this test pass: a difference is a
broken promise to users with saved models.
"""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import boostfocal
from boostfocal import FocalLoss, MulticlassFocalLoss

DATA = Path(__file__).parent / "data" / "saved_models"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
CASES = MANIFEST["cases"]
LOSSES = {"binary": FocalLoss, "multiclass": MulticlassFocalLoss}
TOL = 1e-12


@pytest.fixture(scope="module")
def arrays():
    with np.load(DATA / "cases.npz") as npz:
        return {k: npz[k] for k in npz.files}


def _load_booster(booster, path):
    """A model file, loaded by the booster's own API (as a user would)."""
    if booster == "xgboost":
        import xgboost as xgb

        return xgb.Booster(model_file=str(path))
    if booster == "lightgbm":
        import lightgbm as lgb

        return lgb.Booster(model_file=str(path))
    import catboost

    fmt = path.suffix[1:]
    return catboost.CatBoost().load_model(str(path), format=fmt)


def _native_files():
    return [(key, name) for key, case in CASES.items() for name in case["files"]
            if not name.endswith(".pkl")]


def _spy_losses(monkeypatch):
    """Record the loss objects whose predict_proba boostfocal calls (the loss it recovered)."""
    seen = []
    for cls in LOSSES.values():
        original = cls.predict_proba

        def spy(self, raw_score, _original=original):
            seen.append(self)
            return _original(self, raw_score)

        monkeypatch.setattr(cls, "predict_proba", spy)
    return seen


def test_fixtures_are_small_and_complete():
    files = sorted(p.name for p in DATA.iterdir())
    assert sum((DATA / f).stat().st_size for f in files) < 1_000_000
    listed = {name for case in CASES.values() for name in case["files"]}
    assert listed | {"cases.npz", "manifest.json"} == set(files)
    combos = {(c["booster"], c["family"], c["entry"]) for c in CASES.values()}
    assert len(combos) == 12 == len(CASES)  # 3 boosters x 2 families x 2 entries
    # the binary loss is non-trivial in every parameter a new storage could drop
    binary = next(c["loss"] for c in CASES.values() if c["family"] == "binary")
    assert binary["gamma"] != 2.0 and binary["alpha"] is not None and binary["label_smoothing"] > 0
    multi = next(c["loss"] for c in CASES.values() if c["family"] == "multiclass")
    assert len(set(multi["alpha"])) == 3


@pytest.mark.parametrize("key,name", _native_files())
def test_saved_booster_file_predicts_the_same(key, name, arrays, monkeypatch):
    """``boostfocal.<booster>.predict_proba(model, X)`` without ``loss=``: the loss comes from
    the file, with every parameter, and the probabilities are those saved."""
    case = CASES[key]
    module = getattr(__import__(f"boostfocal.{case['booster']}"), case["booster"])
    model = _load_booster(case["booster"], DATA / name)
    expected_loss = LOSSES[case["family"]](**case["loss"])
    seen = _spy_losses(monkeypatch)
    proba = module.predict_proba(model, arrays["X"])
    np.testing.assert_allclose(proba, arrays[key], rtol=0, atol=TOL)
    assert seen, "predict_proba no longer goes through the loss's predict_proba: update the spy"
    assert all(loss == expected_loss for loss in seen), (seen, expected_loss)
    assert seen[-1].get_params() == expected_loss.get_params()
    # the same file with the loss given explicitly agrees (the stored loss is that loss)
    monkeypatch.undo()
    again = module.predict_proba(model, arrays["X"], loss=expected_loss)
    np.testing.assert_allclose(again, proba, rtol=0, atol=TOL)
    width = 2 if case["family"] == "binary" else 3
    assert proba.shape == (arrays["X"].shape[0], width)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("key", [k for k, c in CASES.items() if c["entry"] == "estimator"])
def test_pickled_estimator_predicts_the_same(key, arrays):
    case = CASES[key]
    pkl = next(n for n in case["files"] if n.endswith(".pkl"))
    try:
        with open(DATA / pkl, "rb") as f:
            clf = pickle.load(f)
    except Exception as exc:  # a moved/renamed class, or a booster that no longer reads its pickle
        pytest.fail(f"{pkl} (written by {MANIFEST['written_by']}) no longer unpickles: {exc!r}")
    assert type(clf) is getattr(boostfocal, {"xgboost": "FocalXGBClassifier",
                                             "lightgbm": "FocalLGBMClassifier",
                                             "catboost": "FocalCatBoostClassifier"}[case["booster"]])
    X = arrays["X"]
    assert clf.loss_ == LOSSES[case["family"]](**case["loss"])
    assert clf.classes_.tolist() == case["classes"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, arrays[key], rtol=0, atol=TOL)
    assert clf.predict(X).tolist() == clf.classes_[np.argmax(arrays[key], axis=1)].tolist()
    # the pickled estimator keeps working: refitting the unpickled object is the same model
    # (its parameters survived), predicting what the saved one predicted
    refit = pickle.loads(pickle.dumps(clf))
    y = arrays[f"y_{case['family']}"]
    refit.fit(X, clf.classes_[y.astype(int)])  # classes_ is sorted: index k is label k
    np.testing.assert_allclose(refit.predict_proba(X), arrays[key], rtol=0, atol=TOL)
