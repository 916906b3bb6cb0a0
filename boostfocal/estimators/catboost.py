"""``FocalCatBoostClassifier``: CatBoost glue for the shared focal classifier."""
from __future__ import annotations

import numpy as np
from catboost import CatBoost, Pool

from ..catboost import (FocalMetric, FocalObjective, MulticlassFocalMetric,
                        MulticlassFocalObjective, fit)
from ._base import FocalClassifierBase, _is_frame



class FocalCatBoostClassifier(FocalClassifierBase):
    """CatBoost classifier trained with the focal loss (``CatBoost.fit`` underneath).

    Parameters are ``FocalClassifierBase``'s (``max_depth`` is CatBoost's ``depth``); any other
    keyword is a CatBoost parameter (``l2_leaf_reg``, ``border_count``, ...). pandas ``category``
    columns become CatBoost ``cat_features``. The start score is the model's bias, so
    ``booster_.predict(X, prediction_type="RawFormulaVal")`` and saved models include it. CPU
    only: CatBoost cannot run a Python objective with ``task_type="GPU"``.
    """

    _shared_names = {"learning_rate": "learning_rate", "max_depth": "depth",
                     "random_state": "random_seed", "n_jobs": "thread_count"}

    # scikit-learn checks that fail for CatBoost itself (its built-in Logloss too), with the reason
    _xfail_checks = {
        "check_sample_weight_equivalence_on_dense_data":
            "CatBoost: weight 2 != a duplicated row (duplicates change its quantization borders "
            "and random permutations); CatBoostClassifier with Logloss fails it too",
    }

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        multiclass = self.n_classes_ > 2
        params = {"loss_function": (MulticlassFocalObjective if multiclass else
                                    FocalObjective).from_loss(loss),
                  "eval_metric": (MulticlassFocalMetric if multiclass else
                                  FocalMetric).from_loss(loss), "verbose": False,
                  "allow_writing_files": False, "iterations": self.n_estimators}
        params.update(self.booster_params())
        self._cat_features = _categorical_columns(X)
        model = CatBoost(params)
        eval_pools = [self._pool(Xe, ye, we) for Xe, ye, we in evals] or None
        fit(model, self._pool(X, y01, w), eval_set=eval_pools, start=self.init_score_,
            early_stopping_rounds=rounds)
        self._booster = model
        self.n_estimators_ = model.tree_count_
        self.best_iteration_ = model.get_best_iteration() if rounds else None

    def _pool(self, X, y=None, w=None):
        return Pool(X, label=y, weight=w, cat_features=self._cat_features or None)

    def _raw_score(self, X):
        raw = self._booster.predict(self._pool(X), prediction_type="RawFormulaVal")
        return np.asarray(raw, dtype=np.float64)



def _categorical_columns(X):
    if not _is_frame(X):
        return []
    return [c for c, t in X.dtypes.items() if str(t) == "category"]
