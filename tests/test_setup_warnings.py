"""boostfocal's SetupWarning fires only when a piece of the setup is missing, names that piece,
and can be silenced by category; a LightGBM model that stores the loss loads without a word."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

import boostfocal  # noqa: E402
from boostfocal import _adapter  # noqa: E402
from boostfocal import lightgbm as bl  # noqa: E402
from boostfocal import xgboost as bx  # noqa: E402


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(_adapter, "_WARNED", set())  # the warnings are once per process


def data(k):
    rng = np.random.default_rng(k)
    X = rng.normal(size=(300, 4))
    y = np.digitize(X[:, 0] + 0.5 * rng.normal(size=300), [0.3, 1.0][:k - 1]).astype(float)
    return X, y


def setup_warnings(fit):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in record if issubclass(w.category, boostfocal.SetupWarning)]


# -- XGBClassifier --------------------------------------------------------------------------

def xgb_fit(k, base_score=True, eval_metric=True, eval_set=True, metric_gamma=2.0):
    X, y = data(k)
    binary = k == 2
    obj = (bx.FocalObjective if binary else bx.MulticlassFocalObjective)(gamma=2.0)
    metric = (bx.FocalMetric if binary else bx.MulticlassFocalMetric)(gamma=metric_gamma)
    kw = dict(n_estimators=2, n_jobs=1)
    if base_score:
        kw["base_score"] = obj.base_score(y)
    if eval_metric:
        kw["eval_metric"] = metric
    fit = dict(eval_set=[(X, y)], verbose=False) if eval_set else {}
    return lambda: xgb.XGBClassifier(objective=obj, **kw).fit(X, y, **fit)


@pytest.mark.parametrize("k", [2, 3])
def test_xgbclassifier_warns_only_for_the_missing_piece(k):
    name = "FocalObjective" if k == 2 else "MulticlassFocalObjective"
    metric = "FocalMetric" if k == 2 else "MulticlassFocalMetric"
    assert setup_warnings(xgb_fit(k)) == []  # everything given: silent
    assert setup_warnings(xgb_fit(k, eval_metric=False, eval_set=False)) == []  # nothing to score
    assert setup_warnings(xgb_fit(k, base_score=False)) == [
        f"XGBClassifier(objective={name}(...)): pass base_score=obj.base_score(y, sample_weight) "
        "(else training starts at margin 0, not at the focal optimum)"]
    [text] = setup_warnings(xgb_fit(k, eval_metric=False))
    assert text.startswith(f"XGBClassifier(objective={name}(...)): pass eval_metric={metric}(...)")
    assert "base_score" not in text
    [text] = setup_warnings(xgb_fit(k, metric_gamma=1.0))
    assert f"eval_metric={metric}(gamma=1.0) has other parameters than the objective" in text
    [text] = setup_warnings(xgb_fit(k, base_score=False, eval_metric=False))
    assert "pass base_score=" in text and f"; pass eval_metric={metric}(...)" in text


def test_xgbclassifier_base_margin_is_a_start():
    X, y = data(2)
    obj = bx.FocalObjective()
    margin = np.full(len(y), obj.loss.init_score(y))
    clf = xgb.XGBClassifier(objective=obj, n_estimators=2)
    assert setup_warnings(lambda: clf.fit(X, y, base_margin=margin)) == []


# -- LGBMClassifier -------------------------------------------------------------------------

def lgb_fit(k, init_score=True, metric_none=True, eval_metric=True, eval_set=True):
    X, y = data(k)
    binary = k == 2
    obj = (bl.FocalObjective if binary else bl.MulticlassFocalObjective)(gamma=2.0)
    start = obj.init_score(y)
    kw = dict(n_estimators=2, n_jobs=1, verbose=-1)
    if metric_none:
        kw["metric"] = "None"
    fit = {}
    if init_score:
        fit["init_score"] = np.full(len(y), start) if binary else np.tile(start, (len(y), 1))
    if eval_set:
        fit.update(eval_X=(X,), eval_y=(y,))
    if eval_metric:
        fit["eval_metric"] = (bl.FocalMetric if binary else bl.MulticlassFocalMetric)(gamma=2.0)
    return lambda: lgb.LGBMClassifier(objective=obj, **kw).fit(X, y, **fit)


@pytest.mark.parametrize("k", [2, 3])
def test_lgbmclassifier_warns_only_for_the_missing_piece(k):
    name = "FocalObjective" if k == 2 else "MulticlassFocalObjective"
    metric = "FocalMetric" if k == 2 else "MulticlassFocalMetric"
    logloss = "binary_logloss" if k == 2 else "multi_logloss"
    prefix = f"LGBMClassifier(objective={name}(...)): "
    assert setup_warnings(lgb_fit(k)) == []  # the setup: silent
    assert setup_warnings(lgb_fit(k, metric_none=False, eval_metric=False, eval_set=False)) == []
    [text] = setup_warnings(lgb_fit(k, init_score=False))
    assert text.startswith(prefix + "pass init_score=") and "metric" not in text
    assert ("np.full(len(y), start)" if k == 2 else "np.tile(start, (len(y), 1))") in text
    assert setup_warnings(lgb_fit(k, metric_none=False)) == [
        prefix + f"pass metric='None' (else the eval sets are scored by {logloss} of the raw "
        "scores read as probabilities, which is meaningless)"]
    assert setup_warnings(lgb_fit(k, eval_metric=False)) == [
        prefix + f"pass eval_metric={metric}(...) with the objective's parameters (to watch the "
        "focal loss)"]
    [text] = setup_warnings(lgb_fit(k, init_score=False, metric_none=False, eval_metric=False))
    assert [part.split(" ")[1].split("=")[0] for part in text[len(prefix):].split("; ")] == [
        "init_score", "metric", "eval_metric"]


def test_the_warning_is_filterable_by_category():
    assert issubclass(boostfocal.SetupWarning, UserWarning)
    assert "SetupWarning" in boostfocal.__all__
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=boostfocal.SetupWarning)
        xgb_fit(2, base_score=False)()
        lgb_fit(2, init_score=False)()
        xgb.train({}, xgb.DMatrix(*data(2)), 2, obj=bx.FocalObjective())  # placeholder start
    assert [str(w.message) for w in record if "boostfocal" in str(w.message)
            or "Objective" in str(w.message)] == []
    with pytest.warns(boostfocal.SetupWarning, match="placeholder margin 0.5"):
        xgb.train({}, xgb.DMatrix(*data(2)), 2, obj=bx.FocalObjective())


# -- LightGBM model files -------------------------------------------------------------------

LOAD = """
import pickle, sys
import lightgbm as lgb
import numpy as np
from boostfocal.lightgbm import predict_proba
X = np.random.default_rng(1).normal(size=(5, 4))
path = sys.argv[1]
a = lgb.Booster(model_file=path)
with open(path) as f:
    b = lgb.Booster(model_str=f.read())
c = pickle.loads(pickle.dumps(a))
c.save_model(path + ".again")
d = lgb.Booster(model_file=path + ".again")
np.save(path + ".npy", np.stack([predict_proba(m, X) for m in (a, b, c, d)]))
"""


def run_load(path):
    """Load the model file in a fresh interpreter (LightGBM at its default verbosity): its
    fd-level stdout and stderr, and the four copies' predict_proba."""
    out = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True,
                         timeout=120, env={**os.environ, "PYTHONWARNINGS": "default"})
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode(), out.stderr.decode(), np.load(str(path) + ".npy")


@pytest.mark.parametrize("k", [2, 3])
def test_lightgbm_model_with_the_loss_loads_silently(tmp_path, k):
    X, y = data(k)
    obj = (bl.FocalObjective if k == 2 else bl.MulticlassFocalObjective)(gamma=1.5)
    params = {"objective": obj, "verbosity": -1, "num_threads": 1}
    if k > 2:
        params["num_class"] = k
    bst = bl.train(params, lgb.Dataset(X, y), 3)
    path = tmp_path / "model.txt"
    bst.save_model(path)
    text = path.read_text()
    assert text.count("[boostfocal_loss=") == 1 and "[boostfocal_loss:" not in text
    assert "boostfocal_loss" not in bst.params
    out, err, arrays = run_load(path)
    assert out == "" and err == ""  # nothing printed at any level, also on the second save
    Xn = np.random.default_rng(1).normal(size=(5, 4))
    want = obj.loss.predict_proba(bst.predict(Xn, raw_score=True))
    assert arrays.shape == (4, 5, k)
    for got in arrays:  # every copy keeps the loss: calibrated, without loss=
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    assert "[boostfocal_loss=" in (tmp_path / "model.txt.again").read_text()


def test_lightgbm_models_saved_in_the_old_form_still_load_with_their_loss(tmp_path):
    X, y = data(2)
    obj = bl.FocalObjective(gamma=1.5, alpha=0.3)
    bst = bl.train({"objective": obj, "verbosity": -1, "num_threads": 1}, lgb.Dataset(X, y), 3)
    import re
    text = bst.model_to_string()
    # the form earlier versions wrote: "[boostfocal_loss: <percent-encoded JSON>]"
    old = re.sub(r"^\[boostfocal_loss=([^:\]\n]*): \]$", r"[boostfocal_loss: \1]", text,
                 flags=re.M)
    assert old != text and "[boostfocal_loss: %7B" in old
    path = tmp_path / "old.txt"
    path.write_text(old)
    out, err, arrays = run_load(path)
    # LightGBM's own message for the old line (printed through Python's stdout)
    assert "Ignoring unrecognized parameter 'boostfocal_loss'" in out + err
    want = obj.loss.predict_proba(bst.predict(np.random.default_rng(1).normal(size=(5, 4)),
                                              raw_score=True))
    for got in arrays:
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    # re-storing the loss (boostfocal.lightgbm.train's step) rewrites it in the silent form
    loaded = lgb.Booster(model_str=old)
    bl._model.store(loaded, obj.loss)
    fresh = loaded.model_to_string()
    assert "[boostfocal_loss: " not in fresh and fresh.count("[boostfocal_loss=") == 1
    assert bl.predict_proba(loaded, X).tolist() == bl.predict_proba(bst, X).tolist()


# -- CatBoost outside boostfocal.catboost.fit -----------------------------------------------

@pytest.mark.parametrize("k", [2, 3])
def test_catboost_plain_warns_only_for_the_missing_piece(k):
    cb = pytest.importorskip("catboost")
    from boostfocal import catboost as bc

    X, y = data(k)
    binary = k == 2
    obj = (bc.FocalObjective if binary else bc.MulticlassFocalObjective)(gamma=2.0)
    start = obj.loss.init_score(y) if binary else obj.loss.init_score(np.eye(k)[y.astype(int)])
    baseline = np.full(len(y), start) if binary else np.tile(start, (len(y), 1))
    prefix = (f"CatBoost is training {type(obj).__name__} outside boostfocal.catboost.fit: ")

    def fit(class_names=True, base=True, metric_gamma=2.0, pool=False):
        metric = (bc.FocalMetric if binary else bc.MulticlassFocalMetric)(gamma=metric_gamma)
        kw = dict(class_names=list(range(k))) if class_names else {}
        # a new objective each time: the multiclass one checks on its first call for a K
        fresh = type(obj)(**obj.params())
        model = cb.CatBoostClassifier(loss_function=fresh, eval_metric=metric, iterations=2,
                                      thread_count=1, verbose=False, **kw)
        if pool:
            return lambda: model.fit(cb.Pool(X, y, baseline=baseline))
        return lambda: model.fit(X, y, **({"baseline": baseline} if base else {}))

    assert setup_warnings(fit()) == [] and setup_warnings(fit(pool=True)) == []
    [text] = setup_warnings(fit(base=False))
    assert text.startswith(prefix + "pass the start as fit's baseline=")
    assert "class_names" not in text
    [text] = setup_warnings(fit(metric_gamma=1.0))
    assert text.startswith(prefix + "eval_metric=") and "other parameters" in text
    if binary:  # CatBoost needs class_names for K > 2 itself
        [text] = setup_warnings(fit(class_names=False))
        assert text == (prefix + "pass class_names=[0, 1] (else predict() raises IndexError). "
                        "boostfocal.catboost.fit(model, X, y) sets all of it")
