"""``FocalLGBMClassifier``: LightGBM glue for the shared focal classifier."""
from __future__ import annotations

import lightgbm as lgb
import numpy as np

from ..lightgbm import (FocalMetric, FocalObjective, MulticlassFocalMetric,
                        MulticlassFocalObjective, train)
from ._base import FocalClassifierBase



class FocalLGBMClassifier(FocalClassifierBase):
    """LightGBM classifier trained with the focal loss (``lightgbm.train`` underneath).

    Parameters are ``FocalClassifierBase``'s; any other keyword is a LightGBM parameter
    (``num_leaves``, ``reg_lambda``, ``min_child_samples``, ...). The start score is folded into
    the first tree, so ``booster_.predict(X, raw_score=True)`` (and a saved model) include it.
    pandas ``category`` columns use LightGBM's native categorical splits.
    """

    _shared_names = {"learning_rate": "learning_rate", "max_depth": "max_depth",
                     "random_state": "seed", "n_jobs": "num_threads"}

    _sparse = ("csr", "csc")

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        # feature_pre_filter=False: when pre-filtering leaves no feature (tiny data), LightGBM 4.7
        # aborts a custom-objective training ("num_features() > 0") instead of growing stumps
        multiclass = self.n_classes_ > 2
        obj = (MulticlassFocalObjective if multiclass else FocalObjective).from_loss(loss)
        metric = (MulticlassFocalMetric if multiclass else FocalMetric).from_loss(loss)
        params = {"objective": obj, "verbosity": -1, "feature_pre_filter": False}
        if multiclass:
            params["num_class"] = self.n_classes_
        params.update(self.booster_params())
        dtrain = lgb.Dataset(X, label=y01, weight=w, free_raw_data=False)
        valid = [lgb.Dataset(Xe, label=ye, weight=we, reference=dtrain) for Xe, ye, we in evals]
        callbacks = [lgb.early_stopping(rounds, verbose=False)] if rounds else []
        self._booster = train(params, dtrain, self.n_estimators, valid_sets=valid or None,
                              feval=metric if valid else None,
                              init_score=self.init_score_, callbacks=callbacks)
        # 0-based like the XGBoost and CatBoost estimators (LightGBM's own count is 1-based)
        self.best_iteration_ = self._booster.best_iteration - 1 if rounds else None
        self.n_estimators_ = self._booster.current_iteration()

    def _raw_score(self, X):
        it = None if self.best_iteration_ is None else self.best_iteration_ + 1
        return np.asarray(self._booster.predict(X, raw_score=True, num_iteration=it),
                          dtype=np.float64)

