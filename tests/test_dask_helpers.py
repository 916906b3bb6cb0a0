"""boostfocal.xgboost.dask_train and boostfocal.lightgbm.dask_fit: trained on a dask cluster,
started at the focal optimum, and the loss stored in the model as on every other training path
(predict_proba without loss=, also after a save and reload)."""
import pickle

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from boostfocal import lightgbm as bl  # noqa: E402
from boostfocal import xgboost as bx  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


def data(k):
    rng = np.random.default_rng(k)
    X = rng.normal(size=(1200, 4))
    y = np.digitize(X[:, 0] + rng.normal(size=1200), [0.8, 1.8][:k - 1]).astype(float)
    w = rng.uniform(0.5, 2.0, 1200)
    return X, y, w


def dask(*arrays):
    return [da.from_array(a, chunks=(400,) + a.shape[1:]) for a in arrays]


@pytest.mark.parametrize("k", [2, 3])
def test_xgboost_dask_train_stores_the_loss(client, k):
    from xgboost import dask as dxgb

    X, y, w = data(k)
    Xd, yd, wd = dask(X, y, w)
    binary = k == 2
    obj = bx.FocalObjective(gamma=2.0, alpha=0.3) if binary else \
        bx.MulticlassFocalObjective(gamma=1.5)
    params = {"tree_method": "hist", "nthread": 1, **({} if binary else {"num_class": k})}
    dtrain = dxgb.DaskDMatrix(client, Xd, yd, weight=wd)
    out = bx.dask_train(client, params, dtrain, 5, obj=obj, labels=yd, sample_weight=wd)
    booster = out["booster"]
    z = booster.predict(xgb.DMatrix(X), output_margin=True)
    # the start is the focal optimum of the (weighted) labels, reduced on the cluster
    zero = bx.dask_train(client, params, dtrain, 0, obj=obj, labels=yd, sample_weight=wd)
    start = obj.loss.init_score(y, w) if binary else obj.base_score(y, w, num_class=k)
    np.testing.assert_allclose(zero["booster"].predict(xgb.DMatrix(X[:3]), output_margin=True),
                               np.broadcast_to(start, (3,) if binary else (3, k)), atol=1e-6)
    want = obj.loss.predict_proba(z)
    for model in (booster, pickle.loads(pickle.dumps(booster)),
                  xgb.Booster(model_file=bytearray(booster.save_raw("json")))):
        np.testing.assert_allclose(bx.predict_proba(model, X), want, rtol=0, atol=1e-15)
    with pytest.raises(TypeError, match="dask_train needs labels="):
        bx.dask_train(client, params, dtrain, 1, obj=obj)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.filterwarnings("ignore:Parameter n_jobs will be ignored")  # LightGBM's own default
def test_lightgbm_dask_fit_starts_at_the_optimum_and_stores_the_loss(client, k):
    X, y, w = data(k)
    Xd, yd, wd = dask(X, y, w)
    binary = k == 2
    obj = bl.FocalObjective(gamma=2.0, alpha=0.3) if binary else \
        bl.MulticlassFocalObjective(gamma=1.5)
    metric = (bl.FocalMetric(gamma=2.0, alpha=0.3) if binary else
              bl.MulticlassFocalMetric(gamma=1.5))
    start = obj.init_score(y, w, num_class=None if binary else k)

    def model(**kw):
        return lgb.DaskLGBMClassifier(objective=obj, metric="None", client=client, verbose=-1,
                                      **kw)

    # one round at a vanishing learning rate: the raw score is the folded start
    tiny = bl.dask_fit(model(n_estimators=1, learning_rate=1e-12), Xd, yd, wd)
    raw = tiny.booster_.predict(X[:5], raw_score=True)
    np.testing.assert_allclose(raw, np.broadcast_to(start, raw.shape), rtol=0, atol=1e-9)

    fitted = bl.dask_fit(model(n_estimators=5), Xd, yd, wd, eval_set=[(Xd, yd)],
                         eval_sample_weight=[wd], eval_metric=metric)
    booster = fitted.booster_
    want = obj.loss.predict_proba(booster.predict(X, raw_score=True))
    reloaded = lgb.Booster(model_str=booster.model_to_string())
    for m in (fitted, booster, reloaded, pickle.loads(pickle.dumps(booster))):
        np.testing.assert_allclose(bl.predict_proba(m, X), want, rtol=0, atol=1e-15)
    # the eval set was scored from the same start: LightGBM reports one worker's value, the
    # focal loss of the chunks that worker holds
    last = fitted.evals_result_["valid_0"]["focal"][-1]
    z = booster.predict(X, raw_score=True)
    chunks = [slice(i, i + 400) for i in range(0, 1200, 400)]
    subsets = [[c for j, c in enumerate(chunks) if mask >> j & 1] for mask in range(1, 8)]
    values = [metric.loss.mean_loss(np.concatenate([y[c] for c in sub]),
                                    np.concatenate([z[c] for c in sub]),
                                    np.concatenate([w[c] for c in sub])) for sub in subsets]
    assert min(abs(v - last) for v in values) <= 1e-6 * abs(last)
    with pytest.raises(TypeError, match="DaskLGBMClassifier\\(objective=FocalObjective"):
        bl.dask_fit(lgb.DaskLGBMClassifier(client=client), Xd, yd)
