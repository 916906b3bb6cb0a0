"""What boostfocal knows about LightGBM: its parameter aliases, and per family the metric name,
the num_class policing and the per-row start it documents. The objectives and ``train`` read
these; the facts themselves are in docs/development.md (booster contract) and docs/lightgbm.md."""
from __future__ import annotations

from .. import _checks as check

# LightGBM 4.x parameter aliases (lightgbm.basic._ConfigAliases).
OBJECTIVE = ("objective", "objective_type", "loss", "app", "application")
METRIC = ("metric", "metrics", "metric_types")
NUM_CLASS = ("num_class", "num_classes")
LINEAR = ("linear_tree", "linear_trees")
SCALE_POS = ("scale_pos_weight",)
UNBALANCE = ("is_unbalance", "unbalance", "unbalanced_sets")
NO_METRIC = frozenset({"none", "null", "custom", "na", ""})
RANK_METRICS = frozenset({"auc", "average_precision", "auc_mu"})  # right on raw scores too


def find(params, aliases):
    return [params[k] for k in aliases if k in params]


class Binary:
    """One raw score per row, labels in [0, 1], a float start; 1-D returns."""

    metric = "FocalMetric"
    start_rows = "np.full(len(y), start)"

    @staticmethod
    def num_class(params):
        if any((check.integer_like("num_class", k) or 1) > 1 for k in find(params, NUM_CLASS)):
            raise ValueError("FocalObjective is binary: num_class must be 1; for multi-class "
                             "focal loss use MulticlassFocalObjective / MulticlassFocalMetric")
        return None


class Multiclass:
    """(n, K) raw scores (column-major), class-index labels, a (K,) start; (n, K) returns."""

    metric = "MulticlassFocalMetric"
    start_rows = "np.tile(start, (len(y), 1))"

    @staticmethod
    def num_class(params):
        given = [check.integer_like("num_class", k) for k in find(params, NUM_CLASS)]
        if not given or any(k is None or k < 2 for k in given) or len(set(given)) > 1:
            raise ValueError("MulticlassFocalObjective needs params['num_class'] = K >= 2 (the "
                             f"number of classes); got {find(params, NUM_CLASS) or None!r}")
        return given[0]


BINARY, MULTICLASS = Binary(), Multiclass()
FACTS = {"binary": BINARY, "multiclass": MULTICLASS}  # by loss.family
