"""The issue's done-when run: the default ``compare`` on a 20k-row binary and a 20k-row K=5
dataset, within the default budget (10 min); prints the wall time, the plan and the load.

    python benchmarks/compare/done_when.py [OUT_DIR] [binary,K5]
"""
import os
import sys
import time

from sklearn.datasets import make_classification

import boostfocal

out = sys.argv[1] if len(sys.argv) > 1 else "compare-done-when"
which = sys.argv[2].split(",") if len(sys.argv) > 2 else ["binary", "K5"]
for name, kw in [("binary", dict(weights=[0.95])),
                 ("K5", dict(n_classes=5, weights=[0.5, 0.25, 0.15, 0.07, 0.03]))]:
    if name not in which:
        continue
    X, y = make_classification(20_000, 20, n_informative=10, flip_y=0.02, random_state=0, **kw)
    load = os.getloadavg()[0]
    t = time.perf_counter()
    res = boostfocal.compare(X, y, out=f"{out}/{name}")
    s = time.perf_counter() - t
    print(f"{name}: {s / 60:.1f} min (budget {res.settings['budget_minutes']} min), load "
          f"{load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, n_jobs "
          f"{res.settings['n_jobs']}, {res.settings['n_folds_run']} folds x "
          f"{len(res.summary)} configs; dropped: {res.dropped or 'nothing'}")
    print(res, flush=True)
