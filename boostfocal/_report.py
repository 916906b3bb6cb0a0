"""The gradient verification report of ``python -m boostfocal check`` (and of the demo's
report): finite differences over a grid of losses, scores, labels and weights."""
from __future__ import annotations

import itertools
import sys

import numpy as np

from .check import check_gradients
from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
WEIGHTS = ({}, {"alpha": 0.25}, {"alpha": 0.75}, {"pos_weight": 3.0}, {"label_smoothing": 0.1})
LABELS = (0.0, 1.0, 0.3)


def check_report(tol=1e-6, out=sys.stdout, gammas=GAMMAS, multiclass=True):
    """Print gradient/hessian errors over a grid; return True if every case is within ``tol``.
    ``gammas`` and ``multiclass`` narrow it to the kernels a caller uses (the demo checks its two
    binary gammas: each gamma in {0, 1, 2, 3, other} and each family is a compile on an empty
    numba cache, ~0.3 s per binary and ~1.5 s per multiclass kernel)."""
    z = np.linspace(-40.0, 40.0, 1601)
    w = np.random.default_rng(0).uniform(0.0, 3.0, z.shape[0])
    print(f"finite-difference check: raw scores {z[0]:g}..{z[-1]:g} ({z.size} points), "
          f"sample weights, tolerance {tol:g}", file=out)
    print(f"{'gamma':>6} {'class weights':<22} {'y':>4} {'grad err':>10} {'hess err':>10}", file=out)
    worst, ok = 0.0, True
    for gamma, kw, y in itertools.product(gammas, WEIGHTS, LABELS):
        r = check_gradients(FocalLoss(gamma=gamma, **kw), np.full_like(z, y), z, w)
        passed = r.passed(tol)
        ok &= passed
        worst = max(worst, r.worst)
        name = ", ".join(f"{k}={v}" for k, v in kw.items()) or "none"
        print(f"{gamma:>6g} {name:<22} {y:>4g} {r.gradient_error:>10.2e} {r.hessian_error:>10.2e}"
              f"{'' if passed else '  FAIL'}", file=out)
    if multiclass:
        ok_multi, worst_multi = multiclass_report(tol, out)
        ok &= ok_multi
        worst = max(worst, worst_multi)
    print(f"worst relative error {worst:.2e}: {'PASS' if ok else 'FAIL'}", file=out)
    return ok


MULTICLASS = ({"gamma": 0.0}, {"gamma": 2.0}, {"gamma": 0.5, "alpha": (0.25, 1.0, 2.0, 4.0)},
              {"gamma": (0.0, 1.0, 2.0, 5.0)}, {"gamma": 2.0, "label_smoothing": 0.1})


def multiclass_report(tol, out):
    """The same check for MulticlassFocalLoss: K = 4, scores up to +-25, hard and soft labels."""
    rng = np.random.default_rng(0)
    z = rng.uniform(-25.0, 25.0, (2000, 4)) * rng.uniform(0.0, 1.0, (2000, 1))
    w = rng.uniform(0.0, 3.0, z.shape[0])
    labels = {"class": rng.integers(0, 4, z.shape[0]),
              "soft": rng.dirichlet(np.ones(4), z.shape[0])}
    print(f"multiclass (K = 4, {z.shape[0]} rows, |z| <= 25, sample weights):", file=out)
    print(f"{'parameters':<40} {'y':>5} {'grad err':>10} {'hess err':>10}", file=out)
    ok, worst = True, 0.0
    for kw, (kind, y) in itertools.product(MULTICLASS, labels.items()):
        r = check_gradients(MulticlassFocalLoss(**kw), y, z, w)
        passed = r.passed(tol)
        ok &= passed
        worst = max(worst, r.worst)
        name = ", ".join(f"{k}={v}" for k, v in kw.items())
        print(f"{name:<40} {kind:>5} {r.gradient_error:>10.2e} {r.hessian_error:>10.2e}"
              f"{'' if passed else '  FAIL'}", file=out)
    return ok, worst
