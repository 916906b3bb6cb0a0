"""The ``_math`` formulas compiled by numba into one parallel loop per entry point.

Each row is read once and written once; the primitives are scalar arithmetic (exp and log1p from
``_libm``), so nothing is re-derived here. Each loop is compiled per gamma in {0, 1, 2, 3, other}
and per hessian mode, with those as constants: LLVM folds the branches on them and vectorises
what remains (a branch on a run-time value would be if-converted by computing both sides). A loop
is compiled on first use and cached on disk (in memory only where no cache directory is
writable). Large calls run on a small pool of Python threads, not on numba's threading layer
(fork- and thread-safe; see ``_compile``).
"""
import concurrent.futures
import hashlib
import os
import pathlib
import threading
import types

import numba
import numba.extending
import numpy as np

from . import _libm, _math
from ._backends import bind


def sources_sha256(*modules):
    """sha256 of the modules' source files: the guard of a family's numba disk cache."""
    h = hashlib.sha256()
    for module in modules:
        h.update(pathlib.Path(module.__file__).read_bytes())
    return h.hexdigest()


def _sources_sha256():
    return sources_sha256(_math, _libm)


# numba invalidates a cached kernel only when *this* file changes, not when ``_math`` or ``_libm``
# does. The disk cache is therefore used only while they still hash to the value recorded here
# (tests/test_loss.py checks it; update it whenever either changes).
SOURCES_SHA256 = "4747e70d24ffbc2d7a42c210f51d9274d82f0ab7ef7e3602600daa7d683dcdb1"
_CACHE = _sources_sha256() == SOURCES_SHA256

_jit = numba.njit(**_libm.FLAGS)  # primitives: LLVM inlines them
_inline = numba.njit(inline="always", **_libm.FLAGS)  # _math's functions: constants fold through


def _power(x, log_x, g):
    """x^g: exact products for small integer g, exp(g log x) otherwise (log x is at hand)."""
    if g == 2.0:
        return x * x
    if g == 0.0:
        return 1.0
    if g == 1.0:
        return x
    if g == 3.0:
        return x * x * x
    return _libm.exp_nonpositive(g * log_x)  # g log x <= 0


_m = bind(
    dict(
        exp=_libm.exp_nonpositive, log1p=_libm.log1p_unit, absolute=_jit(lambda x: abs(x)),
        maximum=_jit(lambda x, y: x if x > y else y), where=_jit(lambda c, x, y: x if c else y),
        power=_jit(_power),
    ),
    wrap=_inline,
)
_smooth, _gradient_hessian, _loss, _posterior = _m.smooth, _m.gradient_hessian, _m.loss, _m.posterior

# Below this many scores (rows; rows x classes for the multiclass loops, whose cost per score is
# about that of a binary row: 13 vs 10 ns at K = 5) the serial loop wins: a parallel launch costs
# more than it saves, much more on a busy machine (measured: 20k rows took 7.5 ms in parallel vs
# 0.6 ms serially under load).
PARALLEL_MIN_ROWS = 50_000


_f64 = numba.float64  # float32 inputs (XGBoost margins) are computed in float64
_MAX = 1.7976931348623157e308


# Each loop also checks its inputs as it reads them and returns the number of bad rows, so a call
# needs no separate validation passes; FocalLoss re-checks with numpy to name the problem if > 0.
@_jit
def _bad(z, y, w):
    """1 unless z is finite, y in [0, 1] and w finite and >= 0 (NaN fails every comparison)."""
    return 0 if abs(z) <= _MAX and 0.0 <= y <= 1.0 and 0.0 <= w <= _MAX else 1


def _store(grad, hess, i, g, h):
    """grad[i], hess[i] = g, h; or, with hess None, grad[2i], grad[2i + 1] = g, h (grad is then
    the flat view of a C-ordered (n, 2) block)."""


@numba.extending.overload(_store, inline="always")
def _store_overload(grad, hess, i, g, h):
    # One flat block, not the (n, 2) block's two column views: those overlap in memory, so LLVM's
    # run-time alias check sends every row to the scalar loop (CatBoost's 1000-row blocks: 37 us
    # instead of 14 us); a 2-D store has a run-time row stride, which LLVM does not vectorise.
    if isinstance(hess, numba.types.NoneType):
        def store(grad, hess, i, g, h):
            grad[2 * i] = g
            grad[2 * i + 1] = h
    else:
        def store(grad, hess, i, g, h):
            grad[i] = g
            hess[i] = h
    return store


# Loop factories: G (gamma, or ANY_GAMMA for "the g argument") and MODE are constants in the loop.
# A large call is split into chunks (slices of every row-indexed array) run on several threads.
ANY_GAMMA = -1.0
GAMMAS = (0.0, 1.0, 2.0, 3.0)  # the gammas _power computes by products; others share one loop


def _gradient_hessian_loop(G, MODE):
    def gradient_hessian(z, y, w, eps, a, b, g, floor, scale, grad, hess):
        bad = 0
        for i in range(z.shape[0]):
            zi, yi = _f64(z[i]), _f64(y[i])
            wi = 1.0 if w is None else _f64(w[i])
            bad += _bad(zi, yi, wi)
            gi, hi = _gradient_hessian(zi, _smooth(yi, eps), a, b, g if G == ANY_GAMMA else G,
                                       MODE, floor)
            _store(grad, hess, i, gi * (wi * scale), hi * (wi * scale))
        return bad
    return gradient_hessian


def _loss_loop(G):
    def loss(z, y, w, eps, a, b, g, out):
        bad = 0
        for i in range(z.shape[0]):
            zi, yi = _f64(z[i]), _f64(y[i])
            wi = 1.0 if w is None else _f64(w[i])
            bad += _bad(zi, yi, wi)
            out[i] = _loss(zi, _smooth(yi, eps), a, b, g if G == ANY_GAMMA else G) * wi
        return bad
    return loss


def _posterior_loop(G):
    def posterior(z, a, b, g, out):
        bad = 0
        for i in range(z.shape[0]):
            zi = _f64(z[i])
            bad += _bad(zi, 0.0, 0.0)
            out[i] = _posterior(zi, a, b, g if G == ANY_GAMMA else G)
        return bad
    return posterior


# -- threads: our own pool, not numba's threading layer ------------------------------------------
# numba's parallel loops run on one process-wide threading layer. On Linux without TBB that is
# GNU OpenMP, after which a fork()ed child that computes is killed ("fork() called from a process
# already using GNU OpenMP") and a fork-based multiprocessing.Pool hangs; the fork-safe
# "workqueue" layer aborts the process when two threads enter it at once, and choosing either
# would change the layer of every other numba user in the process. So the loops are compiled
# serial, with the GIL released, and a large call is cut into one chunk per thread of a small
# pool (the calling thread runs the last chunk). Python threads are fork-safe (the child drops
# the parent's pool and makes its own), never spin, need no lock (any number of threads may call
# at once), and leave numba's threading layer to whoever configures it.
def _num_threads():
    """BOOSTFOCAL_NUM_THREADS, else NUMBA_NUM_THREADS, else the usable CPUs."""
    env = os.environ.get("BOOSTFOCAL_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"BOOSTFOCAL_NUM_THREADS must be a positive integer, got {env!r}")
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


_POOL = None
_POOL_LOCK = threading.Lock()


def _pool(workers):
    global _POOL
    if _POOL is None or _POOL._max_workers != workers:
        with _POOL_LOCK:
            if _POOL is None or _POOL._max_workers != workers:
                _POOL = concurrent.futures.ThreadPoolExecutor(workers, "boostfocal")
    return _POOL


def _after_fork_in_child():
    """The parent's pool threads do not exist in a forked child: start afresh there."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _njit(f, name, cache=_CACHE, **flags):
    """numba.njit with the disk cache where one can be written (and ``cache``, the source guard
    of f's family, allows it). A read-only install with no writable cache directory (containers,
    system-wide installs) compiles in memory instead of failing with numba's "cannot cache
    function ... no locator available"."""
    # numba's disk cache keys a function by its qualified name, code and closure values, not by
    # its flags: each compilation needs a name of its own or they overwrite each other's entry.
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + name, None, f.__closure__)
    g.__qualname__ = f.__qualname__ + name
    if cache:
        try:
            return numba.njit(cache=True, **flags)(g)
        except RuntimeError as e:
            if "cannot cache" not in str(e):
                raise
    return numba.njit(**flags)(g)


# The arguments a loop indexes by row, by name (every loop, binary or multiclass, uses these
# names): z, y, w (n,) or (n, K); grad, hess, out (n,), (n, K), (n, K, K), or the flat view of an
# (n, 2) block (2n values, two per row). Any other argument (a per-class alpha, gamma) is passed
# whole to every chunk, whatever its length. Scratch rows are allocated inside the loop, so each
# chunk has its own.
ROW_ARGS = frozenset(("z", "y", "w", "grad", "hess", "out"))


def _rows(args, positions, n, lo, hi):
    """args with the row-indexed ones (at ``positions``) cut to rows [lo, hi) along their first
    axis (2 lo:2 hi for a flat (n, 2) block). The loops then run over range(len(z)), which LLVM
    vectorises (a loop over run-time bounds range(start, stop) was not: 3x slower)."""
    args = list(args)
    for i in positions:
        a = args[i]
        if a is not None:
            per = a.shape[0] // n  # 1, or 2 for a flat (n, 2) block
            args[i] = a[per * lo:per * hi]
    return args


def _compile(f, cache=_CACHE):
    """The loop compiled twice; the call picks by size. Below PARALLEL_MIN_ROWS scores it runs in
    the calling thread and keeps the GIL, which is what many small calls from a booster's threads
    (CatBoost: ~700 blocks per iteration) want: with CatBoost's two threads calling ~700 times per
    iteration, releasing the GIL around a 10 us call made training 1.33x CatBoost's own Focal
    instead of 1.07x. Above it, the rows are cut into one chunk per thread, run with the GIL
    released. f's first argument is z (n rows); ``cache``: f's family's source guard."""
    ser = _njit(f, "_serial", cache, **dict(_libm.FLAGS, nogil=False))
    chunk = _njit(f, "_chunk", cache, **_libm.FLAGS)
    code = f.__code__
    positions = [i for i, name in enumerate(code.co_varnames[:code.co_argcount])
                 if name in ROW_ARGS]

    def run(*args):
        n = args[0].shape[0]
        threads = _num_threads() if args[0].size >= PARALLEL_MIN_ROWS else 1
        if threads < 2:
            return ser(*args)
        # chunk bounds on multiples of 8 rows, so that no two threads write one cache line
        step = -(-n // (threads * 8)) * 8
        chunks = [_rows(args, positions, n, lo, min(lo + step, n)) for lo in range(0, n, step)]
        try:
            pool = _pool(threads - 1)
            futures = [pool.submit(chunk, *c) for c in chunks[:-1]]
        except RuntimeError:  # interpreter shutting down: no new threads; run the rows here
            return ser(*args)
        bad = chunk(*chunks[-1])
        return bad + sum(f.result() for f in futures)

    return run


_LOOPS = {}
_BUILDING = threading.Lock()


def _loop(factory, *key, cache=_CACHE):
    """factory(*key) compiled, built on first use (once, though boosters call from threads).
    ``cache``: the factory's family's source guard (the multiclass kernels pass theirs)."""
    run = _LOOPS.get((factory, key))
    if run is None:
        with _BUILDING:
            run = _LOOPS.get((factory, key))
            if run is None:
                run = _LOOPS[factory, key] = _compile(factory(*key), cache)
    return run


def _gamma(g):
    return g if g in GAMMAS else ANY_GAMMA


def gradient_hessian(z, y, w, eps, a, b, g, mode, floor, scale, grad, hess):
    """Weighted, scaled gradient and hessian into grad and hess (or, with hess None, interleaved
    into grad, the flat view of an (n, 2) block); returns the number of bad rows."""
    return _loop(_gradient_hessian_loop, _gamma(g), mode)(z, y, w, eps, a, b, g, floor, scale,
                                                            grad, hess)


def loss(z, y, w, eps, a, b, g, out):
    """Weighted per-row loss into out; returns the number of bad rows."""
    return _loop(_loss_loop, _gamma(g))(z, y, w, eps, a, b, g, out)


def posterior(z, a, b, g, out):
    """eta(z) into out; returns the number of non-finite scores."""
    return _loop(_posterior_loop, _gamma(g))(z, a, b, g, out)
