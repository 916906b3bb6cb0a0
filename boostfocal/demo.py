"""``python -m boostfocal demo``: log-loss vs focal loss on every installed booster.

Generated imbalanced data (no download): ``make_classification`` with 3% positives and 2% label
noise, split into train / validation (early stopping) / test. For each booster that is installed,
the same estimator is trained with gamma = 0 (log-loss) and with the focal loss, and the test set
is scored: average precision, ROC-AUC, log-loss, Brier score and expected calibration error of
``predict_proba``, plus the ECE of the plain sigmoid of the focal raw scores (what the booster's
own ``predict_proba`` would give), and training time.
"""
from __future__ import annotations

import importlib.util
import io
import sys
import time

import numpy as np

BOOSTERS = (("xgboost", "FocalXGBClassifier"), ("lightgbm", "FocalLGBMClassifier"),
            ("catboost", "FocalCatBoostClassifier"))
# log-loss as the boosters train it: started at the best constant (boost_from_average); the focal
# rows use the estimators' defaults (clipped hessian, zero start: the real-data study's best pair)
LOG_LOSS = {"init_score": "optimal", "hessian": "expected"}
COLUMNS = ("booster", "loss", "AP", "ROC-AUC", "log-loss", "Brier", "ECE", "ECE sigmoid", "fit s")


def expected_calibration_error(y, p, bins=15):
    """Mean |observed rate - mean probability| over equal-count bins, weighted by bin size."""
    order = np.argsort(p, kind="stable")
    chunks = np.array_split(order, bins)
    return float(sum(len(c) * abs(y[c].mean() - p[c].mean()) for c in chunks if len(c)) / len(p))


def data(rows, seed):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(rows, 20, n_informative=8, n_redundant=4, weights=[0.97],
                               flip_y=0.02, class_sep=0.8, random_state=seed)
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=seed)
    X_tr, X_val, y_tr, y_val = train_test_split(X_fit, y_fit, test_size=0.25, stratify=y_fit,
                                                random_state=seed)
    return X_tr, y_tr, X_val, y_val, X_test, y_test


def _progress(done, total, label, out):
    width = 30
    filled = int(width * done / total)
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<40}")
    out.flush()


def run(rows=30_000, seed=0, gamma=2.0, alpha=None, n_estimators=300, plots=None,
        out=sys.stdout, err=sys.stderr):
    """Train, score and print the table; returns the rows as a list of dicts."""
    import boostfocal
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, \
        roc_auc_score

    from .__main__ import check_report

    X_tr, y_tr, X_val, y_val, X_te, y_te = data(rows, seed)
    boosters = [(m, c) for m, c in BOOSTERS if importlib.util.find_spec(m)]
    print(f"data: {rows} rows x 20 features, {y_tr.mean():.1%} positive; train {len(y_tr)}, "
          f"validation {len(y_val)} (early stopping), test {len(y_te)}", file=out)
    if not boosters:
        print("no booster installed: pip install 'boostfocal[all]'", file=out)
        return []
    jobs = [(m, c, g) for m, c in boosters for g in (0.0, gamma)]
    results, curves = [], {}
    for i, (module, cls_name, g) in enumerate(jobs):
        label = f"{module} {'log-loss' if g == 0 else f'focal gamma={g:g}'}"
        _progress(i, len(jobs), label, err)
        est = getattr(boostfocal, cls_name)(
            gamma=g, alpha=alpha if g else None, n_estimators=n_estimators, learning_rate=0.05,
            max_depth=6 if module != "lightgbm" else None, early_stopping_rounds=30,
            random_state=seed, **({} if g else LOG_LOSS))
        start = time.perf_counter()
        est.fit(X_tr, y_tr, eval_set=[(X_val, y_val)])
        seconds = time.perf_counter() - start
        p = est.predict_proba(X_te)[:, 1]
        sig = boostfocal.FocalLoss(gamma=0.0).posterior(est.decision_function(X_te))  # sigmoid
        results.append({
            "booster": module, "loss": "log-loss" if g == 0 else f"focal g={g:g}",
            "AP": average_precision_score(y_te, p), "ROC-AUC": roc_auc_score(y_te, p),
            "log-loss": log_loss(y_te, np.clip(p, 1e-15, 1 - 1e-15)),
            "Brier": brier_score_loss(y_te, p), "ECE": expected_calibration_error(y_te, p),
            "ECE sigmoid": expected_calibration_error(y_te, sig), "fit s": seconds})
        curves[label] = (p, sig)
    _progress(len(jobs), len(jobs), "done", err)
    err.write("\n")
    _table(results, out)
    print("\nECE: the focal posterior (boostfocal's predict_proba) vs the sigmoid of the same raw "
          "scores (the boosters' own predict_proba).", file=out)
    if plots:
        _plots(plots, y_te, curves, out)
    report = io.StringIO()
    ok = check_report(out=report)
    print("\ngradient check (python -m boostfocal check for the full report): "
          + report.getvalue().strip().splitlines()[-1], file=out)
    return results if ok else None


def _table(rows, out):
    fmt = {"AP": "{:.4f}", "ROC-AUC": "{:.4f}", "log-loss": "{:.4f}", "Brier": "{:.4f}",
           "ECE": "{:.4f}", "ECE sigmoid": "{:.4f}", "fit s": "{:.1f}"}
    cells = [[fmt.get(c, "{}").format(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths))
    print("\n" + line + "\n" + "-" * len(line), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)), file=out)


def _plots(directory, y, curves, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plots needs matplotlib (pip install matplotlib); no plots written", file=out)
        return
    import pathlib

    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve

    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    fig, (ax_pr, ax_rel) = plt.subplots(1, 2, figsize=(12, 5))
    for label, (p, sig) in curves.items():
        precision, recall, _ = precision_recall_curve(y, p)
        ax_pr.plot(recall, precision, label=label)
        frac, mean = calibration_curve(y, p, n_bins=10, strategy="quantile")
        ax_rel.plot(mean, frac, marker="o", label=label)
    ax_pr.set(xlabel="recall", ylabel="precision", title="precision-recall (test)")
    ax_rel.plot([0, 1], [0, 1], "k:", label="perfect")
    ax_rel.set(xlabel="mean predicted probability", ylabel="observed positive rate",
               title="reliability (test, quantile bins)", xscale="log", yscale="log")
    ax_pr.legend(fontsize=8)
    ax_rel.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path / "demo.png", dpi=110)
    print(f"plots written to {path / 'demo.png'}", file=out)
