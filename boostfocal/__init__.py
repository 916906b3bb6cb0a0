"""boostfocal: the binary focal loss as an exact, fast training objective for gradient boosting.

``FocalLoss`` holds the math; ``boostfocal.xgboost``, ``boostfocal.lightgbm`` and
``boostfocal.catboost`` adapt it to each booster. Importing boostfocal imports no booster.
"""
from .check import GradientCheck, check_gradients
from .loss import FocalLoss

__version__ = "0.1.0"
__all__ = ["FocalLoss", "check_gradients", "GradientCheck", "__version__"]
