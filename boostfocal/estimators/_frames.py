"""Frame inputs for the estimators (pandas; polars and pyarrow through pandas): categorical
columns fixed at fit time.

polars DataFrames and pyarrow Tables become the equivalent pandas frame first (``as_pandas``), so
they train and predict exactly as it does; a polars ``Categorical`` column gets its categories in
sorted order, as ``astype("category")`` gives in pandas (polars orders them by first appearance),
an ``Enum`` keeps its own.

Categorical columns are pandas ``category``, string (``str``, pandas 3's default for text) and
``object`` columns of non-numbers (``object`` columns of numbers become float64). At fit the
categories of each are recorded (a ``category`` column keeps its own; text columns get their
sorted distinct values); every later frame (eval sets, predict) is re-coded to exactly those
categories, so a code means the same value at fit and at predict whatever order or subset of
values a later frame holds.

- XGBoost, LightGBM: the columns become pandas ``category`` (their native categorical splits).
  A value not seen at fit becomes missing (the boosters' own handling of a category they have
  no split for), with a ``UserWarning`` naming the column and values.
- A text column whose values are mostly numbers (numbers with a few ``"n/a"``) warns at fit:
  it would otherwise become a many-category feature. Cast it with ``pd.to_numeric(col,
  errors="coerce")`` (numbers, the rest missing) or to ``category`` (categorical on purpose).
- CatBoost: the columns become text ``cat_features`` (CatBoost's native handling); missing values
  become the category ``"nan"`` (CatBoost refuses NaN there). An unseen value is given to CatBoost
  as is (it scores it with its prior, as for any new category), with the same warning.
"""
from __future__ import annotations

import warnings

import numpy as np

_NUMERIC_OBJECTS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean"}
MISSING = "nan"  # CatBoost's text for a missing categorical value


def as_pandas(X):
    """``X`` as a pandas frame when it is a polars DataFrame or a pyarrow Table / RecordBatch
    (needs pyarrow); anything else unchanged."""
    module = type(X).__module__.partition(".")[0]
    if module == "polars":
        import polars as pl

        if isinstance(X, pl.LazyFrame):
            raise TypeError("X is a polars LazyFrame: collect() it into a DataFrame first")
        if not isinstance(X, pl.DataFrame):
            return X
        frame = X.to_pandas()
        for name, dtype in X.schema.items():  # appearance order -> sorted, as pandas has it
            if dtype == pl.Categorical:
                col = frame[name]
                frame[name] = col.cat.set_categories(sorted(col.dropna().unique()))
        return frame
    if module == "pyarrow" and hasattr(X, "schema") and hasattr(X, "to_pandas"):
        return X.to_pandas()
    return X


def as_labels(y):
    """A polars Series or pyarrow (chunked) array as numpy (what scikit-learn reads); else
    ``y`` unchanged."""
    module = type(y).__module__.partition(".")[0]
    if module == "polars" and hasattr(y, "to_numpy") and not hasattr(y, "columns"):
        return y.to_numpy()
    if module == "pyarrow" and hasattr(y, "to_numpy") and not hasattr(y, "schema"):
        return y.to_numpy(zero_copy_only=False)
    return y


def _kind(column):
    """'numeric', 'category', 'text' or None (unsupported) for a pandas column."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if dtype == object:
        inferred = pd.api.types.infer_dtype(column, skipna=True)
        if inferred in _NUMERIC_OBJECTS:
            return "numeric-object"
        return "text" if inferred != "empty" else "numeric-object"
    if getattr(dtype, "kind", None) in ("b", "i", "u", "f"):
        return "numeric"
    return None


def warn_mostly_numbers(name, values):
    """Warn when a text column's non-missing values are mostly numbers (at least half parse
    as one) but some do not: likely a numeric column with a few placeholders ("n/a", "?")."""
    import pandas as pd

    present = values[values.notna()]
    if present.empty:
        return
    numbers = pd.to_numeric(present, errors="coerce")
    bad = numbers.isna()
    if not bad.any() or bad.mean() > 0.5:
        return
    shown = list(pd.unique(present[bad].astype(object)))[:5]
    warnings.warn(
        f"X column {name!r} holds mostly numbers but {int(bad.sum())} of {len(present)} values "
        f"are not, e.g. {shown}: it is treated as text, one category per distinct value "
        f"({present.nunique()} here). If it is numeric, convert it first, "
        f"X[{name!r}] = pd.to_numeric(X[{name!r}], errors='coerce') (the others become missing); "
        "to keep it categorical on purpose, cast it to 'category'", UserWarning, stacklevel=5)


class FrameCategories:
    """The categorical columns of a training frame and their categories (see module docstring)."""

    def __init__(self, X):
        import pandas as pd

        kinds = {c: _kind(X[c]) for c in X.columns}
        bad = [(c, str(X[c].dtype)) for c, k in kinds.items() if k is None]
        if bad:
            raise TypeError(f"X columns must be numeric, bool, pandas 'category', str or object "
                            f"(text); got {bad[:5]}")
        self.kinds = kinds
        self.categories = {}
        for c, k in kinds.items():
            if k == "category":
                self.categories[c] = X[c].cat.categories
            elif k == "text":
                warn_mostly_numbers(c, X[c])
                values = _text(X[c])
                self.categories[c] = pd.Index(np.unique(values[values.notna()].to_numpy(str)))

    @property
    def columns(self):
        """The categorical columns, in frame order."""
        return [c for c in self.kinds if c in self.categories]

    def apply(self, X, native_text=False):
        """A copy of ``X`` with the fitted categories (``native_text``: as CatBoost text)."""
        import pandas as pd

        if list(X.columns) != list(self.kinds):  # validate_data has checked the names already
            raise ValueError("X has other columns than at fit")
        out = {}
        for c, kind in self.kinds.items():
            col = X[c]
            if c not in self.categories:  # numeric at fit
                now = _kind(col)
                if now == "numeric":
                    out[c] = col
                elif now == "numeric-object":
                    out[c] = pd.to_numeric(col, errors="raise").astype(np.float64)
                else:
                    raise TypeError(f"X column {c!r} was numeric at fit; got {col.dtype}")
                continue
            values = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) \
                else col
            if kind == "text":
                values = _text(values)
            known = self.categories[c]
            present = values.notna()
            unseen = present & ~values.isin(known)
            if unseen.any():
                shown = list(pd.unique(values[unseen]))[:5]
                what = ("given to CatBoost as new categories" if native_text else
                        "treated as missing")
                warnings.warn(f"X column {c!r} has values not seen at fit: {shown} "
                              f"({int(unseen.sum())} rows); {what}", UserWarning, stacklevel=4)
            if native_text:
                out[c] = values.astype(object).where(present, MISSING).map(str)
            else:
                out[c] = pd.Categorical(values.where(present & ~unseen), categories=known)
        return pd.DataFrame(out, index=X.index)


def _text(column):
    """A text/object column as object strings, missing values kept missing."""
    return column.astype(object).map(str).where(column.notna())
