"""Real-data multiclass study: softmax vs class-weighted softmax vs the multiclass focal loss.

    python benchmarks/quality/study_multiclass.py --out benchmarks/quality/results_multiclass.csv
    python benchmarks/quality/study_multiclass.py --datasets clothing --boosters lightgbm \\
        --seeds 0 1 --configs softmax "focal g=2 *" --max-train-rows 5000

Baselines are each booster's own softmax cross-entropy (``multi:softprob``, ``multiclass``,
``MultiClass``), plain and with balanced class weights (sample weight ``n / (K n_k)``), through
the boosters' scikit-learn classifiers. The focal configurations go through boostfocal's
estimators (``focal_model``: three or more classes train ``MulticlassFocalLoss``). Every run has
early stopping (50 rounds) on the validation split's own training loss, and is scored on the test
split. One CSV row per (dataset, booster, config, seed, training rows); finished rows are skipped
on a re-run, so the study resumes. ``report_multiclass.py`` turns the CSV into tables and plots.

Configurations (``configs()``): the two baselines; gamma in {0.5, 1, 2, 3} x alpha in {None,
"inv"} (inverse class frequency, the same vector as the weighted softmax's class weights, so
gamma = 0 with alpha "inv" *is* the weighted softmax) with the reference hessian "clipped" and
zero start (the binary estimators' defaults); and for each gamma with alpha None one factor
changed: hessian "expected" / "exact", start "optimal". ``--design full`` crosses gamma x alpha x
hessian x start (48 focal configs).

Metrics on the test split, for ``predict_proba`` (the focal posterior for focal models): macro
average precision (one-vs-rest AP averaged over classes), the rarest class's AP and recall
(argmax prediction), balanced accuracy, multiclass log-loss, and the classwise ECE (mean over
classes of the one-vs-rest ECE, 15 equal-count bins); and for comparison the log-loss, ECE and
macro AP of the plain softmax of the same raw scores.
"""
from __future__ import annotations

import argparse
import csv
import fnmatch
import itertools
import os
import pathlib
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import multiclass_datasets  # noqa: E402

from boostfocal.demo import expected_calibration_error  # noqa: E402 (the demo's ECE, 15 bins)

GAMMAS = (0.5, 1.0, 2.0, 3.0)
ALPHAS = (None, "inv")
HESSIANS = ("clipped", "expected", "exact")
STARTS = ("zero", "optimal")
REF_HESSIAN, REF_START = "clipped", "zero"
BOOSTERS = ("xgboost", "lightgbm", "catboost")
EARLY_STOPPING = 50
FIELDS = ("dataset", "booster", "config", "seed", "gamma", "alpha", "hessian", "start", "K",
          "rare_class", "n_train", "n_test", "rounds", "fit_s", "neg_hess", "macro_AP", "rare_AP",
          "rare_recall", "balanced_accuracy", "log_loss", "ECE", "macro_AP_softmax",
          "log_loss_softmax", "ECE_softmax")


def config(gamma=None, alpha=None, hessian=REF_HESSIAN, start=REF_START, weighted=False):
    """One configuration; ``gamma=None`` is the booster's built-in softmax."""
    if gamma is None:
        name = "weighted softmax" if weighted else "softmax"
    else:
        name = f"focal g={gamma:g} a={alpha or '-'}" + \
            (f" hess={hessian}" if hessian != REF_HESSIAN else "") + \
            (f" start={start}" if start != REF_START else "")
    return dict(config=name, gamma=gamma, alpha=alpha, hessian=hessian, start=start,
                weighted=weighted)


def configs(design="main"):
    out = [config(), config(weighted=True)]
    if design == "full":
        return out + [config(g, a, h, s) for g, a, h, s in
                      itertools.product(GAMMAS, ALPHAS, HESSIANS, STARTS)]
    out += [config(g, a) for g, a in itertools.product(GAMMAS, ALPHAS)]
    for g in GAMMAS:
        out += [config(g, hessian="expected"), config(g, hessian="exact"),
                config(g, start="optimal")]
    return out


def class_weights(y, K):
    """Balanced class weights ``n / (K n_k)`` (scikit-learn's "balanced"): rows' mean weight 1."""
    counts = np.bincount(y, minlength=K).astype(np.float64)
    if (counts == 0).any():
        raise ValueError(f"every class needs a training row; counts {counts.tolist()}")
    return len(y) / (K * counts)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


BOOSTER_ARGS = {
    "xgboost": dict(max_depth=6, tree_method="hist"),
    "lightgbm": dict(verbose=-1),
    "catboost": dict(max_depth=6),
}


class Fitted:
    """What a run needs of a fitted model: raw scores (n, K), probabilities (n, K), rounds."""

    def __init__(self, raw, proba, rounds, loss=None):
        self.raw, self.proba, self.rounds, self.loss = raw, proba, rounds, loss


def builtin_model(booster, X, y, w, Xv, yv, wv, seed, n_jobs, n_estimators, learning_rate):
    """The booster's own softmax through its scikit-learn classifier, early-stopped on the
    validation set's (weighted, if ``w``) multiclass log-loss."""
    common = dict(n_estimators=n_estimators, learning_rate=learning_rate, random_state=seed,
                  n_jobs=n_jobs)
    if booster == "xgboost":
        import xgboost as xgb

        m = xgb.XGBClassifier(objective="multi:softprob", eval_metric="mlogloss",
                              early_stopping_rounds=EARLY_STOPPING, **common,
                              **BOOSTER_ARGS[booster])
        m.fit(X, y, sample_weight=w, eval_set=[(Xv, yv)],
              sample_weight_eval_set=None if wv is None else [wv], verbose=False)
        end = m.best_iteration + 1

        def raw(Z):
            return m.get_booster().predict(xgb.DMatrix(Z), output_margin=True,
                                           iteration_range=(0, end)).astype(np.float64)
        return Fitted(raw, lambda Z: m.predict_proba(Z, iteration_range=(0, end)), end)
    if booster == "lightgbm":
        import lightgbm as lgb

        m = lgb.LGBMClassifier(objective="multiclass", **common, **BOOSTER_ARGS[booster])
        with warnings.catch_warnings():  # 4.7 renames eval_set (eval_X, eval_y); 4.0 has not
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            m.fit(X, y, sample_weight=w, eval_set=[(Xv, yv)],
                  eval_sample_weight=None if wv is None else [wv],
                  callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)])
        return Fitted(lambda Z: m.predict(Z, raw_score=True).astype(np.float64),
                      m.predict_proba, m.best_iteration_)
    if booster == "catboost":
        from catboost import CatBoostClassifier, Pool

        m = CatBoostClassifier(loss_function="MultiClass", iterations=n_estimators,
                               learning_rate=learning_rate, depth=BOOSTER_ARGS[booster]["max_depth"],
                               random_seed=seed, thread_count=n_jobs or -1, verbose=False,
                               allow_writing_files=False, early_stopping_rounds=EARLY_STOPPING)
        m.fit(Pool(X, y, weight=w), eval_set=Pool(Xv, yv, weight=wv))
        return Fitted(lambda Z: np.asarray(m.predict(Z, prediction_type="RawFormulaVal"),
                                           dtype=np.float64),
                      m.predict_proba, m.get_best_iteration() + 1)
    raise ValueError(f"booster must be one of {BOOSTERS}; got {booster!r}")


def focal_estimator(booster, cfg, alpha, seed, n_jobs, n_estimators, learning_rate):
    """boostfocal's estimator for ``booster`` with the focal configuration ``cfg``."""
    import boostfocal

    cls = {"xgboost": boostfocal.FocalXGBClassifier, "lightgbm": boostfocal.FocalLGBMClassifier,
           "catboost": boostfocal.FocalCatBoostClassifier}[booster]
    return cls(gamma=cfg["gamma"], alpha=alpha, hessian=cfg["hessian"],
               init_score=cfg["start"], n_estimators=n_estimators, learning_rate=learning_rate,
               early_stopping_rounds=EARLY_STOPPING, random_state=seed, n_jobs=n_jobs,
               **BOOSTER_ARGS[booster])


def focal_supported():
    """Whether this checkout's estimators train the multiclass focal loss."""
    try:
        from boostfocal.multiclass import MulticlassFocalLoss  # noqa: F401
    except ImportError:
        return False
    from boostfocal.estimators._base import FocalClassifierBase

    return FocalClassifierBase().__sklearn_tags__().classifier_tags.multi_class


def focal_model(booster, cfg, X, y, Xv, yv, alpha, seed, n_jobs, n_estimators, learning_rate):
    """The hook for the focal configurations: boostfocal's estimator, early-stopped on the
    validation set's focal loss."""
    if not focal_supported():
        raise NotImplementedError("this checkout's estimators are binary only (no "
                                  "boostfocal.multiclass): focal configurations are skipped")
    est = focal_estimator(booster, cfg, alpha, seed, n_jobs, n_estimators, learning_rate)
    est.fit(X, y, eval_set=[(Xv, yv)])
    rounds = est.n_estimators_ if est.best_iteration_ is None else est.best_iteration_ + 1
    loss = est.loss_ if hasattr(est, "loss_") else est.focal_loss()
    return Fitted(est.decision_function, est.predict_proba, rounds, loss)


def subsample(rows, y, cap, seed):
    """At most ``cap`` of ``rows``, stratified by ``y`` (every class kept), sorted."""
    if cap is None or len(rows) <= cap:
        return rows
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(rows, train_size=cap, stratify=y[rows], random_state=seed)
    return np.sort(keep)


def scores(y, P, rare, K):
    """The study's metrics of probabilities ``P`` (n, K) for labels ``y`` (codes 0..K-1)."""
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, log_loss

    onehot = np.eye(K)[y]
    ap = [average_precision_score(onehot[:, k], P[:, k]) for k in range(K)]
    pred = P.argmax(axis=1)
    clip = np.clip(P, 1e-15, 1.0)
    return dict(macro_AP=float(np.mean(ap)), rare_AP=ap[rare],
                rare_recall=float(np.mean(pred[y == rare] == rare)),
                balanced_accuracy=balanced_accuracy_score(y, pred),
                log_loss=log_loss(y, clip / clip.sum(axis=1, keepdims=True), labels=range(K)),
                ECE=classwise_ece(y, P, K))


def classwise_ece(y, P, K):
    """Mean over classes of the one-vs-rest ECE (15 equal-count bins each)."""
    return float(np.mean([expected_calibration_error((y == k).astype(np.float64), P[:, k])
                          for k in range(K)]))


def negative_hessian_share(loss, y, z):
    """Share of rows with a negative diagonal entry of the exact focal hessian at scores ``z``
    (NaN when the loss is not available)."""
    if loss is None:
        return float("nan")
    try:
        exact = type(loss)(gamma=loss.gamma, alpha=loss.alpha, hessian="exact")
        _, h = exact.gradient_hessian(y, z)
    except Exception:  # noqa: BLE001 (a diagnostic; never fail a run for it)
        return float("nan")
    return float(np.mean((np.asarray(h) < 0).any(axis=1)))


def run_one(data, booster, cfg, seed, n_jobs=1, n_estimators=2000, learning_rate=0.1,
            max_train_rows=None, max_eval_rows=None):
    """Fit one configuration on one split; return the CSV row."""
    K = len(data.classes)
    tr, va, te = split(data, seed, max_train_rows, max_eval_rows)
    y_tr, y_va, y_te = data.y[tr], data.y[va], data.y[te]
    cw = class_weights(y_tr, K)
    start = time.perf_counter()
    if cfg["gamma"] is None:
        w, wv = (cw[y_tr], cw[y_va]) if cfg["weighted"] else (None, None)
        fitted = builtin_model(booster, data.X[tr], y_tr, w, data.X[va], y_va, wv, seed, n_jobs,
                               n_estimators, learning_rate)
    else:
        alpha = None if cfg["alpha"] is None else [float(a) for a in cw]
        fitted = focal_model(booster, cfg, data.X[tr], y_tr, data.X[va], y_va, alpha, seed,
                             n_jobs, n_estimators, learning_rate)
    seconds = time.perf_counter() - start
    z = fitted.raw(data.X[te])
    P = np.asarray(fitted.proba(data.X[te]), dtype=np.float64)
    if z.shape != (len(te), K) or P.shape != (len(te), K):
        raise RuntimeError(f"{booster} {cfg['config']}: raw {z.shape}, proba {P.shape}; "
                           f"expected ({len(te)}, {K})")
    S = softmax(z)
    post, soft = scores(y_te, P, data.rare, K), scores(y_te, S, data.rare, K)
    neg = float("nan") if fitted.loss is None else \
        negative_hessian_share(fitted.loss, y_tr, fitted.raw(data.X[tr]))
    return dict(dataset=data.name, booster=booster, config=cfg["config"], seed=seed,
                gamma="" if cfg["gamma"] is None else cfg["gamma"], alpha=cfg["alpha"] or "",
                hessian="" if cfg["gamma"] is None else cfg["hessian"],
                start="" if cfg["gamma"] is None else cfg["start"], K=K, rare_class=data.rare,
                n_train=len(tr), n_test=len(te), rounds=int(fitted.rounds), fit_s=seconds,
                neg_hess=neg, **post, macro_AP_softmax=soft["macro_AP"],
                log_loss_softmax=soft["log_loss"], ECE_softmax=soft["ECE"])


def split(data, seed, max_train_rows=None, max_eval_rows=None):
    """The dataset's split for ``seed``, each part capped (stratified) if asked."""
    tr, va, te = data.split(seed)
    return (subsample(tr, data.y, max_train_rows, seed), subsample(va, data.y, max_eval_rows, seed),
            subsample(te, data.y, max_eval_rows, seed))


def done_keys(out):
    if not out.exists():
        return set()
    with out.open() as f:
        return {(r["dataset"], r["booster"], r["config"], int(r["seed"]), int(r["n_train"]))
                for r in csv.DictReader(f)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(multiclass_datasets.NAMES))
    ap.add_argument("--boosters", nargs="+", default=list(BOOSTERS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--design", choices=("main", "full"), default="main")
    ap.add_argument("--configs", nargs="*",
                    help="only the configs whose name matches one of these (fnmatch: '*' wildcard)")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--n-estimators", type=int, default=2000)
    ap.add_argument("--learning-rate", type=float, default=0.1)
    ap.add_argument("--max-train-rows", type=int, default=None,
                    help="stratified subsample of the training split (default: all of it)")
    ap.add_argument("--max-eval-rows", type=int, default=None,
                    help="stratified subsample of the validation and test splits each")
    ap.add_argument("--out", type=pathlib.Path,
                    default=pathlib.Path(__file__).resolve().parent / "results_multiclass.csv")
    args = ap.parse_args(argv)
    cfgs = configs(args.design)
    if args.configs:
        cfgs = [c for c in cfgs if any(fnmatch.fnmatchcase(c["config"], p) for p in args.configs)]
    if not focal_supported() and any(c["gamma"] is not None for c in cfgs):
        print("note: this checkout's estimators are binary only; focal configurations skipped",
              flush=True)
        cfgs = [c for c in cfgs if c["gamma"] is None]
    done = done_keys(args.out)
    new = not args.out.exists()
    with args.out.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        for name in args.datasets:
            data = multiclass_datasets.load(name)
            n_train = {s: len(split(data, s, args.max_train_rows)[0]) for s in args.seeds}
            todo = [(b, c, s) for s in args.seeds for b in args.boosters for c in cfgs
                    if (name, b, c["config"], s, n_train[s]) not in done]
            print(f"{data}: {len(todo)} runs", flush=True)
            for i, (booster, cfg, seed) in enumerate(todo):
                row = run_one(data, booster, cfg, seed, args.n_jobs, args.n_estimators,
                              args.learning_rate, args.max_train_rows, args.max_eval_rows)
                writer.writerow(row)
                f.flush()
                print(f"  [{i + 1}/{len(todo)}] {booster:8s} {cfg['config']:34s} seed {seed} "
                      f"macro AP {row['macro_AP']:.4f} rare AP {row['rare_AP']:.4f} "
                      f"rounds {row['rounds']:4d} {row['fit_s']:.1f}s", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
