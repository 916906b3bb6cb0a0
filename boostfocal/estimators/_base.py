"""The shared scikit-learn classifier: everything but the booster glue.

A subclass supplies ``_shared_names`` (the shared parameter names under the booster's own) and two
methods: ``_fit_booster`` (train from ``init_score_``, store ``self._booster``) and ``_raw_score``
(the raw score of the fitted booster, start included). Both serve the binary ``FocalLoss`` ((n,)
scores, labels 0/1) and, with three or more classes, ``MulticlassFocalLoss`` ((n, K) scores,
labels 0..K-1).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (_check_sample_weight, _check_y, check_is_fitted,
                                      validate_data)

from .. import _checks as check
from .. import _spec
from ..loss import FocalLoss
from . import _multiclass
from ._frames import FrameCategories, as_labels, as_pandas
from ._parameters import BoosterParameters, check_keyword

_INIT = ("optimal", "zero")
_PROBA = ("posterior", "sigmoid", "softmax")


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes")


class FocalClassifierBase(BoosterParameters, ClassifierMixin, BaseEstimator):
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
        ``pos_weight`` is binary only. The multiclass study (benchmarks/quality/
        RESULTS_multiclass.md) kept these defaults for K > 2 too.
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
    n_estimators : int >= 1 (integral floats such as 100.0 accepted)
    learning_rate, max_depth, random_state, n_jobs
        The boosters' usual names; None leaves the booster's own default. ``random_state`` is an
        int >= 0, ``n_jobs`` -1 or positive.
    early_stopping_rounds : int or None
        Stop when the focal loss on the last ``eval_set`` has not improved for this many rounds.
    **kwargs
        Any other parameter of the booster, passed through under its own name (as the boosters'
        sklearn wrappers do); visible to ``get_params`` / ``set_params`` / ``clone``.

    Attributes (after ``fit``): ``classes_`` (sorted), ``n_classes_``, ``loss_`` (the
    ``FocalLoss`` or ``MulticlassFocalLoss`` trained, which ``predict_proba`` uses),
    ``n_features_in_``, ``feature_names_in_`` (pandas input), ``init_score_`` (the start: a
    float, or K floats, centred, with K > 2 classes), ``n_estimators_`` (rounds the booster holds: ``best_iteration_
    + 1`` under early stopping, for all three), ``best_iteration_`` (0-based
    index of the best round under early stopping, for all three boosters; None without it),
    ``best_score_`` and ``evals_result_`` (in the booster's own form), ``booster_`` (its
    predictions are the estimator's ``decision_function``: under early stopping it holds the
    rounds up to ``best_iteration_`` or predicts with them by default, and it stores the loss so
    the booster module's ``predict_proba(booster, X)`` gives this ``predict_proba`` (with
    ``proba="posterior"``), also after saving it in the booster's own format) and
    ``feature_importances_`` (the booster's).
    """

    __init__ = _spec.make_init(_spec.ESTIMATOR, kwargs=True)

    def _init(self, values, kwargs):
        """scikit-learn's convention: store every parameter as given (``fit`` checks them)."""
        for key, value in values.items():
            setattr(self, key, value)
        for key, value in kwargs.items():
            check_keyword(key, TypeError)
            setattr(self, key, value)

    def focal_loss(self, classes=None):
        """The loss these parameters describe for ``classes`` (default: the fitted ``classes_``,
        else two): ``FocalLoss`` for two classes, ``MulticlassFocalLoss`` for more, with
        per-class ``gamma`` / ``alpha`` put in ``classes`` order (validates them)."""
        if classes is None:
            classes = getattr(self, "classes_", (0, 1))
        if len(classes) <= 2:
            return FocalLoss(**{name: getattr(self, name) for name in _spec.names(_spec.BINARY)})
        from ..multiclass import MulticlassFocalLoss

        if self.pos_weight is not None:
            raise ValueError(f"pos_weight={self.pos_weight!r} weighs the positive class of a "
                             f"binary problem, but y has {len(classes)} classes: pass alpha, one "
                             "weight per class (a sequence in classes_ order or a dict keyed by "
                             "class label)")
        shared = {name: getattr(self, name) for name in _spec.names(_spec.MULTICLASS)}
        return MulticlassFocalLoss(**{
            **shared, "gamma": _multiclass.per_class("gamma", self.gamma, classes, scalar_ok=True),
            "alpha": _multiclass.per_class("alpha", self.alpha, classes, scalar_ok=False)})

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_sample_weight=None,
            early_stopping_rounds=None):
        """Fit on targets of any label type: two classes train the binary focal loss
        (``classes_[1]`` is positive), three or more the multiclass one.

        ``X``: an array, a scipy sparse matrix, or a pandas frame (polars DataFrames and pyarrow
        Tables are read as the equivalent pandas frame), whose ``category``, ``str`` and
        text ``object`` columns are categorical with the categories fixed here (``_frames.py``).
        Soft labels (values in (0, 1)) are refused: they train through the native APIs.

        ``eval_set`` is a list of ``(X, y)``; with ``early_stopping_rounds`` (here or in the
        constructor) training stops on the focal loss of the last one.
        """
        check.choice("init_score", self.init_score, _INIT)
        check.choice("proba", self.proba, _PROBA)
        shared = self._checked_shared()
        rounds = shared["early_stopping_rounds"] if early_stopping_rounds is None else \
            check.integer("early_stopping_rounds", early_stopping_rounds, low=1)
        self._check_extra_params()
        X, y = self._check_X_y(X, y)
        w = None if sample_weight is None else _weights(as_labels(sample_weight), X)
        y01 = self._encode(y, fitting=True)
        evals = []
        for i, (Xe, ye, we) in enumerate(_eval_triples(eval_set, eval_sample_weight)):
            Xe = self._check_X(Xe)
            ye = _check_y(as_labels(ye), estimator=self)
            if len(ye) != Xe.shape[0]:
                raise ValueError(f"eval_set[{i}]: X has {Xe.shape[0]} rows but y has {len(ye)}")
            we = None if we is None else _weights(as_labels(we), Xe)
            evals.append((Xe, self._encode(ye), we))
        if rounds is not None and not evals:
            raise ValueError("early_stopping_rounds needs an eval_set to watch")
        loss = self.focal_loss(self.classes_)  # per-class gamma / alpha need classes_
        k = len(self.classes_)
        if self.init_score == "zero":
            self.init_score_ = 0.0 if k == 2 else np.zeros(k)
        else:  # the multiclass start from one-hot rows, which fix K = len(classes_)
            self.init_score_ = loss.init_score(y01 if k == 2 else np.eye(k)[y01.astype(np.intp)],
                                               w)
        self.loss_ = loss  # predictions use the loss the trees were trained with
        self._fit_booster(X, y01, w, evals, rounds, loss)
        return self

    def _check_X_y(self, X, y):
        X, y = as_pandas(X), as_labels(y)
        if _is_frame(X):
            validate_data(self, X, reset=True, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError("X has 0 rows: at least one row of each class is needed")
            self._frame = FrameCategories(X)  # also checks the column dtypes
            X = self._frame.apply(X, self._native_text)
            y = _check_y(y, estimator=self)
        else:
            self._frame = None
            X, y = validate_data(self, X, y, accept_sparse=self._sparse, dtype=[np.float64,
                                 np.float32], ensure_all_finite="allow-nan", y_numeric=False)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}")
        return X, y

    def _check_X(self, X):
        X = as_pandas(X)
        if _is_frame(X):
            if X.shape[0] == 0:
                raise ValueError("X has 0 rows")
            validate_data(self, X, reset=False, skip_check_array=True)
            frame = getattr(self, "_frame", None)
            if frame is None:  # fitted on an array: the frame's columns must be numbers
                frame = FrameCategories(X)
                if frame.columns:
                    raise TypeError(f"X has categorical columns {frame.columns[:5]}, but the "
                                    "estimator was fitted on an array without them")
            return frame.apply(X, self._native_text)
        return validate_data(self, X, reset=False, accept_sparse=self._sparse,
                             dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")

    def _encode(self, y, fitting=False):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if type_of_target(y) == "continuous":
            raise ValueError(
                "y is continuous (soft labels?): these estimators are classifiers and "
                "take class labels. Soft labels in [0, 1] train through the native API: "
                "boostfocal.xgboost.train, boostfocal.lightgbm.train or boostfocal.catboost.fit "
                "with a FocalObjective (or FocalLoss.gradient_hessian)")
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
        return self._proba(self.decision_function(X))

    def _proba(self, z):
        return self._proba_loss().predict_proba(z)

    def _proba_loss(self):
        """The loss whose ``predict_proba`` gives this ``predict_proba`` (also ONNX export's)."""
        # proba is read here (it does not change training), the loss is the fitted one
        proba = check.choice("proba", self.proba, _PROBA)
        fitted = getattr(self, "loss_", None) or self.focal_loss()  # None: pickled before loss_
        if proba != "posterior":
            # at gamma = 0 without class weights the focal posterior is exactly the link
            fitted = FocalLoss(gamma=0.0) if len(self.classes_) == 2 else fitted.replace(
                gamma=0.0, alpha=None, label_smoothing=0.0)
        return fitted

    def predict(self, X):
        """The class with the highest probability."""
        check_is_fitted(self, "init_score_")
        return self._label(self.predict_proba(X))

    def _label(self, proba):
        if len(self.classes_) == 2:  # ties go to classes_[0], as before multiclass
            return self.classes_[(proba[:, 1] > 0.5).astype(int)]
        return self.classes_[np.argmax(proba, axis=1)]

    def _booster_predict(self, X, **kwargs):
        """The fitted booster's own ``predict`` on checked ``X`` (raw scores, contributions...)."""
        check_is_fitted(self, "init_score_")
        return self._booster.predict(self._check_X(X), **kwargs)

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
    _native_text = False  # categorical columns as text (CatBoost) instead of pandas category


def _weights(sample_weight, X):
    """Sample weights as float64, one per row, finite and >= 0 (the boosters' own errors for a
    negative weight are a C++ stack trace or name no argument)."""
    return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)


def _eval_triples(eval_set, eval_sample_weight):
    """``(X, y, weight)`` per eval set, after checking that ``eval_set`` is a list of (X, y)
    pairs and ``eval_sample_weight`` (if given) has one entry per eval set."""
    if eval_set is None:
        if eval_sample_weight is not None:
            raise ValueError("eval_sample_weight is given without an eval_set")
        return []
    if isinstance(eval_set, tuple) and len(eval_set) == 2 and not isinstance(eval_set[0], tuple):
        raise TypeError("eval_set must be a list of (X, y) pairs: wrap the pair in a list, "
                        "eval_set=[(X_val, y_val)]")
    if not isinstance(eval_set, (list, tuple)):
        raise TypeError(f"eval_set must be a list of (X, y) pairs, got {type(eval_set).__name__}")
    for i, pair in enumerate(eval_set):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"eval_set[{i}] must be an (X, y) pair, got {type(pair).__name__}"
                            + (f" of length {len(pair)}" if hasattr(pair, "__len__") else ""))
    if eval_sample_weight is None:
        weights = [None] * len(eval_set)
    elif not isinstance(eval_sample_weight, (list, tuple)) or \
            len(eval_sample_weight) != len(eval_set):
        raise ValueError("eval_sample_weight must be a list with one weight array (or None) per "
                         f"eval_set entry: {len(eval_set)} eval sets, got "
                         f"{_describe(eval_sample_weight)}")
    else:
        weights = list(eval_sample_weight)
    return [(Xe, ye, we) for (Xe, ye), we in zip(eval_set, weights)]


def _describe(value):
    if isinstance(value, (list, tuple)):
        return f"{len(value)} entries"
    return f"a {type(value).__name__}"
