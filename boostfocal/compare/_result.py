"""``Comparison``: the per-fold scores, their summary with paired differences to log-loss, the
recommendation, and the files (report.html, results.json, results.csv)."""
from __future__ import annotations

import json
import pathlib

import numpy as np

from ._metrics import HIGHER_IS_BETTER, METRICS, t_interval

BASELINE = "log-loss"


class Comparison:
    """The outcome of ``compare``. ``folds``: one row per configuration x fold (pandas);
    ``summary``: one row per configuration: each metric's mean, and for each metric ``d_<m>`` /
    ``ci_<m>``, the mean paired difference to log-loss and its 95% t-interval half-width;
    ``recommendation``: one plain sentence; ``dropped``: what the budget removed."""

    def __init__(self, records, configs, settings, dropped, codes, pooled):
        import pandas as pd

        self.configs = list(configs)
        self.settings = dict(settings)
        self.dropped = list(dropped)
        self.folds = pd.DataFrame.from_records(records)
        self._codes = codes
        self._pooled = pooled
        self.summary = self._summarise()
        self.recommendation = self._recommend()

    @property
    def test_share(self):
        """n_test / n_train averaged over folds (the corrected t-interval's factor)."""
        f = self.folds
        return float(f["n_test"].mean() / f["n_train"].mean())

    def _summarise(self):
        import pandas as pd

        f = self.folds
        base = f[f["config"] == BASELINE].set_index(["repeat", "fold"])
        out = []
        for cfg in self.configs:
            rows = f[f["config"] == cfg.name].set_index(["repeat", "fold"])
            rec = dict(config=cfg.name, kind=cfg.kind, gamma=cfg.gamma,
                       alpha=rows["alpha"].iloc[0], n_folds=len(rows),
                       rounds=float(rows["rounds"].mean()))
            for m in METRICS:
                rec[m] = float(rows[m].mean())
            d_rows = rows.merge(base, left_index=True, right_index=True, suffixes=("", "_base"))
            for m in METRICS:
                d, half = t_interval(d_rows[m] - d_rows[m + "_base"], self.test_share)
                rec["d_" + m], rec["ci_" + m] = d, half
            out.append(rec)
        return pd.DataFrame.from_records(out)

    def _row(self, name):
        return self.summary.set_index("config").loc[name]

    def best_focal(self):
        """The focal configuration with the largest mean paired AP difference (None if none)."""
        s = self.summary[self.summary["kind"] == "focal"]
        return None if s.empty else str(s.loc[s["d_AP"].idxmax(), "config"])

    def _recommend(self):
        s = self.summary
        ap = "AP" if len(self.settings["classes"]) == 2 else "macro AP"
        beats = s[(s["kind"] != "log-loss") & (s["d_AP"] - s["ci_AP"] > 0)]
        unit = "splits" if self.settings["split"] == "given" else "folds"
        n = f'{int(s["n_folds"].max())} {unit}'
        if not beats.empty:
            best = beats.loc[beats["d_AP"].idxmax()]
            text = (f"{best['config']} beats log-loss on {ap} by {best['d_AP']:.3f} +/- "
                    f"{best['ci_AP']:.3f} (95% interval over {n})")
            if best["d_log_loss"] - best["ci_log_loss"] > 0:
                text += (f"; its probabilities have a worse log-loss (+{best['d_log_loss']:.3f}):"
                         " recalibrate if you need them")
            return text + "."
        text = f"No configuration beats log-loss on {ap} beyond noise ({n}): use log-loss"
        w = s[s["kind"] == "weighted"]
        if not w.empty and w["d_recall_at_precision"].iloc[0] - \
                w["ci_recall_at_precision"].iloc[0] > 0:
            text += (f", or class weights for recall (+{w['d_recall_at_precision'].iloc[0]:.3f}"
                     f" recall at precision {self.settings['precision']:g} for class "
                     f"{self.settings['rare_class']!r})")
        else:
            text += ", or class weights for recall"
        return text + "."

    def to_dict(self):
        return dict(settings=self.settings, dropped=self.dropped,
                    recommendation=self.recommendation,
                    summary=json.loads(self.summary.to_json(orient="records")),
                    folds=json.loads(self.folds.to_json(orient="records")))

    def save(self, out):
        """Write ``report.html``, ``results.json`` (everything) and ``results.csv`` (summary)
        into directory ``out`` (created); return its path."""
        from ._report import html

        out = pathlib.Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(self.to_dict(), indent=1))
        self.summary.to_csv(out / "results.csv", index=False)
        (out / "report.html").write_text(html(self), encoding="utf-8")
        return out

    def pooled(self, name):
        """Out-of-fold probabilities of the first repeat (rows never tested: NaN) and labels."""
        p = self._pooled[name]
        ok = ~np.isnan(p[:, 0])
        return self._codes[ok], p[ok]

    def __repr__(self):
        cols = ["config", "AP", "d_AP", "ci_AP", "log_loss", "ECE", "fit_s"]
        return (f"Comparison({self.settings['booster']}, {self.settings['rows']} rows, "
                f"{len(self.settings['classes'])} classes)\n"
                f"{self.summary[cols].to_string(index=False, float_format='%.4f')}\n"
                f"{self.recommendation}")


__all__ = ["Comparison", "HIGHER_IS_BETTER"]
