"""FocalLoss: values, derivatives, stability, init score, posterior, input checks."""
import pickle
import subprocess
import sys

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import minimize_scalar

from boostfocal import FocalLoss, check_gradients
from boostfocal import _math
from boostfocal._backends import NUMPY, numba_kernels

CLASS_WEIGHTS = [{}, {"alpha": 0.25}, {"alpha": 0.9}, {"pos_weight": 4.0}]
MODES = ["exact", "expected", "clipped"]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- gamma = 0 is log-loss --------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_gamma0_is_logloss(rng, mode):
    z = rng.normal(size=1000) * 5
    y = (rng.random(1000) < 0.3).astype(float)
    fl = FocalLoss(gamma=0.0, hessian=mode, min_hessian=0.0)
    p = sigmoid(z)
    np.testing.assert_allclose(fl.loss(y, z),
                               y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z), rtol=1e-12)
    grad, hess = fl.gradient_hessian(y, z)
    q = sigmoid(-z)  # 1 - p without cancellation
    np.testing.assert_allclose(grad, y * -q + (1 - y) * p, rtol=1e-12)  # p - y
    np.testing.assert_allclose(hess, p * q, rtol=1e-12)
    np.testing.assert_allclose(fl.posterior(z), p, rtol=1e-13)
    assert fl.init_score(y) == pytest.approx(np.log(y.mean() / (1 - y.mean())), rel=1e-12)


def test_gamma0_alpha_is_weighted_logloss(rng):
    z = rng.normal(size=200) * 3
    y = (rng.random(200) < 0.3).astype(float)
    p = sigmoid(z)
    fl = FocalLoss(gamma=0.0, alpha=0.25)
    np.testing.assert_allclose(
        fl.loss(y, z), 0.25 * y * np.logaddexp(0, -z) + 0.75 * (1 - y) * np.logaddexp(0, z),
        rtol=1e-12)
    grad, _ = fl.gradient_hessian(y, z)
    np.testing.assert_allclose(grad, -0.25 * y * sigmoid(-z) + 0.75 * (1 - y) * p, rtol=1e-12)


# --- against a 60-digit reference ---------------------------------------------------------------
def _mp_branches(z, a, b, g):
    """L1, L0, G1, G0, H1, H0 and the hessians' term magnitudes in 60-digit arithmetic, from the
    closed forms (test_closed_forms_are_the_derivatives holds them against mpmath's own
    differentiation of the definition)."""
    p = 1 / (1 + mp.exp(-z))
    q = 1 / (1 + mp.exp(z))
    lp, lq = mp.log(p), mp.log(q)
    return dict(
        l1=-a * q**g * lp, l0=-b * p**g * lq,
        g1=-a * q**g * (q - g * p * lp), g0=b * p**g * (p - g * q * lq),
        h1=a * p * q**g * ((2 * g + 1) * q + g * (1 - (1 + g) * p) * lp),
        h0=b * q * p**g * ((2 * g + 1) * p + g * (1 - (1 + g) * q) * lq),
        t1=a * p * q**g * ((2 * g + 1) * q + g * abs(q - g * p) * abs(lp)),
        t0=b * q * p**g * ((2 * g + 1) * p + g * abs(p - g * q) * abs(lq)),
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_closed_forms_are_the_derivatives(gamma):
    mp.mp.dps = 60
    a, b, g = mp.mpf("0.3"), mp.mpf("0.7"), mp.mpf(gamma)

    def l1(t):
        p = 1 / (1 + mp.exp(-t))
        return -a * (1 - p) ** g * mp.log(p)

    def l0(t):
        p = 1 / (1 + mp.exp(-t))
        return -b * p**g * mp.log(1 - p)

    for z in (-12, -3.5, -0.2, 0, 1, 4.25, 10):
        z = mp.mpf(z)
        ref = _mp_branches(z, a, b, g)
        for name, f, n in (("g1", l1, 1), ("g0", l0, 1), ("h1", l1, 2), ("h0", l0, 2)):
            d = mp.diff(f, z, n)
            assert abs(d - ref[name]) <= mp.mpf("1e-30") * abs(ref[name]), (name, z)


def _mp_reference(z, y, a, b, g):
    r = _mp_branches(mp.mpf(z), a, b, g)
    eta = r["g0"] / (r["g0"] - r["g1"])
    return dict(
        loss=y * r["l1"] + (1 - y) * r["l0"],
        grad=y * r["g1"] + (1 - y) * r["g0"], grad_scale=y * abs(r["g1"]) + (1 - y) * abs(r["g0"]),
        exact=y * r["h1"] + (1 - y) * r["h0"], exact_scale=y * r["t1"] + (1 - y) * r["t0"],
        # eta h1 + (1 - eta) h0 with 1 - eta = -g1 / (g0 - g1): 1 - eta itself can be < 1e-60
        expected=(r["g0"] * r["h1"] - r["g1"] * r["h0"]) / (r["g0"] - r["g1"]),
        expected_scale=(r["g0"] * r["t1"] - r["g1"] * r["t0"]) / (r["g0"] - r["g1"]),
        eta=eta,
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.7, 5.0])
@pytest.mark.parametrize("kw", CLASS_WEIGHTS)
def test_against_mpmath(gamma, kw):
    mp.mp.dps = 60
    z = np.linspace(-30.0, 30.0, 41)
    fl = FocalLoss(gamma=gamma, **kw)
    a, b = mp.mpf(fl.a), mp.mpf(fl.b)
    for y in (0.0, 1.0, 0.3):
        ys = np.full_like(z, y)
        loss = fl.loss(ys, z)
        grad, exact = fl.replace(hessian="exact").gradient_hessian(ys, z)
        _, expected = fl.replace(min_hessian=0.0).gradient_hessian(ys, z)
        eta = fl.posterior(z)
        for i, zi in enumerate(z):
            ref = _mp_reference(zi, mp.mpf(y), a, b, mp.mpf(gamma))
            assert abs(loss[i] - ref["loss"]) <= 1e-12 * abs(ref["loss"]), (zi, y)
            assert abs(grad[i] - ref["grad"]) <= 1e-10 * ref["grad_scale"], (zi, y)
            assert abs(exact[i] - ref["exact"]) <= 1e-10 * ref["exact_scale"], (zi, y)
            assert abs(expected[i] - ref["expected"]) <= 1e-10 * ref["expected_scale"], (zi, y)
            # relative precision near 0; near 1 only what float64 can hold (ulp of 1)
            assert abs(eta[i] - ref["eta"]) <= 1e-12 * ref["eta"]


def test_hessian_is_negative_where_the_issue_says():
    # gamma = 2, y = 1: the exact hessian changes sign at p = 0.0578 (z = -2.79)
    fl = FocalLoss(gamma=2.0, hessian="exact")
    p = np.array([0.05, 0.057, 0.059, 0.07])
    _, hess = fl.gradient_hessian(np.ones(4), np.log(p / (1 - p)))
    assert list(np.sign(hess)) == [-1, -1, 1, 1]
    _, expected = fl.replace(hessian="expected").gradient_hessian(np.ones(4), np.log(p / (1 - p)))
    assert np.all(expected > 0)
    _, clipped = fl.replace(hessian="clipped", min_hessian=1e-6).gradient_hessian(
        np.ones(4), np.log(p / (1 - p)))
    np.testing.assert_array_equal(clipped, np.maximum(hess, 1e-6))


# --- properties over the whole range ------------------------------------------------------------
scores = st.one_of(
    hnp.arrays(np.float64, st.integers(1, 40),
               elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)),
    hnp.arrays(np.float32, st.integers(1, 40),
               elements=st.floats(-1e4, 1e4, width=32, allow_nan=False, allow_infinity=False)),
)
losses = st.builds(
    FocalLoss,
    gamma=st.floats(0.0, 10.0),
    alpha=st.one_of(st.none(), st.floats(0.01, 0.99)),
    label_smoothing=st.sampled_from([0.0, 0.05, 0.2]),
    hessian=st.sampled_from(MODES),
)


def _term_sizes(fl, z, y):
    """Per row, the size of the terms the gradient and the hessian sum (as in _mp_branches)."""
    p, q, log_p, log_q, pg, qg = NUMPY.core(z, fl.gamma)
    g1, g0 = NUMPY.branch_gradients(p, q, log_p, log_q, pg, qg, fl.a, fl.b, fl.gamma)
    g = fl.gamma
    t1 = fl.a * p * qg * ((2 * g + 1) * q + g * np.abs(q - g * p) * np.abs(log_p))
    t0 = fl.b * q * pg * ((2 * g + 1) * p + g * np.abs(p - g * q) * np.abs(log_q))
    return y * np.abs(g1) + (1 - y) * np.abs(g0), t1 + t0


@settings(max_examples=150, deadline=None)
@given(fl=losses, z=scores, data=st.data())
def test_finite_signed_and_backends_agree(fl, z, data):
    n = z.shape[0]
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=n, max_size=n)))
    w = np.array(data.draw(st.lists(st.floats(0.0, 5.0), min_size=n, max_size=n)))
    grad, hess = fl.gradient_hessian(y, z, w)
    loss = fl.loss(y, z, w)
    eta = fl.posterior(z)
    for arr in (grad, hess, loss, eta):
        assert arr.dtype == np.float64 and arr.shape == (n,)
        assert np.all(np.isfinite(arr))
    assert np.all(loss >= 0)
    assert np.all((eta >= 0) & (eta <= 1))
    hard = fl.label_smoothing == 0
    if hard:
        assert np.all(grad[y == 1] <= 0) and np.all(grad[y == 0] >= 0)
    if fl.hessian != "exact":
        assert np.all(hess >= fl.min_hessian * w * (1 - 1e-12))
    # the eager numpy execution of the same formulas agrees with the compiled loop: to 1e-12
    # relative, or, where terms cancel (soft labels at z = 0, the hessian's sign change), to 1e-14
    # of the terms' size: the loop fuses multiply-adds, so a cancelled sum keeps their rounding
    zz = z.astype(np.float64)
    ys = y * (1 - fl.label_smoothing) + 0.5 * fl.label_smoothing
    g_np, h_np = NUMPY.gradient_hessian(zz, ys, fl.a, fl.b, fl.gamma, fl._mode, fl.min_hessian)
    g_terms, h_terms = _term_sizes(fl, zz, ys)
    assert np.all(np.abs(grad - g_np * w) <= 1e-12 * np.abs(g_np * w) + 1e-14 * g_terms * w + 1e-300)
    assert np.all(np.abs(hess - h_np * w) <= 1e-12 * np.abs(h_np * w) + 1e-14 * h_terms * w + 1e-300)
    np.testing.assert_allclose(loss, NUMPY.loss(zz, ys, fl.a, fl.b, fl.gamma) * w, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(z=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-50, 50)),
       gamma=st.floats(0.0, 10.0), alpha=st.floats(0.01, 0.99))
def test_branch_symmetry(z, gamma, alpha):
    # G0(z) = -G1(-z) and H0(z) = H1(-z) with a <-> b
    f = FocalLoss(gamma=gamma, alpha=alpha, hessian="exact")
    f_swapped = FocalLoss(gamma=gamma, alpha=1 - alpha, hessian="exact")
    g0, h0 = f.gradient_hessian(np.zeros_like(z), z)
    g1, h1 = f_swapped.gradient_hessian(np.ones_like(z), -z)
    np.testing.assert_allclose(g0, -g1, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h0, h1, rtol=1e-11, atol=1e-14 * np.abs(h0).max())
    np.testing.assert_allclose(f.loss(np.zeros_like(z), z), f_swapped.loss(np.ones_like(z), -z),
                               rtol=1e-12)


def test_extreme_scores_are_exact_limits():
    fl = FocalLoss(gamma=2.0, alpha=0.25, hessian="exact")
    z = np.array([-1e4, -800.0, 800.0, 1e4])
    grad, hess = fl.gradient_hessian(np.ones(4), z)
    np.testing.assert_allclose(grad, [-0.25, -0.25, 0.0, 0.0])
    np.testing.assert_allclose(fl.loss(np.ones(4), z), [2500.0, 200.0, 0.0, 0.0])
    np.testing.assert_allclose(fl.posterior(z), [0.0, 0.0, 1.0, 1.0])
    assert np.all(np.isfinite(hess))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("kw", CLASS_WEIGHTS + [{"label_smoothing": 0.1}])
def test_finite_differences(gamma, kw, rng):
    z = np.linspace(-40, 40, 801)
    for y in (0.0, 1.0, 0.3):
        r = check_gradients(FocalLoss(gamma=gamma, **kw), np.full_like(z, y), z,
                            rng.uniform(0, 3, z.size))
        assert r.passed(1e-6), r


def test_check_gradients_catches_a_wrong_hessian():
    class OffByAPermille:
        inner = FocalLoss(gamma=2.0, hessian="exact")

        def loss(self, y, z, w=None):
            return self.inner.loss(y, z, w)

        def gradient_hessian(self, y, z, w=None):
            grad, hess = self.inner.gradient_hessian(y, z, w)
            return grad, hess * 1.001

    z = np.linspace(-10, 10, 201)
    r = check_gradients(OffByAPermille(), np.ones_like(z), z)
    assert r.gradient_error < 1e-8 and 5e-4 < r.hessian_error < 2e-3


# --- sample weights ---------------------------------------------------------------------------------
def test_weights_multiply_rows_and_duplicate(rng):
    fl = FocalLoss(gamma=2.0, alpha=0.25)
    z = rng.normal(size=5)
    y = np.array([0, 1, 1, 0, 1.0])
    w = np.array([2.0, 0.0, 1.0, 0.5, 3.0])
    g, h = fl.gradient_hessian(y, z, w)
    g1, h1 = fl.gradient_hessian(y, z)
    np.testing.assert_allclose(g, g1 * w, rtol=1e-15)
    np.testing.assert_allclose(h, h1 * w, rtol=1e-15)
    assert g[1] == 0 and h[1] == 0
    # weight 2 on a row == the row twice, for the constant start too
    yd, wd = np.r_[y, y[0]], np.ones(6)
    assert fl.init_score(y, [2, 1, 1, 1, 1]) == pytest.approx(fl.init_score(yd, wd), rel=1e-12)
    assert fl.mean_loss(y, z, w) == pytest.approx(np.sum(fl.loss(y, z) * w) / w.sum(), rel=1e-14)


# --- init score and posterior ---------------------------------------------------------------------
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("kw", CLASS_WEIGHTS + [{"label_smoothing": 0.1}])
@pytest.mark.parametrize("rate", [0.009, 0.2, 0.7])
def test_init_score_is_the_brute_force_minimiser(gamma, kw, rate, rng):
    n = 2000
    y = (rng.random(n) < rate).astype(float)
    w = rng.uniform(0.2, 2.0, n)
    fl = FocalLoss(gamma=gamma, **kw)
    c = fl.init_score(y, w)
    res = minimize_scalar(lambda t: fl.mean_loss(y, np.full(n, t), w), bounds=(-20, 20),
                          method="bounded", options={"xatol": 1e-10})
    assert c == pytest.approx(res.x, abs=1e-5)
    # it is a stationary point of the weighted loss
    grad, _ = fl.gradient_hessian(y, np.full(n, c), w)
    assert abs(grad.sum()) <= 1e-9 * w.sum()
    if gamma > 0 or kw:  # not the log-odds of the base rate
        ybar = np.dot(w, y) / w.sum()
        assert abs(c - np.log(ybar / (1 - ybar))) > 1e-3


def test_init_score_one_class_is_finite():
    for y in (np.zeros(10), np.ones(10)):
        c = FocalLoss(gamma=2.0).init_score(y)
        assert np.isfinite(c) and abs(c) > 5


@pytest.mark.parametrize("kw", CLASS_WEIGHTS + [{"label_smoothing": 0.2}])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 4.0])
def test_posterior_recovers_a_known_rate(kw, gamma):
    # The constant that minimises the expected loss under positive rate pi maps back to pi.
    fl = FocalLoss(gamma=gamma, **kw)
    for pi in (0.001, 0.05, 0.3, 0.5, 0.8, 0.99):
        y = np.array([1.0, 0.0])
        z = fl.init_score(y, [pi, 1 - pi])
        assert fl.posterior([z])[0] == pytest.approx(pi, rel=1e-9)
        np.testing.assert_allclose(fl.predict_proba([z]), [[1 - pi, pi]], rtol=1e-9)


def test_posterior_is_more_confident_than_sigmoid_under_focal():
    z = np.array([-3.0, -1.0, 1.0, 3.0])
    eta = FocalLoss(gamma=2.0).posterior(z)
    p = sigmoid(z)
    assert np.all(np.abs(eta - 0.5) > np.abs(p - 0.5))
    assert np.all(np.diff(FocalLoss(gamma=2.0).posterior(np.linspace(-30, 30, 1001))) >= 0)


# --- value object -----------------------------------------------------------------------------------
def test_value_object():
    fl = FocalLoss(gamma=1.5, alpha=0.25, hessian="exact")
    assert repr(fl) == "FocalLoss(gamma=1.5, alpha=0.25, hessian='exact')"
    assert pickle.loads(pickle.dumps(fl)) == fl and hash(fl) == hash(fl.replace())
    assert fl.replace(gamma=2.0) != fl
    with pytest.raises(AttributeError):
        fl.gamma = 3.0
    assert (fl.a, fl.b) == (0.25, 0.75)
    assert (FocalLoss(pos_weight=3.0).a, FocalLoss(pos_weight=3.0).b) == (3.0, 1.0)


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"gamma": -0.1}, ValueError, r"gamma must be a finite number in \[0"),
    ({"gamma": float("nan")}, ValueError, "gamma"),
    ({"gamma": float("inf")}, ValueError, "gamma"),
    ({"gamma": "2"}, TypeError, "gamma must be a real number"),
    ({"alpha": 1.2}, ValueError, r"alpha must be a finite number in \[0.0, 1.0\]"),
    ({"alpha": -0.1}, ValueError, "alpha"),
    ({"pos_weight": 0.0}, ValueError, r"pos_weight must be a finite number in \(0.0"),
    ({"pos_weight": -1.0}, ValueError, "pos_weight"),
    ({"alpha": 0.25, "pos_weight": 2.0}, ValueError, "not both"),
    ({"label_smoothing": 1.0}, ValueError, r"label_smoothing must be a finite number in \[0.0, 1.0\)"),
    ({"label_smoothing": -0.1}, ValueError, "label_smoothing"),
    ({"hessian": "fisher"}, ValueError, "hessian must be one of 'expected', 'exact', 'clipped'"),
    ({"min_hessian": -1.0}, ValueError, "min_hessian"),
    ({"gamma": True}, TypeError, "gamma"),
])
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        FocalLoss(**kwargs)


@pytest.mark.parametrize("y, z, w, match", [
    ([0, 1, 0.5], [0.0, 1.0, np.nan], None, "raw_score must be finite"),
    ([0, 1, 0.5], [0.0, 1.0, np.inf], None, "raw_score must be finite"),
    ([0, 1, np.nan], [0.0, 1.0, 2.0], None, r"y_true must lie in \[0, 1\]"),
    ([0, 1, 1.5], [0.0, 1.0, 2.0], None, r"y_true must lie in \[0, 1\]"),
    ([-1, 1, 1], [0.0, 1.0, 2.0], None, r"y_true must lie in \[0, 1\]"),
    ([0, 1, 2], [0.0, 1.0, 2.0], None, "multi-class is not supported"),
    ([0, 1], [0.0, 1.0, 2.0], None, "y_true has 2 rows but raw_score has 3"),
    ([0, 1, 1], [0.0, 1.0, 2.0], [1, 1], "sample_weight has 2 rows but raw_score has 3"),
    ([0, 1, 1], [0.0, 1.0, 2.0], [1, -1, 1], "sample_weight must be finite and >= 0"),
    ([0, 1, 1], [0.0, 1.0, 2.0], [1, np.nan, 1], "sample_weight must be finite and >= 0"),
    ([], [], None, "raw_score is empty"),
    ([[0, 1], [1, 0]], [[0.0, 1], [2, 3]], None, "raw_score must be 1-D"),
])
def test_bad_arrays(y, z, w, match):
    fl = FocalLoss()
    for call in (lambda: fl.gradient_hessian(y, z, w), lambda: fl.loss(y, z, w)):
        with pytest.raises(ValueError, match=match):
            call()


def test_bad_array_types():
    with pytest.raises(TypeError, match="y_true must be numeric"):
        FocalLoss().gradient_hessian(["a", "b"], [0.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight sums to zero"):
        FocalLoss().init_score([0, 1], [0, 0])
    with pytest.raises(ValueError, match="y_true is empty"):
        FocalLoss().init_score([])


def test_column_vectors_and_integer_labels_are_accepted():
    fl = FocalLoss()
    g1, h1 = fl.gradient_hessian(np.array([[0], [1]]), np.array([[0.5], [0.5]]))
    g2, h2 = fl.gradient_hessian(np.array([0.0, 1.0]), np.array([0.5, 0.5]))
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(h1, h2)


# --- packaging ------------------------------------------------------------------------------------
def test_import_does_not_import_a_booster():
    code = ("import sys, boostfocal; "
            "print(sorted(m for m in ('xgboost', 'lightgbm', 'catboost') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_command_passes_and_reports():
    out = subprocess.run([sys.executable, "-m", "boostfocal", "check"], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PASS" in out.stdout and out.stdout.count("\n") > 70


def test_check_command_fails_on_impossible_tolerance():
    out = subprocess.run([sys.executable, "-m", "boostfocal", "check", "--tol", "1e-30"],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "FAIL" in out.stdout


def test_numba_backend_is_active():
    # the declared dependency is installed in CI: the fast path must be the one tested
    assert numba_kernels() is not None
    assert _math.EXPECTED == FocalLoss()._mode


def test_numba_disk_cache_tracks_the_math(tmp_path):
    """The formula sources' hash names every loop's cache entry: editing _math or _libm (which
    numba's own cache check does not see) gives new names, so a stale kernel is never loaded."""
    import hashlib
    import pathlib

    from boostfocal import _libm, _numba_core, _numba_kernels

    h = hashlib.sha256()
    for module in (_math, _libm, _numba_core):
        h.update(pathlib.Path(module.__file__).read_bytes())
    tag = h.hexdigest()[:16]
    assert _numba_core.source_tag(_numba_kernels.SOURCES) == tag
    run = _numba_kernels._loop(_numba_kernels._loss_loop, 2.0)
    assert run.serial.py_func.__qualname__.endswith("_serial_" + tag)
    assert run.chunk.py_func.__qualname__.endswith("_chunk_" + tag)
    edited = tmp_path / "_math.py"  # one byte more: another tag
    edited.write_bytes(pathlib.Path(_math.__file__).read_bytes() + b"\n")
    import types
    module = types.ModuleType("_math")
    module.__file__ = str(edited)
    assert _numba_core.source_tag((module, _libm)) != tag


def test_eager_array_path_matches_the_compiled_loop(monkeypatch, rng):
    """The eager binding FocalLoss uses for CuPy arrays, exercised here on numpy."""
    import boostfocal.loss as loss_module

    z = np.concatenate([rng.normal(0, 4, 500), [-800.0, -40.0, 0.0, 40.0, 800.0]])
    y = (rng.random(z.size) < 0.3).astype(float)
    w = rng.uniform(0, 2, z.size)
    results = {}
    for name, kernels in (("compiled", numba_kernels), ("eager", lambda: None)):
        monkeypatch.setattr(loss_module, "numba_kernels", kernels)
        out = []
        for kw in ({"gamma": 2.0, "alpha": 0.25}, {"gamma": 0.7, "label_smoothing": 0.1,
                                                   "hessian": "exact"},
                   {"gamma": 5.0, "pos_weight": 3.0, "hessian": "clipped"}):
            fl = FocalLoss(**kw)
            out += [*fl.gradient_hessian(y, z, w), fl.loss(y, z, w), fl.posterior(z),
                    fl.predict_proba(z), np.array([fl.mean_loss(y, z, w), fl.init_score(y, w)])]
        results[name] = out
    for a, b in zip(results["compiled"], results["eager"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("n", [300, 120_000])  # serial and parallel loops
def test_out_buffers_and_scale(n, rng):
    fl = FocalLoss(gamma=2.0, alpha=0.25)
    z = rng.normal(0, 3, n)
    y = (rng.random(n) < 0.1).astype(np.float32)
    w = rng.uniform(0, 2, n)
    grad, hess = fl.gradient_hessian(y, z, w)
    pair = fl.gradient_hessian(y, z, w, out=np.empty((n, 2)), scale=-1.0)  # written row-wise
    np.testing.assert_array_equal(pair, -np.column_stack([grad, hess]))
    fortran = fl.gradient_hessian(y, z, w, out=np.empty((n, 2), order="F"), scale=-1.0)
    np.testing.assert_array_equal(fortran, pair)  # through the column views
    g32, h32 = np.empty(n, np.float32), np.empty(n, np.float32)
    assert fl.gradient_hessian(y, z, w, out=(g32, h32))[0] is g32
    np.testing.assert_allclose(g32, grad, rtol=1e-6)
    np.testing.assert_allclose(h32, hess, rtol=1e-6)
    block = np.empty((n, 2))
    fl.gradient_hessian(y, z, w, out=(block[:, 1], block[:, 0]))  # strided views
    np.testing.assert_array_equal(block, np.column_stack([hess, grad]))
    with pytest.raises(ValueError, match="raw_score must be finite"):
        fl.gradient_hessian(y, np.where(np.arange(n) == n - 1, np.nan, z), w,
                            out=np.empty((n, 2)))
