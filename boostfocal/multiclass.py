"""``MulticlassFocalLoss``: the K-class focal loss on softmax scores, the object the multiclass
booster adapters call (they only translate shapes)."""
from __future__ import annotations

import numpy as np

from . import _multiclass_math as _mm
from . import _multiclass_inputs as inputs
from . import _spec
from ._multiclass_constant import constant_start
from ._multiclass_inputs import class_frequencies
from . import _checks as check
from ._mean import weighted_mean
from ._value import ValueObject
from ._backends import array_namespace, multiclass_eager, numba_kernels


def _kernels():
    """The compiled multiclass loops, or None where the binary ones are off (no numba,
    BOOSTFOCAL_NUMBA=0)."""
    if numba_kernels() is None:
        return None
    from . import _multiclass_kernels

    return _multiclass_kernels


def _namespace(x):
    """numpy, or cupy for a CuPy array (one type check for a numpy array)."""
    return np if type(x) is np.ndarray else array_namespace(x)


_PARAMS = _spec.names(_spec.MULTICLASS)
SOFT_LABEL_TOL = _mm.SOFT_LABEL_TOL


class MulticlassFocalLoss(ValueObject):
    r"""K-class focal loss on raw scores z (n, K), p = softmax(z), with analytic derivatives.

    With labels as class indices y (n,) or probability rows Y (n, K) (soft labels: the loss is
    linear in them), smoothed to ytilde = y (1 - eps) + eps / K, and sample weights w (n,)::

        L = w sum_c ytilde_c alpha_c (1 - p_c)^gamma_c (-log p_c)

    Parameters
    ----------
    gamma : float >= 0 or sequence of K floats >= 0, default 2.0
        Focusing parameter, one for all classes or one per class (``focal-loss``'s
        ``sparse_categorical_focal_loss``: the true class's gamma applies). 0 is cross-entropy.
    alpha : None or sequence of K floats >= 0
        Class weights (Keras' per-class ``alpha``). None weighs every class 1.
    label_smoothing : float in [0, 1)
        ytilde = y (1 - eps) + eps / K (Keras). ``posterior`` undoes it.
    hessian : {"expected", "exact", "clipped"}, default "expected"
        As for the binary ``FocalLoss``. "exact": the true second derivative (the diagonal for
        ``gradient_hessian``), indefinite once the true class's p falls below ~0.13. "expected":
        the hessian averaged over labels drawn from the posterior ``eta(z)``; positive
        semi-definite. "clipped": the exact diagonal floored at ``min_hessian`` (its full matrix
        keeps only the positive curvature terms). At gamma = 0 without alpha every mode is
        p_j (1 - p_j) (the softmax cross-entropy's diagonal).
    min_hessian : float >= 0, default 1e-12
        Floor of the hessian diagonal (before the sample weight) in the two safe modes.

    The number of classes K is that of ``alpha`` / a per-class ``gamma`` when given, else the
    scores' second dimension. Results are float64; every output is finite for every finite z.
    numpy arrays run in compiled loops (large calls on a small thread pool); CuPy arrays on the
    GPU, by the CuPy binding of the same formulas, with results on the device.
    The formulas are in ``boostfocal._multiclass_math``.
    """

    __slots__ = _PARAMS + ("_mode", "_k")
    _PARAMS = _PARAMS
    _SPEC = _spec.MULTICLASS

    __init__ = _spec.make_init(_spec.MULTICLASS)

    def _init(self, values):
        values = _spec.checked(_spec.MULTICLASS, values)
        sizes = {name: len(v) for name, v in values.items()
                 if name in ("gamma", "alpha") and isinstance(v, tuple)}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"alpha and gamma give different numbers of classes: {sizes}")
        k = next(iter(sizes.values()), None)
        for name, value in zip(_PARAMS + ("_mode", "_k"),
                               (*values.values(), _mm.MODES[values["hessian"]], k)):
            object.__setattr__(self, name, value)

    @property
    def mode(self):
        """The hessian mode's code (``_math.MODES[hessian]``), as the compiled kernels take it."""
        return self._mode

    # -- the family interface the booster adapters use -----------------------------------------
    family = "multiclass"

    def check_scores(self, raw_score, who):
        """``raw_score`` if it holds one column per class (K >= 2), else the error pointing at
        the binary objects (the booster was set up for the other family)."""
        if getattr(raw_score, "ndim", 0) != 2 or raw_score.shape[1] < 2:
            raise check.wrong_family(who, "multiclass",
                                     f"raw scores of shape {getattr(raw_score, 'shape', None)}")
        return raw_score

    @staticmethod
    def check_labels(y, sample_weight=None, num_class=None):
        """Class-index labels (as the boosters store them) and weights checked: their weighted
        class frequencies (K,)."""
        return class_frequencies(y, sample_weight, num_class)

    def start(self, y, sample_weight=None, num_class=None):
        """The focal-optimal constant vector (K,): ``init_score`` of the weighted class
        frequencies of class-index labels (numpy, or dask collections reduced on the cluster)."""
        if self._k is not None and num_class is not None and int(num_class) != self._k:
            raise ValueError(f"num_class = {num_class} but the loss's alpha / gamma give K = "
                             f"{self._k} classes: make them agree")
        if hasattr(y, "__dask_graph__"):
            from . import _dask

            check.dask_numeric(y)
            freq = _dask.class_frequencies(y, sample_weight, num_class)
        else:
            freq = class_frequencies(y, sample_weight, num_class)
        return np.asarray(self.init_score(freq[None, :]), dtype=np.float64)

    @staticmethod
    def start_rows(start, n):
        """The constant start as per-row init scores (n, K)."""
        return np.tile(np.asarray(start, dtype=np.float64), (n, 1))

    @property
    def n_classes(self):
        """K fixed by ``alpha`` or a per-class ``gamma``; None if any K is accepted."""
        return self._k

    # -- per-class parameter vectors --------------------------------------------------------
    def vectors(self, k):
        """(alpha (K,), gamma (K,), G): G the common gamma or ANY_GAMMA."""
        alpha = np.ones(k) if self.alpha is None else np.array(self.alpha)
        if isinstance(self.gamma, tuple):
            gamma = np.array(self.gamma)
            g = gamma[0] if np.all(gamma == gamma[0]) else _mm.ANY_GAMMA
        else:
            gamma, g = np.full(k, self.gamma), self.gamma
        return alpha, gamma, float(g)

    # -- inputs --------------------------------------------------------------------------------
    def _inputs(self, y_true, raw_score, sample_weight, hot=False):
        """(kernels or None, xp, z, y, w). numpy scores go to the compiled loops, for which only
        shapes, dtypes and byte order are checked here (O(1) besides conversions): the loops check
        every value they read. Only the hot path (``hot``: gradient_hessian, every round) reads
        float32 and column-major scores as they are; the others take C-ordered float64 (fewer
        compiled variants). CuPy scores (or no numba) take the eager binding of the same formulas
        on ``xp`` (``_backends.multiclass_eager``), values checked first."""
        xp = _namespace(raw_score)
        k = _kernels() if xp is np else None
        z = inputs.scores(raw_score, self._k, xp)
        n, K = z.shape
        if k is not None:
            if not hot:
                z = np.ascontiguousarray(z, dtype=np.float64)
            elif not (z.flags.c_contiguous or z.flags.f_contiguous):
                z = np.ascontiguousarray(z)
            w = inputs.weights(sample_weight, n, check_values=False)
            # always an array: one compiled variant fewer per loop (1M rows: ~1 ms)
            return k, xp, z, inputs.label_array(y_true, n, K), np.ones(n) if w is None else w
        inputs.finite(z, xp)
        return (None, xp, z, inputs.labels(y_true, n, K, xp),
                inputs.weights(sample_weight, n, xp=xp))

    def _bad_input(self, y_true, raw_score, sample_weight):
        """A compiled loop met a bad value: the numpy checks name it."""
        z = inputs.scores(raw_score, self._k)
        inputs.finite(z)
        inputs.labels(y_true, *z.shape)
        inputs.weights(sample_weight, z.shape[0])
        raise ValueError("raw_score, y_true or sample_weight holds a value out of range")

    # -- the loss ------------------------------------------------------------------------------
    def loss(self, y_true, raw_score, sample_weight=None):
        """Per-row loss, weighted by ``sample_weight`` (float64, shape (n,))."""
        kern, xp, z, y, w = self._inputs(y_true, raw_score, sample_weight)
        n, k = z.shape
        alpha, gamma, g = self.vectors(k)
        if kern is not None:
            out = np.empty(n)
            if kern.loss(z, y, w, alpha, gamma, g, self.label_smoothing, out):
                self._bad_input(y_true, raw_score, sample_weight)
            return out
        out = multiclass_eager(xp).loss(z.astype(xp.float64).T, y.T, k, alpha, gamma,
                                        _mm.ANY_GAMMA, self.label_smoothing, xp.empty((k, n)))
        out = xp.asarray(out, dtype=xp.float64) * xp.ones(n)
        return out if w is None else out * w

    def mean_loss(self, y_true, raw_score, sample_weight=None):
        """Weighted mean loss sum(w L) / sum(w)."""
        per_row = self.loss(y_true, raw_score, sample_weight)
        xp = np if type(per_row) is np.ndarray else array_namespace(per_row)
        return weighted_mean(per_row, sample_weight,
                             lambda: self.loss(y_true, raw_score), xp)

    def gradient_hessian(self, y_true, raw_score, sample_weight=None, *, out=None, scale=1.0,
                         hessian_scale=1.0):
        """Gradient and hessian diagonal (by ``hessian`` mode) with respect to ``raw_score``.

        Returns ``(grad, hess)``, float64 C-contiguous (n, K), multiplied by ``sample_weight`` and
        ``scale``, the hessian also by ``hessian_scale`` (in the same pass). ``out`` = (grad,
        hess): two writable float64 (n, K) arrays to fill instead (C or F order); they are
        returned.
        """
        if type(scale) is not float or not -check.MAX <= scale <= check.MAX:  # NaN fails too
            scale = check.real("scale", scale)
        kern, xp, z, y, w = self._inputs(y_true, raw_score, sample_weight, hot=True)
        n, k = z.shape
        grad, hess = inputs.outputs(out, n, k, z, xp)
        if out is not None and xp is np:
            check.no_alias(out, y_true=y, sample_weight=w)
        alpha, gamma, g = self.vectors(k)
        if kern is not None:
            if kern.gradient_hessian(z, y, w, alpha, gamma, g, self.label_smoothing, self._mode,
                                     self.min_hessian, float(scale), grad, hess,
                                     float(hessian_scale)):
                self._bad_input(y_true, raw_score, sample_weight)
            return grad, hess
        ws = float(scale) if w is None else w * float(scale)
        multiclass_eager(xp).gradient_hessian(
            z.astype(xp.float64).T, y.T, k, alpha, gamma, _mm.ANY_GAMMA, self.label_smoothing,
            self._mode, self.min_hessian, ws, grad.T, hess.T, xp.empty((k, n)))
        if hessian_scale != 1.0:
            hess *= float(hessian_scale)
        return grad, hess

    def gradient_full_hessian(self, y_true, raw_score, sample_weight=None, *, scale=1.0):
        """Gradient (n, K) and full hessian (n, K, K) (CatBoost's Newton step), float64,
        multiplied by ``sample_weight`` and ``scale`` (finite).

        "exact": the true second derivative, indefinite for confidently wrong rows; "expected"
        and "clipped": positive semi-definite, diagonal floored at ``min_hessian`` (see
        ``_multiclass_math``).
        """
        if type(scale) is not float or not -check.MAX <= scale <= check.MAX:
            scale = check.real("scale", scale)
        kern, xp, z, y, w = self._inputs(y_true, raw_score, sample_weight)
        n, k = z.shape
        alpha, gamma, g = self.vectors(k)
        grad, hess = xp.empty((n, k)), xp.empty((n, k, k))
        if kern is not None:
            if kern.gradient_full_hessian(z, y, w, alpha, gamma, g, self.label_smoothing,
                                          self._mode, self.min_hessian, float(scale), grad, hess):
                self._bad_input(y_true, raw_score, sample_weight)
            return grad, hess
        ws = float(scale) if w is None else w * float(scale)
        multiclass_eager(xp).gradient_full_hessian(
            z.astype(xp.float64).T, y.T, k, alpha, gamma, _mm.ANY_GAMMA, self.label_smoothing,
            self._mode, self.min_hessian, ws, grad.T, hess.transpose(1, 2, 0), xp.empty((k, n)),
            xp.empty((k, n)), xp.empty((k, n)))
        return grad, hess

    # -- link, posterior and the optimal constant -------------------------------------------
    def posterior(self, raw_score):
        """Class probabilities (n, K) implied by the loss: eta_c proportional to p_c / F_c(p_c),
        label smoothing undone (clipped at 0 and renormalised). softmax(z) at gamma = 0
        without alpha."""
        xp = _namespace(raw_score)
        z = inputs.scores(raw_score, self._k, xp)
        n, k = z.shape
        alpha, gamma, g = self.vectors(k)
        eta = xp.empty((n, k))
        kern = _kernels() if xp is np else None
        if kern is not None:
            z = np.ascontiguousarray(z, dtype=np.float64)
            if kern.posterior(z, alpha, gamma, g, eta):
                inputs.finite(z)
            return self._unsmooth(eta)
        inputs.finite(z, xp)
        multiclass_eager(xp).posterior(z.astype(xp.float64).T, k, alpha, gamma, _mm.ANY_GAMMA,
                                       eta.T, eta.T)
        return self._unsmooth(eta, xp)

    def _unsmooth(self, eta, xp=np):
        eps = self.label_smoothing
        if eps:
            k = eta.shape[1]
            eta = xp.maximum((eta - eps / k) / (1.0 - eps), 0.0)
            eta /= eta.sum(axis=1, keepdims=True)
        return eta

    def predict_proba(self, raw_score):
        """The same as ``posterior``."""
        return self.posterior(raw_score)

    def init_score(self, y_true, sample_weight=None):
        """The constant score vector b (K,) minimising the weighted mean loss, centred: sum(b) = 0
        (the loss is unchanged by adding a constant to every class).

        K is that of ``alpha``/a per-class ``gamma``, or of label rows, or else max(y) + 1 for
        class indices. The minimiser of sum_c alpha_c ytilde_c (1 - p_c)^gamma_c (-log p_c),
        p = softmax(b), is unique; found by bisections (``_multiclass_constant``), then checked
        (the mean loss's exact gradient is zero to rounding, else RuntimeError). At gamma = 0:
        p_c proportional to alpha_c ytilde_c.
        """
        xp = _namespace(y_true)
        ybar = inputs.mean_label_row(y_true, sample_weight, self._k, xp)
        alpha, gamma, _ = self.vectors(ybar.shape[1])
        b = constant_start(ybar, alpha, gamma, self.label_smoothing)
        self._check_minimum(ybar, b)
        return b if xp is np else xp.asarray(b)

    def _check_minimum(self, ybar, b):
        """Raise unless the exact gradient of the loss at b vanishes to rounding."""
        exact = self.replace(hessian="exact")
        f = exact.loss(ybar, b[None])[0]
        grad, _ = exact.gradient_hessian(ybar, b[None])
        # each gradient entry is a difference of terms no larger than the loss's scale
        alpha, _, _ = self.vectors(b.shape[0])
        scale = max(f, float(np.max(alpha)) * np.finfo(np.float64).tiny)
        if not (np.isfinite(f) and np.all(np.abs(grad) <= 1e-7 * scale)):
            raise RuntimeError(f"init_score did not converge (loss {f!r}, gradient "
                               f"{np.max(np.abs(grad))!r}); please report this with the labels' "
                               "class shares and the loss's parameters")
