"""``compare``'s fits in processes or on threads (issue 26's "uses all cores sensibly"): the same
run with ``processes=1, n_jobs=P`` (threads), ``processes=P, n_jobs=1`` (processes) and
``processes=1, n_jobs=1`` (one), in turn, wall time each.

    python benchmarks/bench_compare_processes.py --booster catboost --classes 5
    python benchmarks/bench_compare_processes.py --booster xgboost --classes 2 --rows 20000
"""
import argparse
import os
import time

import numpy as np
from sklearn.datasets import make_classification

import boostfocal


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--booster", default="catboost")
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--skip", choices=("threads", "processes", "one"), default=None)
    args = ap.parse_args()
    weights = [0.04] + [0.96 / (args.classes - 1)] * (args.classes - 1)
    X, y = make_classification(args.rows, 20, n_informative=10, n_classes=args.classes,
                               weights=weights, random_state=0)
    kw = dict(booster=args.booster, folds=3, repeats=1, gammas=(1.0, 2.0), budget=None,
              n_estimators=300, early_stopping_rounds=20, progress=False)
    forms = {"threads": dict(processes=1, n_jobs=args.cores),
             "processes": dict(processes=args.cores, n_jobs=1),
             "one": dict(processes=1, n_jobs=1)}
    if args.skip:
        forms.pop(args.skip)
    print(f"{args.booster}, {args.rows} x 20, K = {args.classes}, load {os.getloadavg()[0]:.2f}")
    seconds, results = {f: [] for f in forms}, {}
    for _ in range(args.reps):
        for form, extra in forms.items():
            t = time.perf_counter()
            results[form] = boostfocal.compare(X, y, **kw, **extra)
            seconds[form].append(time.perf_counter() - t)
    for form in forms:
        print(f"{form:<10} {forms[form]}: {np.median(seconds[form]):.1f} s "
              f"(runs: {', '.join(f'{s:.1f}' for s in seconds[form])})")
    first, *rest = results.values()
    same = all(np.allclose(first.folds["AP"], r.folds["AP"]) for r in rest)
    print(f"same AP in every fold: {same}; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
