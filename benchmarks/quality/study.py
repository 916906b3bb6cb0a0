"""Real-data study: log-loss vs class-weighted log-loss vs focal loss, per booster and dataset.

    python benchmarks/quality/study.py --out benchmarks/quality/results.csv          # everything
    python benchmarks/quality/study.py --datasets caravan --boosters xgboost --seeds 0

Each run fits boostfocal's estimator (the same code path for every loss: gamma = 0 is plain
log-loss, ``pos_weight = n_neg / n_pos`` at gamma = 0 the class-weighted one) with early stopping
on the validation split's own training loss, and scores the test split. One CSV row per
(dataset, booster, config, seed); finished rows are skipped on a re-run, so the study resumes.
``report.py`` turns the CSV into ``RESULTS.md`` and the plots.

Configurations (``configs()``): the two baselines; gamma in {0.5, 1, 2, 3} x alpha in
{None, 0.25, 0.75} with the defaults (expected hessian, optimal start); and for each gamma with
alpha None, one factor changed at a time: hessian "exact" / "clipped", start "zero", and the
booster's hessian-scale regularisation (``min_child_weight``, ``reg_lambda``, ...) multiplied by
the ratio of the focal to the log-loss hessian at the start ("reg=scaled"). ``--design full``
crosses gamma x alpha x hessian x start instead (72 focal configs).
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

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import datasets  # noqa: E402

from boostfocal.demo import expected_calibration_error  # noqa: E402,F401 (the demo's ECE, 15 bins)

GAMMAS = (0.5, 1.0, 2.0, 3.0)
ALPHAS = (None, 0.25, 0.75)
BOOSTERS = ("xgboost", "lightgbm", "catboost")
FIELDS = ("dataset", "booster", "config", "seed", "gamma", "alpha", "pos_weight", "hessian",
          "start", "reg", "ratio", "rounds", "neg_hess", "fit_s", "AP", "ROC_AUC", "log_loss", "Brier", "ECE",
          "log_loss_sigmoid", "Brier_sigmoid", "ECE_sigmoid")


def config(gamma=0.0, alpha=None, hessian="expected", start="optimal", reg="default",
           weighted=False):
    name = ("weighted log-loss" if weighted else "log-loss") if gamma == 0 else \
        f"focal g={gamma:g} a={alpha if alpha is not None else '-'}" + \
        (f" hess={hessian}" if hessian != "expected" else "") + \
        (f" start={start}" if start != "optimal" else "") + (" reg=scaled" if reg != "default" else "")
    return dict(config=name, gamma=gamma, alpha=alpha, weighted=weighted, hessian=hessian,
                start=start, reg=reg)


def configs(design="main"):
    out = [config(), config(weighted=True)]
    if design == "full":
        out += [config(g, a, h, s) for g, a, h, s in itertools.product(
            GAMMAS, ALPHAS, ("expected", "exact", "clipped"), ("optimal", "zero"))]
        return out
    out += [config(g, a) for g, a in itertools.product(GAMMAS, ALPHAS)]
    for g in GAMMAS:
        out += [config(g, hessian="exact"), config(g, hessian="clipped"),
                config(g, start="zero"), config(g, reg="scaled")]
    return out


def hessian_ratio(loss, y):
    """Mean focal hessian at its start / mean log-loss hessian at its start (logit of the rate)."""
    from boostfocal import FocalLoss

    ones = np.ones_like(y)
    plain = FocalLoss(gamma=0.0)
    _, h0 = plain.gradient_hessian(y, ones * plain.init_score(y))
    _, h = loss.gradient_hessian(y, ones * loss.init_score(y))
    return float(h.mean() / h0.mean())


# each booster's hessian-scale regularisation and its default value
HESSIAN_REG = {
    "xgboost": {"min_child_weight": 1.0, "reg_lambda": 1.0},
    "lightgbm": {"min_sum_hessian_in_leaf": 1e-3},
    "catboost": {"l2_leaf_reg": 3.0},
}
BOOSTER_ARGS = {
    "xgboost": dict(max_depth=6, tree_method="hist"),
    "lightgbm": dict(verbose=-1),
    "catboost": dict(max_depth=6),
}


def estimator(booster, cfg, pos_weight, ratio, seed, n_jobs, n_estimators, learning_rate):
    import boostfocal

    cls = {"xgboost": boostfocal.FocalXGBClassifier, "lightgbm": boostfocal.FocalLGBMClassifier,
           "catboost": boostfocal.FocalCatBoostClassifier}[booster]
    extra = dict(BOOSTER_ARGS[booster])
    if cfg["reg"] == "scaled":
        extra.update({k: v * ratio for k, v in HESSIAN_REG[booster].items()})
    return cls(gamma=cfg["gamma"], alpha=cfg["alpha"], pos_weight=pos_weight,
               hessian=cfg["hessian"], init_score=cfg["start"], n_estimators=n_estimators,
               learning_rate=learning_rate, early_stopping_rounds=50, random_state=seed,
               n_jobs=n_jobs, **extra)


def run_one(data, booster, cfg, seed, n_jobs=1, n_estimators=2000, learning_rate=0.1):
    """Fit one configuration on one split; return the CSV row."""
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, \
        roc_auc_score

    import boostfocal

    tr, va, te = data.split(seed)
    y_tr = data.y[tr]
    pos_weight = float((1 - y_tr).sum() / y_tr.sum()) if cfg["weighted"] else None
    loss = boostfocal.FocalLoss(cfg["gamma"], cfg["alpha"], pos_weight, hessian=cfg["hessian"])
    ratio = hessian_ratio(loss, y_tr)
    est = estimator(booster, cfg, pos_weight, ratio, seed, n_jobs, n_estimators, learning_rate)
    start = time.perf_counter()
    est.fit(data.X[tr], y_tr, eval_set=[(data.X[va], data.y[va])])
    seconds = time.perf_counter() - start
    y = data.y[te]
    z = est.decision_function(data.X[te])
    p = loss.posterior(z)
    s = boostfocal.FocalLoss(gamma=0.0).posterior(z)
    # share of training rows whose exact hessian is negative at the final model
    _, h = boostfocal.FocalLoss(cfg["gamma"], cfg["alpha"], pos_weight, hessian="exact") \
        .gradient_hessian(y_tr, est.decision_function(data.X[tr]))
    clip = 1e-15
    row = dict(dataset=data.name, booster=booster, config=cfg["config"], seed=seed,
               gamma=cfg["gamma"], alpha="" if cfg["alpha"] is None else cfg["alpha"],
               pos_weight="" if pos_weight is None else round(pos_weight, 4),
               hessian=cfg["hessian"], start=cfg["start"], reg=cfg["reg"], ratio=ratio,
               rounds=est.n_estimators_ if getattr(est, "best_iteration_", None) is None
               else est.best_iteration_ + 1, fit_s=seconds, neg_hess=float(np.mean(h < 0)),
               AP=average_precision_score(y, p), ROC_AUC=roc_auc_score(y, p),
               log_loss=log_loss(y, np.clip(p, clip, 1 - clip)), Brier=brier_score_loss(y, p),
               ECE=expected_calibration_error(y, p),
               log_loss_sigmoid=log_loss(y, np.clip(s, clip, 1 - clip)),
               Brier_sigmoid=brier_score_loss(y, s), ECE_sigmoid=expected_calibration_error(y, s))
    return row


def done_keys(out):
    if not out.exists():
        return set()
    with out.open() as f:
        return {(r["dataset"], r["booster"], r["config"], int(r["seed"])) for r in csv.DictReader(f)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(datasets.NAMES))
    ap.add_argument("--boosters", nargs="+", default=list(BOOSTERS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--design", choices=("main", "full"), default="main")
    ap.add_argument("--configs", nargs="*",
                    help="only the configs whose name matches one of these (fnmatch: '*' wildcard)")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--n-estimators", type=int, default=2000)
    ap.add_argument("--learning-rate", type=float, default=0.1)
    ap.add_argument("--out", type=pathlib.Path,
                    default=pathlib.Path(__file__).resolve().parent / "results.csv")
    args = ap.parse_args(argv)
    cfgs = configs(args.design)
    if args.configs:
        cfgs = [c for c in cfgs if any(fnmatch.fnmatchcase(c["config"], p) for p in args.configs)]
    done = done_keys(args.out)
    new = not args.out.exists()
    with args.out.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        for name in args.datasets:
            data = datasets.load(name)
            todo = [(b, c, s) for b in args.boosters for c in cfgs for s in args.seeds
                    if (name, b, c["config"], s) not in done]
            print(f"{data}: {len(todo)} runs", flush=True)
            for i, (booster, cfg, seed) in enumerate(todo):
                row = run_one(data, booster, cfg, seed, args.n_jobs, args.n_estimators,
                              args.learning_rate)
                writer.writerow(row)
                f.flush()
                print(f"  [{i + 1}/{len(todo)}] {booster:8s} {cfg['config']:40s} seed {seed} "
                      f"AP {row['AP']:.4f} rounds {row['rounds']:4d} {row['fit_s']:.1f}s",
                      flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
