"""Each loss's parameters, declared once: name, default and check, in constructor order.

The value objects (``FocalLoss``, ``MulticlassFocalLoss``), the adapters' objectives and metrics
and the estimators build their ``__init__`` from these tables (``make_init``: a real signature,
so positional calls, ``inspect.signature`` and scikit-learn's ``get_params`` see the names and
defaults). The ORDER IS FROZEN: the losses pickle positionally (``ValueObject.__reduce__``), so a
new parameter goes at the end of its table. Cross-parameter checks (alpha with pos_weight,
per-class lengths) stay in the loss class that needs them.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple, Optional

from . import _checks as check
from ._math import MODES


class Param(NamedTuple):
    name: str
    default: object
    check: Optional[Callable] = None  # (name, value) -> the normalised value, or raises


def _mode(name, value):
    return check.choice(name, value, tuple(MODES))


BINARY = (
    Param("gamma", 2.0, partial(check.real, low=0.0, high=check.GAMMA_MAX)),
    Param("alpha", None, partial(check.real, low=0.0, high=1.0, allow_none=True)),
    Param("pos_weight", None, partial(check.real, low=0.0, low_open=True, allow_none=True)),
    Param("label_smoothing", 0.0, partial(check.real, low=0.0, high=1.0, high_open=True)),
    Param("hessian", "expected", _mode),
    Param("min_hessian", 1e-12, partial(check.real, low=0.0)),
)
MULTICLASS = (
    Param("gamma", 2.0, partial(check.per_class, allow_none=False, allow_scalar=True)),
    Param("alpha", None, partial(check.per_class, allow_none=True, allow_scalar=False)),
    BINARY[3], BINARY[4], BINARY[5],  # label_smoothing, hessian, min_hessian
)

# The adapters' own parameters, after the loss's (booster, family) -> Params.
EXTRAS = {
    ("xgboost", "binary"): (Param("device", None, check.device),),
    ("xgboost", "multiclass"): (  # multi:softprob's hessian is 2 p (1 - p) w
        Param("hessian_scale", 2.0, partial(check.real, low=0.0, low_open=True)),),
    ("lightgbm", "multiclass"): (  # None: K / (K - 1), LightGBM multiclass's factor
        Param("hessian_scale", None, partial(check.real, low=0.0, low_open=True,
                                             allow_none=True)),),
}

# The estimators: the binary loss's names (hessian "clipped": best from their zero start, see
# FocalLoss), then the estimator's own and the boosters' shared ones; scikit-learn stores them
# unchecked (fit checks them).
ESTIMATOR = tuple(p._replace(default="clipped") if p.name == "hessian" else p for p in BINARY) + (
    Param("init_score", "zero"), Param("proba", "posterior"), Param("n_estimators", 100),
    Param("learning_rate", None), Param("max_depth", None), Param("random_state", None),
    Param("n_jobs", None), Param("early_stopping_rounds", None),
)


class Booster(NamedTuple):
    package: str    # boostfocal.<package> adapts the booster of the same import name
    name: str       # how messages spell it
    estimator: str  # the scikit-learn class in boostfocal.estimators.<package>


# The one list of boosters: the adapters' refusals, the lazy estimator names, demo, warmup and
# compare read it (a fourth booster is one more row here and its package).
BOOSTERS = (
    Booster("xgboost", "XGBoost", "FocalXGBClassifier"),
    Booster("lightgbm", "LightGBM", "FocalLGBMClassifier"),
    Booster("catboost", "CatBoost", "FocalCatBoostClassifier"),
)


def names(params):
    return tuple(p.name for p in params)


def checked(params, values):
    """``values`` (name -> value) with each parameter's check applied, in the table's order."""
    return {p.name: values[p.name] if p.check is None else p.check(p.name, values[p.name])
            for p in params}


def make_init(params, doc=None, kwargs=False):
    """``def __init__(self, <name>=<default>, ...[, **kwargs])`` that hands the values, as a
    dict in the table's order (and ``kwargs``), to ``self._init``."""
    args = ", ".join(names(params)) + (", **kwargs" if kwargs else "")
    values = ", ".join(f"{n!r}: {n}" for n in names(params))
    src = (f"def __init__(self, {args}):\n"
           f"    self._init({{{values}}}{', kwargs' if kwargs else ''})\n")
    namespace = {}
    exec(src, namespace)  # noqa: S102 (names from the tables above only)
    init = namespace["__init__"]
    init.__defaults__ = tuple(p.default for p in params)
    init.__doc__ = doc
    return init
