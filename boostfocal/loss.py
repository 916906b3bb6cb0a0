"""``FocalLoss``: the one object every booster adapter and estimator calls."""
from __future__ import annotations

import os

import numpy as np

from . import _math, _spec
from . import _checks as check
from ._mean import weighted_mean
from ._value import ValueObject
from ._backends import NUMPY, array_namespace, eager, fused_gradient_hessian, numba_kernels



def _vector(a, n=None):
    """A non-empty 1-D float32/float64 numpy array (of n rows): what the numba loops read."""
    return (type(a) is np.ndarray and a.ndim == 1 and a.dtype.char in "fd" and a.dtype.isnative
            and a.shape[0] > 0 and (n is None or a.shape[0] == n))


_FUSE = os.environ.get("BOOSTFOCAL_CUPY_FUSE", "1") != "0"  # CuPy: fused kernel (else eager)
_PARAMS = _spec.names(_spec.BINARY)


class FocalLoss(ValueObject):
    r"""Binary focal loss on the raw score (logit) z, with analytic gradient and hessian.

    With p = sigmoid(z), q = 1 - p and branch weights a (positives) and b (negatives)::

        L(y, z) = w * [ y * (-a q^gamma log p) + (1 - y) * (-b p^gamma log q) ]

    Parameters
    ----------
    gamma : float in [0, 100], default 2.0
        Focusing parameter. 0 gives (weighted) log-loss. Above 100 float64 underflows (the loss
        at z = 0 is 2^-gamma ln 2) and the hessian's gamma^2 terms overflow, so it is refused.
    alpha : float in [0, 1] or None
        Class balancing as in Lin et al. and Keras ``apply_class_balancing``: a = alpha, b = 1 - alpha.
    pos_weight : float > 0 or None
        Positive-class weight as in the ``focal-loss`` package: a = pos_weight, b = 1.
        ``alpha`` and ``pos_weight`` are exclusive; with neither, a = b = 1.
    label_smoothing : float in [0, 1)
        Labels become y (1 - eps) + eps / 2 (Keras and ``focal-loss`` semantics). ``posterior``
        undoes it.
    hessian : {"expected", "exact", "clipped"}, default "expected"
        "exact" is the true second derivative y H1 + (1 - y) H0, which is negative for confidently
        wrong rows (gamma = 2, y = 1: p < 0.0578) and makes Newton boosters take wild steps.
        "expected" (Fisher scoring) averages the two branches with the posterior eta(z) that the
        score implies: eta H1 + (1 - eta) H0 > 0 everywhere; it equals the exact hessian when
        gamma = 0 and the classes are not weighted. "clipped" is max(exact, min_hessian). The
        real-data study (benchmarks/quality) kept "expected" as FocalLoss's default, safe from any
        start: "clipped" from the focal-optimal start collapsed once (LightGBM, lambda_l2 = 0,
        gamma = 0.5). From a zero start "clipped" was best, so the estimators default to that pair.
    min_hessian : float >= 0, default 1e-12
        Floor applied per row (before the sample weight) in the "expected" and "clipped" modes.

    Every output is finite for every finite z, in float32 or float64 input; results are float64.
    The formulas and their derivation are in ``boostfocal._math``.
    """

    __slots__ = _PARAMS + ("a", "b", "_mode")
    _PARAMS = _PARAMS
    _SPEC = _spec.BINARY

    __init__ = _spec.make_init(_spec.BINARY)

    def _init(self, values):
        values = _spec.checked(_spec.BINARY, values)
        alpha, pos_weight = values["alpha"], values["pos_weight"]
        if alpha is not None and pos_weight is not None:
            raise ValueError("give alpha (Keras / Lin et al. balancing) or pos_weight (focal-loss "
                             "package), not both")
        if alpha is not None:
            a, b = alpha, 1.0 - alpha
        elif pos_weight is not None:
            a, b = pos_weight, 1.0
        else:
            a, b = 1.0, 1.0
        values.update(a=a, b=b, _mode=_math.MODES[values["hessian"]])
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def mode(self):
        """The hessian mode's code (``_math.MODES[hessian]``), as the compiled kernels take it."""
        return self._mode

    # -- the family interface the booster adapters use -----------------------------------------
    family = "binary"

    @staticmethod
    def check_scores(raw_score, who):
        """``raw_score`` if it holds one score per row, else the error pointing at the
        multiclass objects (the booster was set up with num_class > 1)."""
        if getattr(raw_score, "ndim", 1) == 2 and raw_score.shape[1] != 1:
            raise check.wrong_family(who, "binary", f"raw scores of shape {raw_score.shape} "
                                     "(num_class > 1)")
        return raw_score

    @staticmethod
    def check_labels(y, sample_weight=None, num_class=None):
        """Labels in [0, 1] and weights checked: (y, w) as float64."""
        return check.target(y, sample_weight, None)

    def start(self, y, sample_weight=None, num_class=None):
        """The focal-optimal constant: ``init_score`` (numpy), or that of the weighted mean label
        of dask collections reduced on the cluster."""
        if hasattr(y, "__dask_graph__"):
            from . import _dask

            y, sample_weight = np.array([_dask.mean_label(y, sample_weight)]), None
        return self.init_score(y, sample_weight)

    @staticmethod
    def start_rows(start, n):
        """The constant start as per-row init scores (n,)."""
        return np.full(n, float(start))

    # -- the loss -----------------------------------------------------------------------------
    # Inputs may be numpy arrays (the compiled numba loop; the eager numpy binding without numba)
    # or CuPy arrays (one fused CuPy kernel, on the GPU). Results live where the inputs did.
    # numpy vectors that numba can read as they are go straight to the loop, which checks their
    # values as it reads them; anything else is converted and checked by _checks first.
    def loss(self, y_true, raw_score, sample_weight=None):
        """Per-row loss L(y, z), weighted by ``sample_weight`` (float64, shape (n,))."""
        k, z, y, w = self._prepared(y_true, raw_score, sample_weight, True)
        if k is None:
            xp = array_namespace(z)
            out = eager(xp).loss(z.astype(xp.float64), self._smooth(y), self.a, self.b, self.gamma)
            return out if w is None else out * w
        out = np.empty(z.shape[0])
        if k.loss(z, y, w, self.label_smoothing, self.a, self.b, self.gamma, out):
            self._bad_input(y_true, raw_score, sample_weight)
        return out

    def mean_loss(self, y_true, raw_score, sample_weight=None):
        """Weighted mean loss sum(w L) / sum(w): the eval metric (lower is better)."""
        per_row = self.loss(y_true, raw_score, sample_weight)
        xp = np if type(per_row) is np.ndarray else array_namespace(per_row)
        return weighted_mean(per_row, sample_weight,
                             lambda: self.loss(y_true, raw_score), xp)

    def gradient_hessian(self, y_true, raw_score, sample_weight=None, *, check_input=True,
                         out=None, scale=1.0):
        """Gradient and hessian of the per-row loss with respect to ``raw_score``.

        Returns ``(grad, hess)``, float64 of shape (n,), already multiplied by ``sample_weight``
        (and by ``scale``, finite: CatBoost, which maximises, asks for -1). ``out`` receives the
        result instead: a pair of writable float32/float64 arrays of shape (n,) (strided views
        allowed, not overlapping) or one (n, 2) array with the gradient in column 0 and the
        hessian in column 1; it is returned. ``check_input=False`` lets CuPy callers skip the
        label and weight *value* checks (they checked once, before training); shapes, lengths and
        dtypes are always checked, and numpy inputs have their values checked inside the compiled
        loop anyway, with no extra pass.
        """
        if type(scale) is not float or not -check.MAX <= scale <= check.MAX:  # NaN fails too
            scale = check.real("scale", scale)
        k, z, y, w = self._prepared(y_true, raw_score, sample_weight, check_input)
        n = z.shape[0]
        if k is not None:
            if out is None:
                grad, hess = np.empty(n), np.empty(n)
            elif (type(out) is np.ndarray and out.shape == (n, 2) and out.dtype.char in "fd"
                  and out.dtype.isnative and out.flags.writeable and out.flags.c_contiguous):
                grad, hess = out.reshape(-1), None  # the loop writes the rows through a flat view
            else:
                grad, hess = check.out(out, n)
            check.no_alias((grad,) if hess is None else (grad, hess), raw_score=z, y_true=y,
                           sample_weight=w)
            if k.gradient_hessian(z, y, w, self.label_smoothing, self.a, self.b, self.gamma,
                                  self._mode, self.min_hessian, float(scale), grad, hess):
                self._bad_input(y_true, raw_score, sample_weight)
            return (grad, hess) if out is None else out
        xp = array_namespace(z)
        if xp is not np and _FUSE:  # CuPy: one fused kernel
            f = fused_gradient_hessian(xp, self.a, self.b, self.gamma, self._mode,
                                       self.min_hessian, self.label_smoothing, w is not None)
            z = z.astype(xp.float64)
            grad, hess = f(z, y) if w is None else f(z, y, w)
        else:
            grad, hess = eager(xp).gradient_hessian(z.astype(xp.float64), self._smooth(y), self.a,
                                                    self.b, self.gamma, self._mode,
                                                    self.min_hessian)
            if w is not None:
                grad, hess = grad * w, hess * w
        if scale != 1.0:
            grad, hess = grad * scale, hess * scale
        if out is None:
            return grad, hess
        pair = check.out(out, n, xp)
        pair[0][...], pair[1][...] = grad, hess
        return out

    # -- link, posterior and the optimal constant -------------------------------------------
    def posterior(self, raw_score):
        """P(y = 1 | z) implied by the loss: eta(z) = G0 / (G0 - G1), label smoothing undone.

        eta is the positive rate at which z minimises the expected focal loss, so it is the
        calibrated probability of a focal-trained score (sigmoid(z) is not, once gamma > 0 or the
        classes are weighted). For gamma = 0 and no class weights it is exactly sigmoid(z).
        """
        xp = array_namespace(raw_score)
        k = numba_kernels() if xp is np else None
        z = raw_score if k is not None and _vector(raw_score) else check.raw_score(raw_score, xp)
        if k is None:
            eta = eager(xp).posterior(z.astype(xp.float64), self.a, self.b, self.gamma)
        else:
            eta = np.empty(z.shape[0])
            if k.posterior(z, self.a, self.b, self.gamma, eta):
                check.raw_score(raw_score)  # raises, naming the problem
        eps = self.label_smoothing
        if eps:
            eta = xp.clip(NUMPY.unsmooth(eta, eps), 0.0, 1.0)
        return eta

    def predict_proba(self, raw_score):
        """Class probabilities [[P(y=0), P(y=1)], ...] from ``posterior`` (shape (n, 2))."""
        eta = self.posterior(raw_score)
        return array_namespace(eta).stack([1.0 - eta, eta], axis=1)

    def init_score(self, y_true, sample_weight=None):
        """The constant raw score minimising the weighted mean loss.

        The mean gradient at a constant c is  ybar G1(c) + (1 - ybar) G0(c)  with ybar the weighted
        mean (smoothed) label; it rises from -ybar a to (1 - ybar) b, so its single root is found by
        bracketing and Brent's method. It is not logit(ybar) once gamma > 0 or classes are weighted.
        A one-class target is clipped to ybar in [eps, 1 - eps] (as scikit-learn does), so the
        result stays finite.
        """
        from scipy.optimize import brentq

        xp = array_namespace(y_true)
        y, w = check.target(y_true, sample_weight, None, xp)
        if w is None:
            ybar = float(y.mean())
        else:
            total = float(w.sum())
            if total <= 0.0:
                raise check.zero_weights(check.NO_CONSTANT)
            ybar = float((w * y).sum()) / total
        tiny = np.finfo(np.float64).eps
        ybar = min(max(ybar, tiny), 1.0 - tiny)
        ys = np.array([ybar])

        def mean_gradient(c):
            grad, _ = NUMPY.gradient_hessian(np.array([c]), self._smooth(ys), self.a, self.b,
                                             self.gamma, _math.EXACT, 0.0)
            return float(grad[0])

        lo, hi = -1.0, 1.0
        while mean_gradient(lo) > 0.0 and lo > -1e4:
            lo *= 2.0
        while mean_gradient(hi) < 0.0 and hi < 1e4:
            hi *= 2.0
        f_lo, f_hi = mean_gradient(lo), mean_gradient(hi)
        if f_lo > 0.0 or f_hi < 0.0:  # alpha in {0, 1}: one class carries no loss, no interior root
            return lo if f_lo > 0.0 else hi
        return float(brentq(mean_gradient, lo, hi, xtol=1e-14, rtol=4 * tiny, maxiter=500))

    @staticmethod
    def _prepared(y_true, raw_score, sample_weight, check_input):
        """(numba kernels or None, z, y, w) as the computation takes them."""
        k = numba_kernels()
        if (k is not None and _vector(raw_score) and _vector(y_true, raw_score.shape[0])
                and (sample_weight is None or _vector(sample_weight, raw_score.shape[0]))):
            return k, raw_score, y_true, sample_weight  # values are checked inside the loop
        xp, z, y, w = FocalLoss._inputs(y_true, raw_score, sample_weight, check_input)
        return (k if xp is np else None), z, y, w  # converted: native, contiguous, n rows each

    @staticmethod
    def _bad_input(y_true, raw_score, sample_weight):
        """The compiled loop met a bad value: let the numpy checks name it."""
        FocalLoss._inputs(y_true, raw_score, sample_weight, True)
        raise ValueError("raw_score, y_true or sample_weight holds a value out of range")

    @staticmethod
    def _inputs(y_true, raw_score, sample_weight, check_input):
        xp = array_namespace(raw_score)
        z = check.raw_score(raw_score, xp)
        return (xp, z) + check.target(y_true, sample_weight, z.shape[0], xp, values=check_input)

    def _smooth(self, y):
        return NUMPY.smooth(y, self.label_smoothing) if self.label_smoothing else y
