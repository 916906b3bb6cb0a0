"""boostfocal._libm: exp and log1p as plain arithmetic, so that the numba loops vectorise."""
import re

import mpmath
import numpy as np
import pytest

numba = pytest.importorskip("numba")
from boostfocal import _libm, _numba_kernels  # noqa: E402

ULP = np.finfo(np.float64).eps


@numba.njit(error_model="numpy")
def _apply(f, x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = f(x[i])
    return out


def _relative_error(got, want):
    return np.abs(got - want) / np.abs(want)


def test_exp_nonpositive_to_one_ulp(rng):
    x = -np.concatenate([rng.uniform(0, 1, 10**5), rng.uniform(0, 50, 10**5),
                         rng.uniform(0, 708, 10**5), np.exp(-rng.uniform(0, 50, 10**4)),
                         [0.0, -0.0, 1e-300, 0.34657359027997264, 0.34657359027997276, 708.39]])
    got, want = _apply(_libm.exp_nonpositive, x), np.exp(x)
    assert _relative_error(got, want).max() <= 1.01 * ULP
    assert got[x == 0].tolist() == [1.0, 1.0]


def test_exp_nonpositive_subnormal_and_underflow(rng):
    x = -np.concatenate([rng.uniform(708, 746, 10**4), [745.13, 745.14, 760.0, 761.0, 1e4, 1e308,
                                                         np.inf, np.nan]])
    got = _apply(_libm.exp_nonpositive, x)
    want = np.nan_to_num(np.exp(x))  # NaN -> 0: the loops flag NaN rows; a value must not leak
    # subnormals carry fewer bits: within one ulp of the smallest subnormal plus 1 ulp relative
    assert (np.abs(got - want) <= 5e-324 + ULP * want).all()
    assert (got[-6:] == 0.0).all()


def test_log1p_unit_to_one_ulp(rng):
    e = np.concatenate([rng.uniform(0, 1, 10**5), np.exp(-rng.uniform(0, 740, 10**5)),
                        np.nextafter(np.sqrt(2) - 1, [0.0, 1.0]), [np.sqrt(2) - 1, 1.0, 5e-324]])
    got, want = _apply(_libm.log1p_unit, e), np.log1p(e)
    assert _relative_error(got, want).max() <= 1.01 * ULP
    assert _apply(_libm.log1p_unit, np.zeros(1))[0] == 0.0


def test_against_mpmath_at_the_reduction_boundaries():
    mpmath.mp.dps = 40
    for x in (-0.34657359027997264, -0.6931471805599453, -1.0397207708399179, -40.0, -700.0):
        got = _apply(_libm.exp_nonpositive, np.array([x]))[0]
        assert abs(got - float(mpmath.exp(x))) <= ULP * got
    for e in (0.41421356237309503, 0.41421356237309515, 1e-17, 0.5, 0.999999999):
        got = _apply(_libm.log1p_unit, np.array([e]))[0]
        assert abs(got - float(mpmath.log1p(e))) <= ULP * got


@pytest.mark.parametrize("gamma", [2.0, _numba_kernels.ANY_GAMMA])
def test_the_compiled_loop_is_vectorised_and_calls_no_libm(gamma):
    """The property the speed rests on (benchmarks/RESULTS.md): no exp/log call inside the
    gradient loop, and vector arithmetic on doubles (4 wide with AVX2, 2 with SSE2 or NEON)."""
    f = numba.njit(error_model="numpy")(_numba_kernels._gradient_hessian_loop(gamma, 1))
    n = 16
    grad, hess = np.empty(n), np.empty(n)
    f(np.linspace(-5, 5, n), np.zeros(n), np.ones(n), 0.0, 0.25, 0.75, 0.5, 1e-12, 1.0, grad, hess)
    ir = f.inspect_llvm(f.signatures[0])
    called = set(re.findall(r"call [^@]*@([\w.$]+)", ir))
    assert not [c for c in called if re.search(r"exp|log", c)], called
    assert re.search(r"<\d+ x double>", ir)
