"""What boostfocal knows about XGBoost, per family: the objective name and parameter policing,
the ``base_score`` that starts training at the focal optimum, and how a DMatrix gives its labels
back. The objectives, ``train`` and the estimator read these; the facts are in
docs/development.md (booster contract) and docs/xgboost.md."""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import numpy as np
import xgboost as xgb

from .. import _checks as check
from ..loss import FocalLoss

PLACEHOLDER_MARGIN = 0.5  # base_score of the reg:squarederror placeholder xgb.train runs
MAX_START = 15.0  # |start margin| cap: sigmoid(+-15) stays strictly inside (0, 1) in float32


def labels_weights(dmatrix):
    """Labels and weights of a DMatrix (weights None when it has none)."""
    w = dmatrix.get_weight()
    return dmatrix.get_label(), (w if w.size else None)


def mapping(params):
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of XGBoost parameters, got {type(params).__name__}")
    return dict(params)


class Binary:
    """One margin per row, labels in [0, 1], objective binary:logistic, a probability start."""

    objective = "binary:logistic"
    metric = "FocalMetric"

    @staticmethod
    def wrong(what):
        return check.wrong_family("boostfocal's XGBoost FocalObjective", "binary", what)

    def check_params(self, out):
        objective = out.get("objective")
        if objective is not None and objective != self.objective:
            if str(objective).startswith("multi:"):
                raise self.wrong(f"params['objective'] = {objective!r}")
            raise ValueError(
                f"params['objective'] must be unset or {self.objective!r} (it only fixes the "
                f"link and base_score; FocalObjective supplies the gradients); got {objective!r}")
        num_class = check.integer_like("params['num_class']", out.get("num_class"))
        if num_class is not None and num_class > 1:
            raise self.wrong(f"params['num_class'] = {out['num_class']!r}")
        if num_class is not None:
            out["num_class"] = num_class  # "1.0" -> 1: XGBoost parses ints strictly
        return None

    @staticmethod
    def base_score(start):
        return base_score_for(start)

    @staticmethod
    def trained_start(start):
        """The start margin ``base_score`` gives: capped at +-15."""
        return float(np.clip(start, -MAX_START, MAX_START))


class Multiclass:
    """(n, K) margins, class-index labels, objective multi:softprob, a vector of K margins."""

    objective = "multi:softprob"
    metric = "MulticlassFocalMetric"

    @staticmethod
    def wrong(what):
        return check.wrong_family("MulticlassFocalObjective", "multiclass", what)

    def check_params(self, out):
        objective = out.get("objective")
        if objective is not None and objective != self.objective:
            raise ValueError(
                f"params['objective'] must be unset or {self.objective!r} (it only fixes the "
                "softmax link and base_score; MulticlassFocalObjective supplies the gradients); "
                f"got {objective!r}" + ("" if str(objective).startswith("multi:") else
                                        ". For binary focal loss use FocalObjective"))
        num_class = check.integer_like("params['num_class']", out.get("num_class"))
        if num_class is None or num_class < 2:
            raise self.wrong(f"params['num_class'] = {out.get('num_class')!r}")
        out["num_class"] = num_class  # "4.0" -> 4: XGBoost parses ints strictly
        return num_class

    @staticmethod
    def base_score(start):
        """The start margins as XGBoost's vector ``base_score``, shifted to mean 0 (softmax
        ignores a common shift) and capped at +-15: the margins themselves where XGBoost reads a
        vector base_score as margins (3.x up to 3.4), else their softmax (class probabilities,
        as dmlc/xgboost#12426 proposes)."""
        start = np.asarray(start, dtype=np.float64)
        margins = np.clip(start - start.mean(), -MAX_START, MAX_START)
        if not vector_base_score_is_margin():
            e = np.exp(margins - margins.max())
            margins = e / e.sum()
        return [float(v) for v in margins]

    @staticmethod
    def trained_start(start):
        """The start margins ``base_score`` gives: centred, capped at +-15."""
        start = np.asarray(start, dtype=np.float64)
        return np.clip(start - start.mean(), -MAX_START, MAX_START)


BINARY, MULTICLASS = Binary(), Multiclass()
FACTS = {"binary": BINARY, "multiclass": MULTICLASS}  # by loss.family


def checked_params(params, family=BINARY):
    """A copy of ``params`` with the family's objective, after rejecting what a custom
    objective would silently ignore or cannot serve."""
    out = mapping(params)
    family.check_params(out)
    spw = out.get("scale_pos_weight")
    if spw is not None and check.number_like("params['scale_pos_weight']", spw) != 1.0:
        raise ValueError(
            f"params['scale_pos_weight'] = {spw!r}: XGBoost ignores it with a custom objective. "
            "Use FocalObjective(pos_weight=...) and FocalMetric(pos_weight=...) instead "
            "(the same weighting for 0/1 labels), and leave scale_pos_weight unset or 1"
        )
    out["objective"] = family.objective
    return out


def xgboost_version(version=None):
    """The installed XGBoost's (major, minor, patch) (``3.4.1`` -> (3, 4, 1); ``3.5.0.dev0`` ->
    (3, 5, 0))."""
    parts = re.findall(r"\d+", (version or xgb.__version__))[:3]
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


@functools.lru_cache(maxsize=1)
def vector_base_score_is_margin():
    """Whether this XGBoost reads a ``multi:softprob`` vector ``base_score`` as K margins.

    True for 3.x up to 3.4 (tested: 3.2.0, 3.4.1). dmlc/xgboost#12426 proposes class
    probabilities instead, so a newer XGBoost is asked: a booster of 0 rounds predicts its
    base_score as margins."""
    if xgboost_version() < (3, 5, 0):
        return True
    probe = [0.5, 0.3, 0.2]
    d = xgb.DMatrix(np.zeros((3, 1)), label=np.array([0.0, 1.0, 2.0]))
    booster = xgb.train({"objective": "multi:softprob", "num_class": 3, "base_score": probe,
                         "nthread": 1, "verbosity": 0}, d, 0)
    return bool(np.allclose(booster.predict(d, output_margin=True)[0], probe, atol=1e-6))


def base_score_for(margin):
    """XGBoost's ``base_score`` under ``binary:logistic`` (a probability) that starts training at
    the raw score ``margin``, capped at +-15."""
    margin = float(np.clip(margin, -MAX_START, MAX_START))
    return float(FocalLoss(gamma=0.0).posterior(np.array([margin]))[0])  # the sigmoid
