"""The shared scikit-learn classifier: everything but the booster glue.

A subclass supplies ``_shared_names`` (the shared parameter names under the booster's own) and two
methods: ``_fit_booster`` (train from ``init_score_``, store ``self._booster``) and ``_raw_score``
(the raw score of the fitted booster, start included). Both serve the binary ``FocalLoss`` ((n,)
scores, labels 0/1) and, with three or more classes, ``MulticlassFocalLoss`` ((n, K) scores,
labels 0..K-1): the booster adapters pick the shapes from the loss's type.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .. import _validation as check
from ..loss import FocalLoss
from . import _multiclass

_INIT = ("optimal", "zero")
_PROBA = ("posterior", "sigmoid", "softmax")


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes")


class FocalClassifierBase(ClassifierMixin, BaseEstimator):
    """Classifier trained with the focal loss (see the subclasses for the booster).

    Two classes train the binary ``FocalLoss``; three or more (any label type) train
    ``MulticlassFocalLoss`` on K raw scores per row, ``p = softmax(z)``.

    Parameters
    ----------
    gamma, alpha, pos_weight, label_smoothing, hessian, min_hessian
        The focal loss, as in ``boostfocal.FocalLoss``, except that ``hessian`` defaults to
        "clipped" here (see ``init_score``). With K > 2 classes: ``gamma`` is one number or one
        per class, and ``alpha`` None or one weight per class, either as a sequence in
        ``classes_`` order or as a dict keyed by class label (``{"cat": 1.0, "dog": 3.0, ...}``);
        ``pos_weight`` is binary only.
    init_score : {"zero", "optimal"}, default "zero"
        Start boosting at 0 or at the constant minimising the focal loss (``FocalLoss.init_score``).
        The defaults hessian="clipped", init_score="zero" are the real-data study's best pair
        (benchmarks/quality/RESULTS.md): +0.0046 average precision on average over 36 dataset x
        booster x gamma cells against "expected" + "optimal", better in 22 of 24 cells on the two
        large datasets, for about 1.4x the rounds. Clipped hessians with the optimal start once
        collapsed (LightGBM, gamma 0.5); "expected" is the safe choice for any start.
    proba : {"posterior", "sigmoid", "softmax"}, default "posterior"
        ``predict_proba`` through the posterior the focal loss implies (``FocalLoss.posterior``,
        ``MulticlassFocalLoss.posterior``; calibrated) or through the boosters' own link of the
        raw score ("sigmoid" and "softmax" both mean it: the sigmoid for two classes, the softmax
        for more).
    n_estimators, learning_rate, max_depth, random_state, n_jobs
        The boosters' usual names; None leaves the booster's own default.
    early_stopping_rounds : int or None
        Stop when the focal loss on the last ``eval_set`` has not improved for this many rounds.
    **kwargs
        Any other parameter of the booster, passed through under its own name (as the boosters'
        sklearn wrappers do); visible to ``get_params`` / ``set_params`` / ``clone``.

    Attributes (after ``fit``): ``classes_`` (sorted), ``n_classes_``, ``init_score_`` (the start:
    a float, or K floats with K > 2 classes), ``n_estimators_`` (rounds
    trained), ``best_iteration_`` (0-based index of the best round under early stopping, for all
    three boosters; None without it, and predictions then use every round), ``booster_``.
    """

    def __init__(self, gamma=2.0, alpha=None, pos_weight=None, label_smoothing=0.0,
                 hessian="clipped", min_hessian=1e-12, init_score="zero", proba="posterior",
                 n_estimators=100, learning_rate=None, max_depth=None, random_state=None,
                 n_jobs=None, early_stopping_rounds=None, **kwargs):
        self.gamma = gamma
        self.alpha = alpha
        self.pos_weight = pos_weight
        self.label_smoothing = label_smoothing
        self.hessian = hessian
        self.min_hessian = min_hessian
        self.init_score = init_score
        self.proba = proba
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.early_stopping_rounds = early_stopping_rounds
        for key, value in kwargs.items():
            setattr(self, key, value)

    # -- parameters: the signature's plus any booster keyword given -----------------------------
    def _extra_params(self):
        names = set(self._get_param_names())
        return {k: v for k, v in vars(self).items()
                if k not in names and not k.startswith("_") and not k.endswith("_")}

    def get_params(self, deep=True):
        params = super().get_params(deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params):
        names = set(self._get_param_names())
        for key, value in params.items():
            if key in names or key in self._extra_params() or "__" not in key:
                setattr(self, key, value)
            else:
                raise ValueError(f"Invalid parameter {key!r} for estimator {self!r}")
        return self

    _shared_names: dict = {}  # shared parameter -> the booster's name for it

    def booster_params(self):
        """Keywords for the booster: the shared parameters that are set, under the booster's own
        names, then every keyword passed through."""
        params = {own: getattr(self, name) for name, own in self._shared_names.items()
                  if getattr(self, name) is not None}
        params.update(self._extra_params())
        return params

    # -- fit ----------------------------------------------------------------------------------
    def focal_loss(self, classes=None):
        """The loss these parameters describe for ``classes`` (default: the fitted ``classes_``,
        else two): ``FocalLoss`` for two classes, ``MulticlassFocalLoss`` for more, with
        per-class ``gamma`` / ``alpha`` put in ``classes`` order (validates them)."""
        if classes is None:
            classes = getattr(self, "classes_", (0, 1))
        if len(classes) <= 2:
            return FocalLoss(self.gamma, self.alpha, self.pos_weight, self.label_smoothing,
                             self.hessian, self.min_hessian)
        from ..multiclass import MulticlassFocalLoss

        if self.pos_weight is not None:
            raise ValueError(f"pos_weight={self.pos_weight!r} weighs the positive class of a "
                             f"binary problem, but y has {len(classes)} classes: pass alpha, one "
                             "weight per class (a sequence in classes_ order or a dict keyed by "
                             "class label)")
        return MulticlassFocalLoss(
            _multiclass.per_class("gamma", self.gamma, classes, scalar_ok=True),
            _multiclass.per_class("alpha", self.alpha, classes, scalar_ok=False),
            self.label_smoothing, self.hessian, self.min_hessian)

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_sample_weight=None,
            early_stopping_rounds=None):
        """Fit on targets of any label type: two classes train the binary focal loss
        (``classes_[1]`` is positive), three or more the multiclass one.

        ``eval_set`` is a list of ``(X, y)``; with ``early_stopping_rounds`` (here or in the
        constructor) training stops on the focal loss of the last one.
        """
        check.choice("init_score", self.init_score, _INIT)
        check.choice("proba", self.proba, _PROBA)
        rounds = early_stopping_rounds if early_stopping_rounds is not None \
            else self.early_stopping_rounds
        X, y = self._check_X_y(X, y)
        w = None if sample_weight is None else _check_sample_weight(sample_weight, X,
                                                                     dtype=np.float64)
        y01 = self._encode(y, fitting=True)
        evals = []
        for i, pair in enumerate(eval_set or ()):
            Xe, ye = pair
            we = None if eval_sample_weight is None else eval_sample_weight[i]
            Xe = self._check_X(Xe)
            evals.append((Xe, self._encode(ye), None if we is None else
                          _check_sample_weight(we, Xe, dtype=np.float64)))
        if rounds is not None and not evals:
            raise ValueError("early_stopping_rounds needs an eval_set to watch")
        loss = self.focal_loss(self.classes_)
        k = len(self.classes_)
        if self.init_score == "zero":
            self.init_score_ = 0.0 if k == 2 else np.zeros(k)
        else:  # the multiclass start from one-hot rows, which fix K = len(classes_)
            self.init_score_ = loss.init_score(y01 if k == 2 else np.eye(k)[y01.astype(np.intp)],
                                               w)
        self._fit_booster(X, y01, w, evals, rounds, loss)
        return self

    def _check_X_y(self, X, y):
        if _is_frame(X):
            validate_data(self, X, reset=True, skip_check_array=True)
            self._check_frame_dtypes(X)
            y = np.asarray(y)
        else:
            X, y = validate_data(self, X, y, accept_sparse=self._sparse, dtype=[np.float64,
                                 np.float32], ensure_all_finite="allow-nan", y_numeric=False)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}")
        return X, y

    def _check_X(self, X):
        if _is_frame(X):
            validate_data(self, X, reset=False, skip_check_array=True)
            self._check_frame_dtypes(X)
            return X
        return validate_data(self, X, reset=False, accept_sparse=self._sparse,
                             dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")

    @staticmethod
    def _check_frame_dtypes(X):
        bad = [c for c, t in X.dtypes.items() if t.kind not in "biuf" and str(t) != "category"]
        if bad:
            raise TypeError(f"X columns must be numeric, bool or pandas 'category'; got "
                            f"{[(c, str(X.dtypes[c])) for c in bad][:5]}")

    def _encode(self, y, fitting=False):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        check_classification_targets(y)
        if fitting:
            classes, codes = np.unique(y, return_inverse=True)
            if classes.size < 2:
                raise ValueError("y has one class only: a classifier needs two classes")
            self.classes_ = classes
            self.n_classes_ = int(classes.size)
            return codes.astype(np.float64)  # 0/1 for two classes, 0..K-1 for more
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"eval_set labels {unknown[:5]} are not among classes_ "
                             f"{self.classes_}")
        return np.searchsorted(self.classes_, y).astype(np.float64)

    # -- predict ------------------------------------------------------------------------------
    def decision_function(self, X):
        """Raw scores (margins), the start score included: (n,) for two classes, (n, K) for
        more (column k is ``classes_[k]``'s)."""
        check_is_fitted(self, "init_score_")
        return self._raw_score(self._check_X(X))

    def predict_proba(self, X):
        """(n, K) probabilities of ``classes_``: the focal posterior (``proba="posterior"``) or
        the boosters' link of the raw score (``proba="sigmoid"`` / ``"softmax"``)."""
        z = self.decision_function(X)
        loss = self.focal_loss()
        if self.proba != "posterior":
            # at gamma = 0 without class weights the focal posterior is exactly the link
            loss = FocalLoss(gamma=0.0) if len(self.classes_) == 2 else loss.replace(
                gamma=0.0, alpha=None, label_smoothing=0.0)
        return loss.predict_proba(z)

    def predict(self, X):
        """The class with the highest probability."""
        check_is_fitted(self, "init_score_")
        proba = self.predict_proba(X)
        if len(self.classes_) == 2:  # ties go to classes_[0], as before multiclass
            return self.classes_[(proba[:, 1] > 0.5).astype(int)]
        return self.classes_[np.argmax(proba, axis=1)]

    @property
    def booster_(self):
        """The fitted booster (its raw scores include the start score)."""
        check_is_fitted(self, "init_score_")
        return self._booster

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = bool(self._sparse)
        tags.classifier_tags.multi_class = True
        return tags

    _sparse = False
