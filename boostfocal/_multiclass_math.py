"""The multiclass focal-loss formulas, written once (the analogue of ``_math`` for K classes).

Notation: z the K raw scores of a row, p = softmax(z), ytilde the (smoothed) label row, alpha_c and
gamma_c the class weights and focusing parameters, w the sample weight. For class c let q = p_c,
s = 1 - q (the sum of the other p's), l = log q, a = alpha_c, g = gamma_c::

    L   = w sum_c ytilde_c L_c,        L_c = -a s^g l
    F_c = a [s^g - g q s^(g-1) l] >= 0              grad_j of L_c = F_c (p_j - [j = c])
    c_c = a g q s^(g-2) [2 s + (1 - g q) l]         C_c = c_c s^2 = a g q s^g [2 s + (1 - g q) l]
    H of L_c = F_c (diag p - p p^T) + c_c d_c d_c^T,  d_c = p - e_c

Soft labels (and label smoothing) take the label-weighted sums: with u the weights (u = ytilde),
Fu = sum_c u_c F_c, the gradient is  grad_j = p_j (Fu - u_j F_j) - u_j F_j s_j  and the diagonal

    H_jj = Fu p_j s_j + u_j C_j + p_j^2 (Cn - [j != m] u_j C_j / s_j^2) + [j != m] u_m C_m (p_j / s_m)^2

where m is the row's argmax and Cn = sum_{c != m} u_c C_c / s_c^2. Only s_m can be small (s_c >= p_m
>= 1/K for c != m), so no negative power of a small s is ever formed: c_m d_m d_m^T is written as
u_m C_m v v^T with v = d_m / s_m (|v_j| <= 1). The full matrix is

    H_jk = Fu (diag p - p p^T)_jk + Cn p_j p_k - p_j tau_k - tau_j p_k + [j = k] tau_j + u_m C_m v_j v_k

with tau_j = [j != m] u_j C_j / s_j^2 (its diagonal is the H_jj above).

Hessian modes: EXACT uses u = ytilde. EXPECTED uses u = eta(z), the posterior below: the hessian
averaged over labels drawn from eta, positive semi-definite because z minimises the expected loss
under eta(z). CLIPPED: the exact diagonal floored at min_hessian; its full matrix keeps only the
positive curvature terms (C_c -> max(C_c, 0): a sum of PSD matrices). The two safe modes floor the
diagonal at min_hessian.

Posterior: z minimises the expected loss exactly when the class probabilities are
eta_c = (p_c / F_c) / sum_k (p_k / F_k) (Charoenphakdee et al., CVPR 2021): then Fu = 1 / sum_k p_k / F_k
and the expected gradient p_j Fu - eta_j F_j is 0.

Stability: p and s from e_k = exp(z_k - max z) (exp only sees arguments <= 0), S = 1 + S1 with
S1 = sum_{k != m} e_k, s_c = (S - e_c) / S for c != m and s_m = S1 / S (never 1 - q),
l_c = z_c - max z - log1p(S1) (a log-softmax, floored at -1e300: only scores near the float64
limit, whose differences overflow, reach it), l / s formed as a ratio (it lies in [-inf, -1]).

The functions use only arithmetic, ``range`` loops over the K classes and the primitives
``exp, log1p, maximum, where, power, f64, skip, onehot``; they are never called from here: ``_backends``
binds them to numpy (each row element is then an (n,) column: pass z.T, Y.T, grad.T, ...) or to
scalar arithmetic inside a numba loop (each row element a scalar: pass z[i], grad[i], ...).
Rows are indexed as ``row[k]`` (and the full hessian as ``H[j, k]``), so both work.

Arguments shared by the functions (numba kernels bake the constants in):
  z       the K scores of the row (any float dtype; read through f64)
  y       the class index (float or int) or the row of K label probabilities (``onehot`` tells)
  K       the number of classes (int)
  alpha   K class weights (indexable; floats)
  gamma   K focusing parameters (indexable); G is a constant gamma for all classes or ANY_GAMMA
  eps     label smoothing; mode EXACT / EXPECTED / CLIPPED; floor = min_hessian; ws = w * scale
  e, F, C scratch rows of K floats (may be the output rows where a docstring says so)
"""

from ._math import CLIPPED, EXACT, EXPECTED, MODES, TINY  # noqa: F401 (hessian modes, as binary)

ANY_GAMMA = -1.0  # G: gamma differs by class (read gamma[c])
SOFT_LABEL_TOL = 1e-5  # |sum of a label row - 1| allowed (float32 rows of K <= 100 values)
LOG_FLOOR = 1e300  # |log p| beyond this only arises from scores whose differences overflow


def label(y, c, K, eps):
    """ytilde_c = y_c (1 - eps) + eps / K; y_c = [y = c] for a class index (``onehot``)."""
    return onehot(y, c) * (1.0 - eps) + eps / K  # noqa: F821 (bound by _backends)


def softmax(z, K, e):
    """e[k] = exp(z_k - max z); returns (max z, argmax m (first), S1 = sum_{k != m} e_k, log S)."""
    zmax = f64(z[0])  # noqa: F821
    m = 0
    for k in range(1, K):
        zk = f64(z[k])  # noqa: F821
        m = where(zk > zmax, k, m)  # noqa: F821
        zmax = maximum(zk, zmax)  # noqa: F821
    s1 = 0.0
    for k in range(K):
        ek = exp(f64(z[k]) - zmax)  # noqa: F821
        e[k] = ek
        s1 = s1 + where(k == m, 0.0, ek)  # noqa: F821
    return zmax, m, s1, log1p(s1)  # noqa: F821


def class_terms(zc, ec, c, m, zmax, s1, log_s, a, g):
    """(p_c, s_c, F_c, C_c, L_c) for class c from the row's softmax sums."""
    big = 1.0 + s1
    p = ec / big
    s = where(c == m, s1, big - ec) / big  # noqa: F821
    # log p_c; floored at -1e300 so that scores near the float64 limit (whose differences
    # overflow to -inf) give 0 * (-1e300) = 0 in F and C instead of 0 * -inf = NaN
    lg = maximum(f64(zc) - zmax - log_s, -LOG_FLOOR)  # noqa: F821
    sg = power(s, g)  # noqa: F821
    r = lg / maximum(s, TINY)  # noqa: F821  log(q) / (1 - q) <= -1 (0 only where s^g = 0 or g = 0)
    f = a * sg * (1.0 - g * p * r)
    cs2 = a * g * p * sg * (2.0 * s + (1.0 - g * p) * lg)
    return p, s, f, cs2, -a * sg * lg


def loss(z, y, K, alpha, gamma, G, eps, e):
    """sum_c ytilde_c L_c (unweighted); e is scratch."""
    zmax, m, s1, log_s = softmax(z, K, e)
    total = 0.0
    for c in range(K):
        t = label(y, c, K, eps)
        if skip(t):  # noqa: F821  (numba: t == 0; numpy: never)
            continue
        g = gamma[c] if G == ANY_GAMMA else G
        _, _, _, _, lc = class_terms(z[c], e[c], c, m, zmax, s1, log_s, alpha[c], g)
        total = total + t * lc
    return total


def terms(z, y, K, alpha, gamma, G, eps, mode, clip, e, F, C):
    """The pass over the classes shared by the derivatives: e, F, C[c] = e_c, F_c, C_c (C_c
    floored at 0 if ``clip``); returns (m, S1, Ft, Fu, Cn, Cm, invV) with Ft = sum ytilde_c F_c,
    u the hessian weights (ytilde, or eta times V = sum p_k / F_k for EXPECTED, invV = 1 / V)
    and Fu, Cn, Cm = u_m C_m the sums over them (already divided by V)."""
    zmax, m, s1, log_s = softmax(z, K, e)
    ft = 0.0
    fu = 0.0
    cn = 0.0
    cm = 0.0
    v = 0.0
    for c in range(K):
        t = label(y, c, K, eps)
        if mode != EXPECTED and skip(t):  # noqa: F821
            F[c] = 0.0
            C[c] = 0.0
            continue
        g = gamma[c] if G == ANY_GAMMA else G
        p, s, f, cs2, _ = class_terms(z[c], e[c], c, m, zmax, s1, log_s, alpha[c], g)
        if clip:
            cs2 = maximum(cs2, 0.0)  # noqa: F821
        F[c] = f
        C[c] = cs2
        ft = ft + t * f
        u = p / maximum(f, TINY) if mode == EXPECTED else t  # noqa: F821
        v = v + u
        fu = fu + u * f
        sd = where(c == m, 1.0, s)  # noqa: F821
        cn = cn + where(c == m, 0.0, u * cs2 / (sd * sd))  # noqa: F821
        cm = cm + where(c == m, u * cs2, 0.0)  # noqa: F821
    inv_v = 1.0 / v if mode == EXPECTED else 1.0
    return m, s1, ft, fu * inv_v, cn * inv_v, cm * inv_v, inv_v


def _column(j, y, K, eps, mode, m, s1, e, F, C, ft, fu, cn, cm, inv_v):
    """Unweighted (grad_j, H_jj, p_j, tau_j, v_j) from ``terms``' results."""
    ej = e[j]
    big = 1.0 + s1
    p = ej / big
    s = where(j == m, s1, big - ej) / big  # noqa: F821
    t = label(y, j, K, eps)
    tf = t * F[j]
    grad = p * (ft - tf) - tf * s
    u = p / maximum(F[j], TINY) * inv_v if mode == EXPECTED else t  # noqa: F821
    uc = u * C[j]
    sd = where(j == m, 1.0, s)  # noqa: F821
    tau = where(j == m, 0.0, uc / (sd * sd))  # noqa: F821
    rho = where(j == m, -1.0, ej / maximum(s1, TINY))  # noqa: F821  v_j = (p_j - [j = m]) / s_m
    hess = fu * p * s + where(j == m, cm, uc + cm * rho * rho) + p * p * (cn - tau)  # noqa: F821
    return grad, hess, p, tau, rho


def gradient_hessian(z, y, K, alpha, gamma, G, eps, mode, floor, ws, grad, hess, C):
    """grad[j], hess[j] = ws * (gradient, hessian diagonal by ``mode``); grad and hess serve as
    the scratch rows e and F, C is one more scratch row."""
    m, s1, ft, fu, cn, cm, inv_v = terms(z, y, K, alpha, gamma, G, eps, mode, False, grad,
                                         hess, C)
    for j in range(K):
        gj, hj, _, _, _ = _column(j, y, K, eps, mode, m, s1, grad, hess, C, ft, fu, cn, cm,
                                  inv_v)
        if mode != EXACT:
            hj = maximum(hj, floor)  # noqa: F821
        grad[j] = gj * ws
        hess[j] = hj * ws


def gradient_full_hessian(z, y, K, alpha, gamma, G, eps, mode, floor, ws, grad, H, e, F, C):
    """grad[j] = ws * gradient, H[j, k] = ws * hessian by ``mode`` (EXACT: the true K x K matrix,
    indefinite for confidently wrong rows; EXPECTED: E_eta[H], PSD; CLIPPED: positive curvature
    terms only, PSD); the safe modes floor the diagonal at ``floor``. e, F, C: scratch rows
    (distinct from grad and H); p is left in e."""
    m, s1, ft, fu, cn, cm, inv_v = terms(z, y, K, alpha, gamma, G, eps, mode,
                                         mode == CLIPPED, e, F, C)
    # gradient and diagonal; then e[j], F[j], C[j] <- p_j, tau_j, v_j (a column reads only its own j)
    for j in range(K):
        gj, hj, p, tau, rho = _column(j, y, K, eps, mode, m, s1, e, F, C, ft, fu, cn, cm,
                                      inv_v)
        if mode != EXACT:
            hj = maximum(hj, floor)  # noqa: F821
        grad[j] = gj * ws
        H[j, j] = hj * ws
        e[j] = p
        F[j] = tau
        C[j] = rho
    for j in range(K):
        for k in range(j + 1, K):
            hjk = ((cn - fu) * e[j] * e[k] - e[j] * F[k] - F[j] * e[k] + cm * C[j] * C[k]) * ws
            H[j, k] = hjk
            H[k, j] = hjk


def posterior(z, K, alpha, gamma, G, e, out):
    """out[c] = eta_c = (p_c / F_c) / sum_k (p_k / F_k); e is scratch (may be out)."""
    zmax, m, s1, log_s = softmax(z, K, e)
    v = 0.0
    for c in range(K):
        g = gamma[c] if G == ANY_GAMMA else G
        p, _, f, _, _ = class_terms(z[c], e[c], c, m, zmax, s1, log_s, alpha[c], g)
        u = p / maximum(f, TINY)  # noqa: F821
        out[c] = u
        v = v + u
    inv_v = 1.0 / v
    for c in range(K):
        out[c] = out[c] * inv_v
