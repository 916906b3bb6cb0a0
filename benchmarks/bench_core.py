"""Core speed: focal gradient + hessian vs numpy's plain log-loss gradient + hessian.

    python benchmarks/bench_core.py [--rows 1000000] [--reps 31]

Focal: FocalLoss(gamma=2, alpha=0.25).gradient_hessian(y, z, w) with sample weights, input checks
included (the public call). Baseline: p = expit(z); p - y, p * (1 - p) (no weights). The two
alternate in one process and the ratio of medians is printed. Also prints numba's first-call
compile time (empty cache) and the cached first-call time, each in a fresh process.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.special import expit

FIRST_CALL = ("import time, numpy as np; t = time.perf_counter(); import boostfocal; "
              "boostfocal.FocalLoss(alpha=0.25).gradient_hessian(np.ones(10), np.zeros(10)); "
              "print(time.perf_counter() - t)")


def first_call_seconds(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=31)
    args = ap.parse_args()

    from boostfocal import FocalLoss
    from boostfocal._backends import numba_kernels

    rng = np.random.default_rng(0)
    n = args.rows
    z = rng.normal(0, 3, n)
    y = (rng.random(n) < 0.02).astype(np.float64)
    w = rng.uniform(0.5, 2.0, n)
    fl = FocalLoss(gamma=2.0, alpha=0.25)

    def focal():
        return fl.gradient_hessian(y, z, w)

    def logloss():
        p = expit(z)
        return p - y, p * (1 - p)

    focal(), logloss()
    tf, tl = [], []
    for _ in range(args.reps):
        for f, ts in ((focal, tf), (logloss, tl)):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
    mf, ml = np.median(tf), np.median(tl)
    pairs = np.array(tf) / np.array(tl)
    print(f"rows {n}, reps {args.reps}, backend {'numba' if numba_kernels() else 'numpy'}, "
          f"cpus {os.cpu_count()}")
    print(f"focal gradient+hessian (gamma=2, alpha=0.25, weights, checks): median {mf * 1e3:.2f} ms")
    print(f"numpy log-loss gradient+hessian (expit; p - y; p(1 - p)):      median {ml * 1e3:.2f} ms")
    print(f"ratio of medians {mf / ml:.2f}x; pairwise ratio median {np.median(pairs):.2f}x "
          f"[{np.percentile(pairs, 10):.2f}, {np.percentile(pairs, 90):.2f}] (10th-90th pct)")
    for mode in ("exact", "clipped"):
        f2 = fl.replace(hessian=mode)
        ts = []
        for _ in range(max(5, args.reps // 3)):
            t = time.perf_counter()
            f2.gradient_hessian(y, z, w)
            ts.append(time.perf_counter() - t)
        print(f"  hessian={mode!r}: median {np.median(ts) * 1e3:.2f} ms")
    with tempfile.TemporaryDirectory() as d:
        cold, warm = first_call_seconds(d), first_call_seconds(d)
    print(f"first call in a fresh process: {cold:.2f} s compiling (empty cache), "
          f"{warm:.2f} s from numba's disk cache")


if __name__ == "__main__":
    main()
