"""Shared base of the booster adapters: focal parameters held as an immutable value object.

Adapters translate shapes and signatures only; every number comes from ``self.loss``
(a ``FocalLoss``). Value semantics make them safe to pickle, deep-copy (CatBoost copies the
objective at fit time), ``sklearn.clone`` (through ``get_params``) and compare.
"""
from __future__ import annotations

from .loss import FocalLoss


class FocalParams:
    """Holds ``loss = FocalLoss(**params)``; the constructor takes FocalLoss's parameters."""

    __slots__ = ("loss",)

    def __init__(self, gamma=2.0, alpha=None, pos_weight=None, label_smoothing=0.0,
                 hessian="expected", min_hessian=1e-12):
        object.__setattr__(self, "loss", FocalLoss(gamma, alpha, pos_weight, label_smoothing,
                                                   hessian, min_hessian))

    @classmethod
    def from_loss(cls, loss: FocalLoss):
        return cls(**loss.get_params())

    def get_params(self, deep=True):
        """FocalLoss's parameters (lets ``sklearn.base.clone`` rebuild the object)."""
        return self.loss.get_params()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    def __reduce__(self):
        return type(self), tuple(self.loss.get_params().values())

    def __eq__(self, other):
        return type(other) is type(self) and other.loss == self.loss

    def __hash__(self):
        return hash((type(self).__name__, self.loss))

    def __repr__(self):
        return type(self).__name__ + repr(self.loss)[len("FocalLoss"):]
