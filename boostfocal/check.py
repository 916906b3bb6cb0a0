"""Finite-difference verification of any objective's gradient and hessian."""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _checks as check
from ._backends import array_namespace

_EPS = np.finfo(np.float64).eps


@dataclasses.dataclass(frozen=True)
class GradientCheck:
    """Worst errors of the analytic gradient / hessian against central finite differences.

    The error at a row is the part of |finite difference - analytic| that the difference quotient's
    own rounding cannot explain (16 eps (|f(z+h)| + |f(z-h)|) / 2h, f the function differenced),
    relative to |analytic|. Where the hessian is far below the gradient's rounding (|z| > ~20),
    float64 differences carry no information and only a gross error would register; the mpmath
    tests cover that range.
    """

    gradient_error: float
    hessian_error: float
    worst_gradient_at: float
    worst_hessian_at: float
    rows: int

    @property
    def worst(self):
        return max(self.gradient_error, self.hessian_error)

    def passed(self, tol=1e-6):
        return self.worst <= tol


def _relative(xp, analytic, fd, f_plus, f_minus, h):
    noise = 16 * _EPS * (xp.abs(f_plus) + xp.abs(f_minus)) / (2 * h)
    return xp.maximum(xp.abs(fd - analytic) - noise, 0.0) / (xp.abs(analytic) + 1e-300)


def check_gradients(objective, y_true, raw_score, sample_weight=None, *, step=1e-5):
    """Compare ``objective.gradient_hessian`` with central differences of ``objective.loss``.

    ``objective`` is anything with ``loss(y, z, w)`` (per row) and ``gradient_hessian(y, z, w)``.
    The gradient is held against (L(z+h) - L(z-h)) / 2h and the hessian against
    (G(z+h) - G(z-h)) / 2h. A ``FocalLoss`` whose hessian mode is not "exact" is checked in its
    exact mode: the other modes are not derivatives by design. Arrays may be numpy or CuPy (the
    differences are then taken on the GPU). Raw scores of shape (n, K) (``MulticlassFocalLoss``)
    are differenced one class column at a time, the hessian being the diagonal. ``step`` is in
    (0, 1]. Returns a ``GradientCheck`` (``worst_*_at``: the score of the worst row, for (n, K)
    its largest).
    """
    for method in ("loss", "gradient_hessian"):
        if not callable(getattr(objective, method, None)):
            raise TypeError(f"objective must have a {method}() method, got "
                            f"{type(objective).__name__}")
    step = check.real("step", step, low=0.0, low_open=True, high=1.0)
    if getattr(objective, "hessian", "exact") != "exact" and hasattr(objective, "replace"):
        objective = objective.replace(hessian="exact")
    xp = array_namespace(raw_score)
    z = xp.asarray(raw_score, dtype=xp.float64)
    multiclass = z.ndim == 2 and z.shape[1] > 1
    z = z if multiclass else check.raw_score(raw_score, xp).astype(xp.float64)  # 1-D, finite
    if not float(xp.abs(z).max()) + step < 1e300:  # also False for NaN
        raise ValueError(f"raw_score +- step must stay below 1e300 in size (and be finite), got up "
                         f"to {float(xp.abs(z).max())!r}")
    if multiclass:
        return _check_columns(xp, objective, y_true, z, sample_weight, step)
    grad, hess = objective.gradient_hessian(y_true, z, sample_weight)
    for name, a in (("gradient", grad), ("hessian", hess)):
        if getattr(a, "shape", None) != z.shape:
            raise ValueError(f"objective.gradient_hessian returned a {name} of shape "
                             f"{getattr(a, 'shape', type(a).__name__)}, expected {z.shape}")
    l_plus = objective.loss(y_true, z + step, sample_weight)
    l_minus = objective.loss(y_true, z - step, sample_weight)
    g_plus, _ = objective.gradient_hessian(y_true, z + step, sample_weight)
    g_minus, _ = objective.gradient_hessian(y_true, z - step, sample_weight)
    eg = _relative(xp, grad, (l_plus - l_minus) / (2 * step), l_plus, l_minus, step)
    eh = _relative(xp, hess, (g_plus - g_minus) / (2 * step), g_plus, g_minus, step)
    ig, ih = int(xp.argmax(eg)), int(xp.argmax(eh))
    return GradientCheck(float(eg[ig]), float(eh[ih]), float(z[ig]), float(z[ih]), z.shape[0])


def _check_columns(xp, objective, y_true, z, sample_weight, step):
    """check_gradients for (n, K) scores: class column j shifted by +-h at a time."""
    grad, hess = objective.gradient_hessian(y_true, z, sample_weight)
    eg, eh = xp.zeros(z.shape[0]), xp.zeros(z.shape[0])
    for j in range(z.shape[1]):
        d = xp.zeros(z.shape[1])
        d[j] = step
        l_plus = objective.loss(y_true, z + d, sample_weight)
        l_minus = objective.loss(y_true, z - d, sample_weight)
        g_plus = objective.gradient_hessian(y_true, z + d, sample_weight)[0][:, j]
        g_minus = objective.gradient_hessian(y_true, z - d, sample_weight)[0][:, j]
        eg = xp.maximum(eg, _relative(xp, grad[:, j], (l_plus - l_minus) / (2 * step), l_plus,
                                      l_minus, step))
        eh = xp.maximum(eh, _relative(xp, hess[:, j], (g_plus - g_minus) / (2 * step), g_plus,
                                      g_minus, step))
    ig, ih = int(xp.argmax(eg)), int(xp.argmax(eh))
    return GradientCheck(float(eg[ig]), float(eh[ih]), float(z[ig].max()), float(z[ih].max()),
                         z.shape[0])
