"""MulticlassFocalLoss: values, derivatives, stability, posterior, init score, input checks."""
import hashlib
import pathlib
import pickle

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import boostfocal.multiclass as mc
from boostfocal import FocalLoss, MulticlassFocalLoss
from boostfocal._adapter import FocalParams, MulticlassFocalParams

MODES = ["exact", "expected", "clipped"]
ALPHA4 = [0.5, 1.0, 2.0, 1.5]


@pytest.fixture
def numpy_only(monkeypatch):
    """Run MulticlassFocalLoss on the numpy binding (no compiled loops)."""
    monkeypatch.setattr(mc, "_kernels", lambda: None)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def onehot(y, k):
    return (np.asarray(y)[:, None] == np.arange(k)).astype(float)


def fd_gradient_hessian(loss, y, z, h=1e-6):
    """Central differences: gradient of the loss, and the Jacobian of the gradient (n, K, K)."""
    n, k = z.shape
    grad, jac = np.empty((n, k)), np.empty((n, k, k))
    for j in range(k):
        d = np.zeros(k)
        d[j] = h
        grad[:, j] = (loss.loss(y, z + d) - loss.loss(y, z - d)) / (2 * h)
        jac[:, :, j] = (loss.gradient_hessian(y, z + d)[0] - loss.gradient_hessian(y, z - d)[0]) / (2 * h)
    return grad, jac


# --- gamma = 0 is softmax cross-entropy ---------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_gamma0_is_softmax_cross_entropy(rng, mode):
    z = rng.normal(size=(300, 5)) * 4
    y = rng.integers(0, 5, 300)
    p = softmax(z)
    fl = MulticlassFocalLoss(gamma=0.0, hessian=mode, min_hessian=0.0)
    np.testing.assert_allclose(fl.loss(y, z), -np.log(p[np.arange(300), y]), rtol=1e-12)
    grad, hess = fl.gradient_hessian(y, z)
    np.testing.assert_allclose(grad, p - onehot(y, 5), rtol=1e-12, atol=1e-17)
    s = (p[:, None, :] * (1 - np.eye(5))).sum(axis=2)  # 1 - p as the sum of the others
    np.testing.assert_allclose(hess, p * s, rtol=1e-12)
    _, full = fl.gradient_full_hessian(y, z)
    want = np.einsum("ij,jk->ijk", p * s, np.eye(5)) - p[:, :, None] * p[:, None, :] * (1 - np.eye(5))
    np.testing.assert_allclose(full, want, rtol=1e-11, atol=1e-17)
    np.testing.assert_allclose(fl.posterior(z), p, rtol=1e-13)
    b = fl.init_score(y)
    logf = np.log(np.bincount(y, minlength=5) / 300)
    np.testing.assert_allclose(b, logf - logf.mean(), atol=1e-12)


# --- against a 50-digit reference ---------------------------------------------------------------
def _mp_row(z, t, alpha, gamma):
    """Loss, gradient and the exact hessian diagonal of one row, 50 digits, from the closed forms
    (F, c of the issue; test_closed_forms_are_derivatives holds them against mp.diff), with the
    magnitudes of the diagonal's two terms."""
    z = [mp.mpf(float(v)) for v in z]
    k = len(z)
    zmax = max(z)
    e = [mp.exp(v - zmax) for v in z]
    total = mp.fsum(e)
    p = [v / total for v in e]
    loss, grad, diag, mag = mp.mpf(0), [mp.mpf(0)] * k, [mp.mpf(0)] * k, [mp.mpf(0)] * k
    for c in range(k):
        if t[c] == 0:
            continue
        q, s = p[c], mp.fsum(e[j] for j in range(k) if j != c) / total
        lg, a, g = mp.log(q), mp.mpf(alpha[c]), mp.mpf(gamma[c])
        tc = mp.mpf(float(t[c]))
        loss += tc * -a * s**g * lg
        f = a * (s**g - g * q * s**g * lg / s)
        cc = a * g * q * s**g / s**2 * (2 * s + (1 - g * q) * lg)
        for j in range(k):
            d = p[j] - (1 if j == c else 0)
            grad[j] += tc * f * d
            sj = 1 - p[j] if j != c else s
            diag[j] += tc * (f * p[j] * sj + cc * d * d)
            mag[j] += abs(tc * f * p[j] * sj) + abs(tc * cc * d * d)
    return loss, grad, diag, mag


MP_CASES = [
    (dict(gamma=2.0, alpha=[0.25, 1.0, 3.0]), "hard"),
    (dict(gamma=[0.5, 1.0, 3.0]), "hard"),
    (dict(gamma=1.5, alpha=[1.0, 0.5, 2.0], label_smoothing=0.1), "hard"),
    (dict(gamma=[2.0, 0.25, 1.0]), "soft"),
]


@pytest.mark.parametrize("params,kind", MP_CASES)
def test_against_mpmath(rng, params, kind):
    mp.mp.dps = 50
    z = np.concatenate([rng.normal(size=(12, 3)) * 3, rng.normal(size=(6, 3)) * 25,
                        [[0.0, 0.0, 0.0], [40.0, 0.0, -40.0], [-700.0, 3.0, 2.5],
                         [1e-9, 0.0, -1e-9], [30.0, 30.0, -5.0]]])
    n = z.shape[0]
    y = rng.integers(0, 3, n) if kind == "hard" else rng.dirichlet([1.0, 1.0, 0.3], n)
    fl = MulticlassFocalLoss(hessian="exact", **params)
    k = 3
    alpha = params.get("alpha", [1.0] * k)
    gamma = params["gamma"] if isinstance(params["gamma"], list) else [params["gamma"]] * k
    eps = params.get("label_smoothing", 0.0)
    rows = onehot(y, k) if kind == "hard" else y
    t = rows * (1 - eps) + eps / k
    loss = fl.loss(y, z)
    grad, diag = fl.gradient_hessian(y, z)
    for i in range(n):
        ref_l, ref_g, ref_h, mag = _mp_row(z[i], t[i], alpha, gamma)
        assert abs(loss[i] - ref_l) <= 1e-14 * abs(ref_l) + 1e-300, (i, loss[i], ref_l)
        gscale = max(abs(v) for v in ref_g)
        for j in range(k):
            assert abs(grad[i, j] - ref_g[j]) <= 4e-15 * abs(ref_g[j]) + 1e-14 * gscale, (i, j)
            assert abs(diag[i, j] - ref_h[j]) <= 1e-13 * mag[j] + 1e-300, (i, j, diag[i, j], ref_h[j])


def test_closed_forms_are_derivatives():
    """The reference's F and c are the derivatives of the definition (mpmath's differentiation)."""
    mp.mp.dps = 50
    alpha, gamma = [0.7, 1.3, 2.0], [0.5, 2.0, 3.0]
    for z, y in [((0.3, -1.2, 2.0), 0), ((-3.0, 1.0, 0.5), 2), ((0.0, 4.0, -2.0), 1)]:
        t = [1.0 if c == y else 0.0 for c in range(3)]

        def f(*zz):
            e = [mp.exp(v) for v in zz]
            q = e[y] / mp.fsum(e)
            return -alpha[y] * (1 - q) ** gamma[y] * mp.log(q)

        _, grad, diag, _ = _mp_row(z, t, alpha, gamma)
        for j in range(3):
            order = tuple(1 if i == j else 0 for i in range(3))
            assert mp.almosteq(mp.diff(f, z, order), grad[j], rel_eps=mp.mpf(10) ** -35)
            order2 = tuple(2 if i == j else 0 for i in range(3))
            assert mp.almosteq(mp.diff(f, z, order2), diag[j], rel_eps=mp.mpf(10) ** -30)


# --- finite differences -------------------------------------------------------------------------
@pytest.mark.parametrize("params", [dict(gamma=2.0, alpha=ALPHA4), dict(gamma=[0.5, 1, 2, 3]),
                                    dict(gamma=1.0, label_smoothing=0.2, alpha=ALPHA4)])
@pytest.mark.parametrize("soft", [False, True])
def test_finite_differences(rng, params, soft):
    z = rng.normal(size=(150, 4)) * 3
    y = rng.dirichlet(np.ones(4), 150) if soft else rng.integers(0, 4, 150)
    fl = MulticlassFocalLoss(hessian="exact", **params)
    fd_g, fd_h = fd_gradient_hessian(fl, y, z)
    grad, diag = fl.gradient_hessian(y, z)
    g2, full = fl.gradient_full_hessian(y, z)
    np.testing.assert_allclose(grad, fd_g, atol=2e-8)
    np.testing.assert_allclose(full, fd_h, atol=2e-8)
    np.testing.assert_array_equal(g2, grad)
    np.testing.assert_allclose(np.diagonal(full, axis1=1, axis2=2), diag, rtol=1e-12, atol=1e-16)


# --- the binary loss at K = 2 -------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
def test_two_classes_are_the_binary_loss(rng, mode, gamma):
    a = 0.3
    z = rng.normal(size=(400, 2)) * 5
    z[:4] = [[0.0, 30.0], [30.0, -30.0], [1e4, -1e4], [-5.0, 700.0]]
    y = rng.integers(0, 2, 400).astype(float)
    y[::7] = rng.random(len(y[::7]))  # soft labels
    kw = dict(gamma=gamma, label_smoothing=0.05, hessian=mode)
    multi = MulticlassFocalLoss(alpha=[1 - a, a], **kw)
    binary = FocalLoss(alpha=a, **kw)
    rows = np.stack([1 - y, y], axis=1)
    d = z[:, 1] - z[:, 0]
    np.testing.assert_allclose(multi.loss(rows, z), binary.loss(y, d), rtol=1e-13)
    gm, hm = multi.gradient_hessian(rows, z)
    gb, hb = binary.gradient_hessian(y, d)
    np.testing.assert_allclose(gm[:, 1], gb, rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(gm[:, 0], -gb, rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(hm[:, 1], hb, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(multi.posterior(z)[:, 1], binary.posterior(d), rtol=1e-12,
                               atol=1e-300)
    yh = (y > 0.5).astype(float)
    b = multi.init_score(yh)
    assert b.sum() == pytest.approx(0.0, abs=1e-15)
    assert b[1] - b[0] == pytest.approx(binary.init_score(yh), rel=1e-10, abs=1e-12)


# --- hessian modes ------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [dict(gamma=2.0, alpha=ALPHA4), dict(gamma=[0.5, 1, 2, 3]),
                                    dict(gamma=1.0, label_smoothing=0.1)])
def test_expected_hessian_is_the_posterior_average(rng, params):
    """E_eta[H] with eta = posterior(z): the exact hessians of the K labels averaged with eta;
    positive semi-definite (full matrix); "clipped" full matrices PSD too; diagonal = full's."""
    z = rng.normal(size=(200, 4)) * 4
    exact = MulticlassFocalLoss(hessian="exact", **params)
    expected = exact.replace(hessian="expected", min_hessian=0.0)
    plain = exact.replace(label_smoothing=0.0)
    eta = plain.posterior(z)  # the smoothed label mix at which z is optimal
    want = sum(eta[:, [c]] * plain.gradient_hessian(np.full(200, c), z)[1] for c in range(4))
    np.testing.assert_allclose(expected.gradient_hessian(np.zeros(200), z)[1], want, rtol=1e-9,
                               atol=1e-15)
    for mode in ("expected", "clipped"):
        _, full = exact.replace(hessian=mode).gradient_full_hessian(rng.integers(0, 4, 200), z)
        scale = np.abs(full).max(axis=(1, 2))
        assert (np.linalg.eigvalsh(full).min(axis=1) >= -1e-14 * scale).all(), mode
    _, full = exact.gradient_full_hessian(np.zeros(200), z)
    assert np.linalg.eigvalsh(full).min() < -1e-3  # confidently wrong rows: indefinite


@pytest.mark.parametrize("gamma,threshold", [(0.5, 0.161), (1.0, 0.135), (2.0, 0.104),
                                             (3.0, 0.086)])
def test_negative_curvature_thresholds(gamma, threshold):
    """c < 0 (and the true class's exact diagonal entry falls below F p s) once p_y < threshold."""
    fl = MulticlassFocalLoss(gamma=gamma, hessian="exact")
    for q, sign in ((threshold * 0.97, -1), (threshold * 1.03, 1)):
        z = np.array([[np.log(q), np.log(1 - q)]])  # p_0 = q
        _, diag = fl.gradient_hessian([0], z)
        f_ps = fl.replace(gamma=0.0).gradient_hessian([0], z)[1][0, 0]  # p s at gamma = 0
        s = 1 - q
        f = s**gamma - gamma * q * s ** (gamma - 1) * np.log(q)
        assert np.sign(diag[0, 0] - f * f_ps) == sign


def test_clipped_and_expected_floor(rng):
    z = rng.normal(size=(300, 4)) * 8
    y = rng.integers(0, 4, 300)
    exact = MulticlassFocalLoss(gamma=3.0, hessian="exact").gradient_hessian(y, z)[1]
    assert exact.min() < 0
    clipped = MulticlassFocalLoss(gamma=3.0, hessian="clipped", min_hessian=1e-6)
    np.testing.assert_array_equal(clipped.gradient_hessian(y, z)[1], np.maximum(exact, 1e-6))
    assert MulticlassFocalLoss(gamma=3.0, min_hessian=1e-6).gradient_hessian(y, z)[1].min() >= 1e-6


# --- posterior and init score -------------------------------------------------------------------
@pytest.mark.parametrize("params", [dict(gamma=2.0, alpha=ALPHA4), dict(gamma=[0, 0.5, 2, 5]),
                                    dict(gamma=1.0, alpha=ALPHA4, label_smoothing=0.2)])
def test_posterior_zeroes_the_expected_gradient(rng, params):
    z = rng.normal(size=(200, 4)) * 1.5
    fl = MulticlassFocalLoss(**params)
    eta = fl.posterior(z)
    np.testing.assert_allclose(eta.sum(axis=1), 1.0, rtol=1e-14)
    assert (eta >= 0).all()
    expected_grad = fl.gradient_hessian(eta, z)[0]  # soft labels eta: the expected gradient
    # with smoothing, only scores whose unsmoothed posterior >= eps / K are reachable by labels
    eps = params.get("label_smoothing", 0.0)
    reachable = (fl.replace(label_smoothing=0.0).posterior(z) >= eps / 4).all(axis=1)
    assert reachable.sum() >= 30
    np.testing.assert_allclose(expected_grad[reachable], 0.0, atol=1e-14)
    np.testing.assert_array_equal(fl.predict_proba(z), eta)


@pytest.mark.parametrize("params", [dict(gamma=2.0, alpha=ALPHA4), dict(gamma=[0, 0.5, 2, 5]),
                                    dict(gamma=1.0, label_smoothing=0.1)])
def test_init_score_minimises_the_mean_loss(rng, params):
    y = rng.choice(4, 400, p=[0.1, 0.2, 0.3, 0.4])
    w = rng.uniform(0, 2, 400)
    fl = MulticlassFocalLoss(**params)
    b = fl.init_score(y, w)
    assert b.shape == (4,) and b.dtype == np.float64 and abs(b.sum()) < 1e-14

    def f(v):
        return fl.mean_loss(y, np.tile(v, (400, 1)), w)

    best = minimize(f, np.zeros(4), method="Nelder-Mead",
                    options=dict(xatol=1e-10, fatol=1e-15, maxiter=20000))
    assert f(b) <= best.fun + 1e-15
    grad = fl.gradient_hessian(y, np.tile(b, (400, 1)), w)[0].sum(axis=0) / w.sum()
    np.testing.assert_allclose(grad, 0.0, atol=1e-14)
    # soft labels: the same minimiser as the mean label row
    np.testing.assert_allclose(fl.init_score(onehot(y, 4), w), b, atol=1e-12)


# --- stability, dtypes, layouts, backends ------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(k=st.integers(2, 7), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1.0, 30.0, 1e4, 1e300]),
       gamma=st.sampled_from([0.0, 0.25, 1.0, 2.0, 3.0, 7.5]),
       mode=st.sampled_from(MODES), soft=st.booleans(), eps=st.sampled_from([0.0, 0.3]))
def test_finite_and_consistent_everywhere(k, seed, scale, gamma, mode, soft, eps):
    """Every output finite (float32 scores: test_backends_agree), rows of the gradient sum to 0."""
    r = np.random.default_rng(seed)
    z = r.standard_cauchy(size=(20, k)).clip(-1, 1) * scale
    z[0] = 0.0
    z[1, 0] = scale  # one huge winner
    y = r.dirichlet(np.ones(k) * 0.3, 20) if soft else r.integers(0, k, 20)
    alpha = r.uniform(0, 3, k)
    fl = MulticlassFocalLoss(gamma=gamma, alpha=alpha, label_smoothing=eps, hessian=mode)
    out = [fl.loss(y, z), *fl.gradient_hessian(y, z), *fl.gradient_full_hessian(y, z),
           fl.posterior(z)]
    for a in out:
        assert np.isfinite(a).all() and a.dtype == np.float64
    loss, grad, hess, grad2, full, eta = out
    assert (loss >= 0).all() and (eta >= 0).all()
    np.testing.assert_allclose(eta.sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_array_equal(grad, grad2)
    if mode != "clipped":  # clipped: the full matrix drops negative curvature, the diagonal floors
        np.testing.assert_allclose(np.diagonal(full, axis1=1, axis2=2), hess, rtol=1e-12,
                                   atol=1e-300)
    # shift invariance, to rounding of the summed terms p_j Fu and u_j F_j (F <= alpha (1 + gamma)
    # in size): with soft labels a row whose gradient is tiny still sums terms of order alpha
    # (hypothesis: k = 2, soft, gamma 0 left 1.3e-16 on a gradient of 8e-7)
    tscale = np.abs(grad).max(axis=1) + alpha.max() * (1.0 + gamma)
    assert (np.abs(grad.sum(axis=1)) <= 1e-13 * k * tscale).all()
    if mode != "exact":
        assert (hess >= fl.min_hessian).all()


def test_backends_agree(rng, monkeypatch):
    """The compiled loops and the numpy binding of the same formulas, C and F order, float32."""
    z = rng.normal(size=(100, 5)) * 6
    z[:3] *= 1e3
    y, ys = rng.integers(0, 5, 100), rng.dirichlet(np.ones(5), 100)
    w = rng.uniform(0, 2, 100)
    fl = MulticlassFocalLoss(gamma=[0, 0.5, 1, 2, 3], alpha=[1, 2, 0.5, 1, 1],
                             label_smoothing=0.1, hessian="exact")

    def outputs(zz, yy):
        return [fl.loss(yy, zz, w), *fl.gradient_hessian(yy, zz, w, scale=-1.0),
                fl.gradient_full_hessian(yy, zz, w)[1], fl.posterior(zz)]

    z32 = z.astype(np.float32)
    z32[3] = [3e38, -3e38, 0, 1, 2]  # float32 extremes
    fast = [outputs(z, y), outputs(z, ys), outputs(z32, y),
            fl.gradient_hessian(ys, np.asfortranarray(z), w)]  # LightGBM's column-major scores
    monkeypatch.setattr(mc, "_kernels", lambda: None)
    slow = [outputs(z, y), outputs(z, ys), outputs(z32.astype(np.float64), y),
            fl.gradient_hessian(ys, z, w)]
    for a_list, b_list in zip(fast, slow):
        for a, b in zip(a_list, b_list):
            assert np.isfinite(a).all()
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14 * np.abs(b).max())


def test_out_and_layouts(rng):
    z = rng.normal(size=(50, 3))
    y = rng.integers(0, 3, 50)
    fl = MulticlassFocalLoss(alpha=[1, 2, 3])
    g0, h0 = fl.gradient_hessian(y, z, scale=-2.0)
    assert g0.flags.c_contiguous and g0.shape == (50, 3)
    g, h = np.empty((50, 3), order="F"), np.empty((50, 3))
    res = fl.gradient_hessian(y, z, out=(g, h), scale=-2.0)
    assert res[0] is g and res[1] is h
    np.testing.assert_array_equal(g, g0)
    np.testing.assert_array_equal(h, h0)
    g1, h1 = fl.gradient_hessian(y.astype(np.float32), z[:, ::-1][:, ::-1].copy(order="K"))
    np.testing.assert_allclose(-2.0 * g1, g0, rtol=1e-15)
    zs = z[::2]  # strided rows
    np.testing.assert_array_equal(fl.loss(y[::2], zs), fl.loss(y[::2], zs.copy()))


# --- input checks -------------------------------------------------------------------------------
@pytest.mark.parametrize("fast", [True, False])
def test_bad_input_names_the_argument(rng, monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(mc, "_kernels", lambda: None)
    z = rng.normal(size=(10, 3))
    y = rng.integers(0, 3, 10)
    fl = MulticlassFocalLoss(alpha=[1, 2, 3])
    cases = [
        (y + 3, None, z, "class indices 0..2"),
        (y + 0.5, None, z, "class indices"),
        (np.full((10, 3), 0.5), None, z, "sum to 1"),
        (np.full((10, 3), np.nan), None, z, "y_true"),
        (np.ones((10, 4)) / 4, None, np.zeros((10, 4)), "alpha/gamma give K = 3"),
        (y, None, np.where(np.eye(10, 3) > 0, np.nan, z), "raw_score must be finite"),
        (y, -np.ones(10), z, "sample_weight"),
        (y, np.ones(9), z, "sample_weight"),
        (y[:5], None, z, "y_true"),
        (y, None, z[:, 0], "raw_score must be 2-D"),
        (y, None, np.zeros((10, 1)), "K >= 2"),
    ]
    for yy, w, zz, msg in cases:
        for call in (fl.loss, fl.gradient_hessian, fl.gradient_full_hessian):
            with pytest.raises((ValueError, TypeError), match=msg):
                call(yy, zz, w)
    with pytest.raises(ValueError, match="raw_score must be finite"):
        fl.posterior(np.full((2, 3), np.inf))
    with pytest.raises(ValueError, match="out"):
        fl.gradient_hessian(y, z, out=(np.empty((10, 3)), np.empty((10, 2))))
    with pytest.raises(ValueError, match="out"):
        fl.gradient_hessian(y, z, out=(np.empty((10, 3), np.float32), np.empty((10, 3))))
    shared = np.empty((10, 3))
    with pytest.raises(ValueError, match="overlap"):
        fl.gradient_hessian(y, z, out=(shared, shared))


@pytest.mark.parametrize("kw,msg", [
    (dict(gamma=-1.0), "gamma"), (dict(gamma=[1.0, -2.0]), r"gamma\[1\]"),
    (dict(gamma=[1.0]), "gamma"), (dict(gamma=float("nan")), "gamma"),
    (dict(alpha=0.25), "alpha"), (dict(alpha=[1.0, float("inf")]), r"alpha\[1\]"),
    (dict(alpha=[1, 2, 3], gamma=[1, 2]), "different numbers of classes"),
    (dict(label_smoothing=1.0), "label_smoothing"), (dict(hessian="fisher"), "hessian"),
    (dict(min_hessian=-1.0), "min_hessian"), (dict(alpha="ab"), "alpha"),
])
def test_bad_parameters(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        MulticlassFocalLoss(**kw)


def test_wrong_k_for_alpha_and_init_score_without_k(rng):
    with pytest.raises(ValueError, match="K = 3"):
        MulticlassFocalLoss(alpha=[1, 2, 3]).gradient_hessian([0, 1], np.zeros((2, 4)))
    with pytest.raises(ValueError, match="init_score needs K"):
        MulticlassFocalLoss().init_score(np.array([]))
    b = MulticlassFocalLoss(gamma=0.0).init_score([0, 1, 2, 2])  # K = max(y) + 1
    np.testing.assert_allclose(b, np.log([1, 1, 2]) - np.log([1, 1, 2]).mean(), atol=1e-12)
    np.testing.assert_allclose(MulticlassFocalLoss(gamma=0.0).init_score(np.eye(3)[[0, 1, 2, 2]]),
                               np.log([1, 1, 2]) - np.log([1, 1, 2]).mean(), atol=1e-12)


# --- value object -------------------------------------------------------------------------------
def test_value_semantics():
    fl = MulticlassFocalLoss(gamma=[1, 2, 3], alpha=np.array([0.5, 1, 2]), label_smoothing=0.1)
    assert fl.gamma == (1.0, 2.0, 3.0) and fl.alpha == (0.5, 1.0, 2.0) and fl.n_classes == 3
    assert pickle.loads(pickle.dumps(fl)) == fl
    assert hash(fl.replace()) == hash(fl) and fl.replace(gamma=2.0) != fl
    assert repr(fl) == ("MulticlassFocalLoss(gamma=(1.0, 2.0, 3.0), alpha=(0.5, 1.0, 2.0), "
                        "label_smoothing=0.1)")
    with pytest.raises(AttributeError, match="immutable"):
        fl.gamma = 1.0
    p = MulticlassFocalParams.from_loss(fl)
    assert p.loss == fl and pickle.loads(pickle.dumps(p)) == p and hash(p) == hash(
        MulticlassFocalParams(**p.params()))
    assert repr(p) == repr(fl).replace("MulticlassFocalLoss", "MulticlassFocalParams")
    with pytest.raises(TypeError, match="MulticlassFocalLoss"):
        MulticlassFocalParams.from_loss(FocalLoss())
    assert repr(FocalParams(alpha=0.25)) == "FocalParams(gamma=2.0, alpha=0.25)"
    import copy
    assert copy.deepcopy(p) is p


def test_numba_disk_cache_tracks_the_math():
    """The multiclass loops' cache names carry the hash of _multiclass_math and _libm."""
    from boostfocal import _libm, _multiclass_kernels, _multiclass_math, _numba_core

    h = hashlib.sha256()
    for module in (_multiclass_math, _libm, _numba_core):
        h.update(pathlib.Path(module.__file__).read_bytes())
    assert _multiclass_kernels.SOURCES == (_multiclass_math, _libm)
    run = _multiclass_kernels._loop(_multiclass_kernels._loss_loop)
    assert run.serial.py_func.__qualname__.endswith("_serial_" + h.hexdigest()[:16])


def test_check_command_covers_multiclass():
    """``python -m boostfocal check`` runs this grid too (tests/test_loss.py runs the command)."""
    import io

    from boostfocal._report import multiclass_report

    buf = io.StringIO()
    ok, worst = multiclass_report(1e-6, buf)
    assert ok and 0.0 < worst < 1e-6
    assert buf.getvalue().count("\n") == 2 + 10
    assert not multiclass_report(1e-30, io.StringIO())[0]  # the check can fail


def test_row_functions_compile_in_a_user_kernel(rng):
    """What CatBoost's calc_ders_multi kernel does: the per-row functions with constants baked in
    (a class index as target; scale -1 as CatBoost maximises)."""
    import numba

    from boostfocal import _multiclass_kernels as mk
    from boostfocal import _multiclass_math as mm

    alpha_c, gamma_c = np.array([0.5, 1.0, 2.0]), np.array([2.0, 2.0, 2.0])

    @numba.njit
    def ders(approx, target, weight):
        k = approx.shape[0]
        grad, hess = np.empty(k), np.empty((k, k))
        e, f, c = np.empty(k), np.empty(k), np.empty(k)
        mk.row_gradient_full_hessian(approx, target, k, alpha_c, gamma_c, 2.0, 0.0, mm.EXPECTED,
                                     1e-12, -weight, grad, hess, e, f, c)
        return grad, hess

    z = rng.normal(size=(5, 3)) * 3
    y = rng.integers(0, 3, 5)
    want_g, want_h = MulticlassFocalLoss(gamma=2.0, alpha=alpha_c).gradient_full_hessian(
        y, z, np.full(5, 1.5))
    for i in range(5):
        g, h = ders(z[i], float(y[i]), 1.5)
        np.testing.assert_allclose(-g, want_g[i], rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(-h, want_h[i], rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("mode", MODES)
def test_hundred_classes_and_scores_at_the_float64_limit(rng, mode):
    k = 100
    z = rng.normal(size=(6, k)) * 10
    z[0] = 1e4 * rng.choice([-1.0, 1.0], k)
    z[1] = 0.0
    z[2, :] = -1.7e308
    z[2, 5] = 1.7e308  # differences overflow float64
    z[3] = 1e308 * rng.uniform(-1, 1, k)
    fl = MulticlassFocalLoss(gamma=[0.5, 2.0] * 50, alpha=rng.uniform(0, 2, k),
                             label_smoothing=0.1, hessian=mode)
    for y in (np.array([5, 0, 5, 99, 3, 7]), rng.dirichlet(np.ones(k), 6)):
        outs = [fl.loss(y, z), *fl.gradient_hessian(y, z), *fl.gradient_full_hessian(y, z),
                fl.posterior(z)]
        for a in outs:
            assert np.isfinite(a).all(), mode


@pytest.mark.parametrize("compiled", [True, False])
def test_hessian_scale_in_the_pass(rng, monkeypatch, compiled):
    """hessian_scale multiplies the hessian only, as a separate ``hess *= s`` would, bit for bit
    (into out as well)."""
    import boostfocal.multiclass as mc

    if not compiled:
        monkeypatch.setattr(mc, "_kernels", lambda: None)
    fl = MulticlassFocalLoss(gamma=[2.0, 0.5, 1.0], alpha=[1.0, 2.0, 0.5], label_smoothing=0.05)
    z = rng.normal(0, 3, (400, 3))
    y, w = rng.integers(0, 3, 400), rng.uniform(0, 2, 400)
    g, h = fl.gradient_hessian(y, z, w, scale=-1.5)
    g2, h2 = fl.gradient_hessian(y, z, w, scale=-1.5, hessian_scale=1.25)
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_array_equal(h2, h * 1.25)
    out = np.empty((3, 400)).T, np.empty((3, 400)).T
    got = fl.gradient_hessian(y, z, w, scale=-1.5, out=out, hessian_scale=1.25)
    assert got[0] is out[0] and got[1] is out[1]
    np.testing.assert_array_equal(out[0], g)
    np.testing.assert_array_equal(out[1], h * 1.25)
