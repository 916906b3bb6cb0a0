"""Shared base of the booster adapters: focal parameters held as an immutable value object.

Adapters translate shapes and signatures only; every number comes from ``self.loss``
(a ``FocalLoss``, or a ``MulticlassFocalLoss`` for the multiclass adapters). Value semantics
make them safe to pickle, copy (CatBoost deep-copies the objective at fit time and in ``get_params``; copies are the object itself, which is immutable),
``sklearn.clone`` (through deep copy) and compare. There is deliberately no ``get_params``:
scikit-learn would then expand the object into ``objective__gamma``-style parameters, which
XGBoost and LightGBM forward to the booster as unknown parameters.
"""
from __future__ import annotations

import sys
import warnings

from . import _spec
from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss

_BOOSTERS = {b.package: b.name for b in _spec.BOOSTERS}
_WARNED = set()  # keys of the once-per-process warnings already given


def caller_module(depth=2):
    """The module whose code called the function ``depth - 1`` frames up (one frame lookup)."""
    try:
        return sys._getframe(depth).f_globals.get("__name__", "")
    except ValueError:
        return ""


def booster_package(module):
    """'xgboost', 'lightgbm' or 'catboost' when ``module`` belongs to that booster, else None."""
    top = module.partition(".")[0]
    return top if top in _BOOSTERS else None


def booster_of(*objects):
    """The booster package that defines one of ``objects``' types (a DMatrix, a Dataset, ...)."""
    for obj in objects:
        top = booster_package(type(obj).__module__)
        if top:
            return top
    return None


class SetupWarning(UserWarning):
    """A booster is training a boostfocal objective without a piece of its setup (the start,
    the metric, ...); the message names the piece. Silence it with
    ``warnings.filterwarnings("ignore", category=boostfocal.SetupWarning)``."""


def warn_once(key, message, stacklevel=3, category=SetupWarning):
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, category, stacklevel=stacklevel)


def fitting_model(cls, depth=3, limit=40):
    """``(model, locals)`` of the innermost ``fit`` call on the stack whose ``self`` is a
    ``cls`` (a booster's scikit-learn class training our objective), or None. Reads the frames'
    local names only: what the user passed to the constructor and to ``fit``."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    for _ in range(limit):
        if frame is None:
            return None
        if frame.f_code.co_name == "fit" and isinstance(frame.f_locals.get("self"), cls):
            return frame.f_locals["self"], frame.f_locals
        frame = frame.f_back
    return None


def warn_missing(wrapper, objective, missing, stacklevel=4):
    """The one ``SetupWarning`` for a booster's scikit-learn class training ``objective``
    without the pieces in ``missing`` (``[(name, "pass ... (why)")]``); nothing if none is
    missing. Once per process for each message."""
    if missing:
        what = "; ".join(text for _, text in missing)
        message = f"{wrapper}(objective={type(objective).__name__}(...)): {what}"
        warn_once((wrapper, message), message, stacklevel=stacklevel)


def _rebuild(cls, params):
    return cls(**params)


class LossParams:
    """Holds ``loss = self.LOSS(**params)``, an immutable loss object; the value semantics below
    are shared by ``FocalParams`` (binary) and ``MulticlassFocalParams``.

    A subclass with parameters of its own declares them in ``_EXTRAS`` (``_spec.Param``s, from
    ``_spec.EXTRAS``) and a slot for each; its ``__init__`` is generated from the loss's table and
    those (``_spec.make_init``), and they take part in ``params``, equality, hashing, pickling
    and ``repr`` like the loss's. A subclass with more state to set extends ``_init``.
    """

    __slots__ = ("loss",)
    LOSS = None
    _EXTRAS = ()
    _extra: dict = {}  # name -> default of _EXTRAS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if ("LOSS" in vars(cls) or "_EXTRAS" in vars(cls)) and "__init__" not in vars(cls):
            cls._extra = {p.name: p.default for p in cls._EXTRAS}
            cls.__init__ = _spec.make_init(cls.LOSS._SPEC + cls._EXTRAS)

    def _init(self, values):
        extras = {p.name: values.pop(p.name) for p in self._EXTRAS}
        object.__setattr__(self, "loss", self.LOSS(**values))
        for name, value in _spec.checked(self._EXTRAS, extras).items():
            object.__setattr__(self, name, value)
    _booster = None  # the package whose calling convention the subclass serves

    def _wrong_booster(self, caller):
        """The TypeError for an object handed to another booster than its own."""
        kind, inner = type(self).__name__, repr(self.loss)[len(type(self.loss).__name__) + 1:-1]
        fix = (f"use boostfocal.{caller}.{kind}({inner})" if caller else
               f"use the {kind} of that booster's boostfocal module")
        return TypeError(f"boostfocal.{self._booster}.{kind} serves {_BOOSTERS[self._booster]} "
                         f"only, but {_BOOSTERS.get(caller, 'another booster')} called it with "
                         f"its own calling convention: {fix}")

    def calc_ders_range(self, *args):
        """CatBoost's objective call (CatBoost's own classes override it): refused here."""
        raise self._wrong_booster("catboost")

    def _refuse_foreign(self, module, *args):
        """Raise ``_wrong_booster`` when the calling ``module`` or an argument's type belongs to
        another booster. O(1): one module name and the types of the arguments."""
        caller = booster_package(module) or booster_of(*args)
        if caller is not None and caller != self._booster:
            raise self._wrong_booster(caller)

    @classmethod
    def from_loss(cls, loss, **extra):
        if not isinstance(loss, cls.LOSS):
            raise TypeError(f"{cls.__name__}.from_loss needs a {cls.LOSS.__name__}, got "
                            f"{type(loss).__name__}")
        return cls(**loss.get_params(), **extra)

    def params(self):
        """The loss's parameters and the subclass's own: ``type(self)(**self.params())`` is an
        equal object."""
        params = self.loss.get_params()
        params.update({name: getattr(self, name) for name in self._extra})
        return params

    def __setattr__(self, name, value):
        if name == "_jited" and self._booster != "catboost":
            # CatBoost marks a Python loss_function / eval_metric it has numba-compiled
            raise self._wrong_booster("catboost")
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return _rebuild, (type(self), self.params())

    def __eq__(self, other):
        return type(other) is type(self) and other.params() == self.params()

    def __hash__(self):
        return hash((type(self).__name__, tuple(self.params().items())))

    def __repr__(self):
        own = [f"{k}={getattr(self, k)!r}" for k, d in self._extra.items() if getattr(self, k) != d]
        inner = repr(self.loss)[len(type(self.loss).__name__) + 1:-1]
        return f"{type(self).__name__}({', '.join([inner] + own)})"


class FocalParams(LossParams):
    """Holds ``loss = FocalLoss(**params)``; the constructor takes FocalLoss's parameters."""

    __slots__ = ()
    LOSS = FocalLoss


class MulticlassFocalParams(LossParams):
    """Holds ``loss = MulticlassFocalLoss(**params)``; the constructor takes its parameters."""

    __slots__ = ()
    LOSS = MulticlassFocalLoss
