"""Multiclass core speed: focal gradient + hessian vs numpy's softmax cross-entropy.

    python benchmarks/bench_multiclass.py [--rows 1000000] [--reps 15] [--ks 3 5 10 50]

Focal: MulticlassFocalLoss(gamma=2, alpha per class).gradient_hessian(y, z, w) with sample
weights and input checks (the public call; "expected" hessian, the default). Baseline, no weights:
p = softmax(z); p - Y; p (1 - p) (numpy, Y one-hot built beforehand). The two alternate in one
process; the ratio of medians is printed for each K, with ns per row x class (linear cost in K
shows as a flat column). Rows for K > 5 are scaled down so that n K stays at rows x 5. Also prints
the compile time of a first call in a fresh process (empty numba cache) and from the cache.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

FIRST_CALL = ("import time, numpy as np; t = time.perf_counter(); import boostfocal; "
              "boostfocal.MulticlassFocalLoss(alpha=[1, 2, 3]).gradient_hessian("
              "np.zeros(10), np.zeros((10, 3))); print(time.perf_counter() - t)")


def first_call_seconds(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout)


def softmax_ce(z, onehot):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return p - onehot, p * (1 - p)


def bench(k, n, reps, mode="expected"):
    from boostfocal import MulticlassFocalLoss

    rng = np.random.default_rng(k)
    z = rng.normal(0, 2, (n, k))
    y = rng.integers(0, k, n).astype(np.float64)
    onehot = (y[:, None] == np.arange(k)).astype(np.float64)
    w = rng.uniform(0.5, 2.0, n)
    fl = MulticlassFocalLoss(gamma=2.0, alpha=rng.uniform(0.25, 2.0, k), hessian=mode)
    fl.gradient_hessian(y, z, w), softmax_ce(z, onehot)
    tf, tb = [], []
    for _ in range(reps):
        for f, ts in ((lambda: fl.gradient_hessian(y, z, w), tf),
                      (lambda: softmax_ce(z, onehot), tb)):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
    return np.median(tf), np.median(tb), np.median(np.array(tf) / np.array(tb))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--ks", type=int, nargs="+", default=[3, 5, 10, 50])
    args = ap.parse_args()
    import numba

    from boostfocal.multiclass import _kernels

    print(f"rows {args.rows} (x 5 / K for K > 5), reps {args.reps}, backend "
          f"{'numba' if _kernels() else 'numpy'}, cpus {os.cpu_count()}, numba threads "
          f"{numba.get_num_threads()}")
    print(f"{'K':>3} {'rows':>8} {'focal ms':>9} {'softmax ms':>10} {'ratio':>6} {'pairwise':>8} "
          f"{'focal ns/(row*K)':>17}")
    for k in args.ks:
        n = args.rows if k <= 5 else args.rows * 5 // k
        f, b, pair = bench(k, n, args.reps)
        print(f"{k:>3} {n:>8} {f * 1e3:>9.2f} {b * 1e3:>10.2f} {f / b:>5.2f}x {pair:>7.2f}x "
              f"{f / (n * k) * 1e9:>17.2f}")
    n = args.rows
    for mode in ("exact", "clipped"):
        f, b, pair = bench(5, n, max(5, args.reps // 3), mode)
        print(f"K=5 hessian={mode!r}: focal {f * 1e3:.2f} ms, softmax {b * 1e3:.2f} ms, "
              f"ratio {f / b:.2f}x")
    with tempfile.TemporaryDirectory() as d:
        cold, warm = first_call_seconds(d), first_call_seconds(d)
    print(f"first call in a fresh process: {cold:.2f} s compiling (empty cache), "
          f"{warm:.2f} s from numba's disk cache")


if __name__ == "__main__":
    main()
