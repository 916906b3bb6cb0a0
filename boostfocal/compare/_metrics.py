"""Scores of one fold's probabilities, and paired differences with t-intervals."""
from __future__ import annotations

import numpy as np

METRICS = ("AP", "AP_rare", "ROC_AUC", "log_loss", "Brier", "ECE", "recall_at_precision",
           "fit_s")
HIGHER_IS_BETTER = {"AP": True, "AP_rare": True, "ROC_AUC": True, "log_loss": False,
                    "Brier": False, "ECE": False, "recall_at_precision": True, "fit_s": False}
ECE_BINS = 15


def expected_calibration_error(y, p, bins=ECE_BINS):
    """sum over equal-count bins of (bin size / n) |observed rate - mean probability|."""
    order = np.argsort(p, kind="stable")
    chunks = np.array_split(order, bins)
    return float(sum(len(c) * abs(y[c].mean() - p[c].mean()) for c in chunks if len(c)) / len(p))


def recall_at_precision(y, p, precision):
    """Largest recall over thresholds whose precision is >= ``precision`` (0 if none)."""
    from sklearn.metrics import precision_recall_curve

    prec, rec, _ = precision_recall_curve(y, p)
    ok = prec >= precision
    return float(rec[ok].max()) if ok.any() else 0.0


def scores(codes, proba, rare, precision):
    """The fold's metrics for labels ``codes`` (0..K-1) and probabilities (n, K).

    AP: the positive class's (binary) or the mean one-vs-rest AP (K > 2); AP_rare and
    recall_at_precision: the rarest class's one-vs-rest; ROC_AUC: binary or macro one-vs-rest;
    log_loss: mean -log p_y (p clipped to [1e-15, 1]); Brier: mean (p_1 - y)^2 (binary) or
    mean sum_k (p_k - [y = k])^2; ECE: binary on p_1, else the mean over classes of the
    one-vs-rest ECE (``ECE_BINS`` equal-count bins).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    n, k = proba.shape
    onehot = np.eye(k)[codes]
    ap = [average_precision_score(onehot[:, c], proba[:, c]) for c in range(k)]
    if k == 2:
        roc = roc_auc_score(codes, proba[:, 1])
        brier = float(np.mean((proba[:, 1] - codes) ** 2))
        ece = expected_calibration_error(onehot[:, 1], proba[:, 1])
    else:
        roc = roc_auc_score(codes, proba, multi_class="ovr", average="macro", labels=range(k))
        brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
        ece = float(np.mean([expected_calibration_error(onehot[:, c], proba[:, c])
                             for c in range(k)]))
    p_true = np.clip(proba[np.arange(n), codes], 1e-15, 1.0)
    return dict(AP=float(ap[1] if k == 2 else np.mean(ap)), AP_rare=float(ap[rare]),
                ROC_AUC=float(roc), log_loss=float(-np.mean(np.log(p_true))), Brier=brier,
                ECE=ece, recall_at_precision=recall_at_precision(onehot[:, rare],
                                                                 proba[:, rare], precision))


def t_interval(d, test_share=None, level=0.95):
    """(mean, half-width) of the ``level`` t-interval of paired differences ``d`` (one per fold
    x repeat). With ``test_share`` = n_test / n_train (cross-validation) the variance is
    Nadeau and Bengio's corrected resampled one, (1/m + n_test/n_train) s^2, since folds
    share training rows; without it, s^2 / m. One difference gives half-width NaN."""
    from scipy.stats import t

    d = np.asarray(d, dtype=np.float64)
    m = d.size
    if m < 2:
        return float(d.mean()), float("nan")
    factor = 1.0 / m + (test_share or 0.0)
    half = t.ppf(0.5 + level / 2, m - 1) * np.sqrt(factor * d.var(ddof=1))
    return float(d.mean()), float(half)
