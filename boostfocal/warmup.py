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

BOOSTERS = tuple((b.package, b.estimator) for b in _spec.BOOSTERS)


def warmup(gammas=(2.0,), hessians=("expected",), out=sys.stdout):
    """Two-round binary and 3-class fits, with an eval set, and ``predict_proba`` on every
    installed booster for each gamma and hessian mode, plus the loss objects' own entry points;
    returns the seconds taken (a warm cache: well under a second per booster)."""
    import numpy as np

    import boostfocal

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    labels = {"binary": (X[:, 0] + rng.normal(size=600) > 1.0).astype(int),
              "3 classes": np.digitize(X[:, 1] + 0.5 * rng.normal(size=600), [-0.5, 0.5])}
    start = time.perf_counter()
    boosters = [(m, c) for m, c in BOOSTERS if importlib.util.find_spec(m)]
    for gamma in gammas:
        for hessian in hessians:
            for module, cls_name in boosters:
                for family, y in labels.items():
                    t = time.perf_counter()
                    est = getattr(boostfocal, cls_name)(gamma=gamma, hessian=hessian,
                                                        n_estimators=2, early_stopping_rounds=2)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        est.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
                        est.predict_proba(X[400:])
                    print(f"{module} {family} gamma={gamma:g} hessian={hessian}: "
                          f"{time.perf_counter() - t:.1f} s", file=out, flush=True)
            loss = boostfocal.FocalLoss(gamma=gamma, hessian=hessian)
            z, y = X[:, 0].copy(), labels["binary"].astype(float)
            loss.gradient_hessian(y, z), loss.loss(y, z), loss.posterior(z)
            multi = boostfocal.MulticlassFocalLoss(gamma=gamma, hessian=hessian)
            Z, Y = X[:, :3].copy(), labels["3 classes"]
            multi.gradient_hessian(Y, Z), multi.gradient_full_hessian(Y, Z)
            multi.loss(Y, Z), multi.posterior(Z)
    total = time.perf_counter() - start
    print(f"warm-up done in {total:.1f} s", file=out)
    return total
