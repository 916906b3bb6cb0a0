"""Where one GPU boosting round's focal-objective time goes (10M rows by default).

    python benchmarks/profile_xgboost_gpu_round.py [--rows 10000000]

Times, per round: XGBoost handing the training margins to Python (device -> host), the margins'
copy back to the GPU, the gradient (fused CuPy kernel vs the eager CuPy binding), and the whole
objective call; also how far XGBoost's own CPU and GPU hist models differ (built-in objective).
"""
import argparse
import time

import cupy as cp
import numpy as np
import xgboost as xgb


def timed(f, reps=10):
    f()
    cp.cuda.Device().synchronize()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        cp.cuda.Device().synchronize()
        ts.append(time.perf_counter() - t)
    return np.median(ts) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    from boostfocal import FocalLoss
    from boostfocal import loss as loss_module
    from boostfocal.xgboost import FocalObjective, train

    rs = cp.random.RandomState(0)
    n = args.rows
    X = rs.standard_normal((n, 50), dtype=cp.float32)
    y = (rs.random_sample(n) < 0.02).astype(cp.float32)
    d = xgb.QuantileDMatrix(X, label=y)
    bst = train({"tree_method": "hist", "device": "cuda", "max_depth": 6}, d, 5,
                obj=FocalObjective(gamma=2.0, alpha=0.25))
    z_host = bst.predict(d, output_margin=True, training=True)
    fl = FocalLoss(gamma=2.0, alpha=0.25)
    z_dev, y_dev = cp.asarray(z_host), cp.asarray(y)
    obj = FocalObjective(gamma=2.0, alpha=0.25, device="cuda")
    rows = [
        ("margins to host (bst.predict training=True)",
         lambda: bst.predict(d, output_margin=True, training=True)),
        ("margins host -> GPU (cp.asarray)", lambda: cp.asarray(z_host)),
        ("gradient, fused CuPy kernel", lambda: fl.gradient_hessian(y_dev, z_dev,
                                                                   check_input=False)),
        ("whole objective call (resident labels)", lambda: obj(z_host, d)),
    ]
    for name, f in rows:
        print(f"{name:<45} {timed(f):8.2f} ms")
    loss_module._FUSE = False
    print(f"{'gradient, eager CuPy binding (30 kernels)':<45} "
          f"{timed(lambda: fl.gradient_hessian(y_dev, z_dev, check_input=False)):8.2f} ms")
    loss_module._FUSE = True
    # XGBoost's own CPU vs GPU hist on the same data: how different are the models?
    from sklearn.datasets import make_classification
    from sklearn.metrics import roc_auc_score

    Xs, ys = make_classification(20000, 20, n_informative=10, weights=[0.98], random_state=0)
    ds = xgb.DMatrix(Xs.astype(np.float32), label=ys)
    for label, extra, o in (("builtin binary:logistic", {"objective": "binary:logistic"}, None),
                            ("focal gamma=2 alpha=0.25", {}, FocalObjective(gamma=2.0,
                                                                            alpha=0.25))):
        m = {}
        for device in ("cpu", "cuda"):
            p = {"tree_method": "hist", "device": device, "max_depth": 6, **extra}
            b = xgb.train(p, ds, 100) if o is None else train(p, ds, 100, obj=o)
            m[device] = b.predict(ds, output_margin=True)
        print(f"{label}: CPU vs GPU hist, max |margin diff| {np.max(np.abs(m['cpu'] - m['cuda'])):.4f}"
              f", AUC cpu {roc_auc_score(ys, m['cpu']):.5f} gpu {roc_auc_score(ys, m['cuda']):.5f}")


if __name__ == "__main__":
    main()
