"""Write tests/data/saved_models/: tiny models saved by this version of boostfocal, for
tests/test_saved_models.py (issue 24: models saved by today's code must still load and predict
the same after the redesign).

For each booster (XGBoost, LightGBM, CatBoost) x family (binary with non-trivial gamma, alpha and
label_smoothing; multiclass K = 3 with per-class alpha) x entry (the booster module's native
helper, and the scikit-learn estimator):

* native: ``boostfocal.<booster>.train`` / ``fit``, saved in the booster's own formats
  (XGBoost json + ubj, LightGBM txt, CatBoost cbm + json);
* estimator: ``Focal*Classifier`` pickled (a supported path: tests/test_estimators.py round-trips
  pickle and joblib), and its booster saved in the booster's own format too.

``cases.npz`` holds the input rows and every expected ``predict_proba``; ``manifest.json`` the
file names, the loss parameters each model must report and the library versions that wrote them.
Everything is seeded and single-threaded, so a rerun writes the same numbers. Run it from the
repository root only to (re)create the fixtures with the CURRENT code: never after the code
changed how models are stored, or the test guards nothing.

    python tests/data/make_saved_models.py
"""
from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "saved_models"
N, D, ROUNDS = 240, 4, 5
BINARY = {"gamma": 1.5, "alpha": 0.35, "label_smoothing": 0.05}
MULTICLASS = {"gamma": 2.0, "alpha": [0.2, 0.5, 0.3], "label_smoothing": 0.05}
CLASS_NAMES = ["ant", "bee", "cat"]  # the multiclass estimators' labels (string classes_)


def data():
    rng = np.random.default_rng(24)
    X = rng.normal(size=(N, D))
    score = X @ np.array([1.2, -0.8, 0.5, 0.0])
    y_bin = (score + rng.normal(scale=0.7, size=N) > 0.9).astype(np.float64)  # ~25 % positive
    third = np.stack([score, X[:, 1] * 1.5, -score + X[:, 2]], axis=1) + rng.gumbel(size=(N, 3))
    y_mc = np.argmax(third, axis=1).astype(np.float64)
    return X, y_bin, y_mc


def native_xgboost(X, y, family):
    import xgboost as xgb

    from boostfocal import xgboost as bx

    obj = (bx.FocalObjective(**BINARY) if family == "binary"
           else bx.MulticlassFocalObjective(**MULTICLASS))
    params = {"max_depth": 2, "eta": 0.3, "nthread": 1, "seed": 0, "verbosity": 0}
    if family == "multiclass":
        params["num_class"] = 3
    booster = bx.train(params, xgb.DMatrix(X, label=y), ROUNDS, obj=obj)
    names = []
    for ext in ("json", "ubj"):
        name = f"xgboost_{family}_native.{ext}"
        booster.save_model(str(OUT / name))
        names.append(name)
    return names, bx.predict_proba(booster, X), obj.loss


def native_lightgbm(X, y, family):
    import lightgbm as lgb

    from boostfocal import lightgbm as bl

    obj = (bl.FocalObjective(**BINARY) if family == "binary"
           else bl.MulticlassFocalObjective(**MULTICLASS))
    params = {"objective": obj, "num_leaves": 4, "learning_rate": 0.3, "min_data_in_leaf": 5,
              "num_threads": 1, "seed": 0, "deterministic": True, "verbose": -1}
    if family == "multiclass":
        params["num_class"] = 3
    booster = bl.train(params, lgb.Dataset(X, label=y), ROUNDS)
    name = f"lightgbm_{family}_native.txt"
    booster.save_model(str(OUT / name))
    return [name], bl.predict_proba(booster, X), obj.loss


def native_catboost(X, y, family):
    from catboost import CatBoostClassifier

    from boostfocal import catboost as bc

    obj = (bc.FocalObjective(**BINARY) if family == "binary"
           else bc.MulticlassFocalObjective(**MULTICLASS))
    model = CatBoostClassifier(loss_function=obj, iterations=ROUNDS, depth=2, learning_rate=0.3,
                               random_seed=0, thread_count=1, verbose=0, allow_writing_files=False)
    bc.fit(model, X, y)
    names = []
    for ext in ("cbm", "json"):
        name = f"catboost_{family}_native.{ext}"
        model.save_model(str(OUT / name), format=ext)
        names.append(name)
    return names, bc.predict_proba(model, X), obj.loss


ESTIMATOR = {"xgboost": ("FocalXGBClassifier", "json", {"max_depth": 3, "n_jobs": 1}),
             "lightgbm": ("FocalLGBMClassifier", "txt",
                          {"num_leaves": 6, "min_child_samples": 5, "n_jobs": 1,
                           "deterministic": True, "verbose": -1}),
             "catboost": ("FocalCatBoostClassifier", "cbm",
                          {"depth": 3, "thread_count": 1})}


def estimator(booster, X, y, family):
    import boostfocal

    cls_name, ext, extra = ESTIMATOR[booster]
    if family == "binary":
        params, labels = dict(BINARY), y
    else:  # string classes and alpha keyed by class label: the estimator maps both
        params = {**MULTICLASS, "alpha": dict(zip(CLASS_NAMES, MULTICLASS["alpha"]))}
        labels = np.array(CLASS_NAMES, dtype=object)[y.astype(int)]
    clf = getattr(boostfocal, cls_name)(**params, hessian="expected", init_score="optimal",
                                        n_estimators=ROUNDS, learning_rate=0.2, random_state=0,
                                        **extra)
    clf.fit(X, labels)
    name = f"{booster}_{family}_estimator.pkl"
    with open(OUT / name, "wb") as f:
        pickle.dump(clf, f, protocol=4)
    booster_name = f"{booster}_{family}_estimator_booster.{ext}"
    if booster == "xgboost":
        clf.get_booster().save_model(str(OUT / booster_name))
    else:
        clf.booster_.save_model(str(OUT / booster_name))
    return [name, booster_name], clf.predict_proba(X), clf.loss_, clf.classes_.tolist()


def main():
    import boostfocal
    import catboost
    import lightgbm
    import xgboost

    OUT.mkdir(exist_ok=True)
    X, y_bin, y_mc = data()
    arrays = {"X": X, "y_binary": y_bin, "y_multiclass": y_mc}
    cases = {}
    native = {"xgboost": native_xgboost, "lightgbm": native_lightgbm, "catboost": native_catboost}
    for booster, make in native.items():
        for family, y in (("binary", y_bin), ("multiclass", y_mc)):
            key = f"{booster}_{family}_native"
            files, proba, loss = make(X, y, family)
            arrays[key] = proba
            cases[key] = {"booster": booster, "family": family, "entry": "native",
                          "files": files, "loss": loss.get_params()}
            key = f"{booster}_{family}_estimator"
            files, proba, loss, classes = estimator(booster, X, y, family)
            arrays[key] = proba
            cases[key] = {"booster": booster, "family": family, "entry": "estimator",
                          "files": files, "loss": loss.get_params(), "classes": classes}
    np.savez_compressed(OUT / "cases.npz", **arrays)
    manifest = {"written_by": {"boostfocal": boostfocal.__version__,
                               "xgboost": xgboost.__version__, "lightgbm": lightgbm.__version__,
                               "catboost": catboost.__version__,
                               "python": sys.version.split()[0], "numpy": np.__version__},
                "cases": cases}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(cases)} cases, {len(list(OUT.iterdir()))} files, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    main()
