"""The estimators with three or more classes: the multiclass focal loss, trained automatically;
two classes keep the binary loss."""
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

import boostfocal
from boostfocal import FocalLoss

pytest.importorskip("boostfocal.multiclass")
from boostfocal.multiclass import MulticlassFocalLoss  # noqa: E402

ESTIMATORS = [boostfocal.FocalXGBClassifier, boostfocal.FocalLGBMClassifier,
              boostfocal.FocalCatBoostClassifier]
SMALL = {"n_estimators": 8, "n_jobs": 1}
LABELS = np.array(["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "ibis", "jay"])


def small(cls, **kw):
    return cls(**{**SMALL, **kw})


def data(k, n=400, seed=0, rare=True):
    """n rows of k classes (the last one rare when ``rare``), labels from LABELS."""
    weights = None
    if rare:
        weights = [(1.0 - 0.06) / (k - 1)] * (k - 1) + [0.06]
    X, y = make_classification(n, 6, n_informative=5, n_redundant=0, n_classes=k,
                               n_clusters_per_class=1, weights=weights, class_sep=2.0,
                               random_state=seed)
    return X, LABELS[y]


@pytest.fixture(scope="module")
def three():
    X, y = data(3, n=600)
    return X, y


# --- shapes, labels, links ---------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_three_classes_train_the_multiclass_loss(cls, three):
    X, y = three
    perm = np.random.default_rng(0).permutation(len(y))  # label order does not matter
    clf = small(cls, gamma=1.5).fit(X[perm], y[perm])
    assert list(clf.classes_) == ["ant", "bee", "cat"] and clf.n_classes_ == 3
    loss = clf.focal_loss()
    assert isinstance(loss, MulticlassFocalLoss) and loss.gamma == 1.5
    z = clf.decision_function(X)
    assert z.shape == (len(y), 3) and clf.init_score_.shape == (3,)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, loss.predict_proba(z), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    pred = clf.predict(X)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert np.mean(pred == y) > 0.8
    # proba="softmax" (or "sigmoid"): the boosters' own link of the same raw scores
    for link in ("softmax", "sigmoid"):
        clf.set_params(proba=link)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        np.testing.assert_allclose(clf.predict_proba(X), e / e.sum(axis=1, keepdims=True),
                                   rtol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_two_classes_stay_binary(cls, three):
    X, y = three
    keep = y != "cat"
    clf = small(cls).fit(X[keep], y[keep])
    assert isinstance(clf.focal_loss(), FocalLoss) and clf.init_score_ == 0.0
    z = clf.decision_function(X[keep])
    assert z.shape == (keep.sum(),)
    np.testing.assert_allclose(clf.predict_proba(X[keep]),
                               FocalLoss(gamma=2.0, hessian="clipped").predict_proba(z),
                               rtol=1e-12)


# CatBoost compiles a kernel per K and parameter set (seconds each): every K for the other two,
# the ends and the binary case for it
@pytest.mark.parametrize("cls, k", [(cls, k) for cls in ESTIMATORS[:2] for k in range(2, 11)]
                         + [(ESTIMATORS[2], k) for k in (2, 3, 10)])
def test_k_classes_2_to_10(cls, k):
    X, y = data(k, n=60 * k, seed=k)
    clf = small(cls, init_score="optimal").fit(X, y)
    assert list(clf.classes_) == list(LABELS[:k])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), k) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.mean(clf.predict(X) == y) > 1.5 / k  # well above chance
    if k > 2:  # the optimal start: K margins, the multiclass loss's own
        onehot = (y[:, None] == clf.classes_).astype(float)
        np.testing.assert_allclose(clf.init_score_, clf.focal_loss().init_score(onehot),
                                   rtol=1e-12)
        assert clf.init_score_.shape == (k,)


# --- per-class gamma and alpha -----------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_alpha_as_sequence_or_dict_by_label(cls, three):
    X, y = three
    seq = small(cls, alpha=[1.0, 2.0, 4.0], gamma=[1.0, 2.0, 3.0], random_state=0).fit(X, y)
    by_label = small(cls, alpha={"cat": 4.0, "ant": 1.0, "bee": 2.0},
                     gamma={"bee": 2.0, "cat": 3.0, "ant": 1.0}, random_state=0).fit(X, y)
    assert seq.focal_loss() == by_label.focal_loss() == MulticlassFocalLoss(
        gamma=[1.0, 2.0, 3.0], alpha=[1.0, 2.0, 4.0], hessian="clipped")
    np.testing.assert_array_equal(seq.decision_function(X), by_label.decision_function(X))
    plain = small(cls, random_state=0).fit(X, y)
    assert not np.allclose(plain.decision_function(X), seq.decision_function(X))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_binary_style_parameters_with_k_classes_are_clear_errors(cls, three):
    X, y = three
    with pytest.raises(ValueError, match=r"alpha=0.25 is the binary focal loss's weight of the "
                                         r"positive class, but y has 3 classes .*a sequence in "
                                         r"classes_ order .* or a dict keyed by class label"):
        small(cls, alpha=0.25).fit(X, y)
    with pytest.raises(ValueError, match="pos_weight=3.0 weighs the positive class .* pass alpha"):
        small(cls, pos_weight=3.0).fit(X, y)
    with pytest.raises(ValueError, match=r"alpha has 2 values but y has 3 classes"):
        small(cls, alpha=[1.0, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match=r"missing \['cat'\], not a class \['cow'\]"):
        small(cls, alpha={"ant": 1.0, "bee": 1.0, "cow": 1.0}).fit(X, y)
    with pytest.raises(ValueError, match=r"gamma has 4 values but y has 3 classes"):
        small(cls, gamma=[1.0, 2.0, 3.0, 4.0]).fit(X, y)
    with pytest.raises(ValueError, match="alpha"):  # negative weights: the loss's own check
        small(cls, alpha=[1.0, -1.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match=r"eval_set labels \['cow'\] are not among classes_"):
        small(cls).fit(X, y, eval_set=[(X[:3], np.array(["ant", "bee", "cow"]))])


# --- scikit-learn machinery ---------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS[:2])  # CatBoost: a kernel compile per grid point
def test_grid_search_over_gamma_and_alpha(cls, three):
    X, y = three
    grid = {"gamma": [0.0, 2.0], "alpha": [None, {"ant": 1.0, "bee": 1.0, "cat": 5.0}]}
    search = GridSearchCV(small(cls), grid, cv=2, scoring="neg_log_loss").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and len(set(np.round(scores, 12))) == 4  # really differ
    best = search.best_estimator_
    assert best.predict_proba(X).shape == (len(y), 3)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_and_clone(cls, three):
    X, y = three
    clf = small(cls, alpha={"ant": 1.0, "bee": 2.0, "cat": 3.0}).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.classes_, clf.classes_)
    assert clone(clf).get_params()["alpha"] == {"ant": 1.0, "bee": 2.0, "cat": 3.0}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_early_stopping_on_the_multiclass_focal_loss(cls, three):
    X, y = three
    clf = cls(n_estimators=400, learning_rate=0.3, n_jobs=1, early_stopping_rounds=5)
    clf.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
    # stopped long before 400 rounds (LightGBM and CatBoost keep the trees up to the best)
    assert clf.best_iteration_ is not None and clf.best_iteration_ < clf.n_estimators_ < 400
    loss = clf.focal_loss()
    codes = np.searchsorted(clf.classes_, y[400:])
    best = loss.mean_loss(codes, clf.decision_function(X[400:]))
    assert best < loss.mean_loss(codes, np.zeros((len(codes), 3)))  # it learned something


# --- gamma = 0 is each booster's own softmax -----------------------------------------------------
@pytest.fixture(scope="module")
def weighted3():
    X, y = make_classification(900, 6, n_informative=5, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, weights=[0.6, 0.3, 0.1], random_state=0)
    return X, y, np.linspace(0.5, 2.0, len(y))


def test_gamma0_is_xgboost_multi_softprob(weighted3):
    import xgboost as xgb

    X, y, w = weighted3
    ours = boostfocal.FocalXGBClassifier(gamma=0.0, init_score="optimal", n_estimators=20,
                                         n_jobs=1).fit(X, y, w)
    ref = xgb.XGBClassifier(objective="multi:softprob", n_estimators=20, n_jobs=1,
                            base_score=[float(v) for v in ours.init_score_]).fit(
        X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_gamma0_is_lightgbm_multiclass(weighted3):
    import lightgbm as lgb

    X, y, w = weighted3  # LightGBM starts at log class frequencies: the softmax optimum
    ours = boostfocal.FocalLGBMClassifier(gamma=0.0, init_score="optimal", n_estimators=20,
                                          n_jobs=1).fit(X, y, w)
    ref = lgb.LGBMClassifier(objective="multiclass", n_estimators=20, n_jobs=1, verbosity=-1,
                             feature_pre_filter=False).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_gamma0_is_catboost_multiclass(weighted3):
    from catboost import CatBoostClassifier

    X, y, w = weighted3
    pinned = dict(learning_rate=0.1, leaf_estimation_iterations=1, bootstrap_type="No",
                  leaf_estimation_backtracking="No")
    ours = boostfocal.FocalCatBoostClassifier(gamma=0.0, n_estimators=20, random_state=0,
                                              n_jobs=1, **pinned).fit(X, y, w)
    ref = CatBoostClassifier(loss_function="MultiClass", iterations=20, random_seed=0,
                             thread_count=1, verbose=False, allow_writing_files=False,
                             **pinned).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize("cls, module", [(ESTIMATORS[0], "xgboost"), (ESTIMATORS[1], "lightgbm"),
                                         (ESTIMATORS[2], "catboost")])
def test_booster_predicts_what_the_estimator_predicts(cls, module, three):
    import importlib

    X, y = three
    clf = small(cls, init_score="optimal", alpha={"ant": 1.0, "bee": 2.0, "cat": 3.0})
    clf.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], early_stopping_rounds=3)
    mod = importlib.import_module(f"boostfocal.{module}")
    data = X
    if module == "xgboost":
        import xgboost as xgb

        data = xgb.DMatrix(X)
    # the booster stores the multiclass loss and the K start margins: its module's
    # predict_proba is the estimator's
    np.testing.assert_allclose(mod.predict_proba(clf.booster_, data), clf.predict_proba(X),
                               rtol=1e-12, atol=1e-15)
    assert clf.feature_importances_.shape == (X.shape[1],)
