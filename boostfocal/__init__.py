"""boostfocal: the focal loss as an exact, fast training objective for gradient boosting.

``FocalLoss`` (binary) and ``MulticlassFocalLoss`` (softmax, K classes) hold the math;
``boostfocal.xgboost``, ``boostfocal.lightgbm`` and ``boostfocal.catboost`` adapt it to each booster; ``FocalXGBClassifier``, ``FocalLGBMClassifier``
and ``FocalCatBoostClassifier`` are scikit-learn classifiers. Importing boostfocal imports no
booster: each is imported when first used.
"""
from ._adapter import SetupWarning
from ._spec import BOOSTERS as _BOOSTERS
from .check import GradientCheck, check_gradients
from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss

__version__ = "0.1.0"
_ESTIMATORS = tuple(b.estimator for b in _BOOSTERS)
__all__ = ["FocalLoss", "MulticlassFocalLoss", "check_gradients", "GradientCheck", "SetupWarning", *_ESTIMATORS, "__version__"]


def __getattr__(name):
    if name == "compare":  # the package boostfocal.compare is callable: compare(X, y, ...)
        import importlib

        return importlib.import_module(f"{__name__}.compare")
    if name in _ESTIMATORS:
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
