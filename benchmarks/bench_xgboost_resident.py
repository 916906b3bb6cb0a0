"""Device-resident focal training (``train(..., data=X)``) vs XGBoost's built-in objective.

    python benchmarks/bench_xgboost_resident.py [--rows 10000000] [--cols 50] [--rounds 100]
        [--reps 3] [--num-class 1] [--device cuda] [--profile]

On ``--device cuda`` the data are generated on the GPU (CuPy); on ``cpu`` with numpy (the loop
runs there too, with no gain: the margins are already in host memory). hist, depth 6. Runs
alternate: the built-in objective (``binary:logistic``, or ``multi:softprob`` with
``--num-class K``), the focal objective through the standard path (``xgb.train``: margins to the
host every round), and the focal objective with the margins resident (``data=X``). ``--profile``
then splits one resident round into gradient, ``boost`` and the one-round ``inplace_predict``, and
times that prediction for other feature layouts (C/F order, float32/float64).
"""
import argparse
import time

import numpy as np
import xgboost as xgb

from boostfocal.xgboost import FocalObjective, train

try:  # the multiclass objective (issue #16); binary runs without it
    from boostfocal.xgboost import MulticlassFocalObjective
except ImportError:  # pragma: no cover
    MulticlassFocalObjective = None


def _data(xp, rows, cols, k):
    rs = xp.random.RandomState(0)
    X = rs.standard_normal((rows, cols)).astype(xp.float32)
    beta = rs.standard_normal((cols, max(k, 1))).astype(xp.float32) / np.sqrt(cols)
    logit = X @ beta * 3.0
    if k <= 1:
        shift = float(xp.quantile(logit[:, 0], 0.98))  # ~2% positives
        y = (rs.random_sample(rows) < 1 / (1 + xp.exp(-(logit[:, 0] - shift) * 2)))
    else:
        logit[:, 0] -= 3.0  # a rare class
        y = xp.argmax(logit + rs.gumbel(size=logit.shape), axis=1)
    return X, y.astype(xp.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--num-class", type=int, default=1)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    gpu = args.device != "cpu"
    if gpu:
        import cupy as xp

        sync = xp.cuda.Device().synchronize
        name = xp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    else:
        xp, sync, name = np, (lambda: None), "CPU"
    k = args.num_class
    X, y = _data(xp, args.rows, args.cols, k)
    d = xgb.QuantileDMatrix(X, label=y)
    params = {"tree_method": "hist", "device": args.device, "max_depth": 6}
    if k > 1:
        if MulticlassFocalObjective is None:
            raise SystemExit("--num-class needs boostfocal.xgboost.MulticlassFocalObjective")
        builtin = {**params, "objective": "multi:softprob", "num_class": k}
        obj = MulticlassFocalObjective(gamma=2.0)
        params = {**params, "num_class": k}
    else:
        builtin = {**params, "objective": "binary:logistic"}
        obj = FocalObjective(gamma=2.0, alpha=0.25)
    print(f"{name}; xgboost {xgb.__version__}; {args.rows} x {args.cols}, classes {max(k, 2)}, "
          f"{args.rounds} rounds, depth 6, reps {args.reps}")
    runs = {
        f"builtin {builtin['objective']}": lambda: xgb.train(dict(builtin), d, args.rounds),
        "focal, standard path": lambda: train(dict(params), d, args.rounds, obj=obj),
        "focal, margins resident": lambda: train(dict(params), d, args.rounds, obj=obj, data=X),
    }
    for f in runs.values():  # warm-up: CUDA context, kernels, numba / CuPy compilation
        f()
    times = {key: [] for key in runs}
    for _ in range(args.reps):
        for key, f in runs.items():
            sync()
            t = time.perf_counter()
            f()
            sync()
            times[key].append(time.perf_counter() - t)
    base = np.median(next(iter(times.values())))
    for key, ts in times.items():
        print(f"{key:<28} median {np.median(ts):7.2f} s  [{min(ts):.2f}, {max(ts):.2f}]  "
              f"ratio to builtin {np.median(ts) / base:.3f}x")
    if args.profile:
        profile(d, X, params, obj, sync, xp)


def profile(d, X, params, obj, sync, xp):
    """Where one resident round goes, and the one-round prediction for other layouts."""
    from boostfocal.xgboost._resident import ResidentLoop

    bst = xgb.Booster(obj.train_params(params, d), [d])
    loop = ResidentLoop(bst, d, X, obj)
    parts = {"gradient": [], "boost": [], "inplace_predict (1 round)": []}
    for i in range(20):
        sync()
        t0 = time.perf_counter()
        g, h = loop.objective.gradient_hessian(loop.y, loop.margins, loop.w)
        sync()
        t1 = time.perf_counter()
        bst.boost(d, i, grad=g, hess=h)
        sync()
        t2 = time.perf_counter()
        loop.margins += bst.inplace_predict(X, iteration_range=(i, i + 1), predict_type="margin",
                                            base_margin=loop._zero)
        sync()
        t3 = time.perf_counter()
        for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
            parts[key].append(dt)
    for key, ts in parts.items():
        print(f"  {key:<28} median {1e3 * np.median(ts[5:]):8.2f} ms")
    layouts = {"C float32": X, "F float32": xp.asfortranarray(X),
               "C float64": X.astype(xp.float64)}
    for key, data in layouts.items():
        ts = []
        for _ in range(7):
            sync()
            t = time.perf_counter()
            bst.inplace_predict(data, iteration_range=(5, 6), predict_type="margin",
                                base_margin=loop._zero)
            sync()
            ts.append(time.perf_counter() - t)
        print(f"  inplace_predict, {key:<10} median {1e3 * np.median(ts[2:]):8.2f} ms")


if __name__ == "__main__":
    main()
