"""``FocalXGBClassifier``: XGBoost glue for the shared focal classifier."""
from __future__ import annotations

import json

import numpy as np
import xgboost as xgb
from sklearn.utils.validation import check_is_fitted

from ..xgboost import train
from ..xgboost._facts import FACTS
from ._base import FocalClassifierBase


class FocalXGBClassifier(FocalClassifierBase):
    """XGBoost classifier trained with the focal loss (native ``xgb.train`` underneath).

    Parameters are ``FocalClassifierBase``'s; any other keyword is an XGBoost parameter
    (``reg_lambda``, ``min_child_weight``, ``tree_method``, ``device="cuda"``, ...).
    ``scale_pos_weight`` is rejected: XGBoost ignores it with a custom objective; use
    ``pos_weight``. A keyword XGBoost did not use warns after training (its own warning is
    silenced here). The fitted ``xgb.Booster`` is ``get_booster()``; its margins include the
    start score (it is XGBoost's ``base_score``). Under early stopping it is cut at
    ``best_iteration_`` (XGBoost's ``Booster.predict`` uses every round it holds), so its
    ``predict``, ``pred_contribs`` and a saved file give ``decision_function``; it stores the
    loss (``boostfocal.xgboost.predict_proba(booster, X)``). ``importance_type`` (default "gain")
    chooses ``feature_importances_`` as in ``XGBClassifier``; ``save_model`` saves the booster.
    """

    _shared_names = {"learning_rate": "eta", "max_depth": "max_depth",
                     "random_state": "seed", "n_jobs": "nthread"}
    _shared_aliases = {"learning_rate": ("eta",), "random_state": ("seed",),
                       "n_jobs": ("nthread",)}

    _sparse = ("csr", "csc")
    _package = "xgboost"
    _estimator_only = ("importance_type",)

    # scikit-learn checks that fail for XGBoost itself (its built-in objective too), with the reason
    _xfail_checks = dict.fromkeys(
        ["check_sample_weight_equivalence_on_dense_data",
         "check_sample_weight_equivalence_on_sparse_data"],
        "XGBoost: weight 2 != a duplicated row (float32 gradient sums and the weighted quantile "
        "sketch break near-tied splits differently; from the zero start, ties are common); "
        "XGBClassifier with binary:logistic fails it too")

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        multiclass = self.n_classes_ > 2
        obj, metric = self._objective_and_metric(loss)
        params = {"verbosity": 0}
        params.update(self.booster_params())
        if "base_score" in params:
            raise ValueError("base_score is set by init_score ('optimal' or 'zero') here; "
                             "remove base_score")
        facts = FACTS[loss.family]
        if multiclass:  # K start margins (softmax ignores their common shift)
            params["num_class"] = self.n_classes_
        params["base_score"] = facts.base_score(self.init_score_)
        # what trains: capped at +-15 (a class's start may be clipped), centred for K classes
        self.init_score_ = facts.trained_start(self.init_score_)
        dtrain = xgb.DMatrix(X, label=y01, weight=w, enable_categorical=True)
        watch = [(xgb.DMatrix(Xe, label=ye, weight=we, enable_categorical=True),
                  f"validation_{i}") for i, (Xe, ye, we) in enumerate(evals)]  # XGBClassifier's
        self.evals_result_ = {}
        booster = train(params, dtrain, self._n_rounds(), obj=obj, evals=watch,
                        custom_metric=metric if watch else None,
                        early_stopping_rounds=rounds, verbose_eval=False,
                        evals_result=self.evals_result_)
        self._warn_unknown(_unused_keys(booster, self._booster_extra()))
        self.best_iteration_ = self.best_score_ = None
        if rounds:
            best, score = booster.best_iteration, booster.best_score
            booster = booster[:best + 1]  # the slice keeps the stored loss, not best_*
            booster.set_attr(best_iteration=str(best), best_score=repr(score))
            self.best_iteration_, self.best_score_ = best, score
        self._booster = booster
        self.n_estimators_ = booster.num_boosted_rounds()  # as LightGBM's and CatBoost's: kept

    def _raw_score(self, X):
        return self._booster_margins(X).astype(np.float64)

    def _booster_margins(self, X, **kwargs):
        return self._booster.predict(xgb.DMatrix(X, enable_categorical=True),
                                     output_margin=True, **kwargs)

    def predict(self, X, output_margin=False, iteration_range=None):
        """Classes, or with ``output_margin=True`` the margins (``decision_function``), as
        ``XGBClassifier.predict``; ``iteration_range`` as in XGBoost (default: every round the
        booster holds)."""
        if not output_margin and iteration_range is None:
            return super().predict(X)
        check_is_fitted(self, "init_score_")
        z = self._booster_margins(self._check_X(X), iteration_range=iteration_range or (0, 0))
        return z.astype(np.float64) if output_margin else self._label(self._proba(z))

    def predict_proba(self, X, iteration_range=None):
        """``FocalClassifierBase.predict_proba``; ``iteration_range`` as in XGBoost."""
        if iteration_range is None:
            return super().predict_proba(X)
        check_is_fitted(self, "init_score_")
        z = self._booster_margins(self._check_X(X), iteration_range=iteration_range)
        return self._proba(z.astype(np.float64))

    def get_booster(self):
        """The fitted ``xgb.Booster`` (as XGBClassifier names it; also ``booster_``)."""
        return self.booster_

    def save_model(self, fname):
        """Save the booster in XGBoost's format (``.json`` / ``.ubj``): it keeps the start
        (``base_score``) and the loss, so ``boostfocal.xgboost.predict_proba(xgb.Booster(
        model_file=fname), X)`` gives this ``predict_proba`` (with ``proba="posterior"``)."""
        self.get_booster().save_model(fname)

    def evals_result(self):
        """``evals_result_``, as ``XGBClassifier.evals_result()``: {"validation_0": {"focal":
        [...]}, ...}."""
        check_is_fitted(self, "init_score_")
        return self.evals_result_

    @property
    def feature_importances_(self):
        """As ``XGBClassifier.feature_importances_``: ``Booster.get_score(importance_type)``
        (default "gain") per feature, normalised to sum to 1 (float32)."""
        booster = self.get_booster()
        score = booster.get_score(importance_type=getattr(self, "importance_type", None)
                                  or "gain")
        names = booster.feature_names or [f"f{i}" for i in range(self.n_features_in_)]
        values = np.array([score.get(name, 0.0) for name in names], dtype=np.float32)
        total = values.sum()
        return values / total if total else values


_NOT_IN_CONFIG = frozenset({"verbosity", "eval_metric", "use_rmm"})  # global or renamed there


def _unused_keys(booster, params):
    """Keys of ``params`` that XGBoost did not take: absent from the booster's configuration,
    which names every parameter (and alias) it read. This is XGBoost's own
    ``validate_parameters`` test, whose warning the estimator's verbosity=0 would hide."""
    if not params:
        return []
    known = set(_NOT_IN_CONFIG)
    stack = [json.loads(booster.save_config())]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            known.update(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return [k for k in params if k not in known]
