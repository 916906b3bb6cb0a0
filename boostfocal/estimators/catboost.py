"""``FocalCatBoostClassifier``: CatBoost glue for the shared focal classifier."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from catboost import CatBoost, Pool

from ..catboost import all_threads, fit
from ._base import FocalClassifierBase


class FocalCatBoostClassifier(FocalClassifierBase):
    """CatBoost classifier trained with the focal loss (``CatBoost.fit`` underneath).

    Parameters are ``FocalClassifierBase``'s (``max_depth`` is CatBoost's ``depth``); any other
    keyword is a CatBoost parameter (``l2_leaf_reg``, ``border_count``, ...). pandas ``category``,
    ``str`` and text ``object`` columns become CatBoost ``cat_features``; scipy sparse input is
    accepted. The start score is the model's bias, so
    ``booster_.predict(X, prediction_type="RawFormulaVal")`` and saved models include it.
    ``task_type="GPU"`` works for two classes (docs/gpu-catboost.md), not more. With an eval set
    CatBoost's default ``use_best_model`` cuts ``booster_`` at the best iteration, and the booster
    stores the loss in its metadata (``boostfocal.catboost.predict_proba(booster, X)``, also from
    a saved cbm / json file). ``feature_importances_``, ``evals_result_``, ``best_score_`` and
    ``save_model`` are CatBoost's.
    """

    _sparse = ("csr", "csc")
    _native_text = True  # str / object / category columns go to CatBoost as text cat_features

    _shared_names = {"learning_rate": "learning_rate", "max_depth": "depth",
                     "random_state": "random_seed", "n_jobs": "thread_count"}
    _shared_aliases = {"n_estimators": ("iterations", "num_boost_round", "num_trees"),
                       "learning_rate": ("eta",), "max_depth": ("depth",),
                       "random_state": ("random_seed",), "n_jobs": ("thread_count",)}

    # scikit-learn checks that fail for CatBoost itself (its built-in Logloss too), with the reason
    _xfail_checks = dict.fromkeys(
        ["check_sample_weight_equivalence_on_dense_data",
         "check_sample_weight_equivalence_on_sparse_data"],
        "CatBoost: weight 2 != a duplicated row (duplicates change its quantization borders "
        "and random permutations); CatBoostClassifier with Logloss fails it too")

    _package = "catboost"

    def _fit_booster(self, X, y01, w, evals, rounds, loss):
        obj, metric = self._objective_and_metric(loss)
        params = {"loss_function": obj, "eval_metric": metric, "verbose": False,
                  "allow_writing_files": False, "iterations": self._n_rounds()}
        params = all_threads({**params, **self.booster_params()})  # n_jobs=-1 kept
        # the frame's text / category columns, plus a cat_features keyword's (CatBoost's, for the
        # model): the model and the Pools must name the same columns
        frame = getattr(self, "_frame", None)
        ours = frame.columns if frame is not None else []
        given = list(params.get("cat_features") or [])
        if ours and given and all(isinstance(c, (int, np.integer)) for c in given):
            ours = [list(X.columns).index(c) for c in ours]
        self._cat_features = given + [c for c in ours if c not in given]
        if given:
            params["cat_features"] = self._cat_features
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
        if sp.issparse(X):  # CatBoost takes scipy matrices (not arrays) with int32 indices
            X = sp.csr_matrix(X)
            if X.indices.dtype != np.int32 and X.nnz < 2**31 and X.shape[1] < 2**31:
                X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
        return Pool(X, label=y, weight=w, cat_features=self._cat_features or None)

    def _raw_score(self, X):
        raw = self._booster.predict(self._pool(X), prediction_type="RawFormulaVal")
        return np.asarray(raw, dtype=np.float64)
