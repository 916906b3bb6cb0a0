"""MulticlassFocalLoss.init_score is the minimiser of the weighted mean loss: checked against an
independent search (its own numpy loss on the simplex, multi-start L-BFGS with its own gradient,
a dense grid for K = 3) and, at gamma = 0, the closed form softmax(b) proportional to alpha_k
times the weighted count of class k."""
import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from boostfocal import MulticlassFocalLoss


def _shares_labels(rng, k, n, tiny_share=0.001):
    """Labels with one class at ~0.1%, the rest random shares (every class present)."""
    shares = rng.dirichlet(np.ones(k))
    shares[rng.integers(k)] = tiny_share
    counts = np.maximum(np.round(shares / shares.sum() * n).astype(int), 1)
    return rng.permutation(np.repeat(np.arange(k), counts))


def _objective(u, gamma):
    """f(b) = sum_c u_c (1 - p_c)^g_c (-log p_c), p = softmax(b), and its gradient."""
    def f(b):
        b = b - b.max()
        lse = np.log(np.exp(b).sum())
        logp = b - lse
        p = np.exp(logp)
        s = -np.expm1(logp)
        sg = s ** gamma
        val = np.sum(u * sg * -logp)
        # dphi/dp = g s^(g-1) log p - s^g / p ; d p_c / d b_j = p_c ([c = j] - p_j)
        with np.errstate(divide="ignore", invalid="ignore"):
            dphi_p = np.where(gamma > 0, gamma * s ** (gamma - 1) * logp * p, 0.0) - sg
        v = u * dphi_p  # u_c phi'_c(p_c) p_c
        grad = v - p * v.sum()
        return val, grad
    return f


def _best_found(u, gamma, rng, starts):
    f = _objective(u, gamma)
    k = u.shape[0]
    candidates = [np.log(u)] + [rng.normal(0, 3, k) for _ in range(starts)]
    best = np.inf
    for b0 in candidates:
        r = minimize(f, b0, jac=True, method="L-BFGS-B",
                     options=dict(maxiter=200 if k > 3 else 3000, ftol=1e-15, gtol=1e-11))
        best = min(best, f(r.x)[0])
        if k == 3:
            r2 = minimize(lambda b: f(b)[0], r.x, method="Nelder-Mead",
                          options=dict(maxiter=4000, xatol=1e-12, fatol=1e-16))
            best = min(best, r2.fun)
    if k == 3:  # dense grid on the centred plane, then polish from the best grid point
        g1 = np.linspace(-25, 25, 201)
        b1, b2 = np.meshgrid(g1, g1)
        bs = np.stack([b1.ravel(), b2.ravel(), np.zeros(b1.size)], axis=1)
        logp = bs - np.logaddexp.reduce(bs, axis=1, keepdims=True)
        vals = np.sum(u * (-np.expm1(logp)) ** gamma * -logp, axis=1)
        i = int(np.argmin(vals))
        r = minimize(lambda b: f(b)[0], bs[i], method="Nelder-Mead",
                     options=dict(maxiter=20000, xatol=1e-13, fatol=1e-18))
        best = min(best, vals[i], r.fun)
    return best


def _u(loss, y, w, k):
    rows = (y[:, None] == np.arange(k)).astype(float)
    ybar = (w @ rows) / w.sum() if w is not None else rows.mean(axis=0)
    eps = loss.label_smoothing
    alpha = np.ones(k) if loss.alpha is None else np.array(loss.alpha)
    return alpha * (ybar * (1 - eps) + eps / k)


CASES = list(itertools.product([0.0, 0.5, 2.0, 5.0, 20.0, 50.0], [3, 10, 50]))


@pytest.mark.parametrize("gamma,k", CASES)
def test_init_score_is_the_global_minimum(gamma, k):
    rng = np.random.default_rng(int(gamma * 10) + k)
    y = _shares_labels(rng, k, 3000 if k < 50 else 10000)
    alpha = np.exp(rng.uniform(0, np.log(1e4), k))  # ratios up to 1e4
    w = rng.uniform(0.1, 3.0, y.shape[0])
    loss = MulticlassFocalLoss(gamma=gamma, alpha=alpha)
    b = loss.init_score(y, w)
    assert b.shape == (k,) and np.isfinite(b).all() and abs(b.sum()) < 1e-9 * k * np.abs(b).max()
    u = _u(loss, y, w, k)
    ours = _objective(u, np.full(k, gamma))(b)[0]
    # the library's own mean loss at the constant is the same number
    assert loss.mean_loss(y, np.tile(b, (y.shape[0], 1)), w) == pytest.approx(ours, rel=1e-12)
    best = _best_found(u, np.full(k, gamma), rng, starts=2 if k == 3 else 1)
    assert ours <= best * (1 + 1e-9), (ours, best)


def test_gamma0_closed_form_issue_example():
    # shares 0.6/0.3/0.1, alpha = [100, 1, 0.01]: softmax(b) proportional to alpha_k * count_k
    y = np.repeat([0, 1, 2], [600, 300, 100])
    loss = MulticlassFocalLoss(gamma=0.0, alpha=[100, 1, 0.01])
    b = loss.init_score(y)
    target = np.log(np.array([100 * 0.6, 0.3, 0.001]))
    np.testing.assert_allclose(b, target - target.mean(), rtol=0, atol=1e-12)
    w = np.random.default_rng(0).uniform(0, 2, y.shape[0])
    counts = np.bincount(y, weights=w)
    target = np.log(np.array([100, 1, 0.01]) * counts)
    np.testing.assert_allclose(loss.init_score(y, w), target - target.mean(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("gamma", [(0.0, 5.0, 50.0), (20.0, 0.5, 2.0)])
def test_per_class_gamma_and_smoothing(gamma):
    rng = np.random.default_rng(7)
    y = _shares_labels(rng, 3, 3000)
    for eps in (0.0, 0.2):
        loss = MulticlassFocalLoss(gamma=gamma, alpha=[1e4, 1.0, 3.0], label_smoothing=eps)
        b = loss.init_score(y)
        u = _u(loss, y, None, 3)
        f = _objective(u, np.array(gamma))
        assert f(b)[0] <= _best_found(u, np.array(gamma), rng, starts=3) * (1 + 1e-9)


def test_soft_label_rows_and_absent_class():
    # label rows give the same start as the class indices with the same mean; an absent class
    # (clipped to float64 eps) gets a large negative but finite score
    y = np.repeat([0, 1], [700, 300])
    loss = MulticlassFocalLoss(gamma=5.0, alpha=[2.0, 1.0, 7.0])
    b = loss.init_score(y)
    rows = np.eye(3)[y]
    np.testing.assert_allclose(loss.init_score(rows), b, atol=1e-12)
    assert np.isfinite(b).all() and b[2] < b[0] - 10


def test_zero_alpha_class_is_finite_and_all_zero_alpha_refused():
    y = np.repeat([0, 1, 2], [5, 3, 2])
    b = MulticlassFocalLoss(gamma=2.0, alpha=[1.0, 0.0, 1.0]).init_score(y)
    assert np.isfinite(b).all() and b[1] < b[0] - 10
    with pytest.raises(ValueError, match="alpha"):
        MulticlassFocalLoss(gamma=2.0, alpha=[0.0, 0.0, 1.0]).init_score(np.array([0, 1, 0]))
