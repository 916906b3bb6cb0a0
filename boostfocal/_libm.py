"""exp and log1p in plain arithmetic, for the numba loops.

A call to libm's ``exp``/``log1p`` inside a loop stops LLVM from vectorising it (pip's llvmlite
has no vector math library), and then every row costs two scalar calls plus ~60 scalar flops.
The same functions written as arithmetic let LLVM run 4 rows per AVX2 instruction: 1M rows of
focal gradient + hessian went from ~18 ms to ~6 ms on the 2-core machine (benchmarks/RESULTS.md).
Both are accurate to ~1 ulp on the domains ``_math`` calls them on (tests/test_libm.py):

``exp_nonpositive(x)``, x <= 0 (``_math`` calls exp only on -|z| and gamma * log p):
    Cody-Waite reduction x = k ln2 + r, |r| <= ln2 / 2, with k = round(x / ln2) taken from the
    low bits of x / ln2 + 1.5 * 2^52; exp(r) by its Taylor polynomial of degree 13 (truncation
    < 4e-18 relative); 2^k built from its bits. Below k = -1000 the scale is applied as
    2^(k + 500) * 2^-500 so that subnormal results round correctly; x is clamped at -760, where
    exp(x) is 0 in float64. A NaN argument gives exp(-760) = 0 (the loops flag NaN rows anyway).

``log1p_unit(e)``, 0 <= e <= 1 (``_math`` calls log1p only on exp(-|z|)):
    u = 1 + e rounds; its error c = (e - (u - 1)) / u is added back (u - 1 is exact). u in [1, 2]
    is m 2^k with k in {0, 1} and m in [1/sqrt 2, sqrt 2]; log m = log1p(f), f = m - 1 exact, by
    fdlibm's s = f / (2 + f) series (Lg1..Lg7, error < 2^-58.45).

All branches are selects between two finished values, so LLVM if-converts them.
"""
import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def _bits(typingctx, x):
    """The int64 holding float64 x's bits."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, k):
    """The float64 whose bits are int64 k."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


# Compilation flags for everything in the numba loops. error_model="numpy": a float division by
# zero gives inf instead of raising, so numba emits no check before each division (the checks
# alone stop LLVM from vectorising; no division here or in _math can have a zero divisor).
# fastmath={"contract"}: a * b + c may become one fused multiply-add (one rounding instead of
# two, never less accurate); nothing else of fast-math (no reassociation, no NaN/inf assumptions).
# With AVX2+FMA it takes the polynomials above from ~2.8 to ~1.6 ns per row.
FLAGS = dict(nogil=True, error_model="numpy", fastmath={"contract"})
_jit = numba.njit(**FLAGS)

_ROUND = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer, kept in the low bits
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 = _LN2_HI + _LN2_LO, _LN2_HI with 32 low bits zero
_LN2_LO = 1.90821492927058770002e-10
_TWO_M500 = 2.0**-500


@_jit
def exp_nonpositive(x):
    """exp(x) for x <= 0."""
    x = x if x > -760.0 else -760.0
    t = x * _LOG2E + _ROUND
    k = t - _ROUND
    r = (x - k * _LN2_HI) - k * _LN2_LO
    e = 1.0 / 6227020800.0  # 1/13!, then Horner down to 1 + r
    e = e * r + 1.0 / 479001600.0
    e = e * r + 1.0 / 39916800.0
    e = e * r + 1.0 / 3628800.0
    e = e * r + 1.0 / 362880.0
    e = e * r + 1.0 / 40320.0
    e = e * r + 1.0 / 5040.0
    e = e * r + 1.0 / 720.0
    e = e * r + 1.0 / 120.0
    e = e * r + 1.0 / 24.0
    e = e * r + 1.0 / 6.0
    e = e * r + 0.5
    e = e * r + 1.0
    e = e * r + 1.0
    low = k < -1000.0
    kb = _bits(t) - _bits(_ROUND) + (1523 if low else 1023)  # biased exponent of 2^k (or 2^(k+500))
    return e * _float(kb << 52) * (_TWO_M500 if low else 1.0)


_SQRT2 = 1.4142135623730951
_LG1, _LG2, _LG3, _LG4 = (6.666666666666735130e-01, 3.999999999940941908e-01,
                          2.857142874366239149e-01, 2.222219843214978396e-01)
_LG5, _LG6, _LG7 = 1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01


@_jit
def log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1."""
    u = 1.0 + e
    c = (e - (u - 1.0)) * (1.0 / u)  # 1 / (1 + e) is also p or q in _math.core: computed once
    big = u > _SQRT2
    f = (0.5 * u if big else u) - 1.0
    k = 1.0 if big else 0.0
    s = f / (2.0 + f)
    s2 = s * s
    s4 = s2 * s2
    r = s4 * (_LG2 + s4 * (_LG4 + s4 * _LG6)) + s2 * (_LG1 + s4 * (_LG3 + s4 * (_LG5 + s4 * _LG7)))
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + (k * _LN2_LO + c))) - f)
