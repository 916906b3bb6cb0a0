"""CatBoost task_type="GPU": FocalObjective (the numba CUDA kernel) vs CatBoost's built-in Logloss
on the GPU, and vs the same FocalObjective trained on the CPU.

    python benchmarks/bench_catboost_gpu.py [--rows 1000000] [--cols 50] [--iterations 200]
                                            [--reps 2] [--cpu-rows 200000] [--depth 6]

Data: make_classification, 10% positives, float32; the last 20% of rows held out. Parameters,
identical on every side: depth, iterations, learning_rate 0.1, random_seed 0, one Newton step
per leaf, border_count 128, no bootstrap, random_strength 0 (so that CPU and GPU models are
comparable). Focal: ``boostfocal.catboost.fit(CatBoost(params), X, y)`` with
FocalObjective(gamma=2, alpha=0.25) (start, pre-checks included), eval_metric FocalMetric (on the
CPU) with metric_period=iterations. Built-in: loss_function="Logloss", boost_from_average=True
(its start is the focal start at gamma = 0). Repetition 0 warms up (CUDA
context, kernel compilation) and is not timed; the order alternates between repetitions.
Prints the GPU's name, the median wall times and their ratio, and the held-out focal loss and
AUC of each model: GPU focal vs CPU focal (at --cpu-rows, as the CPU is slower) and, at gamma = 0,
GPU focal vs GPU Logloss (the same loss).
"""
import argparse
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--cpu-rows", type=int, default=200_000)
    ap.add_argument("--depth", type=int, default=6)
    a = ap.parse_args()

    import catboost
    import numba
    from catboost import CatBoost
    from numba import cuda
    from sklearn.datasets import make_classification
    from sklearn.metrics import roc_auc_score

    from boostfocal import FocalLoss
    from boostfocal.catboost import FocalMetric, FocalObjective, fit

    print("GPU:", cuda.get_current_device().name, "| catboost", catboost.__version__,
          "| numba", numba.__version__)
    X, y = make_classification(n_samples=a.rows, n_features=a.cols, n_informative=a.cols // 2,
                               weights=[0.9], flip_y=0.02, random_state=0)
    X = X.astype(np.float32)
    cut = int(0.8 * a.rows)
    Xt, yt, Xv, yv = X[:cut], y[:cut], X[cut:], y[cut:]
    base = dict(iterations=a.iterations, depth=a.depth, learning_rate=0.1, random_seed=0,
                verbose=False, allow_writing_files=False, leaf_estimation_iterations=1,
                leaf_estimation_method="Newton", metric_period=a.iterations, border_count=128,
                bootstrap_type="No", random_strength=0)

    def run(task, loss, X_, y_):
        if loss is None:
            model = CatBoost(dict(base, loss_function="Logloss", task_type=task,
                                  boost_from_average=True))  # the focal start at gamma = 0
            t = time.perf_counter()
            model.fit(X_, y_)
        else:
            model = CatBoost(dict(base, loss_function=FocalObjective.from_loss(loss),
                                  eval_metric=FocalMetric.from_loss(loss), task_type=task))
            t = time.perf_counter()
            fit(model, X_, y_)
        return time.perf_counter() - t, model

    def report(name, loss, model):
        raw = model.predict(Xv, prediction_type="RawFormulaVal")
        print(f"  {name:28s} held-out focal loss {loss.mean_loss(yv, raw):.6f}  "
              f"AUC {roc_auc_score(yv, raw):.5f}")
        return raw

    for gamma, alpha in ((2.0, 0.25), (0.0, None)):
        loss = FocalLoss(gamma=gamma, alpha=alpha)
        times, models = {"focal GPU": [], "Logloss GPU": []}, {}
        for rep in range(a.reps + 1):  # repetition 0 warms up (CUDA context, kernel compile)
            for name, lo in (("focal GPU", loss), ("Logloss GPU", None))[::1 if rep % 2 else -1]:
                dt, model = run("GPU", lo, Xt, yt)
                if rep:
                    times[name].append(dt)
                models[name] = model
        med = {k: float(np.median(v)) for k, v in times.items()}
        print(f"gamma={gamma} alpha={alpha}: {a.rows} x {a.cols}, {a.iterations} rounds, "
              f"median of {a.reps}: focal GPU {med['focal GPU']:.2f} s, Logloss GPU "
              f"{med['Logloss GPU']:.2f} s, ratio {med['focal GPU'] / med['Logloss GPU']:.3f}")
        report("focal GPU", loss, models["focal GPU"])
        report("Logloss GPU (built-in)", loss, models["Logloss GPU"])
        n = min(a.cpu_rows, cut)
        dt_cpu, cpu_model = run("CPU", loss, Xt[:n], yt[:n])
        dt_gpu, gpu_small = run("GPU", loss, Xt[:n], yt[:n])
        c = report(f"focal CPU ({n} rows)", loss, cpu_model)
        g = report(f"focal GPU ({n} rows)", loss, gpu_small)
        print(f"  CPU vs GPU at {n} rows: {dt_cpu:.2f} s vs {dt_gpu:.2f} s; raw-score "
              f"correlation {np.corrcoef(c, g)[0, 1]:.5f}, max |diff| {np.max(abs(c - g)):.4f}")


if __name__ == "__main__":
    main()
