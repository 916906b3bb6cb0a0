"""The focal posterior as ONNX nodes: ``_math.posterior`` / ``_multiclass_math.posterior``
themselves, bound by ``_bind.bind`` to the ONNX operators of ``_ops`` instead of numpy ufuncs, so
the math has one source."""
from __future__ import annotations

import numpy as np

from .. import _math, _multiclass_math
from .._backends import eager_primitives, multiclass_primitives
from .._bind import FUNCS, MULTICLASS_FUNCS, bind
from ..loss import FocalLoss
from ._ops import Ops, Sym


def posterior(b, z, loss, k):
    """The loss's posterior of the raw scores ``z`` ((n, 1) binary, (n, K)) as graph nodes: the
    formulas of ``_math.posterior`` / ``_multiclass_math.posterior`` themselves, bound by
    ``_backends`` to ONNX operators; label smoothing undone as ``posterior`` does."""
    ops = Ops(b)
    eps = loss.label_smoothing
    if isinstance(loss, FocalLoss):
        m = bind(eager_primitives(ops), module=_math, names=FUNCS)
        eta = m.posterior(Sym(b, z), loss.a, loss.b, loss.gamma)
        if eps:
            eta = ops.clip(m.unsmooth(eta, eps), 0.0, 1.0)
        return eta.name
    m = bind(multiclass_primitives(ops), module=_multiclass_math, names=MULTICLASS_FUNCS)
    alpha, gamma, g = loss.vectors(k)
    columns = [Sym(b, b.op("Gather", z, b.const([c], np.int64), axis=1)) for c in range(k)]
    out = [None] * k  # the row e / out of the formulas: one (n, 1) column per class
    m.posterior(columns, k, alpha, gamma, _multiclass_math.ANY_GAMMA, out, out)
    eta = b.op("Concat", *(c.name for c in out), axis=1)
    if eps:  # MulticlassFocalLoss._unsmooth
        eta = (ops.maximum((Sym(b, eta) - eps / k) / (1.0 - eps), 0.0)).name
        eta = b.op("Div", eta, b.op("ReduceSum", eta, b.const([1], np.int64), keepdims=1))
    return eta
