"""The self-contained HTML report: tables and matplotlib figures embedded as base64 PNG."""
from __future__ import annotations

import base64
import html as _html
import io

import numpy as np

from ._metrics import HIGHER_IS_BETTER

SHOWN = ("AP", "AP_rare", "ROC_AUC", "log_loss", "Brier", "ECE", "recall_at_precision", "fit_s")
STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;
color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{padding:3px 8px;
border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}th{background:#f3f3f3}td:first-child,
th:first-child{text-align:left}.good{color:#0a7d28;font-weight:600}.bad{color:#b3261e}
.rec{font-size:17px;background:#eef6ee;padding:.8em;border-left:4px solid #0a7d28}
img{max-width:100%}.note{color:#666;font-size:13px}"""


def _png(fig):
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,' \
           f'{base64.b64encode(buf.getvalue()).decode()}">'


def _shown(result):
    """log-loss, weighted log-loss and the best focal configuration."""
    names = ["log-loss", "weighted log-loss"]
    best = result.best_focal()
    return names + ([best] if best else [])


def _pr_and_reliability(result):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    rare = result.settings["classes"].index(result.settings["rare_class"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
    for name in _shown(result):
        y, p = result.pooled(name)
        yr, pr = (y == rare).astype(float), p[:, rare]
        prec, rec, _ = precision_recall_curve(yr, pr)
        ax1.plot(rec, prec, label=name)
        order = np.argsort(pr, kind="stable")
        bins = np.array_split(order, 15)
        ax2.plot([pr[b].mean() for b in bins], [yr[b].mean() for b in bins], "o-", ms=3,
                 label=name)
    cls = result.settings["rare_class"]
    ax1.set(xlabel="recall", ylabel="precision", title=f"precision-recall, class {cls!r} "
            "(first repeat, out of fold)")
    ax1.axhline(result.settings["precision"], color="grey", lw=0.6, ls=":")
    ax2.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    ax2.set(xlabel="predicted probability (bin mean)", ylabel="observed rate",
            title=f"reliability, class {cls!r} (15 equal-count bins)")
    for ax in (ax1, ax2):
        ax.legend(fontsize=8)
    return _png(fig)


def _heat(result):
    import matplotlib.pyplot as plt

    s = result.summary[result.summary["kind"] == "focal"]
    if s.empty:
        return ""
    gammas = sorted(s["gamma"].unique())
    alphas = list(dict.fromkeys(s["alpha"]))
    d = np.full((len(gammas), len(alphas)), np.nan)
    ci = np.full_like(d, np.nan)
    for _, r in s.iterrows():
        i, j = gammas.index(r["gamma"]), alphas.index(r["alpha"])
        d[i, j], ci[i, j] = r["d_AP"], r["ci_AP"]
    lim = np.nanmax(np.abs(d)) or 1e-9
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(alphas), 1.2 + 0.7 * len(gammas)))
    im = ax.imshow(d, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(len(gammas)):
        for j in range(len(alphas)):
            if not np.isnan(d[i, j]):
                ax.text(j, i, f"{d[i, j]:+.4f}\n±{ci[i, j]:.4f}", ha="center", va="center",
                        fontsize=8, color="white" if abs(d[i, j]) > 0.6 * lim else "black")
    ax.set_xticks(range(len(alphas)), [str(a) for a in alphas])
    ax.set_yticks(range(len(gammas)), [f"{g:g}" for g in gammas])
    ax.set(xlabel="alpha", ylabel="gamma", title="paired AP difference to log-loss")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return _png(fig)


DELTAS = ("AP", "log_loss", "ECE", "recall_at_precision")


def _shown_metrics(result):
    """AP_rare only where it differs from AP (K > 2, or a binary target whose rare class is 0)."""
    st = result.settings
    same = len(st["classes"]) == 2 and st["rare_class"] == st["classes"][1]
    return [m for m in SHOWN if not (same and m == "AP_rare")]


def _head(m, precision):
    return f"recall@{precision:g}" if m == "recall_at_precision" else m


def _table(result):
    s = result.summary
    prec = result.settings["precision"]
    shown = _shown_metrics(result)
    head = "".join(f"<th>{m}</th>" for m in ("configuration", "folds", "rounds"))
    head += "".join(f"<th>{_head(m, prec)}</th>" for m in shown)
    head += "".join(f"<th>Δ{_head(m, prec)}</th>" for m in DELTAS)
    body = []
    for _, r in s.iterrows():
        cells = [_html.escape(r["config"]), str(int(r["n_folds"])), f"{r['rounds']:.0f}"]
        cells += [f"{r[m]:.4f}" if m != "fit_s" else f"{r[m]:.2f}s" for m in shown]
        for m in DELTAS:
            d, h = r["d_" + m], r["ci_" + m]
            if r["kind"] == "log-loss":
                cells.append("")
                continue
            sig = abs(d) > h
            good = (d > 0) == HIGHER_IS_BETTER[m]
            cls = "" if not sig else (' class="good"' if good else ' class="bad"')
            cells.append(f"<span{cls}>{d:+.4f} ± {h:.4f}</span>")
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def html(result):
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError("the compare report draws with matplotlib: pip install "
                          "'boostfocal[compare]'") from exc
    st = result.settings
    k = len(st["classes"])
    split = {"cv": f"{st['plan_repeats']} x {st['plan_folds']}-fold stratified CV",
             "time": f"time split, {st['plan_folds']} forward-chaining folds",
             "given": f"{st['n_folds_run']} given train/validation/test splits"}[st["split"]]
    dropped = "".join(f"<li>{_html.escape(d)}</li>" for d in result.dropped) or \
        "<li>nothing: the full plan ran</li>"
    budget = "No budget" if st["budget_minutes"] is None else \
        f"Budget {st['budget_minutes']:g} min"
    ap = "AP of the positive class" if k == 2 else "macro AP (mean one-vs-rest)"
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>boostfocal compare</title><style>{STYLE}</style></head><body>
<h1>boostfocal compare: {st['booster']}, {st['rows']} rows, {k} classes</h1>
<p class="rec">{_html.escape(result.recommendation)}</p>
<p>{split}; early stopping ({st['early_stopping_rounds']} rounds) on 20% of each fold's
training part; the same folds and seeds for every configuration. Rarest class:
<b>{_html.escape(repr(st['rare_class']))}</b>. AP: {ap}; recall at precision {st['precision']:g}
and AP_rare: the rarest class. Probabilities are the estimators' <code>predict_proba</code> (the
focal posterior). Δ: mean paired difference to log-loss ± the 95% t-interval half-width over
folds (Nadeau-Bengio corrected variance); green: better beyond noise, red: worse.
Total time {st['seconds']:.0f} s.</p>
<h2>Results</h2>{_table(result)}
<h2>Budget</h2><p>{budget}. Dropped:</p><ul>{dropped}</ul>
<h2>Precision-recall and reliability</h2>{_pr_and_reliability(result)}
<h2>gamma x alpha</h2>{_heat(result)}
<p class="note">boostfocal {_version()}; classes {_html.escape(str(st['classes']))}.</p>
</body></html>"""


def _version():
    from .. import __version__

    return __version__
