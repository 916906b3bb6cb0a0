"""The model users get back: the booster holds what the estimator predicts, saved models keep
their calibration (reloaded in a fresh process), and each objective refuses other boosters."""
import json
import subprocess
import sys
import warnings

import catboost as cb
import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

from boostfocal import FocalCatBoostClassifier, FocalLGBMClassifier, FocalLoss, FocalXGBClassifier
from boostfocal import _adapter
from boostfocal import catboost as bc
from boostfocal import lightgbm as bl
from boostfocal import xgboost as bx

LOSS = dict(gamma=1.5, alpha=0.3, label_smoothing=0.05)  # every stored parameter matters


def _data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n) > 1.8).astype(float)
    return X, y


@pytest.fixture(scope="module")
def data():
    return _data(1000, 0) + _data(300, 1)


# -- saved models reloaded in a fresh process ------------------------------------------------
_RELOAD = r"""
import json, sys
import numpy as np, xgboost as xgb, lightgbm as lgb, catboost as cb
from boostfocal import xgboost as bx, lightgbm as bl, catboost as bc
d = sys.argv[1]
X = np.load(d + "/X.npy")
out = {}
for ext in ("json", "ubj"):
    out["xgb_" + ext] = bx.predict_proba(xgb.Booster(model_file=f"{d}/m.{ext}"), X)
    out["xgb_dmatrix_" + ext] = bx.predict_proba(xgb.Booster(model_file=f"{d}/m.{ext}"),
                                                 xgb.DMatrix(X))
out["lgb_file"] = bl.predict_proba(lgb.Booster(model_file=d + "/m.txt"), X)
out["lgb_string"] = bl.predict_proba(lgb.Booster(model_str=open(d + "/s.txt").read()), X)
out["xgb_estimator"] = bx.predict_proba(xgb.Booster(model_file=d + "/est.json"), X)
for fmt in ("cbm", "json"):
    model = cb.CatBoost()
    model.load_model(f"{d}/cb.{fmt}", format=fmt)
    out["cb_" + fmt] = bc.predict_proba(model, X)
    out["cb_pool_" + fmt] = bc.predict_proba(model, cb.Pool(X))
np.savez(d + "/out.npz", **out)
"""


def test_saved_models_give_the_calibrated_posterior_in_a_fresh_process(data, tmp_path):
    X, y, Xv, yv = data
    loss = FocalLoss(**LOSS)
    d = str(tmp_path)
    np.save(d + "/X.npy", Xv)
    expected = {}

    obj = bx.FocalObjective(**LOSS)
    dtrain, dvalid = xgb.DMatrix(X, y), xgb.DMatrix(Xv, yv)
    bst = bx.train({"eta": 0.5}, dtrain, 100, obj=obj, evals=[(dvalid, "v")],
                   custom_metric=bx.FocalMetric(**LOSS), early_stopping_rounds=3,
                   verbose_eval=False)
    assert bst.best_iteration + 1 < bst.num_boosted_rounds()  # the rounds past it are kept
    best = bst.predict(dvalid, output_margin=True, iteration_range=(0, bst.best_iteration + 1))
    p = loss.predict_proba(best)
    np.testing.assert_array_equal(bx.predict_proba(bst, Xv), p)  # best iteration by default
    for ext in ("json", "ubj"):
        bst.save_model(f"{d}/m.{ext}")
        expected["xgb_" + ext] = expected["xgb_dmatrix_" + ext] = p
    est = FocalXGBClassifier(**LOSS, n_estimators=100, learning_rate=0.5,
                             early_stopping_rounds=3).fit(X, y, eval_set=[(Xv, yv)])
    est.save_model(d + "/est.json")
    expected["xgb_estimator"] = est.predict_proba(Xv)

    lbst = bl.train({"objective": bl.FocalObjective(**LOSS), "learning_rate": 0.5,
                     "verbosity": -1}, lgb.Dataset(X, y), 100,
                    valid_sets=[lgb.Dataset(Xv, yv)], callbacks=[lgb.early_stopping(3, False)])
    p = loss.predict_proba(lbst.predict(Xv, raw_score=True))
    np.testing.assert_array_equal(bl.predict_proba(lbst, Xv), p)
    np.testing.assert_array_equal(bl.posterior(lbst, Xv), p[:, 1])
    lbst.save_model(d + "/m.txt")
    with open(d + "/s.txt", "w") as f:
        f.write(lbst.model_to_string())
    expected["lgb_file"] = expected["lgb_string"] = p

    model = cb.CatBoostClassifier(loss_function=bc.FocalObjective(**LOSS), iterations=60,
                                  learning_rate=0.5, verbose=False)
    bc.fit(model, X, y, eval_set=(Xv, yv), early_stopping_rounds=5)
    p = loss.predict_proba(model.predict(Xv, prediction_type="RawFormulaVal"))
    for fmt in ("cbm", "json"):
        model.save_model(f"{d}/cb.{fmt}", format=fmt)
        expected["cb_" + fmt] = expected["cb_pool_" + fmt] = p

    subprocess.run([sys.executable, "-c", _RELOAD, d], check=True, timeout=120)
    got = np.load(d + "/out.npz")
    assert sorted(got.files) == sorted(expected)
    for name, want in expected.items():
        assert got[name].shape == (len(Xv), 2), name
        np.testing.assert_allclose(got[name], want, rtol=0, atol=1e-12, err_msg=name)
    # the focal posterior, not the sigmoid the boosters' own predict_proba give
    assert abs(got["xgb_json"][:, 1].mean() - yv.mean()) < 0.03
    assert bst.predict(dvalid).mean() > got["xgb_json"][:, 1].mean() + 0.05


def test_the_stored_form_is_one_json_with_a_family(data):
    X, y, _, _ = data
    bst = bx.train({}, xgb.DMatrix(X, y), 2, obj=bx.FocalObjective(**LOSS))
    stored = json.loads(bst.attr("boostfocal_loss"))
    assert stored == {"family": "binary", "params": FocalLoss(**LOSS).get_params()}


# -- models that hold no loss ----------------------------------------------------------------
def test_models_without_a_stored_loss_get_a_clear_error(data, tmp_path):
    X, y, _, _ = data
    plain = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, y), 2)
    with pytest.raises(ValueError, match="holds no boostfocal loss.*loss=FocalLoss"):
        bx.predict_proba(plain, X)
    np.testing.assert_allclose(  # the fix the message names; XGBoost's sigmoid is float32
        bx.predict_proba(plain, X, loss=FocalLoss(gamma=0.0))[:, 1],
        plain.predict(xgb.DMatrix(X)), rtol=1e-6)

    lplain = lgb.train({"objective": "binary", "verbosity": -1}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match="holds no boostfocal loss"):
        bl.predict_proba(lplain, X)
    kept = bl.train({"objective": bl.FocalObjective(), "verbosity": -1}, lgb.Dataset(X, y), 2,
                    keep_training_booster=True)  # storing would end its training
    with pytest.raises(ValueError, match="holds no boostfocal loss"):
        bl.predict_proba(kept, X)
    assert bl.predict_proba(kept, X, loss=bl.FocalObjective()).shape == (len(X), 2)

    cplain = cb.CatBoostClassifier(iterations=2, verbose=False).fit(X, y)
    cplain.save_model(str(tmp_path / "m.cbm"))
    with pytest.raises(ValueError, match="holds no boostfocal loss"):
        bc.predict_proba(cb.CatBoost().load_model(str(tmp_path / "m.cbm")), X)
    with pytest.raises(TypeError, match="loss must be a FocalLoss"):
        bx.predict_proba(plain, X, loss="focal")


# -- the estimators' boosters predict what the estimators predict ----------------------------
@pytest.fixture(scope="module")
def fitted(data):
    X, y, Xv, yv = data
    common = dict(LOSS, n_estimators=100, learning_rate=0.5, early_stopping_rounds=3)
    return {C: C(**common).fit(X, y, eval_set=[(Xv, yv)])
            for C in (FocalXGBClassifier, FocalLGBMClassifier, FocalCatBoostClassifier)}


def _booster_margins_and_contributions(clf, X):
    b = clf.booster_
    if isinstance(clf, FocalXGBClassifier):
        d = xgb.DMatrix(X)
        return b.predict(d, output_margin=True), b.predict(d, pred_contribs=True)
    if isinstance(clf, FocalLGBMClassifier):
        return b.predict(X, raw_score=True), b.predict(X, pred_contrib=True)
    return (b.predict(X, prediction_type="RawFormulaVal"),
            b.get_feature_importance(cb.Pool(X), type="ShapValues"))


_MODULE = {FocalXGBClassifier: bx, FocalLGBMClassifier: bl, FocalCatBoostClassifier: bc}


@pytest.mark.parametrize("cls", list(_MODULE), ids=lambda c: c.__name__)
def test_booster_predicts_what_the_estimator_predicts_after_early_stopping(fitted, data, cls):
    clf, (_, _, Xv, _) = fitted[cls], data
    assert clf.best_iteration_ is not None
    z = clf.decision_function(Xv)
    margins, contributions = _booster_margins_and_contributions(clf, Xv)
    np.testing.assert_array_equal(margins, z.astype(margins.dtype))
    np.testing.assert_allclose(contributions.sum(axis=1), z, rtol=0, atol=1e-5)  # float32 SHAP
    np.testing.assert_array_equal(_MODULE[cls].predict_proba(clf.booster_, Xv),
                                  clf.predict_proba(Xv))


def test_xgboost_estimator_booster_is_cut_at_the_best_iteration(fitted, data):
    clf = fitted[FocalXGBClassifier]
    rounds = clf.evals_result()["validation_0"]["focal"]
    assert len(rounds) > clf.best_iteration_ + 1  # trained past it
    booster = clf.get_booster()
    assert booster.num_boosted_rounds() == clf.n_estimators_ == clf.best_iteration_ + 1
    assert clf.best_iteration_ == int(np.argmin(rounds))
    assert booster.best_iteration == clf.best_iteration_
    assert booster.best_score == clf.best_score_ == min(clf.evals_result()["validation_0"]["focal"])


def test_lightgbm_estimator_predict_takes_lightgbms_arguments(fitted, data):
    clf, (_, _, Xv, _) = fitted[FocalLGBMClassifier], data
    np.testing.assert_array_equal(clf.predict(Xv, pred_contrib=True),
                                  clf.booster_.predict(Xv, pred_contrib=True))
    np.testing.assert_array_equal(clf.predict(Xv, raw_score=True), clf.decision_function(Xv))
    first = clf.booster_.predict(Xv, raw_score=True, num_iteration=1)
    np.testing.assert_array_equal(clf.predict_proba(Xv, num_iteration=1),
                                  FocalLoss(**LOSS).predict_proba(first))
    assert clf.predict(Xv, pred_leaf=True).shape == (len(Xv), clf.best_iteration_ + 1)


@pytest.mark.parametrize("cls", list(_MODULE), ids=lambda c: c.__name__)
def test_estimator_surface_follows_the_boosters_classes(fitted, data, cls):
    clf = fitted[cls]
    b = clf.booster_
    if cls is FocalXGBClassifier:
        ref = xgb.XGBClassifier()  # XGBoost's own property on the same booster
        ref._Booster = b
        np.testing.assert_array_equal(clf.feature_importances_, ref.feature_importances_)
        assert clf.evals_result_["validation_0"]["focal"][clf.best_iteration_] == clf.best_score_
    elif cls is FocalLGBMClassifier:
        np.testing.assert_array_equal(clf.feature_importances_, b.feature_importance("split"))
        assert clf.best_score_["valid_0"]["focal"] == clf.evals_result_["valid_0"]["focal"][
            clf.best_iteration_]
    else:
        np.testing.assert_array_equal(clf.feature_importances_, b.get_feature_importance())
        assert clf.best_score_ == b.get_best_score()
        assert clf.evals_result_ == b.get_evals_result()
    assert clf.feature_importances_.shape == (clf.n_features_in_,)


@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier],
                         ids=lambda c: c.__name__)
def test_importance_type_is_the_estimators_not_a_booster_parameter(data, cls):
    X, y, _, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # XGBoost would warn "not used", LightGBM "Unknown"
        clf = cls(n_estimators=3, importance_type="gain").fit(X, y)
    assert "importance_type" not in clf.booster_params()
    if cls is FocalXGBClassifier:
        gain = clf.get_booster().get_score(importance_type="gain")
        want = np.array([gain.get(f"f{i}", 0.0) for i in range(5)], dtype=np.float32)
        np.testing.assert_allclose(clf.feature_importances_, want / want.sum(), rtol=1e-6)
    else:
        np.testing.assert_array_equal(clf.feature_importances_,
                                      clf.booster_.feature_importance("gain"))


# -- the boosters' own classes ---------------------------------------------------------------
_OBJECTIVES = {"xgboost": bx.FocalObjective, "lightgbm": bl.FocalObjective,
               "catboost": bc.FocalObjective}


def _train_with(booster, objective, X, y):
    if booster == "xgboost":
        xgb.train({}, xgb.DMatrix(X, y), 2, obj=objective)
    elif booster == "xgbclassifier":
        xgb.XGBClassifier(objective=objective, n_estimators=2).fit(X, y)
    elif booster == "lightgbm":
        lgb.train({"objective": objective, "verbosity": -1}, lgb.Dataset(X, y), 2)
    elif booster == "lgbmclassifier":
        lgb.LGBMClassifier(objective=objective, n_estimators=2, verbosity=-1).fit(X, y)
    else:
        cb.CatBoostClassifier(loss_function=objective, eval_metric=bc.FocalMetric(),
                              iterations=2, verbose=False).fit(X, y)


_CALLERS = {"xgboost": "xgboost", "xgbclassifier": "xgboost", "lightgbm": "lightgbm",
            "lgbmclassifier": "lightgbm", "catboost": "catboost"}


@pytest.mark.parametrize("owner, caller", [(o, c) for o in _OBJECTIVES for c in _CALLERS
                                           if _CALLERS[c] != o])
def test_objectives_refuse_another_boosters_calling_convention(data, owner, caller):
    package = _CALLERS[caller]
    X, y = data[0][:200], data[1][:200]
    with pytest.raises(TypeError, match=rf"boostfocal\.{owner}\.FocalObjective serves .* only"
                                        rf".*use boostfocal\.{package}\.FocalObjective\("
                                        r"gamma=1\.5, alpha=0\.3, label_smoothing=0\.05\)"):
        _train_with(caller, _OBJECTIVES[owner](**LOSS), X, y)


@pytest.mark.parametrize("caller, match", [
    ("xgbclassifier", r"XGBClassifier\(objective=FocalObjective\(\.\.\.\)\): pass base_score="
                      r"obj\.base_score\(y, sample_weight\)"),
    ("lgbmclassifier", r"LGBMClassifier\(objective=FocalObjective\(\.\.\.\)\): pass init_score="),
    ("catboost", r"FocalObjective outside boostfocal\.catboost\.fit: pass class_names=\[0, 1\]"),
])
def test_the_boosters_own_classes_warn_once_with_the_fix(data, monkeypatch, caller, match):
    monkeypatch.setattr(_adapter, "_WARNED", set())
    X, y = data[0][:200], data[1][:200]
    package = _CALLERS[caller]
    with pytest.warns(UserWarning, match=match) as record:
        _train_with(caller, _OBJECTIVES[package](), X, y)
        _train_with(caller, _OBJECTIVES[package](), X, y)
    assert sum(issubclass(w.category, _adapter.SetupWarning) for w in record) == 1


def test_boostfocals_own_paths_do_not_warn(data, monkeypatch):
    monkeypatch.setattr(_adapter, "_WARNED", set())
    X, y = data[0][:200], data[1][:200]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bx.train({}, xgb.DMatrix(X, y), 2, obj=bx.FocalObjective())
        bl.train({"objective": bl.FocalObjective(), "verbosity": -1}, lgb.Dataset(X, y), 2)
        bc.fit(cb.CatBoostClassifier(loss_function=bc.FocalObjective(), iterations=2,
                                     verbose=False), X, y)
        FocalCatBoostClassifier(n_estimators=2).fit(X, y)
