"""CatBoost multi-class training time: MulticlassFocalObjective vs CatBoost's C++ MultiClass.

    python benchmarks/bench_catboost_multiclass.py [--rows 100000] [--cols 20] [--num-class 5]
        [--iterations 100] [--reps 3] [--threads 2] [--depth 6] [--forms floor,python]

Data: make_classification, K classes (the smallest 2%), float32, one Pool shared by every run.
Parameters, identical on every side: depth, thread_count, iterations, random_seed 0, no
bootstrap, and the leaf estimation pinned to one Newton step without backtracking. Focal:
``boostfocal.catboost.fit(CatBoost(params), pool)`` with ``MulticlassFocalObjective(gamma=2,
alpha=...)`` and its metric (start computation, the metric on the learn set every iteration and
the bias update included); ``focal0`` is the same at gamma = 0 without alpha. Built-in:
``loss_function="MultiClass"``. The runs alternate back to back, the order flipping every
repetition; medians of wall time and their ratio to the built-in are printed. The bar: focal at
most 10x built-in. ``--threads 0`` leaves thread_count unset: the built-in then runs on all
cores and the focal fits on boostfocal's multi-class default, one thread (issue 27's figure:
focal at most 8x built-in, 100k x 20, K = 5).

CatBoost calls ``calc_ders_multi`` twice per object per iteration (2 x rows x iterations calls),
so ``(focal - built-in) / calls`` is the cost each call adds. ``--forms`` adds, for the record:
``floor`` (the same compiled kernel around a row function that computes nothing: what the call
itself costs), ``full`` (focal0's kernel returning the hessian's lower triangle too, which the
shipped kernel leaves None: CatBoost never reads it) and ``python`` (a plain-Python softmax objective
with numpy, what users write first; slow: minutes). The per-call split is measured directly
too: the kernel called from a Python loop (dispatch, checks, math, boxing of the tuples) and
with CatBoost's unpacking of the result emulated in Python.
"""
import argparse
import os
import platform
import time

import numpy as np


def parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--num-class", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--forms", default="", help="comma-separated: floor,full,python")
    return ap.parse_args()


def floor_form(k):
    """The shipped kernel wrapper (checks, allocation, tuples) around a row that computes nothing:
    constant derivatives (a gradient that sums to 0 and minus a quarter of the identity)."""
    import numba

    from boostfocal import _catboost_kernels

    @numba.njit
    def fill(buf):
        for i in range(k):
            buf[i] = 0.01 * (i - (k - 1) / 2.0)
            for j in range(k):
                buf[k + i * k + j] = -0.25 if i == j else 0.0

    kernel = _catboost_kernels.compile_kernel(k, {"FILL": fill}, call="FILL(buf)", lower=False)

    class Floor:
        no_jit = True

        def __init__(self):
            self.calc_ders_multi = kernel

    return Floor


def full_form(loss, k):
    """The focal kernel returning the full hessian (the shipped one has None below its diagonal,
    which CatBoost never reads)."""
    from boostfocal import _catboost_kernels

    kernel = _catboost_kernels._build(loss, k, lower=True)

    class Full:
        no_jit = True

        def __init__(self):
            self.calc_ders_multi = kernel

    return Full


def python_form():
    class PythonSoftmax:
        no_jit = True

        def calc_ders_multi(self, approxes, target, weight):
            e = np.exp(approxes - approxes.max())
            p = e / e.sum()
            g = -p
            g[int(target)] += 1.0
            h = np.outer(p, p) - np.diag(p)
            return tuple(g * weight), tuple(map(tuple, h * weight))

    return PythonSoftmax


def per_call(kernel, k, n=200_000):
    """Microseconds per call: the kernel alone, and with CatBoost's unpacking emulated."""
    a = np.linspace(-1.0, 1.0, k)
    kernel(a, 1.0, 1.0)
    t = time.perf_counter()
    for _ in range(n):
        kernel(a, 1.0, 1.0)
    alone = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        ders, matrix = kernel(a, 1.0, 1.0)
        for _i, _d in enumerate(ders):
            pass
        for i, line in enumerate(matrix):
            for _num in line[i:]:
                pass
    unpacked = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        pass
    loop = (time.perf_counter() - t) / n
    return 1e6 * (alone - loop), 1e6 * (unpacked - loop)


def main():
    args = parse()
    import catboost
    from catboost import CatBoost, Pool
    from sklearn.datasets import make_classification

    from boostfocal.catboost import MulticlassFocalMetric, MulticlassFocalObjective, fit

    k = args.num_class
    t0 = time.perf_counter()
    weights = [0.02] + [0.98 / (k - 1)] * (k - 2)
    X, y = make_classification(args.rows, args.cols, n_informative=min(10, args.cols),
                               n_classes=k, n_clusters_per_class=1, weights=weights,
                               flip_y=0.0, random_state=args.seed)
    pool = Pool(X.astype(np.float32), y)
    del X
    print(f"catboost {catboost.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}")
    print(f"data: {args.rows} x {args.cols}, {k} classes, frequencies "
          f"{np.round(np.bincount(y) / len(y), 3).tolist()}, "
          f"built in {time.perf_counter() - t0:.1f} s")

    common = {"iterations": args.iterations, "depth": args.depth, "thread_count": args.threads,
              "random_seed": args.seed, "verbose": 0, "allow_writing_files": False,
              "leaf_estimation_method": "Newton", "leaf_estimation_iterations": 1,
              "leaf_estimation_backtracking": "No", "bootstrap_type": "No"}
    if args.threads <= 0:  # each side its default: CatBoost's (all cores), boostfocal's (1)
        del common["thread_count"]
    alpha = (np.bincount(y) / len(y)) ** -0.5
    alpha = (alpha / alpha.sum()).tolist()
    focal = MulticlassFocalObjective(gamma=2.0, alpha=alpha)
    focal0 = MulticlassFocalObjective(gamma=0.0)

    def run_fit(objective):
        def run(iterations=args.iterations):
            return fit(CatBoost({**common, "iterations": iterations,
                                 "loss_function": objective}), pool)
        return run

    def run_builtin(iterations=args.iterations):
        return CatBoost({**common, "iterations": iterations,
                         "loss_function": "MultiClass"}).fit(pool)

    def run_python(make):
        def run(iterations=args.iterations):
            return CatBoost({**common, "iterations": iterations, "loss_function": make(),
                             "eval_metric": MulticlassFocalMetric(gamma=0.0),
                             "class_names": list(range(k))}).fit(pool)
        return run

    runners = {"builtin": run_builtin, "focal": run_fit(focal), "focal0": run_fit(focal0)}
    names = [f for f in args.forms.split(",") if f]
    if "floor" in names:
        runners["floor"] = run_python(floor_form(k))
    if "full" in names:
        runners["full"] = run_python(full_form(focal0.loss, k))
    if "python" in names:
        runners["python"] = run_python(python_form())

    for name, run in runners.items():  # warm-up: kernels compiled, threads up
        t = time.perf_counter()
        run(2)
        print(f"  warm-up {name:8s} {time.perf_counter() - t:6.2f} s (2 iterations, "
              "compilation included)")

    times = {name: [] for name in runners}
    for rep in range(args.reps):
        order = list(runners.items())
        for name, run in order if rep % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
        print(f"  rep {rep}: " + "  ".join(f"{n} {v[-1]:.2f} s" for n, v in times.items())
              + f"  (load {os.getloadavg()[0]:.1f})", flush=True)

    base = np.median(times["builtin"])
    calls = 2 * args.rows * args.iterations
    print(f"\nmedians over {args.reps} reps ({args.iterations} iterations, depth {args.depth}, "
          f"thread_count {args.threads}; {calls / 1e6:.0f}M calc_ders_multi calls):")
    for name, t in times.items():
        extra = (np.median(t) - base) / calls * 1e6
        print(f"  {name:8s} {np.median(t):7.2f} s   {np.median(t) / base:5.2f}x built-in MultiClass"
              + ("" if name == "builtin" else f"   +{extra:.2f} us per call"))
    ratio = np.median(times["focal"]) / base
    print(f"MulticlassFocalObjective(gamma=2, alpha) / built-in MultiClass = {ratio:.2f}x "
          f"(bar: <= 10x) {'PASS' if ratio <= 10.0 else 'FAIL'}")

    kernels = {"focal": focal.kernel(k), "focal0": focal0.kernel(k)}
    if "floor" in runners:
        kernels["floor"] = floor_form(k)().calc_ders_multi
    if "full" in runners:
        kernels["full"] = full_form(focal0.loss, k)().calc_ders_multi
    print("\nper call, from a Python loop (us): kernel alone / with CatBoost's unpacking emulated")
    for name, kernel in kernels.items():
        alone, unpacked = per_call(kernel, k)
        print(f"  {name:8s} {alone:6.2f} / {unpacked:6.2f}")


if __name__ == "__main__":
    main()
