"""MulticlassFocalLoss on the core's thread machinery (issue #13's hardening, applied to #15's
kernels): large calls are cut into row chunks on boostfocal's own pool, never on numba's
threading layer, so a fork after a large call is safe; chunked results are bit-identical to the
serial loop; concurrent callers agree; a read-only install computes without a disk cache; CuPy-like
arrays are routed to the eager binding of the same formulas."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import boostfocal._numba_core as nk
import boostfocal.multiclass as mc
from boostfocal import MulticlassFocalLoss
from boostfocal._numba_core import PARALLEL_MIN_ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG = PARALLEL_MIN_ROWS + 1003  # the chunked path, with a ragged last chunk
K = 5
FL = MulticlassFocalLoss(gamma=[2.0, 0.5, 2.0, 3.0, 1.0], alpha=[0.5, 1.0, 2.0, 1.5, 1.0],
                         label_smoothing=0.05)


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(7)
    z = rng.normal(0, 3, (BIG, K))
    z[:5] *= 1e3  # saturated rows in the first chunk
    return z, rng.integers(0, K, BIG).astype(float), rng.uniform(0.5, 2.0, BIG)


@pytest.fixture
def chunks(monkeypatch):
    """Counts the chunks the thread machinery cuts (so a test cannot pass on the serial path)."""
    cut, rows = [], nk._rows
    monkeypatch.setattr(nk, "_rows", lambda *a: cut.append(a[3]) or rows(*a))
    return cut


def run_python(code, env=None, timeout=240):
    """Run ``code`` in a fresh interpreter with this checkout first on the path."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def outputs(fl, y, z, w):
    return [*fl.gradient_hessian(y, z, w, scale=-1.5), fl.loss(y, z, w),
            *fl.gradient_full_hessian(y, z, w), fl.posterior(z)]


def test_chunked_results_are_bit_identical_to_the_serial_loop(big, monkeypatch, chunks):
    z, y, w = big
    z32 = z.astype(np.float32)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "1")
    ref, ref32 = outputs(FL, y, z, w), outputs(FL, y, z32, w)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "3")
    # C and F order (LightGBM hands column-major scores), float64 and float32
    for zz, want in ((z, ref), (np.asfortranarray(z), ref), (z32, ref32),
                     (np.asfortranarray(z32), ref32)):
        for a, b in zip(outputs(FL, y, zz, w), want):
            np.testing.assert_array_equal(a, b)
    assert len(chunks) == 4 * 4 * 3  # 4 layouts x 4 loops x 3 threads
    ys = np.eye(K)[y.astype(int)] * 0.9 + 0.02  # soft label rows (n, K): cut by rows too
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "1")
    soft = FL.gradient_hessian(ys, z, w)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "4")
    for a, b in zip(FL.gradient_hessian(ys, z, w), soft):
        np.testing.assert_array_equal(a, b)
    # and the chunked values are the formulas' (numpy binding), not just self-consistent
    monkeypatch.setattr(mc, "_kernels", lambda: None)
    np.testing.assert_allclose(ref[0][::97], FL.gradient_hessian(y[::97], z[::97], w[::97],
                                                                 scale=-1.5)[0],
                               rtol=1e-12, atol=1e-300)


def test_per_class_vectors_are_never_cut_as_rows(monkeypatch, chunks):
    """As many classes as rows: alpha and gamma (K,) reach every chunk whole (a rule cutting
    every array of n values would hand the chunks the wrong classes' weights)."""
    rng = np.random.default_rng(3)
    n = k = 64
    fl = MulticlassFocalLoss(gamma=rng.uniform(0.0, 3.0, k), alpha=rng.uniform(0.5, 2.0, k))
    z, y, w = rng.normal(0, 2, (n, k)), rng.integers(0, k, n), rng.uniform(0.5, 2.0, n)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "1")
    ref = outputs(fl, y, z, w)
    monkeypatch.setattr(nk, "PARALLEL_MIN_ROWS", 16)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "3")  # chunks of 24, 24 and 16 rows
    for a, b in zip(outputs(fl, y, z, w), ref):
        np.testing.assert_array_equal(a, b)
    assert chunks[:3] == [0, 24, 48]


def test_calls_are_cut_by_scores_not_rows(monkeypatch, chunks):
    """n K >= PARALLEL_MIN_ROWS scores take the threads (a multiclass score costs about what a
    binary row does), fewer stay serial."""
    rng = np.random.default_rng(4)
    n = PARALLEL_MIN_ROWS // K + 8
    z, y = rng.normal(0, 2, (n, K)), rng.integers(0, K, n)
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "2")
    g, h = FL.gradient_hessian(y, z)
    assert len(chunks) == 2
    FL.gradient_hessian(y[:n - 16], z[:n - 16])
    assert len(chunks) == 2
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "1")
    for a, b in zip((g, h), FL.gradient_hessian(y, z)):
        np.testing.assert_array_equal(a, b)


def test_concurrent_threads_agree_with_the_serial_result(big, monkeypatch, chunks):
    z, y, w = big
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "1")
    ref = FL.gradient_hessian(y, z, w)
    ref_small = FL.gradient_hessian(y[:300], z[:300], w[:300])
    monkeypatch.setenv("BOOSTFOCAL_NUM_THREADS", "3")
    errors, results = [], {}

    def work(i):
        try:
            for _ in range(2):
                n = BIG if i % 2 else 300
                results[i] = FL.gradient_hessian(y[:n], z[:n], w[:n])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(results) == 8 and len(chunks) == 4 * 2 * 3
    for i, (g, h) in results.items():
        want = ref if i % 2 else ref_small
        np.testing.assert_array_equal(g, want[0])
        np.testing.assert_array_equal(h, want[1])


FORK_CODE = """
    import multiprocessing, os, sys, numpy as np, numba
    import boostfocal._numba_core as nk
    from boostfocal import MulticlassFocalLoss
    cut, rows = [], nk._rows
    nk._rows = lambda *a: cut.append(1) or rows(*a)
    fl = MulticlassFocalLoss(gamma=2.0, alpha=[0.5, 1, 2, 1.5, 1])
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, ({n}, 5)); y = rng.integers(0, 5, {n}).astype(float)

    def child_sum(_):
        g, h = fl.gradient_hessian(y, z)
        return float(g.sum() + h.sum() + fl.loss(y, z).sum() + fl.posterior(z)[:, 0].sum())

    parent = child_sum(0)  # large (chunked) calls before the fork
    pid = os.fork()
    if pid == 0:
        os._exit(0 if child_sum(0) == parent else 3)
    _, status = os.waitpid(pid, 0)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        sums = pool.map(child_sum, range(4))
    pools = [m for m in sys.modules if m.split(".")[-1] in ("omppool", "tbbpool", "workqueue")]
    print(len(cut) > 0, status, sums == [parent] * 4, numba.np.ufunc.parallel._is_initialized,
          pools)
"""


def test_fork_after_a_large_multiclass_call():
    out = run_python(FORK_CODE.format(n=BIG), timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    # the os.fork child exited 0, the Pool's children agree, numba's threading layer never loaded
    # (and the parent's calls were chunked)
    assert out.stdout.split() == ["True", "0", "True", "False", "[]"]


def test_read_only_install_computes_multiclass_without_disk_cache(tmp_path):
    """No writable cache dir anywhere (a small loss call: one in-memory compilation, the
    cheapest loop; every variant goes through the same ``_njit``)."""
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
    code = f"""
        import json, numpy as np, boostfocal
        rng = np.random.default_rng(1)
        z = rng.normal(0, 2, (40, 3)); y = rng.integers(0, 3, 40)
        loss = boostfocal.MulticlassFocalLoss(alpha=[1, 2, 3]).loss(y, z)
        print(json.dumps([boostfocal.__file__, loss.tolist()]))
    """
    try:
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                             capture_output=True, text=True, timeout=240, cwd=str(tmp_path))
    finally:
        for p in [pkg, *pkg.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert out.returncode == 0, out.stderr[-2000:]
    path, loss = json.loads(out.stdout.strip().splitlines()[-1])
    assert path.startswith(str(pkg))
    rng = np.random.default_rng(1)
    z, y = rng.normal(0, 2, (40, 3)), rng.integers(0, 3, 40)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    q = p[np.arange(40), y]
    want = np.array([1.0, 2.0, 3.0])[y] * (1 - q) ** 2 * -np.log(q)  # alpha_y (1 - p_y)^2 (-log p_y)
    np.testing.assert_allclose(loss, want, rtol=1e-13)
    np.testing.assert_array_equal(loss, MulticlassFocalLoss(alpha=[1, 2, 3]).loss(y, z))


# --- the CuPy route, exercised with a numpy-backed stand-in namespace ----------------------------
class _Device(np.ndarray):
    """An array that is not an np.ndarray by type, as a cupy.ndarray is not."""


class _FakeXP:
    """numpy under another name: the routing must treat it as a device namespace."""

    ndarray = np.ndarray
    __name__ = "fakexp"

    def __init__(self):
        self.calls = 0

    def __getattr__(self, name):
        return getattr(np, name)

    def asarray(self, a, dtype=None):
        self.calls += 1
        return np.asarray(a, dtype=dtype)

    def asnumpy(self, a):
        return np.asarray(a)


def test_device_arrays_take_the_eager_binding(monkeypatch):
    rng = np.random.default_rng(5)
    z = rng.normal(0, 4, (200, 4))
    z[:2] *= 1e3
    y, ys = rng.integers(0, 4, 200), rng.dirichlet(np.ones(4), 200)
    w = rng.uniform(0, 2, 200)
    fake = _FakeXP()
    real = mc.array_namespace
    monkeypatch.setattr(mc, "array_namespace", lambda x: fake if isinstance(x, _Device)
                        else real(x))
    zd = z.view(_Device)
    for fl in (FL.replace(gamma=[2.0, 0.5, 3.0, 1.0], alpha=[0.5, 1.0, 2.0, 1.5]),
               MulticlassFocalLoss(gamma=2.0, hessian="exact", label_smoothing=0.1),
               MulticlassFocalLoss(gamma=1.5, hessian="clipped")):
        for yy in (y, ys):
            want = [*fl.gradient_hessian(yy, z, w, scale=-1.0), fl.loss(yy, z, w),
                    *fl.gradient_full_hessian(yy, z, w), fl.posterior(z),
                    fl.mean_loss(yy, z, w), fl.init_score(yy, w)]
            calls = fake.calls
            got = [*fl.gradient_hessian(yy, zd, w, scale=-1.0), fl.loss(yy, zd, w),
                   *fl.gradient_full_hessian(yy, zd, w), fl.posterior(zd),
                   fl.mean_loss(yy, zd, w), fl.init_score(yy.view(_Device), w)]
            assert fake.calls > calls  # the device namespace did the work
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14 * np.max(np.abs(b)))
    g, h = np.empty((200, 4)), np.empty((200, 4))
    assert FL.replace(gamma=2.0, alpha=None).gradient_hessian(y, zd, out=(g, h))[0] is g
    with pytest.raises(ValueError, match="raw_score must be finite"):
        FL.replace(gamma=2.0, alpha=None).loss(y, np.full((3, 4), np.nan).view(_Device))
    with pytest.raises(ValueError, match="fakexp array of shape"):
        FL.replace(gamma=2.0, alpha=None).gradient_hessian(y, zd, out=(g[:5], h))


def test_eager_binding_without_numba_in_a_subprocess():
    """BOOSTFOCAL_NUMBA=0: the eager numpy binding; equal to the compiled loops to 1e-12."""
    code = """
        import json, numpy as np
        from boostfocal import MulticlassFocalLoss
        from boostfocal.multiclass import _kernels
        rng = np.random.default_rng(2)
        z = rng.normal(0, 3, (50, 3)); y = rng.integers(0, 3, 50)
        fl = MulticlassFocalLoss(gamma=[1.0, 2.0, 3.0], alpha=[1, 2, 0.5], hessian="exact")
        g, h = fl.gradient_hessian(y, z)
        print(json.dumps([_kernels() is None, g.tolist(), h.tolist(), fl.loss(y, z).tolist(),
                          fl.init_score(y).tolist()]))
    """
    out = run_python(code, env=dict(os.environ, BOOSTFOCAL_NUMBA="0"))
    assert out.returncode == 0, out.stderr[-2000:]
    off, g, h, loss, b = json.loads(out.stdout.strip().splitlines()[-1])
    assert off
    rng = np.random.default_rng(2)
    z, y = rng.normal(0, 3, (50, 3)), rng.integers(0, 3, 50)
    fl = MulticlassFocalLoss(gamma=[1.0, 2.0, 3.0], alpha=[1, 2, 0.5], hessian="exact")
    assert mc._kernels() is not None
    for a, want in zip((g, h, loss, b), (*fl.gradient_hessian(y, z), fl.loss(y, z),
                                         fl.init_score(y))):
        np.testing.assert_allclose(a, want, rtol=1e-12, atol=1e-15)
