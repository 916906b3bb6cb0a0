"""scikit-learn estimators: behave like any classifier, and the focal parts are right."""
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import boostfocal
from boostfocal import FocalLoss

ESTIMATORS = [boostfocal.FocalXGBClassifier, boostfocal.FocalLGBMClassifier,
              boostfocal.FocalCatBoostClassifier]
SMALL = {"n_estimators": 10, "n_jobs": 1}


def small(cls, **kw):
    return cls(**{**SMALL, **kw})


@parametrize_with_checks([small(cls) for cls in ESTIMATORS],
                         expected_failed_checks=lambda est: getattr(est, "_xfail_checks", {}))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(3000, 8, n_informative=5, weights=[0.9], random_state=1)
    return X, y


# --- fitting and predicting -------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("labels", [("no", "yes"), (False, True), (-1, 1), (3, 7)])
def test_any_binary_label_type(cls, labels, imbalanced):
    X, y = imbalanced
    yl = np.where(y == 1, labels[1], labels[0])
    clf = small(cls, gamma=2.0).fit(X, yl)
    assert list(clf.classes_) == sorted(labels)
    pred = clf.predict(X)
    assert set(pred) <= set(labels) and np.mean(pred == yl) > 0.85
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # predict_proba is the focal posterior of the raw score; predict its larger column
    z = clf.decision_function(X)
    np.testing.assert_allclose(proba, clf.focal_loss().predict_proba(z), rtol=1e-12)
    np.testing.assert_array_equal(pred, clf.classes_[(proba[:, 1] > 0.5).astype(int)])
    assert clf.score(X, yl) == pytest.approx(np.mean(pred == yl))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sigmoid_option_and_init_score(cls, imbalanced):
    X, y = imbalanced
    clf = small(cls, proba="sigmoid", init_score="optimal").fit(X, y)
    z = clf.decision_function(X)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)
    loss = FocalLoss(gamma=2.0)
    assert clf.init_score_ == pytest.approx(loss.init_score(y), rel=1e-9)
    default = small(cls).fit(X, y)  # the study's defaults: zero start, clipped hessian
    assert default.init_score_ == 0.0 and default.focal_loss().get_params()["hessian"] == "clipped"


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("init_score", ["optimal", "zero"])
def test_training_really_starts_at_init_score(cls, init_score, imbalanced):
    # one round at a negligible learning rate leaves the raw score at the start
    X, y = imbalanced
    clf = small(cls, init_score=init_score, n_estimators=1, learning_rate=1e-6).fit(X, y)
    start = FocalLoss(gamma=2.0).init_score(y) if init_score == "optimal" else 0.0
    assert clf.init_score_ == pytest.approx(start, rel=1e-9)
    np.testing.assert_allclose(clf.decision_function(X), start, atol=1e-3)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_parameters_are_clear_errors(cls, imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="y has one class only"):
        small(cls).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="gamma must be a finite number"):
        small(cls, gamma=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="init_score must be one of"):
        small(cls, init_score="mean").fit(X, y)
    with pytest.raises(ValueError, match="proba must be one of"):
        small(cls, proba="logit").fit(X, y)
    with pytest.raises(ValueError, match="early_stopping_rounds needs an eval_set"):
        small(cls, early_stopping_rounds=5).fit(X, y)


def test_xgboost_rejects_scale_pos_weight_and_base_score(imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="scale_pos_weight"):
        small(boostfocal.FocalXGBClassifier, scale_pos_weight=5.0).fit(X, y)
    with pytest.raises(ValueError, match="base_score is set by init_score"):
        small(boostfocal.FocalXGBClassifier, base_score=0.3).fit(X, y)


# --- parameters --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_params_are_visible_and_settable(cls, imbalanced):
    X, y = imbalanced
    clf = cls(gamma=1.0, alpha=0.25, n_estimators=7, some_booster_param=3)
    params = clf.get_params()
    assert params["gamma"] == 1.0 and params["alpha"] == 0.25 and params["some_booster_param"] == 3
    assert clone(clf).get_params() == params
    clf.set_params(gamma=0.5, some_booster_param=4)
    assert clf.get_params()["gamma"] == 0.5 and clf.get_params()["some_booster_param"] == 4
    a = small(cls, gamma=0.0).fit(X, y).decision_function(X)
    b = small(cls, gamma=0.0).set_params(gamma=3.0).fit(X, y).decision_function(X)
    assert np.max(np.abs(a - b)) > 0.1  # set_params really changes the objective


def test_unknown_booster_keywords_reach_the_booster(imbalanced):
    X, y = imbalanced
    shallow = small(boostfocal.FocalXGBClassifier, max_leaves=2, grow_policy="lossguide",
                    tree_method="hist").fit(X, y)
    dump = shallow.get_booster().get_dump()
    assert all(tree.count("leaf=") <= 2 for tree in dump)
    lgbm = small(boostfocal.FocalLGBMClassifier, num_leaves=3).fit(X, y)
    assert lgbm.booster_.dump_model()["tree_info"][1]["num_leaves"] <= 3


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_grid_search_really_searches(cls, imbalanced):
    X, y = imbalanced
    grid = GridSearchCV(small(cls), {"gamma": [0.0, 1.0, 2.0], "alpha": [None, 0.25]},
                        scoring="neg_log_loss", cv=3, n_jobs=2).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 6 and len(set(np.round(scores, 6))) == 6
    assert grid.best_params_ == dict(zip(["alpha", "gamma"], [
        grid.cv_results_["param_alpha"][grid.best_index_],
        grid.cv_results_["param_gamma"][grid.best_index_]]))


# --- composition with scikit-learn -----------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("frame", [False, True])
def test_pipeline_cross_val_and_calibration(cls, frame, imbalanced):
    X, y = imbalanced
    if frame:
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        y = pd.Series(y, name="target")
    pipe = make_pipeline(StandardScaler().set_output(transform="pandas" if frame else "default"),
                         small(cls))
    ap = cross_val_score(pipe, X, y, cv=3, scoring="average_precision")
    assert ap.shape == (3,) and np.all(ap > 0.5)
    cal = CalibratedClassifierCV(small(cls), cv=3).fit(X, y)
    p = cal.predict_proba(X)[:, 1]
    assert np.all((p >= 0) & (p <= 1)) and log_loss(np.asarray(y) == cal.classes_[1], p) < 0.3
    grid = GridSearchCV(pipe, {f"{type(pipe[-1]).__name__.lower()}__gamma": [0.0, 2.0]}, cv=2,
                        scoring="average_precision", n_jobs=2).fit(X, y)
    assert grid.best_score_ > 0.5


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pandas_input_names_and_categoricals(cls, imbalanced):
    X, y = imbalanced
    rng = np.random.default_rng(0)
    df = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    # a categorical that carries signal the numeric columns do not
    cat = np.where(y == 1, rng.choice(["u", "v"], len(y), p=[0.8, 0.2]),
                   rng.choice(["u", "v", "w"], len(y), p=[0.1, 0.1, 0.8]))
    df["k"] = pd.Categorical(cat)
    clf = small(cls, n_estimators=30).fit(df, y)
    assert clf.n_features_in_ == 5 and list(clf.feature_names_in_) == ["a", "b", "c", "d", "k"]
    numeric_only = small(cls, n_estimators=30).fit(df.drop(columns="k"), y)
    assert clf.score(df, y) > numeric_only.score(df.drop(columns="k"), y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"a": "z"}))
    with pytest.raises(TypeError, match="numeric, bool, pandas 'category', str or object"):
        small(cls).fit(df.assign(s=pd.Timestamp("2026-01-01")), y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_and_joblib_round_trip(cls, imbalanced, tmp_path):
    X, y = imbalanced
    clf = small(cls, gamma=2.0, alpha=0.25).fit(X, y, sample_weight=np.linspace(0.5, 2, len(y)))
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").decision_function(X),
                                  clf.decision_function(X))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_early_stopping_on_the_focal_loss(cls, imbalanced):
    X, y = imbalanced
    clf = cls(n_estimators=400, learning_rate=0.3, n_jobs=1, early_stopping_rounds=10)
    clf.fit(X[:2000], y[:2000], eval_set=[(X[2000:], y[2000:])])
    assert clf.best_iteration_ is not None and clf.best_iteration_ < 390
    # best_iteration_ is the 0-based round with the least validation focal loss, for every booster
    Xv, yv = X[2000:], y[2000:].astype(float)
    losses = [clf.focal_loss().mean_loss(yv, _raw_after(clf, Xv, k + 1))
              for k in range(clf.n_estimators_)]
    assert clf.best_iteration_ == int(np.argmin(losses))
    np.testing.assert_allclose(clf.decision_function(Xv),
                               _raw_after(clf, Xv, clf.best_iteration_ + 1), rtol=1e-6)


def _raw_after(clf, X, rounds):
    """Raw score (start included) of the first ``rounds`` trees, through each booster's API."""
    import xgboost as xgb

    b = clf.booster_
    if isinstance(clf, boostfocal.FocalXGBClassifier):
        return b.predict(xgb.DMatrix(X), output_margin=True, iteration_range=(0, rounds))
    if isinstance(clf, boostfocal.FocalLGBMClassifier):
        return b.predict(X, raw_score=True, num_iteration=rounds)
    return b.predict(X, prediction_type="RawFormulaVal", ntree_end=rounds)


# --- the focal parts -------------------------------------------------------------------------------
def _known_posterior(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    logit = 2.5 * X[:, 0] - 1.5 * X[:, 1] ** 2 - 2.0
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), 1 / (1 + np.exp(-logit))


def _ece(y, p, bins=15):
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    return sum(abs(y[idx == b].mean() - p[idx == b].mean()) * np.mean(idx == b)
               for b in range(bins) if np.any(idx == b))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_focal_posterior_is_calibrated_where_the_sigmoid_is_not(cls):
    X, y, _ = _known_posterior(20000, 0)
    Xt, yt, truth = _known_posterior(20000, 1)
    clf = cls(gamma=2.0, n_estimators=150, learning_rate=0.1, max_depth=3, n_jobs=1).fit(X, y)
    posterior = clf.predict_proba(Xt)[:, 1]
    sigmoid = 1 / (1 + np.exp(-clf.decision_function(Xt)))
    assert log_loss(yt, posterior) < log_loss(yt, sigmoid)
    assert _ece(yt, posterior) < _ece(yt, sigmoid)
    assert np.mean(np.abs(posterior - truth)) < np.mean(np.abs(sigmoid - truth))


def test_gamma0_matches_builtin_xgboost_classifier(imbalanced):
    import xgboost as xgb

    X, y = imbalanced
    w = np.linspace(0.5, 2.0, len(y))
    ours = boostfocal.FocalXGBClassifier(gamma=0.0, n_estimators=50, n_jobs=1,
                                         init_score="optimal").fit(X, y, w)  # as the built-in
    ybar = np.dot(w, y) / w.sum()
    ref = xgb.XGBClassifier(n_estimators=50, n_jobs=1, base_score=ybar).fit(X, y,
                                                                             sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_gamma0_matches_builtin_lightgbm_classifier(imbalanced):
    import lightgbm as lgb

    X, y = imbalanced
    w = np.linspace(0.5, 2.0, len(y))
    ours = boostfocal.FocalLGBMClassifier(gamma=0.0, n_estimators=50, n_jobs=1,
                                          init_score="optimal").fit(X, y, w)  # as the built-in
    ref = lgb.LGBMClassifier(n_estimators=50, n_jobs=1, verbosity=-1,
                             feature_pre_filter=False).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_catboost_expected_failure_is_upstream():
    """The scikit-learn checks listed as expected to fail for FocalCatBoostClassifier fail for
    CatBoost's own classifier with its built-in Logloss too."""
    from catboost import CatBoostClassifier
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    from sklearn.utils import estimator_checks

    assert set(boostfocal.FocalCatBoostClassifier._xfail_checks) == {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data"}
    with pytest.raises(AssertionError, match="not equivalent"):
        check_sample_weight_equivalence_on_dense_data(
            "CatBoostClassifier", CatBoostClassifier(iterations=10, thread_count=1, verbose=False,
                                                     allow_writing_files=False))
    # CatBoostClassifier refuses sparse arrays itself; as scipy matrices it fails the same way
    with pytest.raises(AssertionError, match="not equivalent"):
        estimator_checks.check_sample_weight_equivalence_on_sparse_data(
            "FocalCatBoostClassifier", boostfocal.FocalCatBoostClassifier(
                gamma=0.0, init_score="optimal", n_estimators=10, n_jobs=1))


def test_xgboost_xfail_is_xgboosts_own():
    # the one scikit-learn check FocalXGBClassifier is excused from fails for XGBClassifier too
    import xgboost as xgb
    from sklearn.utils import estimator_checks

    assert set(boostfocal.FocalXGBClassifier._xfail_checks) == {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data"}
    for name in boostfocal.FocalXGBClassifier._xfail_checks:
        for base_score in (None, 0.5):  # its own start and the zero margin
            with pytest.raises(AssertionError, match="not equivalent"):
                getattr(estimator_checks, name)(
                    "XGBClassifier", xgb.XGBClassifier(n_estimators=10, n_jobs=1,
                                                       base_score=base_score))


def test_gamma0_matches_builtin_catboost_classifier(imbalanced):
    from catboost import CatBoostClassifier

    X, y = imbalanced
    w = np.linspace(0.5, 2.0, len(y))
    pinned = dict(n_estimators=50, learning_rate=0.1, leaf_estimation_iterations=1,
                  leaf_estimation_backtracking="No", random_state=0, n_jobs=1)
    ours = boostfocal.FocalCatBoostClassifier(gamma=0.0, init_score="optimal", **pinned).fit(X, y, w)
    ref = CatBoostClassifier(loss_function="Logloss", boost_from_average=True, verbose=False,
                             allow_writing_files=False, iterations=50, learning_rate=0.1,
                             leaf_estimation_iterations=1, leaf_estimation_backtracking="No",
                             random_seed=0, thread_count=1).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
