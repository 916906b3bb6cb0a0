"""Shared base of the booster adapters: focal parameters held as an immutable value object.

Adapters translate shapes and signatures only; every number comes from ``self.loss``
(a ``FocalLoss``, or a ``MulticlassFocalLoss`` for the multiclass adapters). Value semantics make them safe to pickle, copy (CatBoost deep-copies the
objective at fit time and in ``get_params``; copies are the object itself, which is immutable),
``sklearn.clone`` (through deep copy) and compare. There is deliberately no ``get_params``:
scikit-learn would then expand the object into ``objective__gamma``-style parameters, which
XGBoost and LightGBM forward to the booster as unknown parameters.
"""
from __future__ import annotations

from .loss import FocalLoss
from .multiclass import MulticlassFocalLoss


def _rebuild(cls, params):
    return cls(**params)


class LossParams:
    """Holds ``loss = self.LOSS(**params)``, an immutable loss object; the value semantics below
    are shared by ``FocalParams`` (binary) and ``MulticlassFocalParams``.

    A subclass with parameters of its own lists them in ``_extra`` (name -> default), accepts
    them in its ``__init__`` and stores them with ``object.__setattr__``; they then take part in
    ``params``, equality, hashing, pickling and ``repr`` like the loss's.
    """

    __slots__ = ("loss",)
    LOSS = None
    _extra: dict = {}

    def __init__(self, **loss_params):
        object.__setattr__(self, "loss", self.LOSS(**loss_params))

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

    def __init__(self, gamma=2.0, alpha=None, pos_weight=None, label_smoothing=0.0,
                 hessian="expected", min_hessian=1e-12):
        super().__init__(gamma=gamma, alpha=alpha, pos_weight=pos_weight,
                         label_smoothing=label_smoothing, hessian=hessian,
                         min_hessian=min_hessian)


class MulticlassFocalParams(LossParams):
    """Holds ``loss = MulticlassFocalLoss(**params)``; the constructor takes its parameters."""

    __slots__ = ()
    LOSS = MulticlassFocalLoss

    def __init__(self, gamma=2.0, alpha=None, label_smoothing=0.0, hessian="expected",
                 min_hessian=1e-12):
        super().__init__(gamma=gamma, alpha=alpha, label_smoothing=label_smoothing,
                         hessian=hessian, min_hessian=min_hessian)
