"""``FocalXGBClassifier``: XGBoost glue for the shared focal classifier."""
from __future__ import annotations

import numpy as np
import xgboost as xgb

from .. import xgboost as _xgb
from ..xgboost import (FocalMetric, FocalObjective, MulticlassFocalMetric,
                        MulticlassFocalObjective, base_score_for, train)
from ._base import FocalClassifierBase


class FocalXGBClassifier(FocalClassifierBase):
    """XGBoost classifier trained with the focal loss (native ``xgb.train`` underneath).

    Parameters are ``FocalClassifierBase``'s; any other keyword is an XGBoost parameter
    (``reg_lambda``, ``min_child_weight``, ``tree_method``, ``device="cuda"``, ...).
    ``scale_pos_weight`` is rejected: XGBoost ignores it with a custom objective; use
    ``pos_weight``. The fitted ``xgb.Booster`` is ``get_booster()``; its margins include the
    start score (it is XGBoost's ``base_score``), so a saved booster predicts the same margins.
    """

    _shared_names = {"learning_rate": "eta", "max_depth": "max_depth",
                     "random_state": "seed", "n_jobs": "nthread"}

    _sparse = ("csr", "csc")

    # scikit-learn checks that fail for XGBoost itself (its built-in objective too), with the reason
    _xfail_checks = dict.fromkeys(
        ["check_sample_weight_equivalence_on_dense_data",
         "check_sample_weight_equivalence_on_sparse_data"],
        "XGBoost: weight 2 != a duplicated row (float32 gradient sums and the weighted quantile "
        "sketch break near-tied splits differently; from the zero start, ties are common); "
        "XGBClassifier with binary:logistic fails it too")

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        multiclass = self.n_classes_ > 2
        obj = (MulticlassFocalObjective if multiclass else FocalObjective).from_loss(loss)
        metric = (MulticlassFocalMetric if multiclass else FocalMetric).from_loss(loss)
        params = {"verbosity": 0}
        params.update(self.booster_params())
        if "base_score" in params:
            raise ValueError("base_score is set by init_score ('optimal' or 'zero') here; "
                             "remove base_score")
        if multiclass:  # K start margins (softmax ignores their common shift)
            params["num_class"] = self.n_classes_
            params["base_score"] = _xgb._MULTICLASS.base_score(self.init_score_)
        else:
            params["base_score"] = base_score_for(self.init_score_)
        dtrain = xgb.DMatrix(X, label=y01, weight=w, enable_categorical=True)
        watch = [(xgb.DMatrix(Xe, label=ye, weight=we, enable_categorical=True), f"valid_{i}")
                 for i, (Xe, ye, we) in enumerate(evals)]
        self._booster = train(params, dtrain, self.n_estimators, obj=obj, evals=watch,
                              custom_metric=metric if watch else None,
                              early_stopping_rounds=rounds, verbose_eval=False)
        self.n_estimators_ = self._booster.num_boosted_rounds()
        self.best_iteration_ = getattr(self._booster, "best_iteration", None) if rounds else None

    def _raw_score(self, X):
        end = self.n_estimators_ if self.best_iteration_ is None else self.best_iteration_ + 1
        margins = self._booster.predict(xgb.DMatrix(X, enable_categorical=True),
                                        output_margin=True, iteration_range=(0, end))
        return margins.astype(np.float64)

    def get_booster(self):
        """The fitted ``xgb.Booster`` (as XGBClassifier names it; also ``booster_``)."""
        return self.booster_
