"""Fitting every configuration on every fold (paired), within a time budget, with progress."""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from .. import _spec
from .._processes import spawn_pool
from . import _design

BOOSTERS = {b.package: b.estimator for b in _spec.BOOSTERS}
QUIET = {"xgboost": {}, "lightgbm": {"verbose": -1}, "catboost": {}}  # the CatBoost estimator is silent


def estimator_class(booster):
    if booster not in BOOSTERS:
        raise ValueError(f"booster must be one of {tuple(BOOSTERS)}, got {booster!r}")
    import boostfocal

    try:
        return getattr(boostfocal, BOOSTERS[booster])
    except ImportError as exc:
        raise ImportError(f"booster={booster!r} needs {booster} installed: pip install "
                          f"{booster}") from exc


def rows(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def fit_one(cls, cfg, X, codes, fold, k, settings):
    """Fit ``cfg`` on the fold; return (test probabilities (n_test, K), fit seconds, rounds)."""
    params = cfg.loss_params(codes[fold.train], k)
    est = cls(**params, n_estimators=settings["n_estimators"],
              learning_rate=settings["learning_rate"],
              early_stopping_rounds=settings["early_stopping_rounds"],
              random_state=settings["random_state"] + fold.repeat, n_jobs=settings["n_jobs"],
              **QUIET[settings["booster"]], **settings["booster_params"])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # booster chatter; our own checks raised
        est.fit(rows(X, fold.train), codes[fold.train],
                eval_set=[(rows(X, fold.valid), codes[fold.valid])])
    seconds = time.perf_counter() - start
    proba = est.predict_proba(rows(X, fold.test))
    return proba, seconds, int(est.n_estimators_)


class Fitter:
    """Fits a fold's configurations: here, one after another, or in ``processes`` fresh processes
    at once (``_processes.spawn_pool``), each fit with ``settings["n_jobs"]`` threads. Results are
    the same either way (same folds and seeds)."""

    def __init__(self, booster, X, codes, k, settings, processes):
        self.args = (booster, X, codes, k, settings)
        self.pool = spawn_pool(processes, _share, self.args) if processes > 1 else None

    def fit(self, batch, fold, done):
        """[(proba, fit_s, rounds, seconds)] for the configurations ``batch`` on ``fold``, in
        order; ``done(cfg)`` is called as each finishes."""
        out = [None] * len(batch)
        if self.pool is None:
            for i, cfg in enumerate(batch):
                out[i] = _timed(*self.args, cfg, fold)
                done(cfg)
            return out
        for i, result in self.pool.imap_unordered(_shared_fit, [(i, cfg, fold) for i, cfg in
                                                                 enumerate(batch)]):
            out[i] = result
            done(batch[i])
        return out

    def close(self):
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


_SHARED = None


def _share(*args):
    """A worker's copy of (booster, X, codes, k, settings), sent once at its start."""
    global _SHARED
    _SHARED = args


def _shared_fit(job):
    i, cfg, fold = job
    return i, _timed(*_SHARED, cfg, fold)


def _timed(booster, X, codes, k, settings, cfg, fold):
    t0 = time.perf_counter()
    proba, fit_s, rounds = fit_one(estimator_class(booster), cfg, X, codes, fold, k, settings)
    return proba, fit_s, rounds, time.perf_counter() - t0


class Progress:
    """A one-line bar with the remaining time on a TTY (``stream.isatty()``), else silent."""

    def __init__(self, enabled, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = (self.stream.isatty() if enabled is None else bool(enabled))
        self.start = time.perf_counter()

    def update(self, done, total, label):
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        left = elapsed / done * (total - done) if done else float("nan")
        eta = "?" if left != left else f"{int(left // 60)}m{int(left % 60):02d}s"
        width = 28
        bar = "#" * int(width * done / total) + "." * (width - int(width * done / total))
        self.stream.write(f"\r[{bar}] {done}/{total} fits, ~{eta} left  {label:<28.28}")
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def shrink(plan, estimate, budget_s):
    """The first of the progressively smaller plans whose estimated time fits ``budget_s``
    (repeats to 1, then fewer alphas, then fewer gammas, then 3 folds; else the smallest), the
    changes made ("repeats 2 -> 1", ...) and whether it fits. ``plan``: dict(repeats, folds,
    gammas, alphas, cv); ``estimate(plan)``: seconds."""
    p = dict(plan)
    candidates = [p]
    if p["cv"] and p["repeats"] > 1:
        p = dict(p, repeats=1)
        candidates.append(p)
    while len(p["alphas"]) > 1:
        p = dict(p, alphas=p["alphas"][:-1])
        candidates.append(p)
    while len(p["gammas"]) > 1:  # keep the middle of the grid: drop the gamma farthest from 1
        far = max(p["gammas"], key=lambda g: abs(np.log2(g)) if g > 0 else 99.0)
        p = dict(p, gammas=tuple(g for g in p["gammas"] if g != far))
        candidates.append(p)
    if p["cv"] and p["folds"] > 3:
        p = dict(p, folds=3)
        candidates.append(p)
    chosen = next((c for c in candidates if estimate(c) <= budget_s), candidates[-1])
    steps = [f"{knob} {_fmt(plan[knob])} -> {_fmt(chosen[knob])}"
             for knob in ("repeats", "alphas", "gammas", "folds") if chosen[knob] != plan[knob]]
    return chosen, steps, estimate(chosen) <= budget_s


def _fmt(v):
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(_design.alpha_label(a) for a in v) + ")"
    return str(v)
