"""Everyday inputs for the three estimators: pandas text (str, object) and category columns,
values unseen at fit, scipy sparse matrices, and the message for soft labels."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import boostfocal

pd = pytest.importorskip("pandas")
ESTIMATORS = [boostfocal.FocalXGBClassifier, boostfocal.FocalLGBMClassifier,
              boostfocal.FocalCatBoostClassifier]
CITIES = ["oslo", "paris", "rome"]


def small(cls, **kw):
    return cls(n_estimators=20, learning_rate=0.3, n_jobs=1, random_state=0, **kw)


@pytest.fixture(scope="module")
def frame():
    """A text column that decides the label with a numeric one (neither alone does)."""
    rng = np.random.default_rng(0)
    n = 600
    city = rng.choice(CITIES, n)
    x = rng.normal(size=n)
    y = ((city == "rome") ^ (x > 1.0)).astype(int)
    return pd.DataFrame({"city": pd.array(city, dtype="str"), "x": x}), y


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_text_columns_train_and_predict_like_categories(cls, frame):
    X, y = frame
    clf = small(cls).fit(X, y)
    p = clf.predict_proba(X)
    assert (clf.predict(X) == y).mean() > 0.95  # the text column is used
    assert (small(cls).fit(X[["x"]], y).predict(X[["x"]]) == y).mean() < 0.8
    # the same values as object or category columns give the same model and predictions
    for dtype in (object, "category"):
        Xd = X.astype({"city": dtype})
        np.testing.assert_array_equal(clf.predict_proba(Xd), p)
        np.testing.assert_array_equal(small(cls).fit(Xd, y).predict_proba(X), p)
    # codes are fixed at fit: a frame holding one city (a category dtype with one category, in
    # another order) predicts what the full frame predicts for those rows
    rome = np.flatnonzero(X["city"] == "rome")[:20]
    only = X.iloc[rome].astype({"city": pd.CategoricalDtype(["rome"])})
    np.testing.assert_array_equal(clf.predict_proba(only), p[rome])
    reordered = X.astype({"city": pd.CategoricalDtype(CITIES[::-1])})
    np.testing.assert_array_equal(clf.predict_proba(reordered), p)
    # eval sets go through the same categories
    early = small(cls, early_stopping_rounds=5).fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
    assert early.best_iteration_ is not None


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_unseen_and_missing_categories(cls, frame):
    X, y = frame
    clf = small(cls).fit(X, y)
    new = X.iloc[:4].copy()
    # the frame's own text dtype: pandas 3's "str" keeps None missing; pandas 2's "str" is numpy
    # text, which turns None into the string 'None' (its frames hold text as object)
    new["city"] = pd.array(["berlin", None, "rome", "berlin"], dtype=X["city"].dtype)
    new["x"] = 0.5
    with pytest.warns(UserWarning, match=r"column 'city' has values not seen at fit: \['berlin'\]"
                      r" \(2 rows\)"):
        p = clf.predict_proba(new)[:, 1]
    assert np.all(np.isfinite(p))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing value is not "unseen"
        q = clf.predict_proba(new.iloc[1:3])[:, 1]
    np.testing.assert_array_equal(p[1:3], q)
    if cls is not boostfocal.FocalCatBoostClassifier:  # unseen is missing, as documented
        assert p[0] == p[1] == p[3]
    # missing values at fit are a category of their own (CatBoost) or missing (the others)
    gaps = X.copy()
    gaps.loc[::7, "city"] = None
    assert (small(cls).fit(gaps, y).predict(gaps) == y).mean() > 0.9


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_object_columns_of_numbers_are_numbers(cls, frame):
    X, y = frame
    clf = small(cls).fit(X, y)
    as_object = X.astype({"x": object})
    np.testing.assert_array_equal(clf.predict_proba(as_object), clf.predict_proba(X))
    with pytest.raises(TypeError, match="'x' was numeric at fit"):
        clf.predict(X.assign(x="a"))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", ["csr_matrix", "csc_matrix", "csr_array"])
def test_scipy_sparse(cls, kind):
    rng = np.random.default_rng(1)
    dense = rng.normal(size=(500, 6)) * (rng.uniform(size=(500, 6)) < 0.4)
    y = (dense[:, 0] + dense[:, 1] > 0.3).astype(int)
    X = getattr(sp, kind)(dense)
    clf = small(cls).fit(X, y)
    # XGBoost reads a sparse matrix's absent entries as missing; LightGBM and CatBoost as zeros
    same = np.where(dense == 0, np.nan, dense) if cls is boostfocal.FocalXGBClassifier else dense
    ref = small(cls).fit(same, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(same), rtol=1e-6)
    assert (clf.predict(X) == y).mean() > 0.85


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_soft_labels_point_to_the_native_api(cls):
    X = np.random.default_rng(2).normal(size=(50, 3))
    with pytest.raises(ValueError, match=r"continuous \(soft labels\?\).*native API.*"
                       r"boostfocal.xgboost.train"):
        small(cls).fit(X, np.linspace(0.0, 1.0, 50))
