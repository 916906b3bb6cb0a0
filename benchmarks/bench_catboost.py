"""CatBoost training time: FocalObjective(gamma=2, alpha=0.25) vs CatBoost's C++ Focal loss.

    python benchmarks/bench_catboost.py [--rows 200000] [--cols 20] [--iterations 200]
                                        [--reps 5] [--threads 2] [--depth 6]
                                        [--forms trivial,proposed,jit,logloss]

Data: make_classification, 2% positives, float32, one Pool shared by every run.
Parameters, identical on every side: depth, thread_count, iterations, random_seed 0 and the leaf
estimation pinned to one Newton step without backtracking. Focal:
``boostfocal.catboost.fit(CatBoost(params), pool)`` with ``FocalObjective(gamma=2, alpha=0.25)``
and its ``FocalMetric`` (start computation, per-call label checks, the metric on the learn set
every iteration and the bias update all included). Built-in: ``loss_function =
"Focal:focal_alpha=0.25;focal_gamma=2"``, whose loss is the same as ours (a = alpha on positives,
1 - alpha on negatives; checked below on the trained model). The runs alternate back to back,
the order flipping every repetition; medians of wall time and their ratio are printed.

numba's kernels get ``--threads`` threads through NUMBA_NUM_THREADS (set before numba is
imported: ``numba.set_num_threads`` is per thread, and CatBoost calls the objective from its own
threads), so both sides use the same number of cores. ``BOOSTFOCAL_NUMBA=0`` in the environment
times the numpy backend instead.

``--forms`` adds other forms of the objective to the alternation, for the record (none is
shipped): ``trivial`` (a Python objective returning constant derivatives: CatBoost's own cost of
calling Python per block), ``proposed`` (a prototype of the core entry point proposed for
per-block callers: one serial, GIL-holding pass that checks and computes each row with the
core's compiled scalar function and writes minus the weighted derivatives into the (n, 2)
result), ``jit`` (a self-free ``calc_ders_range`` that CatBoost itself compiles with numba: a loop
over the core's compiled scalar function with the parameters as constants; CatBoost compiles it
again at every fit, and that time is part of each run) and ``logloss`` (CatBoost's C++ Logloss).
"""
import argparse
import os
import platform
import time

import numpy as np


def parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--forms", default="", help="comma-separated: trivial,proposed,jit,logloss")
    return ap.parse_args()


def extra_forms(names, loss):
    """Objectives for the forms comparison (not shipped; see the module docstring)."""
    forms = {}
    if "trivial" in names:
        class Trivial:
            no_jit = True

            def calc_ders_range(self, approxes, targets, weights):
                ders = np.empty((approxes.shape[0], 2))
                ders[:, 0] = targets - 0.02
                ders[:, 1] = -0.02
                return ders

        forms["trivial"] = Trivial
    if "proposed" in names:
        forms["proposed"] = _proposed_form(loss)
    if "jit" in names:
        forms["jit"] = _jit_form(loss)
    return forms


def _proposed_form(loss):
    """Prototype of the proposed core entry point ``FocalLoss.gradient_hessian_into``: one serial
    pass per block that checks each row, computes it with the core's compiled scalar
    ``_gradient_hessian`` and writes sign * (grad, hess) * w into an (n, 2) array, keeping the GIL
    (no thread-pool launch, no lock). Bad input falls back to ``gradient_hessian`` (its errors)."""
    import math

    import numba

    from boostfocal import _numba_kernels

    scalar = _numba_kernels._gradient_hessian
    f64 = numba.float64

    @numba.njit(nogil=False)
    def ders_block(z, y, w, eps, a, b, g, mode, floor, sign, out):
        for i in range(z.shape[0]):
            zi, yi = f64(z[i]), f64(y[i])
            wi = 1.0 if w is None else f64(w[i])
            if not (math.isfinite(zi) and 0.0 <= yi <= 1.0 and 0.0 <= wi < math.inf):
                return False
            gi, hi = scalar(zi, yi * (1.0 - eps) + 0.5 * eps, a, b, g, mode, floor)
            out[i, 0] = sign * gi * wi
            out[i, 1] = sign * hi * wi
        return True

    args = (loss.label_smoothing, loss.a, loss.b, loss.gamma, loss.mode, loss.min_hessian, -1.0)

    class Proposed:
        no_jit = True

        def calc_ders_range(self, approxes, targets, weights):
            ders = np.empty((approxes.shape[0], 2))
            if not ders_block(approxes, targets, weights, *args, ders):
                grad, hess = loss.gradient_hessian(targets, approxes, weights)  # raises
                ders[:, 0], ders[:, 1] = -grad, -hess
            return ders

    return Proposed


def _jit_form(loss):
    """A class whose calc_ders_range ignores self, so CatBoost numba-compiles it (at every fit):
    a loop over the core's compiled scalar ``_gradient_hessian`` with the parameters as
    constants."""
    from boostfocal import _numba_kernels

    scalar = _numba_kernels._gradient_hessian
    eps, a, b, g = loss.label_smoothing, loss.a, loss.b, loss.gamma
    mode, floor = loss.mode, loss.min_hessian

    class Jit:
        def calc_ders_range(self, approxes, targets, weights):
            n = approxes.shape[0]
            ders = np.empty((n, 2))
            for i in range(n):
                gi, hi = scalar(approxes[i], targets[i] * (1.0 - eps) + 0.5 * eps, a, b, g, mode,
                                floor)
                wi = 1.0 if weights is None else weights[i]
                ders[i, 0] = -gi * wi
                ders[i, 1] = -hi * wi
            return ders

    return Jit


def main():
    args = parse()
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    import catboost
    from catboost import CatBoost, Pool
    from sklearn.datasets import make_classification

    from boostfocal import FocalLoss
    from boostfocal._backends import numba_kernels
    from boostfocal.catboost import FocalMetric, FocalObjective, fit

    t0 = time.perf_counter()
    X, y = make_classification(args.rows, args.cols, n_informative=min(10, args.cols),
                               weights=[0.98], flip_y=0.0, random_state=args.seed)
    pool = Pool(X.astype(np.float32), y)
    del X
    backend = "numba" if numba_kernels() is not None else "numpy"
    print(f"catboost {catboost.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus; boostfocal backend {backend}, "
          f"NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}")
    print(f"data: {args.rows} x {args.cols}, positives {y.mean():.4f}, "
          f"built in {time.perf_counter() - t0:.1f} s")

    common = {"iterations": args.iterations, "depth": args.depth, "thread_count": args.threads,
              "random_seed": args.seed, "verbose": 0, "allow_writing_files": False,
              "leaf_estimation_method": "Newton", "leaf_estimation_iterations": 1,
              "leaf_estimation_backtracking": "No"}
    loss = FocalLoss(gamma=2.0, alpha=0.25)
    metric = FocalMetric.from_loss(loss)
    builtin_name = "Focal:focal_alpha=0.25;focal_gamma=2"

    def run_focal(iterations=args.iterations):
        return fit(CatBoost({**common, "iterations": iterations,
                             "loss_function": FocalObjective.from_loss(loss)}), pool)

    def run_builtin(iterations=args.iterations, name=builtin_name):
        return CatBoost({**common, "iterations": iterations, "loss_function": name}).fit(pool)

    def run_python(make):
        def run(iterations=args.iterations):
            return CatBoost({**common, "iterations": iterations, "loss_function": make(),
                             "eval_metric": metric}).fit(pool)
        return run

    runners = {"focal": run_focal, "builtin": run_builtin}
    names = [f for f in args.forms.split(",") if f]
    for name, make in extra_forms(names, loss).items():
        runners[name] = run_python(make)
    if "logloss" in names:
        runners["logloss"] = lambda iterations=args.iterations: run_builtin(iterations, "Logloss")

    for name, run in runners.items():  # warm-up: kernels loaded / compiled, threads up
        t = time.perf_counter()
        run(2)
        print(f"  warm-up {name:9s} {time.perf_counter() - t:6.2f} s (2 iterations"
              f"{', numba compile included' if name in ('jit', 'focal', 'proposed') else ''})")

    times = {name: [] for name in runners}
    for rep in range(args.reps):
        order = list(runners.items())
        for name, run in order if rep % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
        print(f"  rep {rep}: " + "  ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
              flush=True)

    base = np.median(times["builtin"])
    print(f"\nmedians over {args.reps} reps ({args.iterations} iterations, depth {args.depth}, "
          f"thread_count {args.threads}):")
    for name, t in times.items():
        print(f"  {name:9s} {np.median(t):7.2f} s   {np.median(t) / base:5.2f}x built-in Focal")
    ratio = np.median(times["focal"]) / base
    print(f"FocalObjective / built-in Focal = {ratio:.2f}x (bar: <= 1.3x) "
          f"{'PASS' if ratio <= 1.3 else 'FAIL'}")

    # Same loss? Evaluate CatBoost's Focal metric and ours on one built-in model's raw scores.
    model = run_builtin(20)
    raw = model.predict(pool, prediction_type="RawFormulaVal")
    theirs = model.eval_metrics(pool, [builtin_name])[builtin_name][-1]
    ours = loss.mean_loss(y, raw)
    print(f"definition check: CatBoost Focal metric {theirs:.10f}, FocalLoss.mean_loss "
          f"{ours:.10f} (relative difference {abs(theirs - ours) / ours:.1e})")


if __name__ == "__main__":
    main()
