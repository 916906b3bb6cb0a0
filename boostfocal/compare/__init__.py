"""``boostfocal.compare(X, y, ...)``: does the focal loss help on this data? Log-loss,
class-weighted log-loss and the focal loss over a gamma x alpha grid on the same folds (paired),
scored and reported (docs/compare.md). The package is itself callable: ``boostfocal.compare(X,
y)`` is ``boostfocal.compare.compare(X, y)``."""
import sys
import types

from ._api import compare
from ._design import BINARY_ALPHAS, GAMMAS, MULTICLASS_ALPHAS, Config
from ._result import Comparison

__all__ = ["compare", "Comparison", "Config", "GAMMAS", "BINARY_ALPHAS", "MULTICLASS_ALPHAS"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
