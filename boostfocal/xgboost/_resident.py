"""XGBoost training with the training margins kept where the features are (the GPU, or the host).

``xgb.train`` with a Python objective asks XGBoost for the training margins every round
(``Booster.update`` -> ``predict(training=True)``), and XGBoost's C API hands them back in host
memory: on a GPU that copy costs more than a whole built-in round (XGBoost issue #10049). This loop
never asks for them. It keeps its own copy, on the device of the features ``data`` the user passes
once, and adds each round's new trees to it::

    m_0     = base margin (+ the trees of ``xgb_model``)       one full prediction, once
    g, h    = objective.gradient_hessian(y, m_i, w)             on the device
    Booster.boost(dtrain, i, grad=g, hess=h)                    XGBoost packs them on the device
    m_{i+1} = m_i + inplace_predict(data, iteration_range=(i, i + 1), base_margin=0)

``inplace_predict`` with a zero ``base_margin`` returns exactly the new trees' output in float32,
and XGBoost accumulates its own cache in float32 the same way, so ``m_i`` equals XGBoost's training
margins (bit for bit on the CPU; tests/test_xgboost_resident.py). Evaluation sets, metrics, early
stopping and callbacks go through XGBoost's own ``CallbackContainer``, as in ``xgb.train``.

What the loop cannot serve falls back to ``xgb.train`` (``unsupported`` says why): DART (a round
rescales earlier trees), ``gblinear``, distributed training, tree refresh/prune processes.
"""
from __future__ import annotations

import copy
import inspect
import weakref

import xgboost as xgb
from xgboost import collective
from xgboost.callback import CallbackContainer, EarlyStopping, EvaluationMonitor

from .._backends import array_namespace


def unsupported(params, dtrain):
    """Why the resident loop cannot train this setup (a sentence), or None if it can."""
    booster = params.get("booster", "gbtree")
    if booster != "gbtree":
        return (f"booster={booster!r}: "
                + ("a DART round rescales earlier trees, so one new tree's prediction is not the "
                   "margin update" if booster == "dart" else "only tree boosters are served"))
    if str(params.get("process_type", "default")) != "default":
        return "process_type='update' changes existing trees, not only the new one"
    if collective.is_distributed():
        return "distributed training: each worker holds a shard, not the full feature matrix"
    if type(dtrain).__name__ == "ExtMemQuantileDMatrix":
        return "external-memory DMatrix"
    return None


def _rows(data):
    shape = getattr(data, "shape", None)
    if shape is None or len(shape) != 2:
        raise TypeError("data must be the 2-D training feature matrix (CuPy/numpy array or "
                        f"cuDF/pandas DataFrame), got {type(data).__name__}")
    return int(shape[0])


class ResidentLoop:
    """The state of one training: the booster, and the margins next to ``data``."""

    def __init__(self, bst, dtrain, data, objective):
        self.bst, self.dtrain, self.data, self.objective = bst, dtrain, data, objective
        n = dtrain.num_row()
        if _rows(data) != n:
            raise ValueError(f"data has {_rows(data)} rows but dtrain has {n}: pass the features "
                             "dtrain was built from, in the same row order")
        base = dtrain.get_base_margin()
        base = base if base.size else None
        # the base margin (XGBoost's base_score, or dtrain's base_margin) plus any existing trees
        margins = bst.inplace_predict(data, predict_type="margin", base_margin=base)
        xp = array_namespace(margins)
        self.xp = xp
        self.margins = xp.ascontiguousarray(margins, dtype=xp.float32)
        self._zero = xp.zeros(self.margins.shape, dtype=xp.float32)
        y, w = dtrain.get_label(), dtrain.get_weight()
        self.y = xp.asarray(y)
        self.w = xp.asarray(w) if w.size else None
        # labels and weights are checked on the first call; later calls skip the value checks
        self._unchecked = "check_input" in inspect.signature(objective.gradient_hessian).parameters

        self._checked = False
        self._trees = bst.num_boosted_rounds()  # rounds already in the model (xgb_model)

    def step(self, i):
        """Round ``i`` (counted from 0 in this call, as ``xgb.train`` counts): the gradient at the
        resident margins, one boost, and the new round's trees added to the margins."""
        kw = {"check_input": False} if self._unchecked and self._checked else {}
        grad, hess = self.objective.gradient_hessian(self.y, self.margins, self.w, **kw)
        self._checked = True
        self.bst.boost(self.dtrain, i, grad=grad, hess=hess)
        t = self._trees
        self.margins += self.bst.inplace_predict(self.data, iteration_range=(t, t + 1),
                                                 predict_type="margin", base_margin=self._zero)
        self._trees = t + 1


def train(params, dtrain, data, objective, num_boost_round=10, *, evals=None, maximize=None,
          early_stopping_rounds=None, evals_result=None, verbose_eval=True, xgb_model=None,
          callbacks=None, custom_metric=None):
    """``xgb.train`` (same arguments, same result) with the margins kept next to ``data``.

    ``objective.gradient_hessian(y, margins, w)`` computes the gradient (a ``FocalObjective`` or
    ``MulticlassFocalObjective``, or a loss: arrays of the margins' kind in, the same kind out;
    (n,) margins for binary, (n, K) for multiclass). ``params`` are final (objective, base_score).
    """
    callbacks = [] if callbacks is None else copy.copy(list(callbacks))
    evals = list(evals) if evals else []
    for va, _ in evals:
        if not isinstance(va, xgb.DMatrix):
            raise TypeError("Invalid type for the `evals`.")
        ref = getattr(va, "ref", None)
        if ref is not None and ref is not weakref.ref(dtrain) and va is not dtrain:
            raise ValueError("Training dataset should be used as a reference when constructing "
                             "the `QuantileDMatrix` for evaluation.")
    bst = xgb.Booster(params, [dtrain] + [d[0] for d in evals], model_file=xgb_model)
    loop = ResidentLoop(bst, dtrain, data, objective)
    if verbose_eval:
        callbacks.append(EvaluationMonitor(period=1 if verbose_eval is True else verbose_eval))
    if early_stopping_rounds:
        callbacks.append(EarlyStopping(rounds=early_stopping_rounds, maximize=maximize))
    container = CallbackContainer(callbacks, metric=custom_metric, output_margin=True)
    bst = container.before_training(bst)
    for i in range(num_boost_round):
        if container.before_iteration(bst, i, dtrain, evals):
            break
        loop.step(i)
        if container.after_iteration(bst, i, dtrain, evals):
            break
    bst = container.after_training(bst)
    if evals_result is not None:
        evals_result.update(container.history)
    return bst.reset()


