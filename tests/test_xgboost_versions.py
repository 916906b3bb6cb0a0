"""Canaries for XGBoost behaviour boostfocal relies on and that XGBoost may change: each fails with
the version, the issue and what to update. CI runs this file on XGBoost 3.2 and 3.4.1."""
import json

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")

from boostfocal.xgboost import (MulticlassFocalObjective, train, vector_base_score_is_margin,  # noqa: E402
                                xgboost_version)

K = 3
VERSION = xgboost_version()
# dmlc/xgboost#12537 (merged after 3.4.1) replaces multi:softprob's hessian 2 p (1 - p) by |p - y|
ABS_RESIDUAL_HESSIAN = VERSION >= (3, 5, 0)


@pytest.fixture(scope="module")
def unbalanced():
    rng = np.random.default_rng(0)
    y = rng.choice(K, size=300, p=[0.6, 0.3, 0.1]).astype(np.float64)
    X = rng.normal(size=(300, 2))
    return X, y


def one_leaf(params, d, **kw):
    """The leaf values of one round from margin 0 that cannot split: -sum g / sum h per class."""
    p = {"tree_method": "hist", "nthread": 1, "num_class": K, "eta": 1.0, "lambda": 0.0,
         "min_child_weight": 0.0, "gamma": 1e12, "max_delta_step": 0.0, **params}
    booster = (train(p, d, 1, **kw) if "obj" in kw else xgb.train(p, d, 1))
    return booster.predict(d, output_margin=True)[0]


def test_multi_softprob_hessian(unbalanced):
    X, y = unbalanced
    d = xgb.DMatrix(X, y, base_margin=np.zeros((len(y), K)))
    builtin = one_leaf({"objective": "multi:softprob"}, d)
    p, onehot = np.full(K, 1.0 / K), np.eye(K)[y.astype(int)]
    g = (p - onehot).sum(axis=0)
    two_p_q = -g / (len(y) * 2.0 * p * (1.0 - p))
    abs_residual = -g / np.abs(p - onehot).sum(axis=0)
    assert np.abs(two_p_q - abs_residual).max() > 0.05  # the two rules are told apart here
    expected, other = ((abs_residual, "2 p (1 - p)") if ABS_RESIDUAL_HESSIAN else
                       (two_p_q, "|p - y|"))
    assert np.allclose(builtin, expected, rtol=1e-5), (
        f"XGBoost {xgb.__version__}: multi:softprob's hessian is not what boostfocal expects for "
        f"this version ({'|p - y|' if ABS_RESIDUAL_HESSIAN else '2 p (1 - p)'}; dmlc/xgboost#12537)"
        f": leaf {builtin} vs expected {expected} ({other} would give "
        f"{two_p_q if ABS_RESIDUAL_HESSIAN else abs_residual}). Update ABS_RESIDUAL_HESSIAN and "
        "the hessian_scale notes in boostfocal/xgboost.py")
    # gamma 0: the focal objective with hessian_scale=2.0 is multi:softprob exactly where its
    # hessian is 2 p (1 - p); with |p - y| only in expectation (E|p - y| = 2 p (1 - p))
    focal = one_leaf({}, d, obj=MulticlassFocalObjective(gamma=0.0))
    if ABS_RESIDUAL_HESSIAN:
        np.testing.assert_allclose(focal, two_p_q, rtol=1e-5)
        assert not np.allclose(focal, builtin, rtol=1e-3)
    else:
        np.testing.assert_allclose(focal, builtin, rtol=1e-5, err_msg=(
            f"XGBoost {xgb.__version__}: the gamma-0 parity of MulticlassFocalObjective("
            "hessian_scale=2.0) with multi:softprob broke"))


def test_vector_base_score_starts_at_the_focal_start(unbalanced):
    """Iteration-0 margins (the intercept: margins minus those with base_margin 0) equal the
    focal start, however this XGBoost reads a vector base_score (dmlc/xgboost#12426)."""
    X, y = unbalanced
    obj = MulticlassFocalObjective(gamma=2.0, alpha=[1.0, 2.0, 4.0])
    start = obj.loss.init_score(np.eye(K)[y.astype(int)])
    start = start - start.mean()
    d = xgb.DMatrix(X, y)
    booster = train({"nthread": 1, "num_class": K, "max_depth": 2}, d, 3, obj=obj)
    zero = xgb.DMatrix(X, y, base_margin=np.zeros((len(y), K)))
    intercept = (booster.predict(d, output_margin=True)
                 - booster.predict(zero, output_margin=True))[0]
    assert np.allclose(intercept, start, atol=1e-5), (
        f"XGBoost {xgb.__version__}: the model's iteration-0 margins {intercept} are not the focal "
        f"start {start}: XGBoost changed how it reads a vector base_score (dmlc/xgboost#12426); "
        "update boostfocal.xgboost.vector_base_score_is_margin")
    stored = json.loads(json.loads(booster.save_config())["learner"]["learner_model_param"]
                        ["base_score"])
    if VERSION < (3, 5, 0):  # the stated expectation for the versions tested
        assert vector_base_score_is_margin()
        np.testing.assert_allclose(stored, start, atol=1e-6)


def test_version_parsing():
    assert xgboost_version("3.4.1") == (3, 4, 1)
    assert xgboost_version("3.5.0.dev0") == (3, 5, 0)
    assert xgboost_version("4.0") == (4, 0, 0)


def test_base_score_follows_the_installed_semantics(monkeypatch):
    """After 3.4 the semantics are probed (here the probe must find margins, this XGBoost's);
    where a vector base_score means class probabilities, base_score passes softmax(start),
    whose centred log is the start."""
    from boostfocal.xgboost import _facts as bx

    start = np.array([0.7, -0.2, -0.5])
    assert bx.MULTICLASS.base_score(start) == pytest.approx(start - start.mean(), abs=1e-12)
    bx.vector_base_score_is_margin.cache_clear()
    monkeypatch.setattr(bx, "xgboost_version", lambda version=None: (3, 5, 0))
    try:
        probed = bx.vector_base_score_is_margin()  # a real 0-round booster of this XGBoost
        if VERSION < (3, 5, 0):
            assert probed is True
    finally:
        bx.vector_base_score_is_margin.cache_clear()
    monkeypatch.setattr(bx, "vector_base_score_is_margin", lambda: False)
    proba = np.array(bx.MULTICLASS.base_score(start))
    np.testing.assert_allclose(proba.sum(), 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.log(proba) - np.log(proba).mean(), start - start.mean(),
                               atol=1e-12)
