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

from . import _spec

BOOSTERS = tuple((b.package, b.estimator) for b in _spec.BOOSTERS)
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
    if out is None:  # not a terminal: no "\r" frames in logs
        return
    width = 30
    filled = int(width * done / total)
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<40}")
    out.flush()


def run(rows=30_000, seed=0, gamma=2.0, alpha=None, n_estimators=300, plots=None,
        out=sys.stdout, err=sys.stderr, progress=None):
    """Train, score and print the table; returns the rows as a list of dicts. A progress bar
    goes to ``err`` when ``progress`` is true (default: when ``err`` is a terminal)."""
    import boostfocal
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, \
        roc_auc_score

    from ._report import check_report

    if progress is None:
        progress = getattr(err, "isatty", lambda: False)()
    bar = err if progress else None
    X_tr, y_tr, X_val, y_val, X_te, y_te = data(rows, seed)
    boosters = [(m, c) for m, c in BOOSTERS if importlib.util.find_spec(m)]
    print(f"data: {rows} rows x 20 features, {y_tr.mean():.1%} positive; train {len(y_tr)}, "
          f"validation {len(y_val)} (early stopping), test {len(y_te)}", file=out)
    if not boosters:
        print("no booster installed: pip install 'boostfocal[all]'", file=out)
        return []
    jobs = [(m, c, g) for m, c in boosters for g in (0.0, gamma)]

    def estimator(module, cls_name, g, rounds):
        return getattr(boostfocal, cls_name)(
            gamma=g, alpha=alpha if g else None, n_estimators=rounds, learning_rate=0.05,
            max_depth=6 if module != "lightgbm" else None, early_stopping_rounds=30,
            random_state=seed, **({} if g else LOG_LOSS))

    # the first call of each kernel compiles it (numba; cached on disk for later runs): warm them
    # with two rounds on the same data, so "fit s" times training alone
    start = time.perf_counter()
    for i, (module, cls_name, g) in enumerate(jobs):
        _progress(i, len(jobs), f"warming up {module}", bar)
        warm = estimator(module, cls_name, g, 2).fit(X_tr, y_tr, eval_set=[(X_val, y_val)])
        warm.predict_proba(X_te)
    warmup = time.perf_counter() - start
    results, curves = [], {}
    for i, (module, cls_name, g) in enumerate(jobs):
        label = f"{module} {'log-loss' if g == 0 else f'focal gamma={g:g}'}"
        _progress(i, len(jobs), label, bar)
        est = estimator(module, cls_name, g, n_estimators)
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
        curves[module, results[-1]["loss"]] = (p, sig)
    _progress(len(jobs), len(jobs), "done", bar)
    if bar is not None:
        bar.write("\n")
    _table(results, out)
    print("\nECE: the focal posterior (boostfocal's predict_proba) vs the sigmoid of the same raw "
          "scores (the boosters' own predict_proba).", file=out)
    print(f"fit s: training alone. The first call of each numba kernel compiles it (cached on "
          f"disk for later runs); a {warmup:.1f} s warm-up did that before timing.", file=out)
    if plots:
        _plots(plots, y_te, curves, out)
    report = io.StringIO()
    # the binary kernels at the gammas trained above (the full grid and the multiclass loss are
    # `python -m boostfocal check`: on an empty numba cache they would double the demo's compile)
    ok = check_report(out=report, gammas=(0.0, gamma), multiclass=False)
    print(f"\ngradient check at gamma 0 and {gamma:g} (python -m boostfocal check for the full "
          "report): " + report.getvalue().strip().splitlines()[-1], file=out)
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
    """demo.png: precision-recall curves, and per booster the reliability of the focal posterior
    next to the sigmoid of the same focal scores (and log-loss's, for reference)."""
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
    boosters = list(dict.fromkeys(module for module, _ in curves))
    fig, axes = plt.subplots(1, 1 + len(boosters), figsize=(4.2 * (1 + len(boosters)), 4.2))
    ax_pr, lo = axes[0], 1.0
    for (module, loss), (p, _) in curves.items():
        precision, recall, _ = precision_recall_curve(y, p)
        ax_pr.plot(recall, precision, label=f"{module} {loss}",
                   ls="-" if loss == "log-loss" else "--")
    ax_pr.set(xlabel="recall", ylabel="precision", title="precision-recall (test)")
    ax_pr.legend(fontsize=7)
    for ax, module in zip(axes[1:], boosters):
        for (name, loss), (p, sig) in curves.items():
            if name != module:
                continue
            ece = {id(a): expected_calibration_error(y, a) for a in (p, sig)}
            drawn = [(p, f"{loss}", "k", "s")] if loss == "log-loss" else \
                [(p, f"{loss}: posterior", "C0", "o"), (sig, f"{loss}: sigmoid", "C3", "x")]
            drawn = [(a, f"{label} (ECE {ece[id(a)]:.3f})", c, m) for a, label, c, m in drawn]
            for probs, label, color, marker in drawn:
                frac, mean = calibration_curve(y, probs, n_bins=10, strategy="quantile")
                ax.plot(mean, frac, marker=marker, color=color, label=label, lw=1.2)
                lo = min(lo, mean.min(), max(frac[frac > 0].min(), 1e-4) if frac.any() else lo)
        ax.set(title=f"{module}: reliability (test)", xlabel="mean predicted probability",
               ylabel="observed positive rate", xscale="log", yscale="log")
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[1:]:
        ax.plot([lo, 1], [lo, 1], "k:", lw=0.8)
        ax.set(xlim=(lo * 0.8, 1), ylim=(lo * 0.8, 1))
    fig.suptitle("the sigmoid of focal scores overstates probabilities; the focal posterior "
                 "does not", fontsize=10)
    fig.tight_layout()
    fig.savefig(path / "demo.png", dpi=100)
    plt.close(fig)
    print(f"plots written to {path / 'demo.png'}", file=out)
