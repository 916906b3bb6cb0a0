"""The numba machinery both kernel families share: compiler flags, the cached compile, the thread
pool and its fork hook.

``compiled(factory, *key, sources=...)`` turns a loop written as plain Python (``_numba_kernels``,
``_multiclass_kernels``) into a callable compiled on first use and kept for the process. numba's
disk cache notices changes to the file that defines a function, not to the formula modules
inlined into it, so the sha256 of those modules (and of this file) is folded into each
function's cache name: an edited formula compiles afresh, nothing is hand-maintained. Where no
cache directory is writable the loops compile in memory.

Large calls run on a small pool of Python threads, not on numba's threading layer (fork- and
thread-safe; see ``compiled``).
"""
import concurrent.futures
import hashlib
import os
import pathlib
import threading
import types

import numba

from . import _libm
from ._checks import MAX  # noqa: F401 (read by the loops: the float64 maximum)

jit = numba.njit(**_libm.FLAGS)  # scalar primitives: LLVM inlines them
inline = numba.njit(inline="always", **_libm.FLAGS)  # formula functions: constants fold through
F64 = numba.float64  # float32 inputs (XGBoost margins) are computed in float64

# Below this many scores (rows; rows x classes for the multiclass loops, whose cost per score is
# about that of a binary row: 13 vs 10 ns at K = 5) the serial loop wins: a parallel launch costs
# more than it saves, much more on a busy machine (measured: 20k rows took 7.5 ms in parallel vs
# 0.6 ms serially under load).
PARALLEL_MIN_ROWS = 50_000


def sources_sha256(*modules):
    """sha256 of the modules' source files."""
    h = hashlib.sha256()
    for module in modules:
        h.update(pathlib.Path(module.__file__).read_bytes())
    return h.hexdigest()


_TAGS = {}


def source_tag(modules):
    """A short hash of ``modules``' sources and of this file, computed once per process (reading
    a few small files: ~0.1 ms); it names the cache entries of the loops they are compiled into."""
    tag = _TAGS.get(modules)
    if tag is None:
        tag = _TAGS[modules] = sources_sha256(*modules, _THIS)[:16]
    return tag


_THIS = types.SimpleNamespace(__file__=__file__)


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


def _njit(f, name, tag, **flags):
    """numba.njit with the disk cache where one can be written. A read-only install with no
    writable cache directory (containers, system-wide installs) compiles in memory instead of
    failing with numba's "cannot cache function ... no locator available"."""
    # numba's disk cache keys a function by its qualified name, code and closure values, not by
    # its flags or the code inlined into it: the name carries the flavour and the sources' tag.
    suffix = f"{name}_{tag}"
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + suffix, None, f.__closure__)
    g.__qualname__ = f.__qualname__ + suffix
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


def _compile(f, tag):
    """The loop compiled twice, each flavour on its first call; the call picks by size. Below
    PARALLEL_MIN_ROWS scores it runs in the calling thread and keeps the GIL, which is what many
    small calls from a booster's threads (CatBoost: ~700 blocks per iteration) want: with
    CatBoost's two threads calling ~700 times per iteration, releasing the GIL around a 10 us
    call made training 1.33x CatBoost's own Focal instead of 1.07x. Above it, the rows are cut
    into one chunk per thread, run with the GIL released. f's first argument is z (n rows)."""
    ser = _njit(f, "_serial", tag, **dict(_libm.FLAGS, nogil=False))
    chunk = _njit(f, "_chunk", tag, **_libm.FLAGS)
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

    run.serial, run.chunk = ser, chunk
    return run


_LOOPS = {}
_BUILDING = threading.Lock()


def compiled(factory, *key, sources):
    """factory(*key) compiled, built on first use (once, though boosters call from threads).
    ``sources``: the formula modules inlined into the loop (their hash names its cache entry)."""
    run = _LOOPS.get((factory, key))
    if run is None:
        with _BUILDING:
            run = _LOOPS.get((factory, key))
            if run is None:
                run = _LOOPS[factory, key] = _compile(factory(*key), source_tag(sources))
    return run
