"""The constant score vector minimising the multiclass focal loss (``MulticlassFocalLoss.init_score``).

The mean loss at a constant is sum_c u_c phi_c(p_c) with p = softmax(b), u_c = alpha_c ytilde_c
(ytilde the smoothed weighted mean label row) and phi_c(q) = (1 - q)^gamma_c (-log q), decreasing
and convex on (0, 1) for gamma_c >= 0. So the minimiser is unique and satisfies
u_c h_c(p_c) = lambda for every class, with h_c = -phi_c' decreasing: solved by bisection on
log lambda (sum_c p_c(lambda) = 1), each p_c by bisection on log p_c. At gamma = 0 it is the
closed form p_c proportional to u_c."""
from __future__ import annotations

import numpy as np

_T_MIN = -700.0  # log p floor (p >= 1e-304)


def _log_h(t, g):
    """log h(q) for t = log q <= 0, h = -d/dq [(1 - q)^g (-log q)] = (1 - q)^g (1/q + g r),
    r = -log q / (1 - q) = t / expm1(t) (1 at q = 1); decreasing in t."""
    with np.errstate(divide="ignore", invalid="ignore"):
        om = -np.expm1(t)
        r = np.where(t < 0.0, t / np.where(t < 0.0, np.expm1(t), 1.0), 1.0)
        pow_term = np.where(g == 0.0, 0.0, g * np.log(om))
        return pow_term - t + np.log1p(g * r * np.exp(t))


def _log_p(target, g, lo, hi):
    """t = log p_c in [lo, hi] with log h_c(t) = target (vectorised bisection; the ends where
    the target lies outside h's range on the bracket)."""
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        above = _log_h(mid, g) > target  # h too large: p must grow
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.all(hi - lo <= 4e-16 * np.maximum(1.0, np.abs(lo))):
            break
    return 0.5 * (lo + hi)


def constant_minimiser(log_u, gamma):
    """log p (K,) minimising sum_c u_c (1 - p_c)^gamma_c (-log p_c) on the simplex: the
    stationarity condition log u_c + log h_c(log p_c) = L for all c, L found by bisection so that
    sum p = 1 (sum_c p_c(L) decreases in L). L lies between the smallest and the largest
    log u_c + log h_c(-log K): the largest p is >= 1/K and the smallest <= 1/K."""
    k = log_u.shape[0]
    ends = log_u + _log_h(np.full(k, -np.log(k)), gamma)
    lo, hi = float(ends.min()), float(ends.max())
    # t(L) decreases in L: t(hi) <= t(L) <= t(lo) brackets every inner solve
    t_lo = _log_p(hi - log_u, gamma, np.full(k, _T_MIN), np.zeros(k))
    t_hi = _log_p(lo - log_u, gamma, np.full(k, _T_MIN), np.zeros(k))
    t = t_hi
    for _ in range(200):
        if hi - lo <= 4e-16 * max(1.0, abs(lo)):
            break
        mid = 0.5 * (lo + hi)
        t = _log_p(mid - log_u, gamma, t_lo, t_hi)
        if np.exp(t).sum() > 1.0:
            lo, t_hi = mid, t
        else:
            hi, t_lo = mid, t
    return t


def constant_start(ybar, alpha, gamma, eps):
    """The centred minimiser b (K,), sum(b) = 0, for the mean label row ``ybar`` (1, K) (absent
    classes clipped to float64 eps), class weights ``alpha`` (K,), ``gamma`` (K,) and label
    smoothing ``eps``."""
    k = ybar.shape[1]
    u = alpha * (ybar[0] * (1.0 - eps) + eps / k)
    present = ybar[0] > 2.0 * np.finfo(np.float64).eps  # absent classes were clipped to eps
    if not (np.isfinite(u).all() and np.any(alpha[present] > 0.0)):
        raise ValueError("alpha gives every class present in y_true a weight of 0: no "
                         "constant minimises the loss")
    # a class with u_c = 0 (alpha_c = 0) has its infimum at p_c = 0: floored like an
    # absent class, relative to the largest weight
    log_u = np.log(np.maximum(u / u.max(), np.finfo(np.float64).eps))
    t = constant_minimiser(log_u, gamma)
    return t - t.mean()
