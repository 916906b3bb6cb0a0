"""GPU: focal objective on the GPU vs XGBoost's built-in binary:logistic, both device="cuda".

    python benchmarks/bench_xgboost_gpu.py [--rows 10000000] [--cols 50] [--rounds 100] [--reps 3]

Data are generated on the GPU (CuPy; 2% positives). hist, depth 6. Three trainings alternate:
built-in, focal with the objective on the GPU (FocalObjective(device="cuda"): margins moved to the
GPU once per round, labels resident, gradient computed by CuPy), and focal with the objective on
the host (device="cpu": margins, labels, gradients through host memory) for contrast.
"""
import argparse
import time

import cupy as cp
import numpy as np
import xgboost as xgb

from boostfocal.xgboost import FocalObjective, train


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    rs = cp.random.RandomState(0)
    X = rs.standard_normal((args.rows, args.cols), dtype=cp.float32)
    beta = rs.standard_normal(args.cols, dtype=cp.float32) / np.sqrt(args.cols)
    logit = X @ beta * 3.0
    shift = float(cp.quantile(logit, 0.98))  # ~2% positives
    y = (rs.random_sample(args.rows) < 1 / (1 + cp.exp(-(logit - shift) * 2))).astype(cp.float32)
    d = xgb.QuantileDMatrix(X, label=y)
    params = {"tree_method": "hist", "device": "cuda", "max_depth": 6}
    print(f"GPU: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}; xgboost "
          f"{xgb.__version__}; {args.rows} x {args.cols}, positives {float(y.mean()):.4f}, "
          f"{args.rounds} rounds, depth 6, reps {args.reps}")
    runs = {
        "builtin binary:logistic": lambda: xgb.train({**params, "objective": "binary:logistic"},
                                                     d, args.rounds),
        "focal, objective on GPU": lambda: train(dict(params), d, args.rounds,
                                                 obj=FocalObjective(gamma=2.0, alpha=0.25)),
        "focal, objective on host": lambda: train(dict(params), d, args.rounds,
                                                  obj=FocalObjective(gamma=2.0, alpha=0.25,
                                                                     device="cpu")),
    }
    for f in runs.values():  # warm-up: CUDA context, kernels, numba / CuPy compilation
        f()
    times = {k: [] for k in runs}
    for _ in range(args.reps):
        for name, f in runs.items():
            cp.cuda.Device().synchronize()
            t = time.perf_counter()
            bst = f()
            bst.predict(xgb.DMatrix(X[:10]), output_margin=True)
            cp.cuda.Device().synchronize()
            times[name].append(time.perf_counter() - t)
    base = np.median(times["builtin binary:logistic"])
    for name, ts in times.items():
        print(f"{name:<26} median {np.median(ts):7.2f} s  [{min(ts):.2f}, {max(ts):.2f}]  "
              f"ratio to builtin {np.median(ts) / base:.3f}x")


if __name__ == "__main__":
    main()
