"""Turn ``results_multiclass.csv`` (``study_multiclass.py``) into ``tables_multiclass.md`` and
``plots/multiclass_*.png``.

    python benchmarks/quality/report_multiclass.py [--csv ...] [--out ...] [--plots ...]

Differences against the booster's softmax are paired by seed (same split, same booster seed,
same training rows): per seed the configuration's metric minus softmax's, then mean ± sd over
seeds and on how many seeds the configuration was better. Absolute numbers are mean ± sd.
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np
import pandas as pd

from report import fmt_diff, md_table

HERE = pathlib.Path(__file__).resolve().parent
BOOSTERS = ["xgboost", "lightgbm", "catboost"]
DATASETS = ["flights4", "marital", "clothing"]
METRICS = {  # name: (label, higher is better)
    "macro_AP": ("macro AP", True), "rare_AP": ("rare-class AP", True),
    "rare_recall": ("rare-class recall", True), "balanced_accuracy": ("balanced accuracy", True),
    "log_loss": ("log-loss", False), "ECE": ("classwise ECE", False),
}
BASE = "softmax"
KEY = ["dataset", "booster", "seed", "n_train"]


def load(path):
    df = pd.read_csv(path)
    df["alpha"] = df["alpha"].astype(object).where(df["alpha"].notna(), "-").astype(str)
    return df


def present(df):
    found = list(dict.fromkeys(df["dataset"]))
    return [d for d in DATASETS if d in found] + [d for d in found if d not in DATASETS]


def paired(df, metric, base=BASE):
    """``metric`` minus ``base``'s on the same (dataset, booster, seed, training rows); indexed
    by (dataset, booster, config): mean, sd, wins (better than base), n."""
    ref = df[df["config"] == base].set_index(KEY)[metric]
    d = df.set_index(KEY)
    d = d.assign(diff=d[metric] - ref.reindex(d.index).to_numpy()).reset_index()
    d = d[d["diff"].notna()]
    sign = 1 if METRICS.get(metric, ("", True))[1] else -1
    g = d.groupby(["dataset", "booster", "config"])["diff"]
    return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1),
                         "wins": g.apply(lambda s: int((sign * s > 0).sum())), "n": g.count()})


def _order(c):
    if not c.startswith("focal"):
        return (-1 if c == BASE else 99, 0, c)
    parts = dict(p.split("=") for p in c.split()[1:3])
    return (float(parts["g"]), 0 if parts["a"] == "-" else 1, c)


def _is_grid(c):
    return c.startswith("focal") and " hess=" not in c and " start=" not in c


def section_scope(df, out):
    g = df.groupby("dataset")
    frame = pd.DataFrame({
        "K": g["K"].first(), "training rows": g["n_train"].agg(lambda s: sorted(set(s))),
        "test rows": g["n_test"].agg(lambda s: sorted(set(s))),
        "seeds": g["seed"].agg(lambda s: sorted(set(s))), "configs": g["config"].nunique(),
        "boosters": g["booster"].agg(lambda s: sorted(set(s))), "runs": g.size()})
    frame.index.name = "dataset"
    out.append("\n" + md_table(frame.loc[present(df)]))


def section_headline(df, out):
    keep = [c for c in ["softmax", "weighted softmax", "focal g=2 a=-", "focal g=2 a=inv"]
            if c in set(df["config"])]
    for ds in present(df):
        sub = df[(df["dataset"] == ds) & df["config"].isin(keep)]
        out.append(f"\n### {ds} ({sub['seed'].nunique()} seeds)\n")
        rows = []
        for b in BOOSTERS:
            for c in keep:
                s = sub[(sub["booster"] == b) & (sub["config"] == c)]
                if s.empty:
                    continue
                cell = lambda m: f"{s[m].mean():.4f} ± {s[m].std(ddof=1):.4f}"  # noqa: E731
                rows.append({"": f"{b} {c}", **{label: cell(m) for m, (label, _) in
                                                METRICS.items()},
                             "ECE softmax": cell("ECE_softmax"),
                             "rounds": f"{s['rounds'].median():.0f}",
                             "fit s": f"{s['fit_s'].median():.1f}"})
        if rows:
            out.append(md_table(pd.DataFrame(rows).set_index("")))


def section_grid(df, metric, out):
    diff = paired(df, metric)
    grid = sorted([c for c in df["config"].unique() if _is_grid(c)] + ["weighted softmax"],
                  key=_order)
    for ds in present(df):
        rows = {c: {b: fmt_diff(diff.loc[(ds, b, c)]) if (ds, b, c) in diff.index else ""
                    for b in BOOSTERS} for c in grid}
        frame = pd.DataFrame(rows).T
        frame.index.name = f"{ds}: Δ{METRICS[metric][0]}"
        out.append("\n" + md_table(frame))


def summary(df, metric, configs=None):
    """Over (dataset, booster) cells, per config: mean paired Δ, cells better, cells, range."""
    diff = paired(df, metric).reset_index()
    diff = diff[diff["config"] != BASE]
    if configs is not None:
        diff = diff[diff["config"].isin(configs)]
    sign = 1 if METRICS[metric][1] else -1
    g = diff.groupby("config")["mean"]
    frame = pd.DataFrame({"mean Δ": g.mean(), "cells better": g.apply(
        lambda s: int((sign * s > 0).sum())), "cells": g.count(), "min": g.min(), "max": g.max()})
    return frame.loc[sorted(frame.index, key=_order)]


def section_summary(df, out):
    """Each grid config against softmax over all (dataset, booster) cells, every metric."""
    grid = [c for c in df["config"].unique() if _is_grid(c)] + ["weighted softmax"]
    rows = {}
    for metric, (label, _) in METRICS.items():
        s = summary(df, metric, grid)
        for c, r in s.iterrows():
            rows.setdefault(c, {})[label] = (f"{r['mean Δ']:+.4f} ({int(r['cells better'])}/"
                                             f"{int(r['cells'])})")
    if not rows:
        out.append("\n(no paired runs in the CSV)")
        return
    frame = pd.DataFrame(rows).T.loc[sorted(rows, key=_order)]
    frame.index.name = "config: mean Δ vs softmax (cells better / cells)"
    out.append("\n" + md_table(frame))


def section_factor(df, variants, out):
    """Variants (name suffixes such as "hess=expected") against the reference config with the
    same gamma, alpha None, paired by seed."""
    rows = []
    key = ["seed", "n_train"]
    for ds in present(df):
        for b in BOOSTERS:
            for g in sorted(df["gamma"].dropna().unique()):
                base = f"focal g={g:g} a=-"
                ref = df[(df["dataset"] == ds) & (df["booster"] == b) & (df["config"] == base)]
                for variant in variants:
                    cur = df[(df["dataset"] == ds) & (df["booster"] == b)
                             & (df["config"] == f"{base} {variant}")]
                    if ref.empty or cur.empty:
                        continue
                    m = cur.merge(ref, on=key, suffixes=("", "_ref"))
                    d = {k: m[k] - m[f"{k}_ref"] for k in ("macro_AP", "rare_AP", "log_loss")}
                    rows.append({
                        "dataset / booster / gamma": f"{ds} {b} g={g:g}", "variant": variant,
                        **{f"Δ{METRICS[k][0]}": f"{v.mean():+.4f} ± {v.std(ddof=1):.4f}"
                           for k, v in d.items()},
                        "rounds (ref → this)": f"{m['rounds_ref'].median():.0f} → "
                                               f"{m['rounds'].median():.0f}",
                        "neg. exact hessian rows": f"{m['neg_hess'].mean():.2%}"})
    if not rows:
        out.append("\n(no runs of this kind in the CSV)")
        return
    out.append("\n" + md_table(pd.DataFrame(rows).set_index("dataset / booster / gamma")))


def section_calibration(df, out):
    focal = df[df["config"].str.startswith("focal")]
    if focal.empty:
        out.append("\n(no focal runs in the CSV)")
        return
    g = focal.groupby(["dataset", "booster"])
    frame = pd.DataFrame({
        "ECE posterior": g["ECE"].median().map("{:.4f}".format),
        "ECE softmax": g["ECE_softmax"].median().map("{:.4f}".format),
        "log-loss posterior": g["log_loss"].median().map("{:.4f}".format),
        "log-loss softmax": g["log_loss_softmax"].median().map("{:.4f}".format),
        "runs where posterior ECE is lower": g.apply(
            lambda s: f"{(s['ECE'] < s['ECE_softmax']).mean():.0%} of {len(s)}")})
    frame.index = [f"{d} {b}" for d, b in frame.index]
    frame.index.name = "dataset booster (focal runs, medians)"
    out.append("\n" + md_table(frame))


def plots(df, directory):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(exist_ok=True)
    sets = present(df)
    fig, axes = plt.subplots(2, len(sets), figsize=(5 * len(sets), 8), squeeze=False)
    for row, metric in enumerate(("macro_AP", "rare_AP")):
        diff = paired(df, metric)
        for ax, ds in zip(axes[row], sets):
            for b in BOOSTERS:
                for a, style in (("-", "-o"), ("inv", "--s")):
                    xs, ys, es = [], [], []
                    for g in sorted(df["gamma"].dropna().unique()):
                        key = (ds, b, f"focal g={g:g} a={a}")
                        if key in diff.index:
                            xs.append(g + 0.07 * (BOOSTERS.index(b) - 1))
                            ys.append(diff.loc[key, "mean"])
                            es.append(np.nan_to_num(diff.loc[key, "std"]))
                    if xs:
                        ax.errorbar(xs, ys, yerr=es, fmt=style, capsize=2, alpha=0.8,
                                    label=f"{b} alpha={a}", color=f"C{BOOSTERS.index(b)}")
            ax.axhline(0, color="k", lw=0.8)
            ax.set(title=f"{ds}: {METRICS[metric][0]} minus softmax's", xlabel="gamma",
                   ylabel=f"Δ{METRICS[metric][0]} (paired)")
    if axes[0][0].get_legend_handles_labels()[0]:
        axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(directory / "multiclass_delta_ap_vs_gamma.png", dpi=100)
    plt.close(fig)

    focal = df[df["config"].str.startswith("focal")]
    fig, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4), squeeze=False)
    for ax, ds in zip(axes[0], sets):
        sub = focal[focal["dataset"] == ds]
        if not sub.empty:
            ax.scatter(sub["ECE_softmax"], sub["ECE"], s=8, alpha=0.6)
            top = max(sub["ECE_softmax"].max(), sub["ECE"].max())
            ax.plot([0, top], [0, top], "k:", lw=0.8)
        ax.set(title=f"{ds}: calibration of focal models", xlabel="classwise ECE, softmax of raw",
               ylabel="classwise ECE, focal posterior")
    fig.tight_layout()
    fig.savefig(directory / "multiclass_ece_posterior_vs_softmax.png", dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=pathlib.Path, default=HERE / "results_multiclass.csv")
    ap.add_argument("--out", type=pathlib.Path, default=HERE / "tables_multiclass.md")
    ap.add_argument("--plots", type=pathlib.Path, default=HERE / "plots")
    args = ap.parse_args(argv)
    df = load(args.csv)
    out = ["<!-- generated by benchmarks/quality/report_multiclass.py from results_multiclass.csv;"
           " do not edit -->", "\n## Scope of the runs in the CSV"]
    section_scope(df, out)
    out.append("\n## Summary: each config minus softmax over dataset x booster cells (mean of the "
               "per-cell paired means; cells where it was better / cells)")
    section_summary(df, out)
    out.append("\n## Headline: softmax, class-weighted softmax, focal gamma=2 (mean ± sd over "
               "seeds; predict_proba)")
    section_headline(df, out)
    for metric, (label, higher) in METRICS.items():
        out.append(f"\n## {label}: each config minus softmax's, paired by seed (mean ± sd, seeds "
                   f"better / seeds; {'higher' if higher else 'lower'} is better)")
        section_grid(df, metric, out)
    out.append("\n## Hessian mode (vs the clipped hessian, same gamma, alpha None, zero start)")
    section_factor(df, ["hess=expected", "hess=exact"], out)
    out.append("\n## Start (optimal vs zero; clipped hessian, alpha None)")
    section_factor(df, ["start=optimal"], out)
    out.append("\n## Calibration: focal posterior vs the softmax of the same raw scores")
    section_calibration(df, out)
    args.out.write_text("\n".join(out) + "\n")
    plots(df, args.plots)
    print(f"wrote {args.out} and {args.plots}/multiclass_*.png")


if __name__ == "__main__":
    main()
