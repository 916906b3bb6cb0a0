"""polars DataFrames and pyarrow Tables in the three estimators: the same model and predictions
as the equivalent pandas frame (numeric, text and categorical columns, binary and multiclass,
eval sets); and the warning for a text column that holds mostly numbers."""
import warnings

import numpy as np
import pytest

import boostfocal

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
ESTIMATORS = [boostfocal.FocalXGBClassifier, boostfocal.FocalLGBMClassifier,
              boostfocal.FocalCatBoostClassifier]
CITIES = ["rome", "oslo", "paris", "lima"]  # not sorted: polars keeps appearance order


def small(cls, **kw):
    return cls(n_estimators=8, learning_rate=0.3, n_jobs=1, random_state=0, **kw)


def data(k, categorical):
    """A pandas frame and labels (k classes) that need the text column and a numeric one."""
    rng = np.random.default_rng(k)
    n = 400
    city = rng.choice(CITIES, n)
    x = rng.normal(size=n)
    score = (city == "rome") * 1.5 + (city == "lima") * -1.0 + x
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, k + 1)[1:-1]))
    X = pd.DataFrame({"x": x, "n": rng.integers(0, 5, n)})
    if categorical:
        X["city"] = pd.array(city, dtype="str")
        X["kind"] = pd.Series(city).astype("category")  # pandas: sorted categories
    return X, np.array(["lo", "mid", "hi", "top"])[y] if k > 2 else y


def as_polars(X):
    pl = pytest.importorskip("polars", reason="polars is not installed (pip install polars)")
    columns = {"x": X["x"].to_numpy(), "n": X["n"].to_numpy()}
    if "city" in X:
        columns["city"] = pl.Series(X["city"].to_numpy(object), dtype=pl.String)
        columns["kind"] = pl.Series(X["kind"].to_numpy(object), dtype=pl.Categorical)
    return pl.DataFrame(columns)


def assert_same(a, b, Xa, Xb):
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert list(a.feature_names_in_) == list(b.feature_names_in_) == list(Xa.columns)
    np.testing.assert_allclose(b.decision_function(Xb), a.decision_function(Xa), rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(b.predict_proba(Xb), a.predict_proba(Xa), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(b.predict(Xb), a.predict(Xa))
    assert a.n_estimators_ == b.n_estimators_ and a.best_iteration_ == b.best_iteration_


@pytest.mark.parametrize("categorical", [False, True], ids=["numeric", "text+category"])
@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_polars_equals_pandas(cls, k, categorical):
    pl = pytest.importorskip("polars", reason="polars is not installed (pip install polars)")
    X, y = data(k, categorical)
    L = as_polars(X)
    tr, va = slice(0, 300), slice(300, None)
    fit = dict(early_stopping_rounds=3)
    a = small(cls, **fit).fit(X[tr], y[tr], eval_set=[(X[va], y[va])])
    b = small(cls, **fit).fit(L[tr], pl.Series(y[tr]), eval_set=[(L[va], pl.Series(y[va]))],
                              sample_weight=pl.Series(np.ones(300)),
                              eval_sample_weight=[pl.Series(np.ones(100))])
    assert_same(a, b, X, L)
    # the polars model on pandas input, and the pandas model on polars input
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(L), rtol=0, atol=1e-12)
    if categorical:  # a later frame with another subset / order of categories: codes are fixed
        rows = np.flatnonzero(X["city"].to_numpy() == "paris")[:10]
        np.testing.assert_array_equal(b.predict_proba(L[rows.tolist()]),
                                      a.predict_proba(X.iloc[rows]))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_polars_enum_and_pyarrow_table(cls):
    pl = pytest.importorskip("polars", reason="polars is not installed (pip install polars)")
    X, y = data(2, True)
    a = small(cls).fit(X, y)
    # a pyarrow Table is its pandas frame
    T = pa.Table.from_pandas(X, preserve_index=False)
    b = small(cls).fit(T, pa.array(y))
    assert_same(a, b, X, T)
    # a polars Enum keeps its categories (their order), as a pandas CategoricalDtype does
    order = ["paris", "lima", "rome", "oslo"]
    Xe = X.astype({"kind": pd.CategoricalDtype(order)})
    Le = as_polars(X).with_columns(pl.col("kind").cast(pl.String).cast(pl.Enum(order)))
    assert_same(small(cls).fit(Xe, y), small(cls).fit(Le, y), Xe, Le)


def test_polars_lazyframe_is_refused():
    pytest.importorskip("polars", reason="polars is not installed (pip install polars)")
    X, y = data(2, False)
    with pytest.raises(TypeError, match="LazyFrame: collect"):
        small(boostfocal.FocalLGBMClassifier).fit(as_polars(X).lazy(), y)


# -- a text column of mostly numbers ----------------------------------------------------------

def numbers_with_placeholders():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=500), 3)
    values = pd.Series(x, dtype=object)
    values[::50] = "n/a"
    values[7] = "?"
    return pd.DataFrame({"ok": rng.normal(size=500), "amount": values}), (x > 0).astype(int)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_object_column_of_mostly_numbers_warns(cls):
    X, y = numbers_with_placeholders()
    with pytest.warns(UserWarning) as record:
        small(cls).fit(X, y)
    text = [str(w.message) for w in record if "mostly numbers" in str(w.message)]
    assert len(text) == 1
    assert "X column 'amount' holds mostly numbers but 11 of 500 values are not" in text[0]
    assert "['n/a', '?']" in text[0] and "pd.to_numeric(X['amount'], errors='coerce')" in text[0]
    distinct = len(set(map(str, X["amount"])))  # the categories it would otherwise become
    assert distinct > 400 and f"({distinct} here)" in text[0]
    # the same values as strings (a CSV read as text) warn too
    with pytest.warns(UserWarning, match="'amount' holds mostly numbers"):
        small(cls).fit(X.astype({"amount": "str"}), y)
    # no warning once the user decided: converted to numbers, or cast to category
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numeric = X.assign(amount=pd.to_numeric(X["amount"], errors="coerce"))
        assert numeric["amount"].isna().sum() == 11
        small(cls).fit(numeric, y)
        small(cls).fit(X.assign(amount=X["amount"].astype(str).astype("category")), y)
        # a genuine text column (no numbers, or numbers a minority) does not warn
        words = X.assign(amount=np.where(y == 1, "high", "low"))
        words.loc[:100, "amount"] = "7"
        small(cls).fit(words, y)
