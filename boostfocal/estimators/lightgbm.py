"""``FocalLGBMClassifier``: LightGBM glue for the shared focal classifier."""
from __future__ import annotations

import functools

import lightgbm as lgb
import numpy as np

from ..lightgbm import train
from ._base import FocalClassifierBase



class FocalLGBMClassifier(FocalClassifierBase):
    """LightGBM classifier trained with the focal loss (``lightgbm.train`` underneath).

    Parameters are ``FocalClassifierBase``'s; any other keyword is a LightGBM parameter
    (``num_leaves``, ``reg_lambda``, ``min_child_samples``, ...). The start score is folded into
    the first tree, so ``booster_.predict(X, raw_score=True)`` (and a saved model) include it.
    pandas ``category`` columns use LightGBM's native categorical splits. A keyword LightGBM
    does not know warns (its own warning is silenced here); ``is_unbalance``,
    ``scale_pos_weight`` and ``class_weight`` raise (ignored with a custom objective). Under
    early stopping ``booster_`` records ``best_iteration`` (its ``predict`` and ``save_model``
    use it by default) and it stores the loss (``boostfocal.lightgbm.predict_proba(booster,
    X)``). ``importance_type`` ("split" or "gain") chooses ``feature_importances_`` as in
    ``LGBMClassifier``; ``predict`` / ``predict_proba`` take ``raw_score``, ``pred_leaf``,
    ``pred_contrib``, ``start_iteration`` and ``num_iteration`` as LightGBM's do.
    """

    _shared_names = {"learning_rate": "learning_rate", "max_depth": "max_depth",
                     "random_state": "seed", "n_jobs": "num_threads"}
    _shared_aliases = {  # LightGBM 4.7's alias table
        "n_estimators": ("num_iterations", "n_iter", "nrounds", "max_iter", "num_tree",
                         "num_round", "num_trees", "num_rounds", "num_iteration",
                         "num_boost_round"),
        "learning_rate": ("eta", "shrinkage_rate"), "random_state": ("seed", "random_seed"),
        "n_jobs": ("num_threads", "nthread", "nthreads", "num_thread")}

    _sparse = ("csr", "csc")
    _package = "lightgbm"
    _estimator_only = ("importance_type",)

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        # feature_pre_filter=False: when pre-filtering leaves no feature (tiny data), LightGBM 4.7
        # aborts a custom-objective training ("num_features() > 0") instead of growing stumps
        multiclass = self.n_classes_ > 2
        obj, metric = self._objective_and_metric(loss)
        params = {"objective": obj, "verbosity": -1, "feature_pre_filter": False}
        if multiclass:
            params["num_class"] = self.n_classes_
        params.update(self.booster_params())
        dtrain = lgb.Dataset(X, label=y01, weight=w, free_raw_data=False)
        valid = [lgb.Dataset(Xe, label=ye, weight=we, reference=dtrain) for Xe, ye, we in evals]
        self.evals_result_ = {}
        callbacks = [lgb.record_evaluation(self.evals_result_)] if valid else []
        if rounds:
            callbacks.append(lgb.early_stopping(rounds, verbose=False))
        self._booster = train(params, dtrain, self._n_rounds(), valid_sets=valid or None,
                              feval=metric if valid else None,
                              init_score=self.init_score_, callbacks=callbacks)
        # 0-based like the XGBoost and CatBoost estimators (LightGBM's own count is 1-based)
        self.best_iteration_ = self._booster.best_iteration - 1 if rounds else None
        self.n_estimators_ = self._booster.current_iteration()
        self.best_score_ = self._booster.best_score  # as LGBMClassifier: {"valid_0": {...}}

    @property
    def feature_importances_(self):
        """As ``LGBMClassifier.feature_importances_``: ``booster_.feature_importance(
        importance_type)``, "split" (counts) by default."""
        return self.booster_.feature_importance(
            importance_type=getattr(self, "importance_type", None) or "split")

    def predict(self, X, raw_score=False, start_iteration=0, num_iteration=None, pred_leaf=False,
                pred_contrib=False, **kwargs):
        """Classes, as ``LGBMClassifier.predict``: ``raw_score`` / ``pred_leaf`` /
        ``pred_contrib`` return the booster's raw scores, leaf indices or feature contributions
        (SHAP values, the last column the expected value; a row sums to its raw score)."""
        booster_only = dict(raw_score=raw_score, pred_leaf=pred_leaf, pred_contrib=pred_contrib)
        if any(booster_only.values()):
            return self._booster_predict(X, start_iteration=start_iteration,
                                         num_iteration=num_iteration, **booster_only, **kwargs)
        return self._label(self.predict_proba(X, start_iteration=start_iteration,
                                              num_iteration=num_iteration, **kwargs))

    def predict_proba(self, X, raw_score=False, start_iteration=0, num_iteration=None,
                      pred_leaf=False, pred_contrib=False, **kwargs):
        """``FocalClassifierBase.predict_proba``; the other arguments as ``predict``."""
        booster_only = dict(raw_score=raw_score, pred_leaf=pred_leaf, pred_contrib=pred_contrib)
        if any(booster_only.values()):
            return self._booster_predict(X, start_iteration=start_iteration,
                                         num_iteration=num_iteration, **booster_only, **kwargs)
        if start_iteration == 0 and num_iteration is None and not kwargs:
            return super().predict_proba(X)
        z = self._booster_predict(X, raw_score=True, start_iteration=start_iteration,
                                  num_iteration=num_iteration, **kwargs)
        return self._proba(np.asarray(z, dtype=np.float64))

    def _unknown_params(self, params):
        known = _lightgbm_names()
        return [k for k in params if known and k not in known]

    def _raw_score(self, X):
        it = None if self.best_iteration_ is None else self.best_iteration_ + 1
        return np.asarray(self._booster.predict(X, raw_score=True, num_iteration=it),
                          dtype=np.float64)


@functools.lru_cache(maxsize=1)
def _lightgbm_names():
    """Every LightGBM parameter name and alias (LightGBM's own table); empty if unavailable."""
    try:
        table = lgb.basic._ConfigAliases._get_all_param_aliases()
    except Exception:  # a LightGBM without the table: skip the check rather than fail the fit
        return frozenset()
    return frozenset(name for aliases in table.values() for name in aliases)
