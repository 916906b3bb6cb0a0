"""The comparison's design: the target checked and encoded, the configurations, the folds."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GAMMAS = (0.5, 1.0, 2.0)
BINARY_ALPHAS = (None, 0.25, 0.75)
MULTICLASS_ALPHAS = (None, "balanced")


@dataclass(frozen=True)
class Config:
    """One training configuration. ``kind`` is "log-loss" (gamma 0, no class weights),
    "weighted" (gamma 0, balanced class weights) or "focal"; ``alpha`` None, a float (binary:
    the positive class's weight) or "balanced" (K > 2: ``n / (K n_k)`` per class)."""
    name: str
    kind: str
    gamma: float = 0.0
    alpha: object = None

    def loss_params(self, codes, k):
        """The estimator's ``gamma`` / ``alpha`` / ``pos_weight`` for training labels ``codes``."""
        if self.kind == "weighted":
            if k == 2:  # n_neg / n_pos: both classes weigh the same in total
                pos = float(np.sum(codes == 1))
                return dict(gamma=0.0, alpha=None, pos_weight=(len(codes) - pos) / pos)
            return dict(gamma=0.0, alpha=balanced(codes, k), pos_weight=None)
        alpha = balanced(codes, k) if self.alpha == "balanced" else self.alpha
        return dict(gamma=float(self.gamma), alpha=alpha, pos_weight=None)


def balanced(codes, k):
    """scikit-learn's "balanced" class weights ``n / (K n_k)`` as a tuple (K > 2 alpha)."""
    counts = np.bincount(codes.astype(np.intp), minlength=k).astype(np.float64)
    return tuple(float(v) for v in len(codes) / (k * counts))


def alpha_label(alpha):
    return "-" if alpha is None else (alpha if isinstance(alpha, str) else f"{alpha:g}")


def configurations(k, gammas=GAMMAS, alphas=None):
    """log-loss, class-weighted log-loss, then focal over ``gammas`` x ``alphas``."""
    if alphas is None:
        alphas = BINARY_ALPHAS if k == 2 else MULTICLASS_ALPHAS
    for a in alphas:
        if k == 2 and isinstance(a, str) or k > 2 and a not in (None, "balanced"):
            allowed = "None or a float in [0, 1]" if k == 2 else 'None or "balanced"'
            raise ValueError(f"alphas: {a!r} is not allowed with {k} classes ({allowed})")
    for g in gammas:
        if isinstance(g, bool) or not isinstance(g, (int, float)) or not g >= 0:
            raise ValueError(f"gammas: every gamma must be a number >= 0, got {g!r}")
    out = [Config("log-loss", "log-loss"), Config("weighted log-loss", "weighted")]
    out += [Config(f"focal g={g:g} a={alpha_label(a)}", "focal", float(g), a)
            for g in gammas for a in alphas]
    return out


def encode_target(y):
    """(classes, codes 0..K-1) of a 1-d label array; ValueError for one class or missing labels."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be one label per row (1-d), got shape {y.shape}")
    if y.dtype.kind == "f" and np.isnan(y).any() or y.dtype == object and \
            any(v is None or v != v for v in y):
        raise ValueError("y has missing labels (NaN/None): drop those rows first")
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y has one class only ({classes[0]!r} in all {len(y)} rows): a "
                         "comparison of classifiers needs at least two classes")
    return classes, codes.astype(np.intp)


@dataclass(frozen=True)
class Fold:
    """Row indices of one fold: ``train`` (fit), ``valid`` (early stopping), ``test`` (scored)."""
    repeat: int
    fold: int
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def check_rare_rows(codes, classes, n_folds):
    """Each class needs 2 rows per test fold (so that the training part also splits into a
    fitting and a validation part that both hold the class)."""
    counts = np.bincount(codes, minlength=len(classes))
    need = 2 * n_folds
    rare = int(np.argmin(counts))
    if counts[rare] < need:
        raise ValueError(f"class {classes[rare]!r} has {counts[rare]} rows; {n_folds} folds need "
                         f"at least {need} rows of every class (2 per test fold): pass fewer "
                         f"folds (at least 2) or more data")


def cv_folds(codes, n_folds, repeats, seed, valid_share=0.2):
    """Repeated stratified K-fold; inside each fold a stratified ``valid_share`` of the training
    part for early stopping. The same folds serve every configuration."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    rows = np.arange(len(codes))
    out = []
    for r in range(repeats):
        skf = StratifiedKFold(n_folds, shuffle=True, random_state=seed + r)
        for f, (fit, test) in enumerate(skf.split(rows, codes)):
            train, valid = train_test_split(fit, test_size=valid_share, stratify=codes[fit],
                                            random_state=seed + 1000 * (r + 1) + f)
            out.append(Fold(r, f, np.sort(train), np.sort(valid), test))
    return out


def time_folds(order_key, codes, classes, n_folds, valid_share=0.2):
    """Forward chaining on the time column: rows sorted by time into ``n_folds + 1`` blocks (equal
    times stay in one block); fold i trains on blocks 0..i (the latest ``valid_share`` of them for
    early stopping) and tests on block i + 1."""
    order = np.argsort(order_key, kind="stable")
    t = np.asarray(order_key)[order]
    edges = [0]
    for b in range(1, n_folds + 1):
        cut = int(round(b * len(t) / (n_folds + 1)))
        while 0 < cut < len(t) and t[cut] == t[cut - 1]:
            cut += 1
        edges.append(cut)
    edges.append(len(t))
    out = []
    for f in range(n_folds):
        fit, test = order[:edges[f + 1]], order[edges[f + 1]:edges[f + 2]]
        n_valid = max(1, int(round(valid_share * len(fit))))
        train, valid = fit[:-n_valid], fit[-n_valid:]
        for name, part in (("training", train), ("validation", valid), ("test", test)):
            missing = np.setdiff1d(np.arange(len(classes)), codes[part])
            if missing.size:
                raise ValueError(f"time split fold {f}: the {name} block ({len(part)} rows) has "
                                 f"no row of class {classes[missing[0]]!r}; pass fewer folds")
        out.append(Fold(0, f, np.sort(train), np.sort(valid), np.sort(test)))
    return out


def given_folds(triples, n):
    """Folds from explicit ``(train, valid, test)`` index triples (one repeat per triple)."""
    out = []
    for i, triple in enumerate(triples):
        if len(triple) != 3:
            raise ValueError(f"folds[{i}] must be (train, valid, test) row indices")
        parts = [np.asarray(p, dtype=np.intp) for p in triple]
        for p in parts:
            if p.ndim != 1 or p.size == 0 or p.min() < 0 or p.max() >= n:
                raise ValueError(f"folds[{i}]: indices must be non-empty, 1-d, in 0..{n - 1}")
        out.append(Fold(i, 0, *parts))
    return out
