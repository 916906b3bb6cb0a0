"""Pools of fresh worker processes that never re-run the caller's script."""
import multiprocessing
import sys
import types


def spawn_pool(processes, initializer=None, initargs=()):
    """A ``multiprocessing`` pool of ``processes`` spawned workers (not forked: a fork of a process
    whose boosters or numba have started OpenMP threads can hang), all started here.

    A spawned worker normally re-imports the caller's ``__main__``: it would re-run a script
    that calls ``compare`` at top level without an ``if __name__ == "__main__":`` guard (and
    fail to start from ``python -`` or ``python -c``). Workers here only run boostfocal's own
    functions, so they are started with an empty ``__main__`` instead; anything sent to them
    must be importable by name (boostfocal, numpy and pandas objects are)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        return multiprocessing.get_context("spawn").Pool(processes, initializer, initargs)
    finally:
        sys.modules["__main__"] = main
