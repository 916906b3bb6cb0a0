"""LightGBM adapter: focal objective and metric callables, and a ``train`` that starts well.

``FocalObjective`` and ``FocalMetric`` serve both calling conventions with one object:
``lightgbm.train`` calls ``f(preds, train_data)`` and the scikit-learn / Dask wrappers call
``f(y_true, y_pred, weight, group)`` (they count the parameters of ``__call__``: four). Every
number comes from ``FocalLoss``; LightGBM never applies sample weights to custom gradients, so
they are passed to ``FocalLoss.gradient_hessian``, which multiplies them in.

LightGBM starts a custom objective from raw score 0 (``boost_from_average`` is ignored) and does
not store a Dataset's ``init_score`` in the model. ``train`` therefore sets the focal-optimal
constant ``FocalLoss.init_score(y, w)`` as the init score of the training and validation sets,
trains, restores the Datasets, and folds the constant into the first tree with
``add_init_score``: ``booster.predict(X, raw_score=True)`` then includes it, also after
``save_model`` / ``model_from_string``.

``MulticlassFocalObjective`` / ``MulticlassFocalMetric`` serve the same entry points for
``MulticlassFocalLoss`` with ``num_class`` = K. They share the binary classes' bodies
(``_Objective``, ``_Metric``) and ``train``; the family (``_BINARY``, ``_MULTICLASS``) says what
differs. LightGBM passes (n, K) raw scores in column-major order and flattens 2-D returns in
that order (a 1-D return must be class-major); the start is a vector of K constants, folded
into the first iteration's K trees. LightGBM's built-in ``multiclass`` scales the softmax
hessian by K / (K - 1); so does ``MulticlassFocalObjective`` by default (``hessian_scale``).

Where the loss travels: LightGBM keeps no user attributes, and drops unknown training parameters
("Unknown parameter"). What a model text does keep verbatim is its ``parameters:`` block when the
model was *loaded* (``model_from_string``, which ``lightgbm.train`` itself does before returning
unless ``keep_training_booster=True``), and reloading never interprets a line it does not know.
``train`` therefore reloads the booster from its own text with one more line,
``[boostfocal_loss=<percent-encoded JSON>: ]``, which every later ``save_model`` /
``model_to_string`` / pickle writes back. LightGBM reads that line as a parameter with an empty
value and skips it silently (``Booster.params`` does not list it); the older form
``[boostfocal_loss: <JSON>]`` made it print "Ignoring unrecognized parameter" on every load,
and is still read.
"""
from ._model import add_init_score, posterior, predict_proba
from ._objective import FocalMetric, FocalObjective, MulticlassFocalMetric, MulticlassFocalObjective
from ._train import dask_fit, train

__all__ = ["FocalObjective", "FocalMetric", "MulticlassFocalObjective", "MulticlassFocalMetric",
           "train", "dask_fit", "add_init_score", "predict_proba", "posterior"]

for _cls in (FocalObjective, FocalMetric, MulticlassFocalObjective, MulticlassFocalMetric):
    _cls.__module__ = __name__  # pickles name the public path, whatever module defines them
del _cls
