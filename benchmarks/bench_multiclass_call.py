"""CPU time of one multiclass objective call as each booster makes it, 200k x 5, gamma 2, one
thread: LightGBM's (plus its own ravel in column order and float32 cast of the result) and
XGBoost's (float32 margins). Min over 15 calls of process CPU time (robust to a loaded machine).
Compare two checkouts by alternating them (issue 27: the hessian scale fused into the loop):

    for i in 1 2 3; do for t in OLD NEW; do BOOSTFOCAL_NUM_THREADS=1 PYTHONPATH=$t \
        python benchmarks/bench_multiclass_call.py $t; done; done
"""
import sys, time, numpy as np
from boostfocal.lightgbm import MulticlassFocalObjective as L
from boostfocal.xgboost import MulticlassFocalObjective as X
n, k = 200_000, 5
rng = np.random.default_rng(0)
z = np.asfortranarray(rng.normal(0, 2, (n, k)))
y = rng.integers(0, k, n).astype(np.float32)
w = None
lgb, xgb = L(gamma=2.0), X(gamma=2.0)
zx = np.ascontiguousarray(z, dtype=np.float32)
def lgb_round():
    g, h = lgb(y, z, w, None)
    np.asarray(g.ravel(order="F"), dtype=np.float32)  # what LightGBM does with them
    np.asarray(h.ravel(order="F"), dtype=np.float32)
def xgb_round():
    xgb(y, zx, w)
out = []
for name, f in (("lightgbm", lgb_round), ("xgboost", xgb_round)):
    f()
    best = 1e9
    for _ in range(15):
        t = time.process_time(); f(); best = min(best, time.process_time() - t)
    out.append(f"{name} {best * 1e3:.1f} ms")
print(sys.argv[1], " ".join(out))
