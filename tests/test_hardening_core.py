"""Hostile callers of the core (issue #13): FocalLoss, compat, check_gradients, threads, fork and a
read-only install. Each case asserts the exact exception (type and a fragment naming the
argument) or exact finite values. Cases that could read or write out of bounds, hang or kill the
interpreter run in a subprocess, so a regression fails the test instead of the run."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import mpmath as mp
import numpy as np
import pytest

from boostfocal import FocalLoss, check_gradients
from boostfocal._backends import NUMPY
from boostfocal.compat import binary_focal_crossentropy, binary_focal_loss

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG = 60_000  # above PARALLEL_MIN_ROWS: the threaded path
FL = FocalLoss(gamma=2.0, alpha=0.25)


def run_python(code, env=None, timeout=120):
    """Run ``code`` in a fresh interpreter with this checkout first on the path."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 3, n), (rng.random(n) < 0.3).astype(float), rng.uniform(0.5, 2.0, n))


# --- out of bounds: every shape/length/dtype/byte-order case, in one subprocess ----------------
OOB_CASES = {
    "out_short_2M": "z = np.zeros(2_000_000); fl.gradient_hessian(z, z, out=(np.zeros(3), np.zeros(3)))",
    "out_short": "fl.gradient_hessian(y, z, out=(np.zeros(3), np.zeros(3)))",
    "out_longer": "fl.gradient_hessian(y, z, out=(np.zeros(8), np.zeros(8)))",
    "out_n3": "fl.gradient_hessian(y, z, out=np.zeros((7, 3)))",
    "out_2n": "fl.gradient_hessian(y, z, out=np.zeros((2, 7)))",
    "out_int": "fl.gradient_hessian(y, z, out=(np.zeros(7, int), np.zeros(7, int)))",
    "out_int_block": "fl.gradient_hessian(y, z, out=np.zeros((7, 2), np.int64))",
    "out_big_endian": "fl.gradient_hessian(y, z, out=np.zeros((7, 2), '>f8'))",
    "out_readonly": "o = np.zeros(7); o.flags.writeable = False; fl.gradient_hessian(y, z, out=(o, np.zeros(7)))",
    "out_same_twice": "o = np.zeros(7); fl.gradient_hessian(y, z, out=(o, o))",
    "out_triple": "fl.gradient_hessian(y, z, out=(np.zeros(7),) * 3)",
    "out_list": "fl.gradient_hessian(y, z, out=[np.zeros(7), np.zeros(7)])",
    "unchecked_short_y": "fl.gradient_hessian(np.ones(3), z, check_input=False)",
    "unchecked_short_w": "fl.gradient_hessian(y, z, np.ones(3), check_input=False)",
    "unchecked_2d_y": "fl.gradient_hessian(np.ones((7, 2)), z, check_input=False)",
    "short_y": "fl.gradient_hessian(np.ones(3), z)",
    "long_w_loss": "fl.loss(y, z, np.ones(9))",
}
OOB_EXPECTED = {
    "out_short_2M": ("ValueError", "out[0] must have shape (2000000,) (raw_score has 2000000 rows), got (3,)"),
    "out_short": ("ValueError", "out[0] must have shape (7,)"),
    "out_longer": ("ValueError", "out[0] must have shape (7,)"),
    "out_n3": ("ValueError", "out must have shape (7, 2)"),
    "out_2n": ("ValueError", "out must have shape (7, 2)"),
    "out_int": ("TypeError", "out[0] must be float32 or float64"),
    "out_int_block": ("TypeError", "out must be float32 or float64"),
    "out_big_endian": ("TypeError", "native byte order, got >f8"),
    "out_readonly": ("ValueError", "out[0] is read-only"),
    "out_same_twice": ("ValueError", "out[0] and out[1] overlap"),
    "out_triple": ("ValueError", "out must be a pair (grad, hess) or one (n, 2) array"),
    "out_list": ("TypeError", "out must be a numpy array, got list"),
    "unchecked_short_y": ("ValueError", "y_true has 3 rows but raw_score has 7"),
    "unchecked_short_w": ("ValueError", "sample_weight has 3 rows but raw_score has 7"),
    "unchecked_2d_y": ("ValueError", "y_true must be 1-D (one value per row), got shape (7, 2)"),
    "short_y": ("ValueError", "y_true has 3 rows but raw_score has 7"),
    "long_w_loss": ("ValueError", "sample_weight has 9 rows but raw_score has 7"),
}


@pytest.fixture(scope="module")
def oob_results():
    code = f"""
        import json, numpy as np
        from boostfocal import FocalLoss
        fl = FocalLoss(gamma=2.0, alpha=0.25)
        z, y = np.linspace(-3, 3, 7), np.array([0, 1, 0, 1, 1, 0, 1.0])
        res = {{}}
        for name, stmt in {OOB_CASES!r}.items():
            try:
                exec(stmt, {{"np": np, "fl": fl, "z": z, "y": y}})
                res[name] = ["no error", ""]
            except Exception as e:
                res[name] = [type(e).__name__, str(e)]
        print(json.dumps(res))
    """
    out = run_python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", sorted(OOB_CASES))
def test_no_out_of_bounds_access(oob_results, case):
    kind, message = oob_results[case]
    assert kind == OOB_EXPECTED[case][0], (kind, message)
    assert OOB_EXPECTED[case][1] in message


# --- out: every accepted form gives the same numbers ------------------------------------------
def test_out_forms_all_agree():
    z, y, w = data(101)
    grad, hess = FL.gradient_hessian(y, z, w)
    pair32 = (np.empty(101, np.float32), np.empty(101, np.float32))
    FL.gradient_hessian(y, z, w, out=pair32)
    np.testing.assert_array_equal(pair32[0], grad.astype(np.float32))
    np.testing.assert_array_equal(pair32[1], hess.astype(np.float32))
    strided = np.empty((101, 4))
    FL.gradient_hessian(y, z, w, out=(strided[:, 3], strided[:, 1]))
    np.testing.assert_array_equal(strided[:, 3], grad)
    np.testing.assert_array_equal(strided[:, 1], hess)
    for block in (np.empty((101, 2)), np.empty((101, 2), order="F"), np.empty((101, 3))[:, :2]):
        assert FL.gradient_hessian(y, z, w, out=block, scale=-1.0) is block
        np.testing.assert_array_equal(block[:, 0], -grad)
        np.testing.assert_array_equal(block[:, 1], -hess)


# --- byte order --------------------------------------------------------------------------------
def test_big_endian_inputs_give_the_native_numbers():
    z, y, w = data(50)
    zb, yb, wb = (a.astype(">f8") for a in (z, y, w))
    for got, want in zip(FL.gradient_hessian(yb, zb, wb), FL.gradient_hessian(y, z, w)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(FL.loss(yb, zb, wb), FL.loss(y, z, w))
    np.testing.assert_array_equal(FL.posterior(z.astype(">f4")), FL.posterior(z.astype("<f4")))


def test_float16_and_list_inputs_are_converted():
    z16 = np.array([-2.5, 0.0, 1.25], np.float16)
    got = FL.gradient_hessian([0, 1, 1], z16)
    want = FL.gradient_hessian(np.array([0.0, 1.0, 1.0]), z16.astype(np.float64))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


# --- scale and the other arguments ------------------------------------------------------------
@pytest.mark.parametrize("scale, exc, fragment", [
    (float("nan"), ValueError, "scale must be a finite number in [-inf, inf], got nan"),
    (float("inf"), ValueError, "scale must be a finite number"),
    (-float("inf"), ValueError, "scale must be a finite number"),
    ("-1", TypeError, "scale must be a real number, got str"),
    (True, TypeError, "scale must be a real number, got bool"),
    (10**400, ValueError, "scale must be a finite number"),
])
def test_bad_scale(scale, exc, fragment):
    with pytest.raises(exc) as err:
        FL.gradient_hessian([0.0, 1.0], [0.5, -0.5], scale=scale)
    assert fragment in str(err.value)


def test_numpy_scalar_scale():
    g, h = FL.gradient_hessian([0.0, 1.0], [0.5, -0.5])
    g2, h2 = FL.gradient_hessian([0.0, 1.0], [0.5, -0.5], scale=np.float32(-2.0))
    np.testing.assert_array_equal(g2, -2.0 * g)
    np.testing.assert_array_equal(h2, -2.0 * h)


@pytest.mark.parametrize("kwargs, exc, fragment", [
    ({"gamma": 1e200}, ValueError, "gamma must be a finite number in [0.0, 100.0], got 1e+200"),
    ({"gamma": 2000}, ValueError, "gamma must be a finite number in [0.0, 100.0]"),
    ({"gamma": 100.5}, ValueError, "gamma must be a finite number in [0.0, 100.0]"),
    ({"gamma": 10**400}, ValueError, "gamma must be a finite number in [0.0, 100.0], got inf"),
    ({"gamma": float("nan")}, ValueError, "gamma must be a finite number"),
    ({"gamma": "2"}, TypeError, "gamma must be a real number, got str"),
    ({"gamma": None}, TypeError, "gamma must be a real number"),
    ({"alpha": 1.5}, ValueError, "alpha must be a finite number in [0.0, 1.0]"),
    ({"alpha": -(10**400)}, ValueError, "alpha must be a finite number in [0.0, 1.0], got -inf"),
    ({"pos_weight": 0}, ValueError, "pos_weight must be a finite number in (0.0, inf]"),
    ({"alpha": 0.25, "pos_weight": 2.0}, ValueError, "not both"),
    ({"label_smoothing": 1.0}, ValueError, "label_smoothing must be a finite number in [0.0, 1.0)"),
    ({"hessian": "Exact"}, ValueError, "hessian must be one of 'expected', 'exact', 'clipped'"),
    ({"min_hessian": -1e-12}, ValueError, "min_hessian must be a finite number in [0.0, inf]"),
])
def test_bad_parameters(kwargs, exc, fragment):
    with pytest.raises(exc) as err:
        FocalLoss(**kwargs)
    assert fragment in str(err.value)


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: FL.gradient_hessian([0.0], [np.nan]), ValueError, "raw_score must be finite"),
    (lambda: FL.gradient_hessian([0.0], [np.inf]), ValueError, "raw_score must be finite"),
    (lambda: FL.gradient_hessian([0.0], [1 + 2j]), TypeError, "raw_score must be numeric"),
    (lambda: FL.gradient_hessian([0.0], ["1"]), TypeError, "raw_score must be numeric"),
    (lambda: FL.gradient_hessian(0.0, 1.0), ValueError, "raw_score must be 1-D"),
    (lambda: FL.gradient_hessian([], []), ValueError, "raw_score is empty"),
    (lambda: FL.gradient_hessian([0.0, 2.0, 1.0], [0.0] * 3), ValueError, "3 classes"),
    (lambda: FL.gradient_hessian([np.nan], [0.0]), ValueError, "y_true must lie in [0, 1]"),
    (lambda: FL.gradient_hessian([1.0], [0.0], [-1.0]), ValueError, "sample_weight must be finite and >= 0"),
    (lambda: FL.gradient_hessian([1.0], [0.0], [np.nan]), ValueError, "sample_weight must be finite"),
    (lambda: FL.posterior([0.0, np.nan]), ValueError, "raw_score must be finite"),
    (lambda: FL.mean_loss([1.0], [0.0], [0.0]), ValueError, "sample_weight sums to zero"),
])
def test_bad_arrays(call, exc, fragment):
    with pytest.raises(exc) as err:
        call()
    assert fragment in str(err.value)


# --- extreme but allowed: finite and right ------------------------------------------------------
MAXZ = 1.7976931348623157e308


@pytest.mark.parametrize("mode", ["exact", "expected", "clipped"])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_scores_at_the_float_maximum(mode, backend):
    """As z -> +-inf: gradient -> the branch weight on the wrong side, 0 on the right one; the
    hessian -> 0 (floored at min_hessian in the safe modes); loss = weight * |z|."""
    fl = FocalLoss(gamma=2.5, alpha=0.25, hessian=mode)
    z = np.array([MAXZ, MAXZ, -MAXZ, -MAXZ, 710.0, -710.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    if backend == "numba":
        grad, hess = fl.gradient_hessian(y, z)
        loss = fl.loss(y, z)
    else:
        grad, hess = NUMPY.gradient_hessian(z, y, fl.a, fl.b, fl.gamma, fl._mode, fl.min_hessian)
        loss = NUMPY.loss(z, y, fl.a, fl.b, fl.gamma)
    np.testing.assert_array_equal(grad, [0.75, 0.0, -0.25, 0.0, 0.75, -0.25])
    np.testing.assert_array_equal(hess[:4], [0.0 if mode == "exact" else 1e-12] * 4)
    if mode == "exact":  # b q (2g+1 + g log q), q = exp(-710): -5.9e-306, not yet 0
        assert -1e-305 < hess[4] < -1e-306 and -1e-305 < hess[5] < -1e-306
    else:
        np.testing.assert_array_equal(hess[4:], [1e-12, 1e-12])
    np.testing.assert_array_equal(loss, [0.75 * MAXZ, 0.0, 0.25 * MAXZ, 0.0, 0.75 * 710, 0.25 * 710])


def test_gamma_at_its_bound_matches_mpmath():
    fl = FocalLoss(gamma=100.0, hessian="exact", min_hessian=0.0)
    mp.mp.dps = 60
    a, b, g = mp.mpf(1), mp.mpf(1), mp.mpf(100)

    def L(z, y):
        p = 1 / (1 + mp.exp(-z))
        return -(y * a * (1 - p) ** g * mp.log(p) + (1 - y) * b * p**g * mp.log(1 - p))

    z = np.array([-3.0, 0.0, 0.5, 4.0])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    grad, hess = fl.gradient_hessian(y, z)
    for i in range(4):
        zi, yi = mp.mpf(z[i]), mp.mpf(y[i])
        assert grad[i] == pytest.approx(float(mp.diff(lambda t: L(t, yi), zi)), rel=1e-12)
        assert hess[i] == pytest.approx(float(mp.diff(lambda t: L(t, yi), zi, 2)), rel=1e-10)
    assert fl.posterior(np.array([0.0]))[0] == 0.5
    assert abs(fl.init_score(np.array([0.0, 1.0]))) < 1e-12


# --- compat -----------------------------------------------------------------------------------
def test_keras_aligns_ranks_instead_of_broadcasting():
    y = np.array([0.0, 1.0, 1.0, 0.0])
    p = np.array([0.2, 0.9, 0.4, 0.7])
    flat = binary_focal_crossentropy(y, p[:, None], reduction=None)
    assert flat.shape == (4,)  # 4 rows, not 4 x 4 pairs
    np.testing.assert_array_equal(flat, binary_focal_crossentropy(y[:, None], p[:, None],
                                                                  reduction=None))
    assert binary_focal_crossentropy(y[:, None], p) == binary_focal_crossentropy(y, p[:, None])
    per_example = binary_focal_loss(y, p[:, None], gamma=2)
    assert per_example.shape == (4, 1)
    np.testing.assert_array_equal(per_example[:, 0], binary_focal_loss(y, p, gamma=2))


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: binary_focal_crossentropy([0, 1], [0.2, 1.5]), ValueError, "y_pred must be probabilities in [0, 1]"),
    (lambda: binary_focal_crossentropy([0, 1], [0.2, np.inf]), ValueError, "y_pred must be probabilities"),
    (lambda: binary_focal_crossentropy([0, 1], [-0.1, 0.5]), ValueError, "y_pred must be probabilities"),
    (lambda: binary_focal_loss([0, 1], [0.2, 1.5], 2), ValueError, "y_pred must be probabilities"),
    (lambda: binary_focal_loss([0, 1], [0.2, np.inf], 2, from_logits=True), ValueError, "y_pred (logits) must be finite"),
    (lambda: binary_focal_crossentropy([0, 1], [0.2, 0.5], sample_weight=[1, np.nan]), ValueError, "sample_weight must be finite and >= 0"),
    (lambda: binary_focal_crossentropy([0, 1], [0.2, 0.5], sample_weight=[1, -1]), ValueError, "sample_weight must be finite and >= 0"),
    (lambda: binary_focal_crossentropy([0, 1], [0.2, 0.5], sample_weight=[1, 1, 1]), ValueError, "sample_weight shape (3,) does not match"),
    (lambda: binary_focal_crossentropy([[0, 1]], [[0.2, 0.5]], sample_weight=[1, 2]), ValueError, "sample_weight shape (2,) does not match"),
    (lambda: binary_focal_crossentropy([0, 1, 1], [0.2, 0.5]), ValueError, "y_true shape (3,) does not broadcast to y_pred shape (2,)"),
    (lambda: binary_focal_crossentropy(np.zeros((3, 1)), np.zeros((2, 3))), ValueError, "does not broadcast"),
    (lambda: binary_focal_crossentropy([0, 1], ["a", "b"]), TypeError, "y_pred must be numeric"),
    (lambda: binary_focal_crossentropy([], []), ValueError, "y_pred is empty"),
    (lambda: binary_focal_crossentropy([0, 1], [0.2, 0.5], gamma=1e200), ValueError, "gamma must be a finite number in [0.0, 100.0]"),
    (lambda: binary_focal_loss([0, 1], [0.2, 0.5], 10**400), ValueError, "gamma must be a finite number in [0.0, 100.0]"),
])
def test_compat_rejects(call, exc, fragment):
    with pytest.raises(exc) as err:
        call()
    assert fragment in str(err.value)


def test_keras_infinite_logits_are_clipped_like_keras():
    got = binary_focal_crossentropy([[1.0], [0.0]], [[np.inf], [-np.inf]], from_logits=True,
                                    reduction=None)
    p = 1 - 1e-7  # sigmoid(inf) = 1, clipped; p_t = 1
    np.testing.assert_array_equal(got, [0.0, 0.0])
    got = binary_focal_crossentropy([[0.0]], [[np.inf]], from_logits=True, reduction=None, gamma=2)
    assert got[0] == pytest.approx(-np.log(1 - p), rel=1e-9)  # (1 - p_t)^2 = 1


# --- check_gradients --------------------------------------------------------------------------
class WrongShape:
    def loss(self, y, z, w=None):
        return np.zeros(len(z))

    def gradient_hessian(self, y, z, w=None):
        return np.zeros(len(z) + 1), np.zeros(len(z))


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: check_gradients(FL, [0, 1], [0.1, 0.2], step=0), ValueError, "step must be a finite number in (0.0, 1.0]"),
    (lambda: check_gradients(FL, [0, 1], [0.1, 0.2], step=np.nan), ValueError, "step must be a finite number"),
    (lambda: check_gradients(FL, [0, 1], [0.1, 0.2], step="1e-5"), TypeError, "step must be a real number"),
    (lambda: check_gradients(object(), [0, 1], [0.1, 0.2]), TypeError, "objective must have a loss() method, got object"),
    (lambda: check_gradients(FL, [0, 1], [0.1, np.nan]), ValueError, "raw_score must be finite"),
    (lambda: check_gradients(FL, [0, 1], [0.1, 1.7e308]), ValueError, "raw_score +- step must stay below 1e300"),
    (lambda: check_gradients(WrongShape(), [0, 1], [0.1, 0.2]), ValueError, "returned a gradient of shape (3,), expected (2,)"),
])
def test_check_gradients_rejects(call, exc, fragment):
    with pytest.raises(exc) as err:
        call()
    assert fragment in str(err.value)


def test_check_gradients_column_scores():
    z = np.linspace(-4, 4, 9)
    result = check_gradients(FL, (z > 0).astype(float), z[:, None])
    assert result.rows == 9 and result.passed(1e-6)


# --- threads, fork, read-only install ---------------------------------------------------------
def test_concurrent_threaded_calls_agree(monkeypatch):
    z, y, w = data(BIG, seed=3)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "1")
    ref = FL.gradient_hessian(y, z, w)
    ref_small = FL.gradient_hessian(y[:500], z[:500], w[:500])
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "3")
    errors, results = [], {}

    def work(k):
        try:
            for _ in range(3):
                n = BIG if k % 2 else 500
                results[k] = FL.gradient_hessian(y[:n], z[:n], w[:n])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 8
    for k, (g, h) in results.items():
        want = ref if k % 2 else ref_small
        np.testing.assert_allclose(g, want[0], rtol=1e-15, atol=0)
        np.testing.assert_allclose(h, want[1], rtol=1e-15, atol=0)


FORK_CODE = """
    import multiprocessing, os, numpy as np, numba
    from boostfocal import FocalLoss
    fl = FocalLoss(gamma=2.0, alpha=0.25)
    z = np.linspace(-8, 8, {n}); y = (z > 0.3).astype(float)

    def child_sum(_):
        g, h = fl.gradient_hessian(y, z)
        return float(g.sum() + h.sum())

    parent = child_sum(0)  # a threaded call before the fork
    pid = os.fork()
    if pid == 0:
        os._exit(0 if child_sum(0) == parent else 3)
    _, status = os.waitpid(pid, 0)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        sums = pool.map(child_sum, range(4))
    print(status, sums == [parent] * 4, numba.np.ufunc.parallel._is_initialized)
"""


def test_fork_after_a_threaded_call():
    out = run_python(FORK_CODE.format(n=BIG), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    # the os.fork child exited 0, the Pool's children agree, numba's threading layer never loaded
    assert out.stdout.split() == ["0", "True", "False"]


def test_read_only_install_computes_without_disk_cache(tmp_path):
    """No writable cache dir anywhere (also as root: the cache paths lie under a regular file)."""
    pkg = tmp_path / "site" / "boostfocal"
    shutil.copytree(os.path.join(ROOT, "boostfocal"), pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for d in [pkg, *[p for p in pkg.rglob("*") if p.is_dir()]]:
        (d / "__pycache__").write_text("")  # a file: neither python nor numba can make the dir
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    for p in [pkg, *pkg.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(NUMBA_CACHE_DIR=str(blocker / "numba"), XDG_CACHE_HOME=str(blocker / "xdg"),
               HOME=str(blocker / "home"), PYTHONPATH=str(pkg.parent), PYTHONDONTWRITEBYTECODE="1")
    code = """
        import numpy as np, boostfocal
        g, h = boostfocal.FocalLoss(gamma=2.0).gradient_hessian(np.array([1.0]), np.array([0.0]))
        print(boostfocal.__file__, g[0], h[0])
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    path, g, h = out.stdout.split()
    assert path.startswith(str(pkg))
    want_g, want_h = NUMPY.gradient_hessian(np.array([0.0]), np.array([1.0]), 1.0, 1.0, 2.0, 1, 1e-12)
    assert float(g) == pytest.approx(want_g[0], rel=1e-15)  # -0.5^2 (0.5 + 2 * 0.5 ln 2)
    assert float(h) == pytest.approx(want_h[0], rel=1e-15)
    for p in [pkg, *pkg.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
