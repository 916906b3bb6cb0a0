"""scikit-learn classifiers trained with the focal loss, one per booster (imported lazily)."""
from .._spec import BOOSTERS as _BOOSTERS

_WHERE = {b.estimator: b.package for b in _BOOSTERS}
__all__ = list(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
