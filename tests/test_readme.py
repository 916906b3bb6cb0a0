"""README.md is executable and true.

Every ```python block of README.md runs, in order of appearance, each in a FRESH namespace seeded
with the shared fixture below (so every block must be self-contained: its own imports, and names
taken only from the fixture; a reader can copy any one block on its own). Blocks run from a
temporary working directory, so files they write (``model.cbm``, ...) land there. New blocks are
picked up automatically: a block that needs a name the fixture lacks fails with a NameError that
names it; add the name to ``_FIXTURE_DOC`` / ``_fixture`` rather than skipping the block.

Fixture (small data: 2,000 rows, 10 features, ~10% positive, features float64):
``X, y, w`` training rows, labels 0/1, sample weights; ``X_val, y_val`` (alias ``Xv, yv``) the
validation rows; ``X_test, y_test``; ``dtrain, dvalid, dtest`` XGBoost DMatrix of those (weights
on dtrain); ``train_pool, valid_pool`` CatBoost Pools; ``X_dask, y_dask, w_dask`` dask arrays of
the training rows and ``client`` a dask ``LocalCluster`` client (processes=False, one worker,
started once per test module and only when a block uses it); ``y_true, y_pred, z`` 0/1 labels,
probabilities and raw scores of the training rows' length.

The README's claims are held here too: the scikit-learn checks it says are excused are exactly
the estimators' ``_xfail_checks``.
"""
import importlib.util
import pathlib
import re

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)
_FIXTURE_DOC = __doc__


def _line(block):
    """1-based line in README.md where a block's code starts (for messages and test ids)."""
    text = README.read_text()
    return text[:text.index(block)].count("\n") + 1


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import make_classification

    X, y = make_classification(2000, 10, n_informative=5, weights=[0.9], flip_y=0.01,
                               random_state=0)
    w = np.random.default_rng(0).uniform(0.5, 1.5, 2000)
    return {"X": X[:1200], "y": y[:1200], "w": w[:1200], "X_val": X[1200:1600],
            "y_val": y[1200:1600], "X_test": X[1600:], "y_test": y[1600:]}


@pytest.fixture(scope="module")
def dask_client():
    """Started on first use, closed when the module's tests end."""
    started = []

    def get():
        if not started:
            pytest.importorskip("distributed", reason="README dask blocks: pip install "
                                "'dask[distributed]'")
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                   dashboard_address=":0")
            started.append((cluster, Client(cluster)))
        return started[0][1]

    yield get
    for cluster, client in started:
        client.close()
        cluster.close()


def _fixture(data, block, dask_client):
    """A fresh namespace: the arrays, plus each booster's containers if the block needs them."""
    d = dict(data)
    d.update(Xv=d["X_val"], yv=d["y_val"], y_true=d["y"].astype(np.float64),
             y_pred=np.clip(np.random.default_rng(1).uniform(0, 1, len(d["y"])), 0.02, 0.98),
             z=np.random.default_rng(2).normal(0, 3, len(d["y"])), __name__="__readme__")
    if re.search(r"\b(dtrain|dvalid|dtest)\b", block):
        import xgboost as xgb

        d.update(dtrain=xgb.DMatrix(d["X"], d["y"], weight=d["w"]),
                 dvalid=xgb.DMatrix(d["X_val"], d["y_val"]), dtest=xgb.DMatrix(d["X_test"]))
    if re.search(r"\b(train_pool|valid_pool)\b", block):
        from catboost import Pool

        d.update(train_pool=Pool(d["X"], d["y"], weight=d["w"]),
                 valid_pool=Pool(d["X_val"], d["y_val"]))
    if re.search(r"\b(client|X_dask|y_dask|w_dask)\b", block):
        import dask.array as da

        d.update(client=dask_client(), X_dask=da.from_array(d["X"], chunks=(600, -1)),
                 y_dask=da.from_array(d["y"], chunks=600), w_dask=da.from_array(d["w"], chunks=600))
    return d


_BOOSTERS = ("xgboost", "lightgbm", "catboost", "dask")


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 8, "the README's ```python blocks were not found"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line{_line(b)}" for b in BLOCKS])
def test_readme_block_runs(block, data, dask_client, tmp_path, monkeypatch):
    missing = [m for m in _BOOSTERS if re.search(rf"\b{m}\b", block)
               and importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"README block at line {_line(block)} needs {missing}: pip install -e "
                    f"'.[all]'")
    monkeypatch.chdir(tmp_path)
    namespace = _fixture(data, block, dask_client)
    # one OpenMP thread: on a shared 2-core machine the boosters' spinning OpenMP threads and
    # numba's fight (LightGBM: 17 s instead of 0.2 s for 50 rounds); results do not depend on it
    with threadpool_limits(limits=1, user_api="openmp"):
        exec(compile(block, f"README.md, block at line {_line(block)}", "exec"), namespace)


def test_readme_names_every_excused_estimator_check():
    """The README's list of scikit-learn checks excused matches the estimators' _xfail_checks."""
    import boostfocal

    text = README.read_text()
    excused = {}
    for name in ("FocalXGBClassifier", "FocalLGBMClassifier", "FocalCatBoostClassifier"):
        for check in getattr(getattr(boostfocal, name), "_xfail_checks", {}):
            excused.setdefault(check, []).append(name)
    assert excused, "no estimator excuses a check: update this test and the README"
    for check in excused:
        assert f"`{check}`" in text, f"README does not name the excused check {check}"
    named = set(re.findall(r"`(check_\w+)`", text))
    assert named <= set(excused), f"README names checks no estimator excuses: {named - set(excused)}"


def test_readme_xgboost_stopping_metric_is_as_stated(data):
    """The README: with eval_metric="aucpr" and a FocalMetric, early stopping watches the focal
    loss (the last metric); the EarlyStopping callback it shows stops on AUCPR."""
    xgb = pytest.importorskip("xgboost")
    from boostfocal.xgboost import FocalMetric, FocalObjective, train

    obj, metric = FocalObjective(gamma=2.0, alpha=0.25), FocalMetric(gamma=2.0, alpha=0.25)
    dtrain = xgb.DMatrix(data["X"], data["y"], weight=data["w"])
    dvalid = xgb.DMatrix(data["X_val"], data["y_val"])
    params = {"tree_method": "hist", "eval_metric": "aucpr", "nthread": 1}
    for how in ("rounds", "callback"):
        history = {}
        stop = {"early_stopping_rounds": 20} if how == "rounds" else {"callbacks": [
            xgb.callback.EarlyStopping(rounds=20, metric_name="aucpr", data_name="valid",
                                       maximize=True)]}
        bst = train(params, dtrain, num_boost_round=500, obj=obj, custom_metric=metric,
                    evals=[(dvalid, "valid")], evals_result=history, verbose_eval=False, **stop)
        aucpr = history["valid"]["aucpr"]
        focal = next(v for k, v in history["valid"].items() if k != "aucpr")
        assert len(aucpr) < 500  # it stopped
        expected = int(np.argmin(focal)) if how == "rounds" else int(np.argmax(aucpr))
        assert bst.best_iteration == expected, how
