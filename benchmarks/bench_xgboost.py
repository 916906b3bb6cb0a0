"""XGBoost training time: FocalObjective(gamma=2, alpha=0.25) vs built-in binary:logistic.

    python benchmarks/bench_xgboost.py [--rows 1000000] [--cols 50] [--rounds 100] [--reps 5]
                                       [--nthread 2] [--depth 6] [--num-class K] [--floor]

``--num-class K`` (K >= 2) times ``MulticlassFocalObjective(gamma=2)`` against the built-in
``multi:softprob`` instead (classes of equal size), and the floor is a numpy softmax
cross-entropy objective (``p = softmax(z); p - onehot, 2 p (1 - p)``).

Data: make_classification, 2% positives, float32, one QuantileDMatrix shared by both runs.
Parameters: tree_method hist, max_depth, nthread identical for both; numba gets the same thread
count. Focal: ``boostfocal.xgboost.train(..., obj=FocalObjective(gamma=2, alpha=0.25))`` (start
margin computation and per-round label checks included). Built-in: ``xgb.train`` with objective
binary:logistic (its own intercept estimate). The two run back to back, the order alternating
each repetition; medians of wall and process CPU time and their ratios are printed, as is the
objective's own cost per round (one call on the full training set).

``--floor`` adds a third run: the same custom-objective path with the cheapest objective there is
(numpy log-loss, ``p = expit(z); p - y, p (1 - p)``). Its ratio to the built-in is what XGBoost's
custom-objective API costs by itself (margins copied out, gradients copied in), whatever the
objective computes.
"""
import argparse
import os
import platform
import time

import numpy as np


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--nthread", type=int, default=2)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--num-class", type=int, default=1, help="K >= 2: multiclass focal loss")
    ap.add_argument("--floor", action="store_true", help="also time a numpy log-loss objective")
    ap.add_argument("--multi-output-tree", action="store_true",
                    help="with --num-class: also time the focal objective with "
                    "multi_strategy='multi_output_tree' and print test log-loss / accuracy of "
                    "each (20%% more rows drawn as the test set)")
    args = ap.parse_args()

    import numba
    import xgboost as xgb
    from sklearn.datasets import make_classification

    from boostfocal.xgboost import FocalObjective, MulticlassFocalObjective, train

    numba.set_num_threads(min(args.nthread, numba.config.NUMBA_NUM_THREADS))
    t0 = time.perf_counter()
    k = args.num_class
    extra = args.rows // 4 if args.multi_output_tree else 0
    X, y = make_classification(args.rows + extra, args.cols, n_informative=min(10, args.cols // 2),
                               n_redundant=min(2, args.cols // 4),
                               weights=[0.98] if k == 1 else None, n_classes=max(k, 2),
                               flip_y=0.0, random_state=args.seed)
    X_te, y_te, X, y = X[args.rows:], y[args.rows:], X[:args.rows], y[:args.rows]
    dtrain = xgb.QuantileDMatrix(X.astype(np.float32), y, nthread=args.nthread)
    del X
    print(f"data: {args.rows} x {args.cols}, " + (f"positives {y.mean():.4f}" if k == 1 else
                                                  f"{k} classes") +
          f", built in {time.perf_counter() - t0:.1f} s")

    params = {"tree_method": "hist", "max_depth": args.depth, "nthread": args.nthread}
    if k == 1:
        builtin_name, obj_name = "binary:logistic", "FocalObjective(2, alpha=0.25)"
        obj = FocalObjective(gamma=2.0, alpha=0.25)
    else:
        builtin_name, obj_name = "multi:softprob", "MulticlassFocalObjective(2)"
        obj = MulticlassFocalObjective(gamma=2.0)
        params["num_class"] = k

    def focal(rounds=args.rounds):
        train(params, dtrain, rounds, obj=obj)

    def builtin(rounds=args.rounds):
        xgb.train({**params, "objective": builtin_name}, dtrain, rounds)

    from scipy.special import expit, softmax

    labels = y.astype(np.float64)
    onehot = np.eye(k)[y.astype(np.intp)] if k > 1 else None

    def logloss_obj(margins, _dtrain):
        if k > 1:  # softmax cross-entropy, multi:softprob's hessian
            p = softmax(margins.astype(np.float64), axis=1)
            return p - onehot, 2.0 * p * (1.0 - p)
        p = expit(margins.astype(np.float64))
        return p - labels, p * (1.0 - p)

    def floor(rounds=args.rounds):
        xgb.train({**params, "objective": builtin_name}, dtrain, rounds, obj=logloss_obj)

    def vector_leaf(rounds=args.rounds):
        return train({**params, "multi_strategy": "multi_output_tree"}, dtrain, rounds, obj=obj)

    focal(2), builtin(2)  # warm-up: numba kernels loaded, allocator and threads up
    runs = {"focal": [], "builtin": []}
    order = [("focal", focal), ("builtin", builtin)]
    if args.floor:
        runs["floor"] = []
        order.append(("floor", floor))
    if args.multi_output_tree and k > 1:
        vector_leaf(2)
        runs["vector"] = []
        order.append(("vector", vector_leaf))
    for rep in range(args.reps):
        for name, fn in order if rep % 2 == 0 else order[::-1]:  # noqa: B020
            runs[name].append(timed(fn))
            print(f"  rep {rep} {name:8s} wall {runs[name][-1][0]:7.2f} s  "
                  f"cpu {runs[name][-1][1]:7.2f} s", flush=True)

    margins = np.zeros(args.rows if k == 1 else (args.rows, k), dtype=np.float32)
    call = []
    for _ in range(10):
        call.append(timed(lambda: obj(margins, dtrain))[0])

    f, b = np.array(runs["focal"]), np.array(runs["builtin"])
    fw, fc = np.median(f, axis=0)
    bw, bc = np.median(b, axis=0)
    print(f"\nxgboost {xgb.__version__}, numba {numba.__version__}, python "
          f"{platform.python_version()}, {os.cpu_count()} cpus; rows {args.rows}, "
          f"cols {args.cols}, rounds {args.rounds}, depth {args.depth}, nthread {args.nthread}, "
          f"reps {args.reps}")
    print(f"built-in {builtin_name:23s} median wall {bw:7.2f} s  cpu {bc:7.2f} s")
    print(f"{obj_name:32s} median wall {fw:7.2f} s  cpu {fc:7.2f} s")
    print(f"ratio focal / built-in           wall {fw / bw:.3f}x  cpu {fc / bc:.3f}x  "
          f"(pairwise wall ratios {', '.join(f'{r:.3f}' for r in f[:, 0] / b[:, 0])})")
    if args.floor:
        lw, lc = np.median(np.array(runs["floor"]), axis=0)
        name = "numpy log-loss" if k == 1 else "numpy softmax CE"
        print(f"{name + ' custom objective':32s} median wall {lw:7.2f} s  cpu {lc:7.2f} s  "
              f"(XGBoost's custom-objective floor: {lw / bw:.3f}x built-in)")
    if "vector" in runs:
        vw, vc = np.median(np.array(runs["vector"]), axis=0)
        print(f"{'focal, multi_output_tree':32s} median wall {vw:7.2f} s  cpu {vc:7.2f} s  "
              f"({vw / bw:.3f}x built-in, {vw / fw:.3f}x one tree per class)")
        from boostfocal.multiclass import MulticlassFocalLoss
        from sklearn.metrics import log_loss
        dtest = xgb.DMatrix(X_te.astype(np.float32))
        fits = {"built-in multi:softprob": xgb.train({**params, "objective": builtin_name},
                                                     dtrain, args.rounds).predict(dtest),
                "focal, one tree per class": MulticlassFocalLoss(gamma=2.0).predict_proba(
                    train(params, dtrain, args.rounds, obj=obj).predict(dtest, output_margin=True)),
                "focal, multi_output_tree": MulticlassFocalLoss(gamma=2.0).predict_proba(
                    vector_leaf().predict(dtest, output_margin=True))}
        for name, p in fits.items():
            print(f"test ({len(y_te)} rows) {name:27s} log-loss {log_loss(y_te, p):.4f}  "
                  f"accuracy {np.mean(p.argmax(1) == y_te):.4f}")
    print(f"objective call on {args.rows} rows x {k}: median {np.median(call) * 1e3:.1f} ms "
          f"({np.median(call) * args.rounds / bw * 100:.1f}% of the built-in training wall time "
          f"over {args.rounds} rounds)")


if __name__ == "__main__":
    main()
