"""Turn ``results.csv`` (from ``study.py``) into ``RESULTS.md`` tables and ``plots/*.png``.

    python benchmarks/quality/report.py [--csv results.csv] [--out RESULTS.md]

Differences against log-loss are paired by seed (same split, same booster seed): for each seed
the configuration's metric minus log-loss's, then the mean and standard deviation over seeds and
how many seeds it won. Absolute metrics are mean +- standard deviation over seeds.
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
BOOSTERS = ["xgboost", "lightgbm", "catboost"]
DATASETS = ["protein", "flights", "caravan"]
HIGHER_BETTER = {"AP": True, "ROC_AUC": True, "log_loss": False, "Brier": False, "ECE": False}


def present(df):
    """The datasets in the CSV, the study's three first in their usual order."""
    found = list(dict.fromkeys(df["dataset"]))
    return [d for d in DATASETS if d in found] + [d for d in found if d not in DATASETS]


def load(path):
    df = pd.read_csv(path)
    df["alpha"] = df["alpha"].astype(object).where(df["alpha"].notna(), "-").astype(str)
    return df


def paired(df, metric, base="log-loss"):
    """metric minus the baseline's, per (dataset, booster, seed); index (dataset, booster, config)."""
    key = ["dataset", "booster", "seed"]
    ref = df[df["config"] == base].set_index(key)[metric]
    d = df.set_index(key)
    d = d.assign(diff=d[metric] - ref.reindex(d.index).to_numpy()).reset_index()
    sign = 1 if HIGHER_BETTER.get(metric, True) else -1
    g = d.groupby(["dataset", "booster", "config"])["diff"]
    return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1),
                         "wins": g.apply(lambda s: int((sign * s > 0).sum())),
                         "n": g.count()})


def fmt_diff(row, digits=4):
    if np.isnan(row["mean"]):
        return ""
    return f"{row['mean']:+.{digits}f} ± {row['std']:.{digits}f} ({int(row['wins'])}/{int(row['n'])})"


def mean_std(df, metric, digits=4):
    g = df.groupby(["dataset", "booster", "config"])[metric]
    return g.mean().map(lambda v: f"{v:.{digits}f}") + " ± " + g.std(ddof=1).map(
        lambda v: f"{v:.{digits}f}")


def md_table(frame):
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join([frame.index.name or ""] + cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [str(v) for v in row.values]) + " |")
    return "\n".join(lines)


def section_headline(df, out):
    """Log-loss, weighted log-loss and the default focal loss, absolute numbers."""
    keep = ["log-loss", "weighted log-loss", "focal g=2 a=-"]
    for ds in present(df):
        sub = df[(df["dataset"] == ds) & df["config"].isin(keep)]
        n = sub["seed"].nunique()
        out.append(f"\n### {ds} ({n} seeds)\n")
        rows = []
        for b in BOOSTERS:
            for c in keep:
                s = sub[(sub["booster"] == b) & (sub["config"] == c)]
                if s.empty:
                    continue
                cell = lambda m, d=4: f"{s[m].mean():.{d}f} ± {s[m].std(ddof=1):.{d}f}"  # noqa
                rows.append({"": f"{b} {c}", "AP": cell("AP"), "ROC-AUC": cell("ROC_AUC"),
                             "log-loss": cell("log_loss"), "Brier": cell("Brier"),
                             "ECE": cell("ECE"), "ECE sigmoid": cell("ECE_sigmoid"),
                             "rounds": f"{s['rounds'].median():.0f}",
                             "fit s": f"{s['fit_s'].median():.2f}"})
        out.append(md_table(pd.DataFrame(rows).set_index("")))


def section_grid(df, metric, out, digits=4):
    """Paired difference to log-loss for gamma x alpha (defaults otherwise)."""
    diff = paired(df, metric)
    grid = [c for c in df["config"].unique()
            if c.startswith("focal") and " hess=" not in c and " start=" not in c
            and " reg=" not in c] + ["weighted log-loss"]
    for ds in present(df):
        rows = {}
        for c in sorted(grid, key=_order):
            rows[c] = {b: fmt_diff(diff.loc[(ds, b, c)], digits) if (ds, b, c) in diff.index
                       else "" for b in BOOSTERS}
        frame = pd.DataFrame(rows).T
        frame.index.name = f"{ds}: Δ{metric}"
        out.append("\n" + md_table(frame))


def section_factor(df, variants, out):
    """Configs that differ from the default by ``variants`` (name suffixes such as
    "hess=exact"), alpha None: their Δ vs the default config with the same gamma, paired by seed."""
    rows = []
    for ds in present(df):
        for b in BOOSTERS:
            for g in (0.5, 1.0, 2.0, 3.0):
                base = f"focal g={g:g} a=-"
                ref = df[(df["dataset"] == ds) & (df["booster"] == b) & (df["config"] == base)]
                if ref.empty:
                    continue
                ref = ref.set_index("seed")
                for variant in variants:
                    cur = df[(df["dataset"] == ds) & (df["booster"] == b)
                             & (df["config"] == f"{base} {variant}")].set_index("seed")
                    if cur.empty:
                        continue
                    seeds = cur.index.intersection(ref.index)
                    d_ap = cur.loc[seeds, "AP"] - ref.loc[seeds, "AP"]
                    d_ll = cur.loc[seeds, "log_loss"] - ref.loc[seeds, "log_loss"]
                    rows.append({
                        "dataset / booster / gamma": f"{ds} {b} g={g:g}",
                        "variant": variant,
                        "ΔAP": f"{d_ap.mean():+.4f} ± {d_ap.std(ddof=1):.4f}",
                        "Δlog-loss": f"{d_ll.mean():+.4f} ± {d_ll.std(ddof=1):.4f}",
                        "rounds (default → this)": f"{ref.loc[seeds, 'rounds'].median():.0f} → "
                                                   f"{cur.loc[seeds, 'rounds'].median():.0f}",
                        "fit s ratio": f"{(cur.loc[seeds, 'fit_s'] / ref.loc[seeds, 'fit_s']).median():.2f}",
                        "neg. exact hessian rows": f"{cur.loc[seeds, 'neg_hess'].mean():.2%}",
                    })
    if not rows:
        out.append("\n(no runs of this kind in the CSV)")
        return
    out.append("\n" + md_table(pd.DataFrame(rows).set_index("dataset / booster / gamma")))


def _order(c):
    if not c.startswith("focal"):
        return (99, 0, c)
    parts = dict(p.split("=") for p in c.split()[1:3])
    a = parts["a"]
    return (float(parts["g"]), -1 if a == "-" else float(a), c)


def section_calibration(df, out):
    focal = df[df["config"].str.startswith("focal")]
    g = focal.groupby(["dataset", "booster"])
    frame = pd.DataFrame({
        "ECE posterior": g["ECE"].median().map("{:.4f}".format),
        "ECE sigmoid": g["ECE_sigmoid"].median().map("{:.4f}".format),
        "log-loss posterior": g["log_loss"].median().map("{:.4f}".format),
        "log-loss sigmoid": g["log_loss_sigmoid"].median().map("{:.4f}".format),
        "runs where posterior ECE is lower": g.apply(
            lambda s: f"{(s['ECE'] < s['ECE_sigmoid']).mean():.0%} of {len(s)}"),
    })
    frame.index = [f"{d} {b}" for d, b in frame.index]
    frame.index.name = "dataset booster (all focal runs, medians)"
    out.append("\n" + md_table(frame))


def plots(df, directory):
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(exist_ok=True)
    diff = paired(df, "AP")
    sets = present(df)
    fig, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4), squeeze=False)
    for ax, ds in zip(axes[0], sets):
        for b in BOOSTERS:
            for a, style in (("-", "-o"), ("0.25", "--s"), ("0.75", ":^")):
                xs, ys, es = [], [], []
                for g in (0.5, 1.0, 2.0, 3.0):
                    key = (ds, b, f"focal g={g:g} a={a}")
                    if key in diff.index:  # boosters side by side around each gamma
                        xs.append(g + 0.07 * (BOOSTERS.index(b) - 1))
                        ys.append(diff.loc[key, "mean"])
                        es.append(diff.loc[key, "std"])
                if xs:
                    ax.errorbar(xs, ys, yerr=es, fmt=style, capsize=2, alpha=0.8,
                                label=f"{b} alpha={a}", color=f"C{BOOSTERS.index(b)}")
        ax.axhline(0, color="k", lw=0.8)
        ax.set(title=f"{ds}: AP minus log-loss's AP", xlabel="gamma", ylabel="ΔAP (paired)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(directory / "delta_ap_vs_gamma.png", dpi=100)
    plt.close(fig)

    focal = df[df["config"].str.startswith("focal")]
    fig, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4), squeeze=False)
    for ax, ds in zip(axes[0], sets):
        sub = focal[focal["dataset"] == ds]
        ax.scatter(sub["ECE_sigmoid"], sub["ECE"], s=8, alpha=0.5)
        top = max(sub["ECE_sigmoid"].max(), sub["ECE"].max())
        ax.plot([0, top], [0, top], "k:", lw=0.8)
        ax.set(title=f"{ds}: calibration of focal models", xlabel="ECE, sigmoid of raw score",
               ylabel="ECE, focal posterior", xscale="log", yscale="log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.tight_layout()
    fig.savefig(directory / "ece_posterior_vs_sigmoid.png", dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=pathlib.Path, default=HERE / "results.csv")
    ap.add_argument("--out", type=pathlib.Path, default=HERE / "tables.md")
    ap.add_argument("--plots", type=pathlib.Path, default=HERE / "plots")
    args = ap.parse_args(argv)
    df = load(args.csv)
    out = ["<!-- generated by benchmarks/quality/report.py from results.csv; do not edit -->",
           "\n## Headline: log-loss, class-weighted log-loss, focal gamma=2 (mean ± sd over seeds)"]
    section_headline(df, out)
    out.append("\n## Average precision: each config minus log-loss, paired by seed "
               "(mean ± sd, seeds won / seeds)")
    section_grid(df, "AP", out)
    out.append("\n## Log-loss of predict_proba: each config minus log-loss's (lower is better)")
    section_grid(df, "log_loss", out)
    out.append("\n## Hessian mode (vs the expected hessian, same gamma, alpha None)")
    section_factor(df, ["hess=exact", "hess=clipped"], out)
    out.append("\n## Start (zero vs the focal optimum)")
    section_factor(df, ["start=zero"], out)
    out.append("\n## Clipped hessian and zero start together (vs expected hessian, optimal start)")
    section_factor(df, ["hess=clipped start=zero"], out)
    out.append("\n## Hessian-scale regularisation multiplied by the start's hessian ratio")
    section_factor(df, ["reg=scaled"], out)
    out.append("\n## Calibration: focal posterior vs the sigmoid of the same raw scores")
    section_calibration(df, out)
    args.out.write_text("\n".join(out) + "\n")
    plots(df, args.plots)
    print(f"wrote {args.out} and {args.plots}/")


if __name__ == "__main__":
    main()
