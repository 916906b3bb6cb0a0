"""``compare(X, y, ...)``: inputs checked, the plan fitted to the budget, every fold run."""
from __future__ import annotations

import os
import time as _time

import numpy as np

from .. import _checks as check
from .._cpus import usable_cpus
from . import _design, _run
from ._metrics import scores
from ._result import Comparison


def _frame(X):
    """pandas stays, polars becomes pandas (categorical columns kept), else a 2-d array."""
    if type(X).__module__.split(".")[0] == "polars":
        return X.to_pandas()
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return X
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-d (rows x features), got shape {X.shape}")
    return X


def _column(X, name, what):
    cols = list(X.columns) if hasattr(X, "columns") else None
    if cols is None:
        raise TypeError(f"{what}={name!r} names a column, but X has no columns (an array): pass "
                        "the values instead")
    if name not in cols:
        shown = ", ".join(map(repr, cols[:10])) + (" ..." if len(cols) > 10 else "")
        raise ValueError(f"{what}={name!r} is not a column of X; columns: {shown}")
    return np.asarray(X[name]), X.drop(columns=[name])


def _labels(y):
    if type(y).__module__.split(".")[0] == "polars":
        y = y.to_numpy()
    return np.asarray(y)


def compare(X, y, *, booster="xgboost", gammas=_design.GAMMAS, alphas=None, folds=5,
            repeats=2, time=None, budget=10.0, precision=0.5, n_estimators=1000,
            learning_rate=0.1, early_stopping_rounds=30, random_state=0, n_jobs=None,
            processes=None, booster_params=None, progress=None, out=None):
    """Compare log-loss, class-weighted log-loss and the focal loss on ``(X, y)``.

    ``X``: pandas or polars frame (categorical / text columns are categorical) or a 2-d array;
    ``y``: labels of any type (two classes: binary, more: multiclass), or the name of a column
    of ``X``. Every configuration trains the ``booster``'s focal estimator (gamma 0 without
    class weights *is* log-loss / softmax; class weights: ``pos_weight = n_neg / n_pos``, or
    ``alpha = n / (K n_k)``) with early stopping on a validation split (20%) of each fold's
    training part, on the same folds with the same seeds.

    folds, repeats : repeated stratified ``folds``-fold CV; or ``folds`` a list of explicit
        ``(train, valid, test)`` row-index triples.
    time : a column name or one value per row: forward-chaining time split instead of CV
        (``folds`` test blocks, each after all its training rows).
    budget : minutes (None: no limit). After the first fits the total is estimated and the
        plan shrunk (repeats, then alphas, then gammas, then folds) to fit, counting the time
        spent; a run that still falls behind stops after the folds done (at least 2);
        ``dropped`` says what.
    precision : the precision at which ``recall_at_precision`` is read (rarest class).
    n_jobs : threads per fit (default: the idle cores; with CatBoost and K > 2, 1).
    processes : fits run at once, each in a fresh process (default 1; with CatBoost and K > 2,
        the idle cores: its multi-class objective is called per row holding the GIL, so
        processes, not threads, use the cores). Results do not depend on it.
    out : a directory: writes report.html, results.json and results.csv there.

    Returns a ``Comparison``: ``summary`` and ``folds`` tables, ``recommendation``.
    """
    X = _frame(X)
    if isinstance(y, str) and np.ndim(y) == 0:
        y, X = _column(X, y, "y (target)")
    if isinstance(time, str):
        time, X = _column(X, time, "time")
    y = _labels(y)
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}")
    classes, codes = _design.encode_target(y)
    k = len(classes)
    rare = int(np.argmin(np.bincount(codes, minlength=k)))
    cls = _run.estimator_class(booster)
    precision = check.real("precision", precision, low=0.0, high=1.0, low_open=True)
    if budget is not None:
        budget = check.real("budget", budget, low=0.0, low_open=True)
    repeats = check.integer("repeats", repeats, low=1)
    given = not isinstance(folds, (int, np.integer)) or isinstance(folds, bool)
    if given and time is not None:
        raise ValueError("pass either time= or explicit folds, not both")
    if not given:
        folds = check.integer("folds", folds, low=2)
    if time is not None:
        time = _labels(time)
        if len(time) != len(y):
            raise ValueError(f"time has {len(time)} values but X has {len(y)} rows")
        repeats = 1
    elif not given:
        _design.check_rare_rows(codes, classes, folds)
    _design.configurations(k, gammas, alphas)  # checks the grid before any fit
    if alphas is None:
        alphas = _design.BINARY_ALPHAS if k == 2 else _design.MULTICLASS_ALPHAS
    settings = dict(booster=booster, n_estimators=check.integer("n_estimators", n_estimators,
                                                                  low=1),
                    learning_rate=check.real("learning_rate", learning_rate, low=0.0,
                                             low_open=True),
                    early_stopping_rounds=check.integer("early_stopping_rounds",
                                                          early_stopping_rounds, low=1),
                    random_state=check.integer("random_state", random_state, low=0),
                    n_jobs=default_n_jobs(booster, k) if n_jobs is None else n_jobs,
                    processes=(default_processes(booster, k) if processes is None else
                               check.integer("processes", processes, low=1)),
                    booster_params=dict(booster_params or {}), precision=precision,
                    budget_minutes=budget, rows=int(len(y)), classes=[_plain(c) for c in classes],
                    rare_class=_plain(classes[rare]),
                    split="given" if given else ("time" if time is not None else "cv"))

    def make_folds(plan):
        if given:
            return _design.given_folds(folds, len(y))
        if time is not None:
            return _design.time_folds(time, codes, classes, plan["folds"])
        return _design.cv_folds(codes, plan["folds"], plan["repeats"], random_state)

    plan = dict(repeats=repeats, folds=len(folds) if given else folds, gammas=tuple(gammas),
                alphas=tuple(alphas), cv=not given and time is None)
    if given:
        plan["repeats"] = 1  # the triples are the repeats; they are not shrunk
    fold_list = make_folds(plan)
    configs = _design.configurations(k, plan["gammas"], plan["alphas"])
    bar = _run.Progress(progress)
    fitter = _run.Fitter(booster, X, codes, k, settings, settings["processes"])
    records, pooled, dropped = [], {}, []
    start = _time.perf_counter()
    fold_times = []
    i_fold, done = 0, 0
    planned = budget is None

    def finished(cfg):
        nonlocal done
        done += 1
        bar.update(done, len(configs) * len(fold_list), cfg.name)

    try:
        while i_fold < len(fold_list):
            fold = fold_list[i_fold]
            t_fold = _time.perf_counter()
            fit_times = []
            pending = [cfg for cfg in configs if not any(
                r["config"] == cfg.name and r["repeat"] == fold.repeat and r["fold"] == fold.fold
                for r in records)]  # those fitted before the plan shrank are kept
            restart = False
            while pending:
                # the first fits are timed on their own: the plan is fitted to the budget on them
                n = len(pending) if planned else min(3, len(configs))
                batch, pending = pending[:n], pending[n:]
                for cfg, (proba, fit_s, n_rounds, seconds) in zip(
                        batch, fitter.fit(batch, fold, finished)):
                    fit_times.append((cfg.name, seconds))
                    row = dict(config=cfg.name, kind=cfg.kind, gamma=cfg.gamma,
                               alpha=_design.alpha_label(cfg.alpha) if cfg.kind == "focal" else
                               ("balanced" if cfg.kind == "weighted" else "-"),
                               repeat=fold.repeat, fold=fold.fold, n_test=len(fold.test),
                               n_train=len(fold.train) + len(fold.valid), rounds=n_rounds,
                               fit_s=fit_s)
                    row.update(scores(codes[fold.test], proba, rare, precision))
                    records.append(row)
                    if fold.repeat == 0:
                        pooled.setdefault(cfg.name, np.full((len(y), k), np.nan))[fold.test] = \
                            proba
                if planned:
                    continue
                planned = True
                seconds = [t for _, t in fit_times]
                base = np.mean(seconds[:2])
                focal = seconds[2] if len(seconds) > 2 else base
                elapsed = _time.perf_counter() - start

                def estimate(p):
                    """Seconds from the start to the end of plan ``p``: the time spent, plus
                    every fit of ``p`` not done yet (fold 0's stay done if the folds do), run
                    ``processes`` at a time."""
                    n_focal = len(p["gammas"]) * len(p["alphas"])
                    n_folds = len(make_folds(p)) if not p["cv"] else p["folds"] * p["repeats"]
                    left = n_folds * (2 * base + n_focal * focal)
                    if p["folds"] == plan["folds"]:
                        kept = {c.name for c in _design.configurations(k, p["gammas"],
                                                                       p["alphas"])}
                        left -= sum(t for name, t in fit_times if name in kept)
                    return elapsed + left / settings["processes"]

                new, steps, fits = _run.shrink(plan, estimate, budget * 60.0)
                if steps:
                    dropped += steps + [f"the full plan was estimated at "
                                        f"{estimate(plan) / 60:.1f} min, the budget is "
                                        f"{budget:g} min"]
                    if not fits:
                        dropped.append(f"even the smallest plan is estimated at "
                                       f"{estimate(new) / 60:.1f} min, over the budget")
                    if new["folds"] != plan["folds"]:
                        records, pooled = [], {}
                    plan = new
                    fold_list = make_folds(plan)
                    configs = _design.configurations(k, plan["gammas"], plan["alphas"])
                    names = {c.name for c in configs}
                    records = [r for r in records if r["config"] in names]
                    pooled = {n: v for n, v in pooled.items() if n in names}
                    done = len(records)
                    restart = True  # this fold again with the new plan (fitted rows are kept)
                    break
            if restart:
                if not records:
                    fold_times, done = [], 0
                continue
            fold_times.append(_time.perf_counter() - t_fold)
            i_fold += 1
            left = len(fold_list) - i_fold
            elapsed = _time.perf_counter() - start
            if budget is not None and left and i_fold >= 2 and \
                    elapsed + left * np.mean(fold_times) > budget * 60.0:
                dropped.append(f"stopped after {i_fold} of {len(fold_list)} folds: the budget "
                               f"of {budget:g} min would be exceeded")
                fold_list = fold_list[:i_fold]
    finally:
        fitter.close()
    bar.close()
    settings.update(plan_repeats=plan["repeats"], plan_folds=plan["folds"],
                    gammas=list(plan["gammas"]), alphas=[_design.alpha_label(a) for a in
                                                         plan["alphas"]],
                    n_folds_run=len(fold_list), seconds=_time.perf_counter() - start)
    result = Comparison(records, configs, settings, dropped, codes, pooled)
    if out is not None:
        result.save(out)
    return result


def default_processes(booster, k):
    """1; with CatBoost and K > 2 classes the idle cores (one thread per fit there)."""
    return idle_cores() if booster == "catboost" and k > 2 else 1


def default_n_jobs(booster=None, k=2):
    """The cores not busy now: cores minus the 1-minute load average, at least 1. Boosters'
    threads spin-wait, so on a loaded machine fewer threads finish sooner. (XGBoost and CatBoost
    give the same model for any thread count; LightGBM may differ in the last digits: pass
    ``n_jobs`` to reproduce a run exactly.) CatBoost with K > 2 classes: 1, the estimator's own
    default there (it calls a multi-class Python objective once per row, holding the GIL, so
    more threads wait on each other: docs/speed-warmup.md)."""
    return 1 if booster == "catboost" and k > 2 else idle_cores()


def idle_cores():
    """The usable CPUs minus the 1-minute load average, at least 1."""
    cores = usable_cpus()
    try:
        busy = os.getloadavg()[0]
    except (OSError, AttributeError):  # pragma: no cover (no load average: Windows)
        busy = 0.0
    return int(max(1, min(cores, round(cores - busy))))


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v
