"""``python -m boostfocal compare DATA --target COLUMN ...``: read CSV / Parquet, compare, write."""
from __future__ import annotations

import pathlib
import sys


def add_parser(sub):
    p = sub.add_parser(
        "compare", help="does the focal loss help on this data? a paired comparison with a report",
        description="Train log-loss, class-weighted log-loss and the focal loss over a gamma x "
        "alpha grid on the same repeated stratified CV folds (or a time split), early-stopped on "
        "a validation split inside each fold; write report.html, results.json and results.csv.")
    p.add_argument("data", metavar="DATA", help="a .csv or .parquet file")
    p.add_argument("--target", required=True, metavar="COLUMN", help="the label column")
    p.add_argument("--booster", choices=("xgboost", "lightgbm", "catboost"), default="xgboost",
                   help="default xgboost")
    p.add_argument("--time-split", metavar="COLUMN", default=None,
                   help="order rows by this column and test each block on the past "
                   "(forward chaining) instead of CV; the column is not a feature")
    p.add_argument("--budget", type=float, default=10.0, metavar="MINUTES",
                   help="time budget; the grid or the repeats shrink to fit it (default 10)")
    p.add_argument("--folds", type=int, default=5, help="CV folds (default 5)")
    p.add_argument("--repeats", type=int, default=2, help="CV repeats (default 2)")
    p.add_argument("--precision", type=float, default=0.5,
                   help="precision at which recall is read, rarest class (default 0.5)")
    p.add_argument("--seed", type=int, default=0, help="seed of folds and boosters (default 0)")
    p.add_argument("--n-jobs", type=int, default=None,
                   help="booster threads (default: the cores not busy now; CatBoost with "
                   "more than 2 classes: 1)")
    p.add_argument("--processes", type=int, default=None,
                   help="fits at once, each in its own process (default 1; CatBoost with more "
                   "than 2 classes: the cores not busy now)")
    p.add_argument("--out", metavar="DIR", default="boostfocal-compare",
                   help="output directory (default ./boostfocal-compare)")
    return p


def read(path):
    import pandas as pd

    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"DATA: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt") or path.name.lower().endswith(".csv.gz"):
        return pd.read_csv(path)
    raise ValueError(f"DATA: {path.name} is neither .csv nor .parquet")


def run(args):
    from . import compare

    try:
        frame = read(args.data)
        result = compare(frame, args.target, booster=args.booster, time=args.time_split,
                         budget=args.budget, folds=args.folds, repeats=args.repeats,
                         precision=args.precision, random_state=args.seed, n_jobs=args.n_jobs,
                         processes=args.processes, out=args.out)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as exc:
        print(f"boostfocal compare: error: {exc}", file=sys.stderr)
        return 2
    print(result)
    for line in result.dropped:
        print(f"dropped: {line}")
    out = pathlib.Path(args.out)
    print(f"wrote {out / 'report.html'}, {out / 'results.json'}, {out / 'results.csv'}")
    return 0
