"""First call in a new process (issue 27): how long a kernel takes to be ready, and the demo's
compile time on an empty cache.

    python benchmarks/bench_first_call.py warm    # disk cache filled first, then fresh
        # interpreters per kernel: import, numba's own start-up, the kernel's first call
    python benchmarks/bench_first_call.py cold [demo options, e.g. --rows 3000]
        # `python -m boostfocal demo` on an empty numba cache: numba's compile time (wall, and
        # process CPU, which a loaded machine inflates less) and the demo's wall time
    python benchmarks/bench_first_call.py profile [demo | warmup --jobs 1 | check ...]
        # that command on an empty cache, each compilation listed (outermost only): CPU
        # seconds, the loop, its constants (gamma class, hessian mode) and argument types

Each run uses its own NUMBA_CACHE_DIR (a temporary directory), so it neither reads nor spoils
the cache next to the sources. PYTHONPATH decides which boostfocal is measured.
"""
import os
import subprocess
import sys
import tempfile

# (name, setup, call): run in a fresh interpreter after `import boostfocal, numpy as np`
KERNELS = [
    ("binary grad/hess gamma=2 float64", "z = np.linspace(-3, 3, 1000); y = (z > 0) * 1.0; "
     "L = boostfocal.FocalLoss(gamma=2.0)", "L.gradient_hessian(y, z)"),
    ("binary grad/hess gamma=0.5 float32", "z = np.linspace(-3, 3, 1000, dtype=np.float32); "
     "y = (z > 0) * 1.0; L = boostfocal.FocalLoss(gamma=0.5)", "L.gradient_hessian(y, z)"),
    ("binary loss gamma=2", "z = np.linspace(-3, 3, 1000); y = (z > 0) * 1.0; "
     "L = boostfocal.FocalLoss(gamma=2.0)", "L.loss(y, z)"),
    ("binary posterior gamma=2", "z = np.linspace(-3, 3, 1000); "
     "L = boostfocal.FocalLoss(gamma=2.0)", "L.posterior(z)"),
    ("multiclass grad/hess K=5", "z = np.random.default_rng(0).normal(size=(1000, 5)); "
     "y = np.arange(1000) % 5; L = boostfocal.MulticlassFocalLoss(gamma=2.0)",
     "L.gradient_hessian(y, z)"),
    ("multiclass full hessian K=5", "z = np.random.default_rng(0).normal(size=(1000, 5)); "
     "y = np.arange(1000) % 5; L = boostfocal.MulticlassFocalLoss(gamma=2.0)",
     "L.gradient_full_hessian(y, z)"),
    ("multiclass loss K=5", "z = np.random.default_rng(0).normal(size=(1000, 5)); "
     "y = np.arange(1000) % 5; L = boostfocal.MulticlassFocalLoss(gamma=2.0)", "L.loss(y, z)"),
    ("multiclass posterior K=5", "z = np.random.default_rng(0).normal(size=(1000, 5)); "
     "L = boostfocal.MulticlassFocalLoss(gamma=2.0)", "L.posterior(z)"),
]

PROBE = """
import time
c, t0 = time.process_time(), time.perf_counter()
import boostfocal, numpy as np
c1, t1 = time.process_time(), time.perf_counter()
import numba
from numba.core.registry import cpu_target
cpu_target.target_context.refresh()  # numba's own start-up: imports its numpy support
c2, t2 = time.process_time(), time.perf_counter()
{setup}
c3, t3 = time.process_time(), time.perf_counter()
{call}
c4, t4 = time.process_time(), time.perf_counter()
print(t1 - t0, t2 - t1, t4 - t3, c4 - c3)
"""


def _run(code, env):
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return [float(v) for v in out.stdout.split()[-4:]]


def warm(repeats=3):
    """Per kernel, min over fresh interpreters: import boostfocal; numba's start-up (import and
    first use, the same for every numba user); then the kernel's first call (loaded from the
    warm cache), wall and CPU."""
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="bf-warm-"))
    for _, setup, call in KERNELS:  # fill the cache
        _run(PROBE.format(setup=setup, call=call), env)
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'kernel':<36} {'import s':>8} {'numba start s':>13} {'first call s':>12} "
          f"{'(CPU s)':>8}   min of {repeats}")
    for name, setup, call in KERNELS:
        runs = [_run(PROBE.format(setup=setup, call=call), env) for _ in range(repeats)]
        print(f"{name:<36} " + " ".join(f"{min(r[i] for r in runs):{w}.3f}"
                                         for i, w in enumerate((8, 13, 12, 8))))


COLD = """
import sys, time
from numba.core import event


class CPU(event.Listener):  # process CPU time inside outermost compilations (robust to load)
    depth, total = 0, 0.0

    def on_start(self, ev):
        if self.depth == 0:
            self.t = time.process_time()
        self.depth += 1

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0:
            self.total += time.process_time() - self.t


total, cpu = [], CPU()
t0 = time.perf_counter()
with event.install_timer("numba:compile", total.append), \\
        event.install_listener("numba:compile", cpu):
    from boostfocal.__main__ import main
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        main(["demo"] + sys.argv[1:])
print("COMPILE", sum(total), "CPU", cpu.total, "WALL", time.perf_counter() - t0)
"""


def cold(args, labels=("cold (empty cache)",)):
    """The demo on an empty cache: numba's compile time (wall and process CPU) and the total."""
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="bf-cold-"))
    print(f"load average {os.getloadavg()[0]:.2f}")
    for label in labels:
        out = subprocess.run([sys.executable, "-c", COLD] + args, env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"demo {label}: numba compile wall {float(out[-5]):.1f} s, CPU {float(out[-3]):.1f}"
              f" s; demo wall {float(out[-1]):.1f} s")


PROFILE = """
import re, sys, time
from numba.core import event


class Each(event.Listener):
    def __init__(self):
        self.stack, self.rows = [], []

    def on_start(self, ev):
        self.stack.append(time.process_time())

    def on_end(self, ev):
        t = time.process_time() - self.stack.pop()
        if not self.stack:
            f = ev.data["dispatcher"].py_func
            consts = [c.cell_contents for c in f.__closure__ or ()]
            args = " ".join(re.sub(r"Array\\((\\w+), (\\d), '(\\w)'.*", r"\\1[\\2d \\3]", str(a))
                            for a in ev.data["args"])
            self.rows.append((t, f.__qualname__.split(".")[0], consts, args))


each = Each()
with event.install_listener("numba:compile", each):
    from boostfocal.__main__ import main
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        main(sys.argv[1:])
for t, name, consts, args in each.rows:
    print(f"{t:5.2f} s  {name:<24} {str(consts):<10} {args[:110]}")
print(f"{sum(r[0] for r in each.rows):.1f} s CPU in {len(each.rows)} compilations")
"""


def profile(args):
    """Each compilation of ``python -m boostfocal ARGS`` on an empty cache, in call order."""
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="bf-profile-"))
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(subprocess.run([sys.executable, "-c", PROFILE] + (args or ["demo"]), env=env,
                         capture_output=True, text=True, check=True).stdout, end="")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "warm"
    {"warm": lambda: warm(), "cold": lambda: cold(sys.argv[2:]),
     "profile": lambda: profile(sys.argv[2:])}[what]()
