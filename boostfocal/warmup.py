"""``python -m boostfocal warmup``: compile every kernel a fit calls into numba's disk cache.

A kernel compiles on its first call in a fresh install (seconds each) and is loaded from the
disk cache afterwards; run this once where the cache will live (a container image build, a
shared environment) so the first fit of each process starts at once. See docs/speed-warmup.md.
"""
import importlib.util
import sys
import time
import warnings

from . import _spec
from ._processes import spawn_pool

BOOSTERS = tuple((b.package, b.estimator) for b in _spec.BOOSTERS)
# the estimators' default hessian ("clipped") and the loss objects' and native objectives'
# ("expected"): the binary loops are compiled per mode, so both defaults are warmed
HESSIANS = ("clipped", "expected")
FAMILIES = ("binary", "3 classes")


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    labels = {"binary": (X[:, 0] + rng.normal(size=600) > 1.0).astype(int),
              "3 classes": np.digitize(X[:, 1] + 0.5 * rng.normal(size=600), [-0.5, 0.5])}
    return X, labels


def _fit(module, cls_name, family, gammas, hessians):
    """Two-round fits with an eval set and ``predict_proba``, per gamma and hessian mode;
    returns their report lines."""
    import boostfocal

    X, labels = _data()
    lines = []
    for gamma in gammas:
        for hessian in hessians:
            y, t = labels[family], time.perf_counter()
            est = getattr(boostfocal, cls_name)(gamma=gamma, hessian=hessian, n_estimators=2,
                                                early_stopping_rounds=2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
                est.predict_proba(X[400:])
            lines.append(f"{module} {family} gamma={gamma:g} hessian={hessian}: "
                         f"{time.perf_counter() - t:.1f} s")
    return lines


def _losses(gammas, hessians):
    """The loss objects' own entry points (gradient, full hessian, loss, posterior)."""
    import boostfocal

    X, labels = _data()
    lines = []
    for gamma in gammas:
        for hessian in hessians:
            t = time.perf_counter()
            loss = boostfocal.FocalLoss(gamma=gamma, hessian=hessian)
            z, y = X[:, 0].copy(), labels["binary"].astype(float)
            loss.gradient_hessian(y, z), loss.loss(y, z), loss.posterior(z)
            multi = boostfocal.MulticlassFocalLoss(gamma=gamma, hessian=hessian)
            Z, Y = X[:, :3].copy(), labels["3 classes"]
            multi.gradient_hessian(Y, Z), multi.gradient_full_hessian(Y, Z)
            multi.loss(Y, Z), multi.posterior(Z)
            lines.append(f"loss objects gamma={gamma:g} hessian={hessian}: "
                         f"{time.perf_counter() - t:.1f} s")
    return lines


def _units(gammas, hessians, boosters):
    """One unit per booster and family (and one for the loss objects): the kernels two units
    compile differ (dtypes and layouts differ by booster), so processes seldom duplicate work."""
    return [(_fit, (m, c, family, gammas, hessians)) for m, c in boosters
            for family in FAMILIES] + [(_losses, (gammas, hessians))]


def _compiles():
    """A counter of numba compilations (cache misses: loading from the disk cache is not one)."""
    from numba.core import event

    class Count(event.Listener):
        n = depth = 0

        def on_start(self, ev):
            self.depth += 1

        def on_end(self, ev):
            self.depth -= 1
            self.n += self.depth == 0

    return Count()


def warmup(gammas=(2.0,), hessians=HESSIANS, out=sys.stdout, jobs=1, boosters=None):
    """Two-round binary and 3-class fits, with an eval set, and ``predict_proba`` on every
    installed booster (or those named in ``boosters``) for each gamma and hessian mode, plus the
    loss objects' own entry points; returns the seconds taken (a warm cache: well under a second
    per booster). With ``jobs`` > 1 the fits run in that many fresh processes at once, then once
    more here: numba's cache index is rewritten without a lock, so two processes adding entries to
    one function's index at the same moment can drop one; the second pass loads every kernel and
    recompiles (and says) whatever was dropped."""
    from numba.core import event

    names = boosters or [m for m, _ in BOOSTERS]
    unknown = set(names) - {m for m, _ in BOOSTERS}
    if unknown:
        raise ValueError(f"boosters must be among {[m for m, _ in BOOSTERS]}, got "
                         f"{sorted(unknown)}")
    chosen = [(m, c) for m, c in BOOSTERS if m in names and importlib.util.find_spec(m)]
    units = _units(gammas, hessians, chosen)
    start = time.perf_counter()
    if jobs > 1:
        pool = spawn_pool(min(jobs, len(units)))
        try:
            for lines in pool.imap(_call, units):
                print("\n".join(lines), file=out, flush=True)
        finally:
            pool.terminate()
            pool.join()
        parallel = time.perf_counter() - start
    compiles = _compiles()
    with event.install_listener("numba:compile", compiles):
        for f, args in units:
            lines = f(*args)
            if jobs == 1:
                print("\n".join(lines), file=out, flush=True)
    total = time.perf_counter() - start
    if jobs > 1:
        print(f"{len(units)} units in {min(jobs, len(units))} processes: {parallel:.1f} s; "
              f"every kernel loaded again here: {total - parallel:.1f} s, {compiles.n} "
              f"recompiled", file=out)
    print(f"warm-up done in {total:.1f} s" + (f" ({compiles.n} kernels compiled)" if jobs == 1
                                               else ""), file=out)
    return total


def _call(unit):
    f, args = unit
    return f(*args)
