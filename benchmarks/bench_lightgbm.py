"""Training time of LightGBM with ``FocalObjective`` against the built-in ``binary`` objective.

Both train on the same constructed Dataset with the same parameters, alternating focal and
built-in back to back in each repetition; the script prints the median wall and CPU times and
their ratio (focal / built-in). The focal run is ``boostfocal.lightgbm.train`` (focal-optimal
start, folded into the model), the recommended path. The issue's bar: ratio <= 1.10 at
1,000,000 x 50, 2% positives, 100 rounds, num_leaves 63, num_threads 2.

    python benchmarks/bench_lightgbm.py                      # the full size
    python benchmarks/bench_lightgbm.py --rows 20000 --rounds 10 --reps 2   # smoke test

``--num-class K`` (K >= 3) times ``MulticlassFocalObjective(gamma=2)`` (through
``boostfocal.lightgbm.train``) against the built-in ``multiclass`` instead: classes drawn from a
softmax of K linear scores, equal in size. The multiclass issue's bar: ratio <= 1.10 at
500,000 x 50, K = 5, 100 rounds, max_depth 6 (``--depth 6``), num_threads 2.
"""
from __future__ import annotations

import argparse
import statistics
import time

import lightgbm as lgb
import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from boostfocal.lightgbm import FocalObjective, MulticlassFocalObjective, train


def make_data(rows, features, positive_rate, seed):
    """Gaussian features, a logit in ten of them with an interaction, intercept set for the rate."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features), dtype=np.float32)
    coef = rng.normal(0.0, 1.0 / np.sqrt(min(features, 10)), size=min(features, 10))
    logit = X[:, : coef.size] @ coef + 0.5 * X[:, 0] * X[:, 1]
    shift = brentq(lambda b: np.mean(expit(logit + b)) - positive_rate, -50.0, 50.0)
    y = (rng.random(rows) < expit(logit + shift)).astype(np.float64)
    return X, y


def make_multiclass_data(rows, features, num_class, seed):
    """Gaussian features; class drawn from softmax of K linear scores in ten of them."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features), dtype=np.float32)
    coef = rng.normal(0.0, 1.0, size=(min(features, 10), num_class))
    scores = X[:, : coef.shape[0]] @ coef
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) < rng.random((rows, 1))).sum(axis=1).astype(np.float64)
    return X, np.minimum(y, num_class - 1)


def timed(fn):
    """(wall seconds, CPU seconds of the whole process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--leaves", type=int, default=63)
    ap.add_argument("--positive-rate", type=float, default=0.02)
    ap.add_argument("--gamma", type=float, default=2.0)
    ap.add_argument("--alpha", type=float, default=0.25)
    ap.add_argument("--hessian", default="expected", choices=("expected", "exact", "clipped"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--depth", type=int, default=-1, help="max_depth (default: none)")
    ap.add_argument("--num-class", type=int, default=1, help="K >= 3: multiclass focal loss")
    args = ap.parse_args(argv)

    k = args.num_class
    base = {"num_leaves": args.leaves, "num_threads": args.threads, "verbose": -1,
            "force_col_wise": True, "seed": args.seed, "max_depth": args.depth}
    if k == 1:
        X, y = make_data(args.rows, args.features, args.positive_rate, args.seed)
        objective = FocalObjective(gamma=args.gamma, alpha=args.alpha, hessian=args.hessian)
        builtin, what = "binary", f"{y.mean():.2%} positive"
    else:
        X, y = make_multiclass_data(args.rows, args.features, k, args.seed)
        objective = MulticlassFocalObjective(gamma=args.gamma, hessian=args.hessian)
        builtin, what = "multiclass", f"{k} classes (shares {np.bincount(y.astype(int)) / len(y)})"
        base["num_class"] = k
    data = lgb.Dataset(X, y, params={"verbose": -1}, free_raw_data=False).construct()
    runs = {
        "focal": lambda r: train({**base, "objective": objective}, data, r),
        builtin: lambda r: lgb.train({**base, "objective": builtin}, data, r),
    }
    print(f"LightGBM {lgb.__version__}: {args.rows} x {args.features}, {what}, "
          f"{args.rounds} rounds, num_leaves {args.leaves}, max_depth {args.depth}, "
          f"num_threads {args.threads}, force_col_wise, {objective!r}")
    for run in runs.values():  # warm-up: numba kernel load, LightGBM thread pool
        run(2)

    times = {name: [] for name in runs}
    for rep in range(args.reps):
        order = list(runs) if rep % 2 == 0 else list(runs)[::-1]
        for name in order:
            wall, cpu, booster = timed(lambda: runs[name](args.rounds))
            times[name].append((wall, cpu))
            if rep == 0:  # the same work? (a focal model could grow fewer leaves)
                leaves = sum(t["num_leaves"] for t in booster.dump_model()["tree_info"])
                print(f"{name}: {booster.num_trees()} trees, {leaves} leaves")
        print(f"rep {rep + 1}: " + "  ".join(
            f"{name} {wall:.2f}s wall {cpu:.2f}s cpu"
            for name, (wall, cpu) in ((n, times[n][-1]) for n in runs)))

    med = {name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
           for name, ts in times.items()}
    for name, (wall, cpu) in med.items():
        print(f"median {name:6s}: wall {wall:.3f}s  cpu {cpu:.3f}s  ({len(times[name])} reps)")
    print(f"ratio focal/{builtin}: wall {med['focal'][0] / med[builtin][0]:.3f}  "
          f"cpu {med['focal'][1] / med[builtin][1]:.3f}  (ratio of medians)")
    paired = [f[0] / b[0] for f, b in zip(times["focal"], times[builtin])]
    print(f"per-rep wall ratios: {', '.join(f'{r:.3f}' for r in paired)}  "
          f"(median {statistics.median(paired):.3f})")

    # Per-round cost of the objective call itself (what the focal run adds to each round).
    preds = np.zeros(args.rows) if k == 1 else np.zeros((args.rows, k), order="F")
    calls = [timed(lambda: objective(preds, data))[0] for _ in range(20)]
    per_round = med[builtin][0] / args.rounds
    print(f"objective call: {statistics.median(calls) * 1e3:.2f} ms median "
          f"({statistics.median(calls) / per_round:.1%} of a built-in round)")


if __name__ == "__main__":
    main()
