"""The focal-loss formulas, written once.

Notation: z raw score (logit), p = sigmoid(z), q = 1 - p, g = gamma, y in [0, 1] the (possibly soft,
possibly smoothed) label, a / b the positive / negative branch weights, w the sample weight.

    L1 = -a q^g log p                     (y = 1 branch)
    L0 = -b p^g log q                     (y = 0 branch)
    L  = w (y L1 + (1 - y) L0)            (linear in y: soft labels mix the branches)

Derivatives with respect to z (dp/dz = p q, d log p/dz = q, d log q/dz = -p):

    G1 = dL1/dz = -a q^g (q - g p log p)
    G0 = dL0/dz =  b p^g (p - g q log q)
    H1 = dG1/dz =  a p q^g [(2g+1) q + g (1 - (1+g) p) log p]
    H0 = dG0/dz =  b q p^g [(2g+1) p + g (1 - (1+g) q) log q]

G0 > 0 > G1, so the score z is the optimum of the expected loss exactly when the positive rate is

    eta(z) = G0 / (G0 - G1)           (the posterior the loss implies; sigmoid(z) when g = 0, a = b)

and the Fisher ("expected") hessian averages the branches with it: eta H1 + (1 - eta) H0
= (G0 - G1) eta'(z) > 0. The exact hessian y H1 + (1 - y) H0 is negative for confidently wrong rows.

Stability: one e = exp(-|z|) and one log1p(e) give everything. log p = -(max(-z, 0) + log1p(e)),
log q = -(max(z, 0) + log1p(e)) are finite for every finite z; p and q are formed without
cancellation; q - g p log p and p - g q log q add two non-negative terms; p log p and q log q
are multiplied out before anything else (they stay finite as |z| -> 1.8e308). No log of a clipped
probability and no 0 * inf can occur.

The functions below use only arithmetic and the primitives ``exp, log1p, absolute, maximum, where,
power``; exp only ever sees arguments <= 0 and log1p arguments in [0, 1] (the numba binding's own
exp and log1p in ``_libm`` rely on it). They are never called from here: ``_backends`` binds the
primitives to numpy ufuncs (eager arrays), to scalar arithmetic inside a fused numba loop, or to
CuPy (GPU), so this is the only copy of the math in boostfocal.
"""

# Hessian modes (ints so that compiled backends can branch on them).
EXACT, EXPECTED, CLIPPED = 0, 1, 2
MODES = {"expected": EXPECTED, "exact": EXACT, "clipped": CLIPPED}  # the loss's hessian= names
TINY = 1e-300  # guards 0 / 0 in eta when both branches underflow (only with alpha in {0, 1})


def smooth(y, eps):
    """Label smoothing (Keras, focal-loss): y -> y (1 - eps) + eps / 2."""
    return y * (1.0 - eps) + 0.5 * eps


def unsmooth(p, eps):
    """The inverse of ``smooth``: a rate of smoothed labels back to a rate of true labels."""
    return (p - 0.5 * eps) / (1.0 - eps)


def core(z, g):
    """p, q, log p, log q, p^g, q^g from one exp and one log1p."""
    e = exp(-absolute(z))  # noqa: F821 (bound by _backends)
    l1p = log1p(e)  # noqa: F821
    r = 1.0 / (1.0 + e)
    pos = z >= 0.0
    p = where(pos, r, e * r)  # noqa: F821
    q = where(pos, e * r, r)  # noqa: F821
    log_p = -(maximum(-z, 0.0) + l1p)  # noqa: F821
    log_q = -(maximum(z, 0.0) + l1p)  # noqa: F821
    return p, q, log_p, log_q, power(p, log_p, g), power(q, log_q, g)  # noqa: F821


def loss(z, y, a, b, g):
    """Unweighted per-row loss y L1 + (1 - y) L0."""
    p, q, log_p, log_q, pg, qg = core(z, g)
    return -(y * a * qg * log_p + (1.0 - y) * b * pg * log_q)


def branch_gradients(p, q, log_p, log_q, pg, qg, a, b, g):
    """G1, G0."""
    return -a * qg * (q - g * p * log_p), b * pg * (p - g * q * log_q)


def eta(g1, g0):
    """G0 / (G0 - G1), in [0, 1]."""
    return g0 / maximum(g0 - g1, TINY)  # noqa: F821


def posterior(z, a, b, g):
    """eta(z): the positive rate for which z minimises the expected loss."""
    p, q, log_p, log_q, pg, qg = core(z, g)
    g1, g0 = branch_gradients(p, q, log_p, log_q, pg, qg, a, b, g)
    return eta(g1, g0)


def gradient_hessian(z, y, a, b, g, mode, floor):
    """Unweighted gradient and hessian of y L1 + (1 - y) L0 w.r.t. z, hessian by ``mode``."""
    p, q, log_p, log_q, pg, qg = core(z, g)
    g1, g0 = branch_gradients(p, q, log_p, log_q, pg, qg, a, b, g)
    # p log p and q log q are formed first: near |z| = 1.8e308, g log q overflows to -inf and
    # q (log q ...) would be 0 * inf = NaN, while q log q is 0.
    h1 = a * qg * ((2.0 * g + 1.0) * p * q + g * (1.0 - (1.0 + g) * p) * (p * log_p))
    h0 = b * pg * ((2.0 * g + 1.0) * p * q + g * (1.0 - (1.0 + g) * q) * (q * log_q))
    grad = y * g1 + (1.0 - y) * g0
    if mode == EXPECTED:  # eta h1 + (1 - eta) h0, with 1 - eta = -G1 / (G0 - G1) kept exact
        hess = maximum((g0 * h1 - g1 * h0) / maximum(g0 - g1, TINY), floor)  # noqa: F821
    elif mode == CLIPPED:
        hess = maximum(y * h1 + (1.0 - y) * h0, floor)  # noqa: F821
    else:
        hess = y * h1 + (1.0 - y) * h0
    return grad, hess
