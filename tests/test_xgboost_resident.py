"""The device-resident training loop (boostfocal.xgboost._resident), run on the CPU: it must build the
model ``xgb.train`` builds, bit for bit, for every calling convention it serves, and fall back,
saying why, where it cannot serve one."""
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from boostfocal import FocalLoss
from boostfocal.xgboost._resident import ResidentLoop
from boostfocal.xgboost import FocalMetric, FocalObjective, train
from boostfocal.xgboost._train import _resident_unsupported

PARAMS = {"max_depth": 3, "nthread": 2, "tree_method": "hist"}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 3000
    X = rng.normal(size=(n, 6)).astype(np.float32)
    y = (X[:, 0] - 0.5 * X[:, 1] + rng.normal(size=n) > 1.2).astype(np.float64)
    w = rng.uniform(0.5, 2.0, n)
    return X, y, w


def _both(X, y, w, rounds=25, params=PARAMS, dtrain_kwargs=None, **kwargs):
    """The standard path and the resident loop on the same call: (booster, evals_result) each."""
    out = []
    for resident in (False, True):
        dtrain = xgb.DMatrix(X, y, weight=w, **(dtrain_kwargs or {}))
        dvalid = xgb.DMatrix(X[::-1] * 1.5, y)  # another sample: the focal loss there turns up
        result = {}
        extra = {"data": X} if resident else {}
        bst = train(dict(params), dtrain, rounds, obj=FocalObjective(gamma=2.0, alpha=0.25),
                    evals=[(dtrain, "train"), (dvalid, "valid")], evals_result=result,
                    verbose_eval=False, **extra, **kwargs)
        out.append((bst, result))
    return out


def test_loop_margins_are_xgboosts_training_margins(data):
    X, y, w = data
    dtrain = xgb.DMatrix(X, y, weight=w)
    obj = FocalObjective(gamma=2.0)
    bst = xgb.Booster(obj.train_params(PARAMS, dtrain), [dtrain])
    loop = ResidentLoop(bst, dtrain, X, obj.loss)
    for i in range(8):
        loop.step(i)
        # XGBoost's own prediction cache for dtrain: what xgb.train hands a custom objective
        np.testing.assert_array_equal(loop.margins, bst.predict(dtrain, output_margin=True,
                                                                training=True))
    assert loop.margins.dtype == np.float32 and bst.num_boosted_rounds() == 8


def test_same_model_as_xgb_train_with_weights_metric_and_early_stopping(data):
    X, y, w = data
    metric = FocalMetric(gamma=2.0, alpha=0.25)
    (a, ra), (b, rb) = _both(X, y, w, rounds=60, params={**PARAMS, "eta": 0.8},
                             custom_metric=metric, early_stopping_rounds=3)
    assert a.best_iteration == b.best_iteration < 56  # it did stop early
    assert ra == rb and len(ra["valid"]["focal"]) == a.num_boosted_rounds()
    assert a.save_raw() == b.save_raw()  # bit-identical models


def test_same_model_from_a_dataframe_and_a_dtrain_base_margin(data):
    X, y, w = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    margin = np.linspace(-1.0, 1.0, len(y))
    models = []
    for resident in (False, True):
        dtrain = xgb.DMatrix(frame, y, weight=w, base_margin=margin)
        extra = {"data": frame} if resident else {}
        models.append(train(dict(PARAMS), dtrain, 10, obj=FocalObjective(), **extra))
    assert models[0].save_raw() == models[1].save_raw()


def test_continuation_from_xgb_model(data):
    X, y, w = data
    first = train(dict(PARAMS), xgb.DMatrix(X, y, weight=w), 5, obj=FocalObjective())
    models = []
    for resident in (False, True):
        extra = {"data": X} if resident else {}
        models.append(train(dict(PARAMS), xgb.DMatrix(X, y, weight=w), 7, obj=FocalObjective(),
                            xgb_model=first.copy(), **extra))
    assert models[0].num_boosted_rounds() == models[1].num_boosted_rounds() == 12
    assert models[0].save_raw() == models[1].save_raw()


def test_callbacks_run_and_can_stop_training(data):
    X, y, w = data
    seen = {False: [], True: []}

    class StopAtFour(xgb.callback.TrainingCallback):
        def __init__(self, key):
            self.key = key

        def after_iteration(self, model, epoch, evals_log):
            seen[self.key].append(epoch)
            return epoch == 3

    models = [train(dict(PARAMS), xgb.DMatrix(X, y), 50, obj=FocalObjective(),
                    callbacks=[StopAtFour(r)], **({"data": X} if r else {})) for r in (False, True)]
    assert seen[False] == seen[True] == [0, 1, 2, 3]
    assert models[0].save_raw() == models[1].save_raw()


def test_dart_falls_back_saying_why(data):
    X, y, w = data
    params = {**PARAMS, "booster": "dart", "rate_drop": 0.3, "seed": 1}
    with pytest.warns(UserWarning, match="standard path.*booster='dart'.*rescales"):
        fell_back = train(dict(params), xgb.DMatrix(X, y), 6, obj=FocalObjective(), data=X)
    standard = train(dict(params), xgb.DMatrix(X, y), 6, obj=FocalObjective())
    assert fell_back.save_raw() == standard.save_raw()


def test_gblinear_and_update_process_fall_back():
    d = xgb.DMatrix(np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]))
    assert "tree boosters" in _resident_unsupported({"booster": "gblinear"}, d, np.zeros((4, 2)))
    assert "existing trees" in _resident_unsupported({"process_type": "update"}, d,
                                                     np.zeros((4, 2)))
    assert _resident_unsupported({}, d, np.zeros((4, 2))) is None


def test_features_on_the_wrong_device_fall_back():
    d = xgb.DMatrix(np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]))
    reason = _resident_unsupported({"device": "cuda"}, d, np.zeros((4, 2)))
    assert "trains on the GPU but data is a ndarray (host memory)" in reason

    class DeviceArray:  # what the check looks at: the type's module
        __module__ = "cupy._core.core"
        shape = (4, 2)

    reason = _resident_unsupported({"device": "cpu"}, d, DeviceArray())
    assert "trains on the CPU but data is a DeviceArray (device memory)" in reason


@pytest.mark.parametrize("bad, match", [
    (np.zeros((10, 6), np.float32), "data has 10 rows but dtrain has 3000"),
    (np.zeros(3000, np.float32), "data must be the 2-D training feature matrix"),
])
def test_bad_data_is_refused(data, bad, match):
    X, y, w = data
    with pytest.raises((ValueError, TypeError), match=match):
        train(dict(PARAMS), xgb.DMatrix(X, y), 3, obj=FocalObjective(), data=bad)


def test_labels_are_checked_on_the_first_round(data):
    X, y, w = data
    bad = y.copy()
    bad[5] = 2.0
    with pytest.raises(ValueError, match="y_true"):
        train(dict(PARAMS), xgb.DMatrix(X, bad), 3, obj=FocalObjective(), data=X)


def test_resident_gradient_is_focal_loss_gradient(data):
    """The loop calls the loss itself: one round from the start equals FocalLoss's own step."""
    X, y, w = data
    dtrain = xgb.DMatrix(X, y, weight=w)
    obj = FocalObjective(gamma=1.0)
    bst = xgb.Booster(obj.train_params(PARAMS, dtrain), [dtrain])
    loop = ResidentLoop(bst, dtrain, X, obj.loss)
    start = FocalLoss(gamma=1.0).init_score(y, w)
    np.testing.assert_allclose(loop.margins, start, rtol=0, atol=1e-6)


def test_multiclass_same_model_as_xgb_train():
    """MulticlassFocalObjective ((n, K) margins, vector base_score, hessian_scale) through the
    resident loop: the model xgb.train builds, bit for bit, with early stopping."""
    from boostfocal.xgboost import MulticlassFocalMetric, MulticlassFocalObjective

    rng = np.random.default_rng(3)
    n, k = 3000, 4
    X = rng.normal(size=(n, 5)).astype(np.float32)
    y = np.argmax(X[:, :k] + rng.gumbel(size=(n, k)) + [0.0, 0.0, 0.0, -2.5], axis=1).astype(float)
    w = rng.uniform(0.5, 2.0, n)
    obj = MulticlassFocalObjective(gamma=2.0, alpha=[1.0, 1.0, 1.0, 3.0])
    metric = MulticlassFocalMetric(gamma=2.0, alpha=[1.0, 1.0, 1.0, 3.0])
    models, results = [], []
    for resident in (False, True):
        dtrain = xgb.DMatrix(X, y, weight=w)
        dvalid = xgb.DMatrix(X[::-1] * 1.5, y)
        result = {}
        extra = {"data": X} if resident else {}
        models.append(train({**PARAMS, "num_class": k, "eta": 0.8}, dtrain, 40, obj=obj,
                            evals=[(dvalid, "valid")], custom_metric=metric,
                            early_stopping_rounds=3, evals_result=result, verbose_eval=False,
                            **extra))
        results.append(result)
    assert models[0].best_iteration == models[1].best_iteration < 36
    assert results[0] == results[1]
    assert models[0].save_raw() == models[1].save_raw()


def test_multiclass_loop_margins_are_xgboosts():
    from boostfocal.xgboost import MulticlassFocalObjective

    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 4)).astype(np.float32)
    y = rng.integers(0, 3, 2000).astype(float)
    dtrain = xgb.DMatrix(X, y)
    obj = MulticlassFocalObjective(gamma=1.0)
    params = obj.train_params({**PARAMS, "num_class": 3}, dtrain)
    bst = xgb.Booster(params, [dtrain])
    loop = ResidentLoop(bst, dtrain, X, obj)
    assert loop.margins.shape == (2000, 3)
    for i in range(6):
        loop.step(i)
        np.testing.assert_array_equal(loop.margins, bst.predict(dtrain, output_margin=True,
                                                                training=True))
