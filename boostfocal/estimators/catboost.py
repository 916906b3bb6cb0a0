"""``FocalCatBoostClassifier``: CatBoost glue for the shared focal classifier."""
from __future__ import annotations

import numpy as np
from catboost import CatBoost, Pool

from ..catboost import FocalMetric, FocalObjective, fit
from ._base import FocalClassifierBase, _is_frame


class FocalCatBoostClassifier(FocalClassifierBase):
    """CatBoost classifier trained with the focal loss (``CatBoost.fit`` underneath).

    Parameters are ``FocalClassifierBase``'s (``max_depth`` is CatBoost's ``depth``); any other
    keyword is a CatBoost parameter (``l2_leaf_reg``, ``border_count``, ...). pandas ``category``
    columns become CatBoost ``cat_features``. The start score is the model's bias, so
    ``booster_.predict(X, prediction_type="RawFormulaVal")`` and saved models include it. CPU
    only: CatBoost cannot run a Python objective with ``task_type="GPU"``. With an eval set
    CatBoost's default ``use_best_model`` cuts ``booster_`` at the best iteration, and the booster
    stores the loss in its metadata (``boostfocal.catboost.predict_proba(booster, X)``, also from
    a saved cbm / json file). ``feature_importances_``, ``evals_result_``, ``best_score_`` and
    ``save_model`` are CatBoost's.
    """

    _shared_names = {"learning_rate": "learning_rate", "max_depth": "depth",
                     "random_state": "random_seed", "n_jobs": "thread_count"}
    _shared_aliases = {"n_estimators": ("iterations", "num_boost_round", "num_trees"),
                       "learning_rate": ("eta",), "max_depth": ("depth",),
                       "random_state": ("random_seed",), "n_jobs": ("thread_count",)}

    # scikit-learn checks that fail for CatBoost itself (its built-in Logloss too), with the reason
    _xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data":
            "CatBoost: weight 2 != a duplicated row (duplicates change its quantization borders "
            "and random permutations); CatBoostClassifier with Logloss fails it too",
    }

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        params = {"loss_function": FocalObjective.from_loss(loss),
                  "eval_metric": FocalMetric.from_loss(loss), "verbose": False,
                  "allow_writing_files": False, "iterations": self._n_rounds()}
        params.update(self.booster_params())
        # a cat_features keyword is CatBoost's for the model; the Pools must say the same
        self._cat_features = params.get("cat_features") or _categorical_columns(X)
        model = CatBoost(params)
        eval_pools = [self._pool(Xe, ye, we) for Xe, ye, we in evals] or None
        fit(model, self._pool(X, y01, w), eval_set=eval_pools, start=self.init_score_,
            early_stopping_rounds=rounds)
        self._booster = model
        self.n_estimators_ = model.tree_count_
        self.best_iteration_ = model.get_best_iteration() if rounds else None
        self.evals_result_ = model.get_evals_result()
        self.best_score_ = model.get_best_score()

    @property
    def feature_importances_(self):
        """``CatBoost.feature_importances_`` of ``booster_`` (PredictionValuesChange)."""
        return self.booster_.feature_importances_

    def save_model(self, fname, format="cbm", export_parameters=None, pool=None):
        """``CatBoost.save_model`` of ``booster_``: cbm and json keep the start (the model's
        bias) and the loss (its metadata) for ``boostfocal.catboost.predict_proba``."""
        self.booster_.save_model(fname, format=format, export_parameters=export_parameters,
                                 pool=pool)

    def _pool(self, X, y=None, w=None):
        return Pool(X, label=y, weight=w, cat_features=self._cat_features or None)

    def _raw_score(self, X):
        raw = self._booster.predict(self._pool(X), prediction_type="RawFormulaVal")
        return np.asarray(raw, dtype=np.float64)


def _categorical_columns(X):
    if not _is_frame(X):
        return []
    return [c for c, t in X.dtypes.items() if str(t) == "category"]
