"""The first multiclass fit in a fresh install against the second in the same process (issue 27):
20k x 20, K = 5, 50 rounds, an empty numba cache; the difference is the compile.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/bench_first_fit.py FocalXGBClassifier
    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/bench_first_fit.py FocalLGBMClassifier
"""
import sys, time
t=time.perf_counter(); c=time.process_time()
import numpy as np, boostfocal
from sklearn.datasets import make_classification
X, y = make_classification(20000, 20, n_informative=10, n_classes=5, random_state=0)
print(f"imports {time.perf_counter()-t:.2f} s")
name = sys.argv[1]
for i in range(2):
    t=time.perf_counter(); c=time.process_time()
    getattr(boostfocal, name)(gamma=2.0, n_estimators=50).fit(X, y).predict_proba(X)
    print(f"{name} fit {i+1}: wall {time.perf_counter()-t:.2f} s, CPU {time.process_time()-c:.2f} s")
