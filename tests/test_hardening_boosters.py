"""Hostile input to the booster adapters and the estimators (issue #13): every case ends in an
exact result or an error naming the argument, never a crash or a silently ignored value.

Cases that once took the process down (LightGBM writing through a NULL Dataset handle) run in a
subprocess, so a regression fails a test instead of killing the run.
"""
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

lgb = pytest.importorskip("lightgbm")
xgb = pytest.importorskip("xgboost")
catboost = pytest.importorskip("catboost")

import boostfocal  # noqa: E402
from boostfocal import FocalLoss  # noqa: E402
from boostfocal import catboost as bcat  # noqa: E402
from boostfocal import lightgbm as blgb  # noqa: E402
from boostfocal import xgboost as bxgb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ESTIMATORS = [boostfocal.FocalXGBClassifier, boostfocal.FocalLGBMClassifier,
              boostfocal.FocalCatBoostClassifier]
LGB = {"verbosity": -1, "num_threads": 1}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(float)
    return X, y


def small(cls, **kw):
    return cls(**{"n_estimators": 3, "n_jobs": 1, **kw})


def lgb_params(**kw):
    return {"objective": blgb.FocalObjective(), **LGB, **kw}


# --- LightGBM: rejected parameters used to segfault ------------------------------------------
CRASH_SCRIPT = textwrap.dedent("""
    import json, numpy as np, lightgbm as lgb
    import boostfocal
    from boostfocal.lightgbm import FocalObjective, train
    rng = np.random.default_rng(13)
    X = rng.normal(size=(60, 3)); y = (X[:, 0] > 0).astype(float)
    def outcome(f):
        try:
            return ["ok", f()]
        except Exception as e:
            return [type(e).__name__, str(e)]
    out = {}
    for key, value in [("num_leaves", 1), ("num_leaves", 2.5), ("max_bin", "abc")]:
        params = {"objective": FocalObjective(), "verbosity": -1, key: value}
        out[f"{key}={value!r}"] = outcome(lambda: train(params, lgb.Dataset(X, y), 5))
        plain = dict(params, objective=FocalObjective())
        out[f"plain {key}={value!r}"] = outcome(lambda: lgb.train(plain, lgb.Dataset(X, y), 5)
                                                and None)
    d = lgb.Dataset(X, y)
    outcome(lambda: train({"objective": FocalObjective(), "verbosity": -1, "num_leaves": 1}, d, 5))
    out["reused"] = outcome(lambda: train({"objective": FocalObjective(), "verbosity": -1}, d, 5))
    clf = lambda **kw: boostfocal.FocalLGBMClassifier(n_jobs=1, **kw)
    out["estimator n_estimators=5.0"] = outcome(
        lambda: clf(n_estimators=5.0).fit(X, y).n_estimators_)
    out["estimator num_leaves=1"] = outcome(lambda: clf(n_estimators=5, num_leaves=1).fit(X, y))
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def lightgbm_crash_cases():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    run = subprocess.run([sys.executable, "-c", CRASH_SCRIPT], capture_output=True, text=True,
                         env=env, timeout=120)
    if run.returncode != 0:  # each test below fails (not errors) with the reason
        return {"died": f"the process died (rc {run.returncode}): {run.stderr[-2000:]}"}
    return json.loads(run.stdout.strip().splitlines()[-1])


def outcome(cases, key):
    assert "died" not in cases, cases.get("died")
    return cases[key]


@pytest.mark.parametrize("case, fragment", [("num_leaves=1", "(num_leaves) > (1)"),
                                            ("num_leaves=2.5", "num_leaves should be of type int"),
                                            ("max_bin='abc'", "max_bin should be of type int")])
def test_lightgbm_rejected_parameter_raises_lightgbms_own_error(lightgbm_crash_cases, case,
                                                                  fragment):
    kind, message = outcome(lightgbm_crash_cases, case)
    assert kind == "LightGBMError" and fragment in message
    # word for word what plain lgb.train says
    assert outcome(lightgbm_crash_cases, f"plain {case}") == [kind, message]


def test_lightgbm_dataset_that_failed_to_build_is_refused(lightgbm_crash_cases):
    kind, message = outcome(lightgbm_crash_cases, "reused")
    assert kind == "ValueError" and "train_set failed to build in an earlier call" in message


def test_lightgbm_estimator_integral_float_and_rejected_parameter(lightgbm_crash_cases):
    assert outcome(lightgbm_crash_cases, "estimator n_estimators=5.0") == ["ok", 5]
    kind, message = outcome(lightgbm_crash_cases, "estimator num_leaves=1")
    assert kind == "LightGBMError" and "num_leaves" in message


# --- LightGBM adapter ---------------------------------------------------------------------------
@pytest.mark.parametrize("key, value", [("scale_pos_weight", 3.0), ("is_unbalance", True),
                                        ("unbalance", "true"), ("unbalanced_sets", 1),
                                        ("class_weight", "balanced")])
def test_lightgbm_class_weights_it_would_ignore_are_refused(data, key, value):
    X, y = data
    with pytest.raises(ValueError, match=f"{key}={value!r}: LightGBM does not apply class "):
        blgb.train(lgb_params(**{key: value}), lgb.Dataset(X, y), 3)


def test_lightgbm_neutral_class_weights_train_the_same_model(data):
    X, y = data
    base = blgb.train(lgb_params(), lgb.Dataset(X, y), 3).predict(X, raw_score=True)
    same = blgb.train(lgb_params(scale_pos_weight=1.0, is_unbalance=False), lgb.Dataset(X, y), 3)
    np.testing.assert_array_equal(same.predict(X, raw_score=True), base)


def test_lightgbm_nan_label_or_weight_is_refused_not_trained_as_zero(data):
    X, y = data
    y_nan = y.copy()
    y_nan[4] = np.nan
    w_nan = np.ones_like(y)
    w_nan[7] = np.nan
    # what the check prevents: LightGBM builds the Dataset with the NaN read as 0
    built = lgb.Dataset(X, y_nan, weight=w_nan, params={"verbosity": -1}).construct()
    assert built.get_label()[4] == 0.0 and built.get_weight()[7] == 0.0
    with pytest.raises(ValueError, match="the label of train_set has NaN or inf .first at row 4"):
        blgb.train(lgb_params(), lgb.Dataset(X, y_nan), 3, init_score=None)
    with pytest.raises(ValueError, match="the label of a valid set has NaN or inf"):
        blgb.train(lgb_params(), lgb.Dataset(X, y), 3, valid_sets=[lgb.Dataset(X, y_nan)])
    with pytest.raises(ValueError, match="the weight of train_set has NaN or inf .first at row 7"):
        blgb.train(lgb_params(), lgb.Dataset(X, y, weight=w_nan), 3, init_score=None)


@pytest.mark.parametrize("params, error, fragment", [
    ({"num_class": "abc"}, ValueError, r"params\['num_class'\] must be an integer, got 'abc'"),
    ({"num_classes": 3}, ValueError, "FocalObjective is binary: num_class must be 1"),
    ({"num_class": 2.0}, ValueError, "FocalObjective is binary"),
])
def test_lightgbm_num_class(data, params, error, fragment):
    X, y = data
    with pytest.raises(error, match=fragment):
        blgb.train(lgb_params(**params), lgb.Dataset(X, y), 3)


@pytest.mark.parametrize("rounds, error, fragment", [
    (-1, ValueError, "num_boost_round must be an integer >= 1, got -1"),
    (0, ValueError, "num_boost_round must be an integer >= 1, got 0"),  # lgb.train refuses 0
    (2.5, ValueError, "num_boost_round must be an integer, got 2.5"),
    (True, TypeError, "num_boost_round must be an integer, got bool"),
])
def test_lightgbm_num_boost_round(data, rounds, error, fragment):
    X, y = data
    with pytest.raises(error, match=fragment):
        blgb.train(lgb_params(), lgb.Dataset(X, y), rounds)


def test_lightgbm_integral_float_rounds_and_wrong_containers(data):
    X, y = data
    assert blgb.train(lgb_params(), lgb.Dataset(X, y), 3.0).num_trees() == 3
    with pytest.raises(TypeError, match="params must be a dict of LightGBM parameters, got list"):
        blgb.train([("objective", blgb.FocalObjective())], lgb.Dataset(X, y), 3)
    with pytest.raises(TypeError, match="train_set must be a lightgbm.Dataset, got ndarray"):
        blgb.train(lgb_params(), X, 3)


# --- XGBoost adapter ----------------------------------------------------------------------------
@pytest.mark.parametrize("params, fragment", [
    ({"num_class": "abc"}, r"params\['num_class'\] must be an integer, got 'abc'"),
    ({"num_class": "2.0"}, r"XGBoost FocalObjective is binary .* but got "
                           r"params\['num_class'\] = '2.0'"),
    ({"scale_pos_weight": "abc"}, r"params\['scale_pos_weight'\] must be a number, got 'abc'"),
    ({"scale_pos_weight": "4"}, r"params\['scale_pos_weight'\] = '4': XGBoost ignores it"),
])
def test_xgboost_parameter_strings_name_the_parameter(data, params, fragment):
    X, y = data
    with pytest.raises(ValueError, match=fragment):
        bxgb.train(params, xgb.DMatrix(X, label=y), 3, obj=bxgb.FocalObjective())


def test_xgboost_neutral_strings_and_integral_floats_train_the_same_model(data):
    X, y = data
    obj = bxgb.FocalObjective()
    base = bxgb.train({"nthread": 1}, xgb.DMatrix(X, label=y), 3, obj=obj)
    same = bxgb.train({"nthread": 1, "num_class": "1.0", "scale_pos_weight": "1"},
                      xgb.DMatrix(X, label=y), 3.0, obj=obj)
    assert same.num_boosted_rounds() == 3
    np.testing.assert_array_equal(same.predict(xgb.DMatrix(X), output_margin=True),
                                  base.predict(xgb.DMatrix(X), output_margin=True))
    with pytest.raises(ValueError, match="num_boost_round must be an integer >= 0, got -1"):
        bxgb.train({}, xgb.DMatrix(X, label=y), -1, obj=obj)


def test_xgboost_base_score_blames_an_infinite_weight_not_the_labels(data):
    da = pytest.importorskip("dask.array")
    _, y = data
    w = np.ones_like(y)
    w[0] = np.inf
    obj = bxgb.FocalObjective()
    with pytest.raises(ValueError, match=r"sample_weight must be finite.*\[1.0, inf\]"):
        obj.base_score(y, w)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0 with no NaN.*sum inf"):
        obj.base_score(da.from_array(y, chunks=30), da.from_array(w, chunks=30))
    w[0] = np.nan
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0 with no NaN.*min nan"):
        obj.base_score(da.from_array(y, chunks=30), da.from_array(w, chunks=30))


# --- CatBoost adapter ---------------------------------------------------------------------------
def test_catboost_adapter_odd_inputs(data):
    X, y = data
    model = lambda **kw: catboost.CatBoostClassifier(  # noqa: E731
        loss_function=bcat.FocalObjective(), iterations=3, verbose=False, thread_count=1, **kw)
    with pytest.raises(TypeError, match="start must be a real number, got bool True"):
        bcat.fit(model(), X, y, start=True)
    with pytest.raises(TypeError, match="eval_set must be a Pool, an .X, y. tuple or a list"):
        bcat.fit(model(), X, y, eval_set=[(X, y, y)])
    y_nan = y.copy()
    y_nan[2] = np.nan
    with pytest.raises(ValueError, match="y_true must lie in .0, 1. .* with no NaN"):
        bcat.fit(model(), X, y_nan)
    with pytest.raises(ValueError, match="auto_class_weights='Balanced': CatBoost does not apply"):
        bcat.fit(model(auto_class_weights="Balanced"), X, y)


# --- estimators: shared parameters -------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("params, error, fragment", [
    ({"n_estimators": -1}, ValueError, "n_estimators must be an integer >= 1, got -1"),
    ({"n_estimators": 0}, ValueError, "n_estimators must be an integer >= 1, got 0"),
    ({"n_estimators": True}, TypeError, "n_estimators must be an integer, got bool True"),
    ({"n_estimators": 2.5}, ValueError, "n_estimators must be an integer, got 2.5"),
    ({"n_estimators": "10"}, TypeError, "n_estimators must be an integer, got str"),
    ({"learning_rate": 0.0}, ValueError, r"learning_rate must be a finite number in \(0.0, inf\]"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be a finite number"),
    ({"learning_rate": np.inf}, ValueError, "learning_rate must be a finite number"),
    ({"max_depth": 2.5}, ValueError, "max_depth must be an integer, got 2.5"),
    ({"random_state": -1}, ValueError, "random_state must be an integer >= 0, got -1"),
    ({"random_state": np.random.RandomState(0)}, TypeError, "random_state must be an integer"),
    ({"n_jobs": 0}, ValueError, r"n_jobs must be None, -1 \(all cores\) or a positive"),
    ({"n_jobs": -2}, ValueError, "n_jobs must be None, -1 .all cores. or a positive .*got -2"),
    ({"class_weight": {0: 1, 1: 5}}, ValueError, "class_weight=.*class weights are not applied "
                                                 "to a custom objective; use alpha"),
])
def test_estimator_shared_parameters_are_checked(data, cls, params, error, fragment):
    X, y = data
    with pytest.raises(error, match=fragment):
        small(cls, **params).fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_estimator_early_stopping_rounds_is_checked(data, cls):
    X, y = data
    with pytest.raises(ValueError, match="early_stopping_rounds must be an integer >= 1, got 0"):
        small(cls, early_stopping_rounds=0).fit(X, y, eval_set=[(X, y)])
    with pytest.raises(ValueError, match="early_stopping_rounds must be an integer >= 1, got -3"):
        small(cls).fit(X, y, eval_set=[(X, y)], early_stopping_rounds=-3)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_estimator_integral_floats_train_the_same_model(data, cls):
    X, y = data
    a = small(cls, n_estimators=4, max_depth=2, random_state=0).fit(X, y)
    b = small(cls, n_estimators=4.0, max_depth=2.0, random_state=0.0).fit(X, y)
    assert b.n_estimators_ == 4
    np.testing.assert_array_equal(b.decision_function(X), a.decision_function(X))


@pytest.mark.parametrize("cls, params, fragment", [
    (boostfocal.FocalLGBMClassifier, {"is_unbalance": True}, "is_unbalance=True: LightGBM does"),
    (boostfocal.FocalLGBMClassifier, {"scale_pos_weight": 2}, "scale_pos_weight=2: LightGBM"),
    (boostfocal.FocalXGBClassifier, {"scale_pos_weight": 2}, "scale_pos_weight'] = 2: XGBoost"),
    (boostfocal.FocalCatBoostClassifier, {"class_weights": [1, 2]}, "class_weights=.*CatBoost"),
    (boostfocal.FocalCatBoostClassifier, {"scale_pos_weight": 2}, "scale_pos_weight=2: CatBoost"),
])
def test_estimator_booster_class_weights_are_refused(data, cls, params, fragment):
    X, y = data
    with pytest.raises(ValueError, match=fragment):
        small(cls, **params).fit(X, y)


# --- estimators: misspelled booster keywords ---------------------------------------------------
@pytest.mark.parametrize("cls, typo", [(boostfocal.FocalXGBClassifier, "reg_lamda"),
                                       (boostfocal.FocalXGBClassifier, "n_estimator"),
                                       (boostfocal.FocalLGBMClassifier, "learning_rte"),
                                       (boostfocal.FocalLGBMClassifier, "n_estimator")])
def test_estimator_warns_about_a_keyword_the_booster_ignores(data, cls, typo):
    X, y = data
    with pytest.warns(UserWarning, match=rf"parameter\(s\) \['{typo}'\] not known to the booster"):
        small(cls, **{typo: 50}).fit(X, y)


@pytest.mark.parametrize("cls, params", [
    (boostfocal.FocalXGBClassifier, {"reg_lambda": 2.0, "max_leaves": 4, "grow_policy":
                                     "lossguide", "tree_method": "hist", "eval_metric": "auc",
                                     "verbosity": 0, "min_split_loss": 0.1, "reg_alpha": 0.1}),
    (boostfocal.FocalXGBClassifier, {"booster": "dart", "rate_drop": 0.1, "skip_drop": 0.5}),
    (boostfocal.FocalLGBMClassifier, {"reg_lambda": 2.0, "num_leaves": 4, "min_child_samples": 5,
                                      "subsample": 0.9, "subsample_freq": 1, "max_bin": 63,
                                      "min_data_in_bin": 2, "verbose": -1}),
])
def test_estimator_known_keywords_do_not_warn(data, cls, params):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        small(cls, **params).fit(X, y)


def test_catboost_estimator_raises_for_an_unknown_keyword(data):
    X, y = data
    with pytest.raises(catboost.CatBoostError, match=r"Unknown option \{l2_leaf_regg\}"):
        small(boostfocal.FocalCatBoostClassifier, l2_leaf_regg=3).fit(X, y)


# --- estimators: eval sets and odd data ---------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_estimator_eval_set_and_its_weights_are_checked(data, cls):
    X, y = data
    clf = small(cls)
    with pytest.raises(ValueError, match="eval_sample_weight must be a list with one weight array"
                                         r" \(or None\) per eval_set entry: 2 eval sets, got 1"):
        clf.fit(X, y, eval_set=[(X, y), (X, y)], eval_sample_weight=[np.ones(60)])
    with pytest.raises(ValueError, match="eval_sample_weight is given without an eval_set"):
        clf.fit(X, y, eval_sample_weight=[np.ones(60)])
    with pytest.raises(TypeError, match=r"wrap the pair in a list, eval_set=\[\(X_val, y_val\)\]"):
        clf.fit(X, y, eval_set=(X, y))
    with pytest.raises(TypeError, match=r"eval_set\[1\] must be an \(X, y\) pair"):
        clf.fit(X, y, eval_set=[(X, y), (X, y, y)])
    with pytest.raises(ValueError, match=r"eval_set\[0\]: X has 60 rows but y has 59"):
        clf.fit(X, y, eval_set=[(X, y[:-1])])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_estimator_negative_weights_name_sample_weight(data, cls):
    X, y = data
    w = np.ones_like(y)
    w[5] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        small(cls).fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        small(cls).fit(X, y, eval_set=[(X, y)], eval_sample_weight=[w])
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero"):
        small(cls).fit(X, y, sample_weight=np.zeros_like(y))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_estimator_empty_or_nan_targets(data, cls):
    X, y = data
    with pytest.raises(ValueError, match="X has 0 rows"):
        small(cls).fit(pd.DataFrame({"a": []}, dtype=float), [])
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        small(cls).fit(np.empty((0, 3)), [])
    y_nan = y.copy()
    y_nan[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        small(cls).fit(pd.DataFrame(X, columns=list("abc")), y_nan)


# --- estimators: the fitted loss -------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_predictions_use_the_loss_the_trees_were_trained_with(data, cls):
    X, y = data
    clf = small(cls, gamma=2.0, alpha=0.25).fit(X, y)
    before = clf.predict_proba(X)
    np.testing.assert_array_equal(
        before, FocalLoss(gamma=2.0, alpha=0.25).predict_proba(clf.decision_function(X)))
    clf.set_params(gamma=0.0, alpha=None)
    assert clf.loss_ == FocalLoss(gamma=2.0, alpha=0.25, hessian="clipped")
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert np.max(np.abs(clf.fit(X, y).predict_proba(X) - before)) > 0.01  # a refit uses it


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_proba_is_read_at_predict_time_and_a_typo_raises(data, cls):
    X, y = data
    clf = small(cls).fit(X, y)
    with pytest.raises(ValueError,
                       match="proba must be one of 'posterior', 'sigmoid', 'softmax'; got 'sigm"):
        clf.set_params(proba="sigmod").predict_proba(X)
    z = clf.decision_function(X)
    np.testing.assert_allclose(clf.set_params(proba="sigmoid").predict_proba(X)[:, 1],
                               1.0 / (1.0 + np.exp(-z)), rtol=1e-12)


@pytest.mark.parametrize("cls, params, fragment", [
    (boostfocal.FocalXGBClassifier, {"learning_rate": 0.1, "eta": 0.5},
     "eta=0.5 is the booster's name for learning_rate, which is set too"),
    (boostfocal.FocalXGBClassifier, {"random_state": 1, "seed": 2}, "seed=2 .* random_state"),
    (boostfocal.FocalLGBMClassifier, {"num_iterations": 50}, "num_iterations=50 .* n_estimators"),
    (boostfocal.FocalLGBMClassifier, {"n_jobs": 1, "num_threads": 2}, "num_threads=2 .* n_jobs"),
    (boostfocal.FocalCatBoostClassifier, {"iterations": 50}, "iterations=50 .* n_estimators"),
    (boostfocal.FocalCatBoostClassifier, {"max_depth": 4, "depth": 3}, "depth=3 .* max_depth"),
])
def test_estimator_refuses_a_booster_alias_of_a_shared_parameter_that_is_set(data, cls, params,
                                                                             fragment):
    X, y = data
    with pytest.raises(ValueError, match=fragment):
        small(cls, **params).fit(X, y)


def test_estimator_booster_alias_of_an_unset_shared_parameter_is_used(data):
    X, y = data
    a = small(boostfocal.FocalCatBoostClassifier, learning_rate=0.5).fit(X, y)
    b = small(boostfocal.FocalCatBoostClassifier, eta=0.5).fit(X, y)
    np.testing.assert_array_equal(b.decision_function(X), a.decision_function(X))


def test_catboost_estimator_cat_features_keyword_reaches_the_pools(data):
    X, y = data
    frame = pd.DataFrame(X, columns=list("abc"))
    frame["c"] = pd.Categorical(np.where(X[:, 2] > 0, "p", "n"))
    a = small(boostfocal.FocalCatBoostClassifier, cat_features=["c"]).fit(frame, y)
    b = small(boostfocal.FocalCatBoostClassifier).fit(frame, y)
    np.testing.assert_array_equal(a.decision_function(frame), b.decision_function(frame))
    with pytest.raises(catboost.CatBoostError, match="'cat_features' parameter specifies nonzero"):
        small(boostfocal.FocalCatBoostClassifier, cat_features=[0]).fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_keywords_cannot_overwrite_fitted_attributes(data, cls):
    X, y = data
    with pytest.raises(TypeError, match="invalid parameter 'init_score_'"):
        cls(init_score_=0.0)
    clf = small(cls).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="invalid parameter 'loss_'"):
        clf.set_params(loss_=FocalLoss(gamma=0.0))
    np.testing.assert_array_equal(clf.predict_proba(X), before)
