"""Keras 3 ``categorical_focal_crossentropy`` and focal-loss's ``sparse_categorical_focal_loss``:
the values their documentation prints, and agreement with MulticlassFocalLoss."""
import mpmath as mp
import numpy as np
import pytest

from boostfocal import MulticlassFocalLoss
from boostfocal.compat import categorical_focal_crossentropy, sparse_categorical_focal_loss

# Keras 3 (keras/src/losses/losses.py) docstrings; Keras computes in float32.
Y3 = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
P3 = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]


def test_keras_function_example():
    loss = categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]],
                                          [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]], reduction=None)
    np.testing.assert_allclose(loss, [2.63401289e-04, 6.75912094e-01], rtol=1e-6)


@pytest.mark.parametrize("kw,printed", [
    ({}, 0.23315276),
    ({"sample_weight": np.array([0.3, 0.7])}, 0.1632),
    ({"reduction": "sum"}, 0.46631),
    ({"reduction": None}, [3.2058331e-05, 4.6627346e-01]),
])
def test_keras_class_examples(kw, printed):
    digits = len(str(printed).split(".")[-1]) if np.isscalar(printed) else 7
    np.testing.assert_allclose(categorical_focal_crossentropy(Y3, P3, **kw), printed,
                               rtol=max(10.0 ** -digits / np.min(np.abs(printed)), 1e-6))


def test_keras_mean_with_sample_weight_and_axis(rng):
    y = np.eye(4)[rng.integers(0, 4, 6)]
    p = rng.dirichlet(np.ones(4), 6)
    w = rng.uniform(0, 2, 6)
    per = categorical_focal_crossentropy(y, p, reduction=None)
    assert categorical_focal_crossentropy(y, p, sample_weight=w,
                                          reduction="mean_with_sample_weight") == pytest.approx(
        (per * w).sum() / w.sum(), rel=1e-14)
    np.testing.assert_allclose(categorical_focal_crossentropy(y.T, p.T, axis=0, reduction=None),
                               per, rtol=1e-15)


@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_keras_logits_are_the_exact_loss_where_nothing_is_clipped(rng, ls):
    """Keras' formula (alpha per class, smoothing over K) is MulticlassFocalLoss's definition."""
    z = rng.normal(size=(50, 4)) * 2
    y = rng.integers(0, 4, 50)
    alpha = [0.25, 0.5, 1.0, 2.0]
    keras = categorical_focal_crossentropy(np.eye(4)[y], z, alpha=alpha, gamma=1.5,
                                           from_logits=True, label_smoothing=ls, reduction=None)
    exact = MulticlassFocalLoss(gamma=1.5, alpha=alpha, label_smoothing=ls).loss(y, z)
    np.testing.assert_allclose(keras, exact, rtol=1e-12)
    # Keras clips at 1e-7: for a confidently wrong logit its loss saturates, the exact one does not
    z_far = np.array([[0.0, 40.0, 0.0, 0.0]])
    assert categorical_focal_crossentropy(np.eye(4)[[0]], z_far, from_logits=True,
                                          alpha=1.0) == pytest.approx(-np.log(1e-7), rel=1e-6)
    assert MulticlassFocalLoss(gamma=2.0).loss([0], z_far)[0] == pytest.approx(40.0, rel=1e-12)


# focal-loss (artemmavrin/focal-loss, src/focal_loss/_categorical_focal_loss.py) docstrings.
YS = [0, 1, 2]
PS = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]]


def test_focal_loss_examples():
    loss = sparse_categorical_focal_loss(YS, PS, gamma=2)
    np.testing.assert_allclose(loss, [0.009, 0.032, 0.082], atol=5e-4)  # printed at precision=3
    assert loss.mean() == pytest.approx(0.040919524, rel=1e-6)  # SparseCategoricalFocalLoss(2)


def test_focal_loss_per_class_gamma_class_weight_and_logits(rng):
    z = rng.normal(size=(40, 3)) * 2
    y = rng.integers(0, 3, 40)
    gamma, cw = [0.0, 1.0, 3.0], [2.0, 1.0, 0.5]
    logits = sparse_categorical_focal_loss(y, z, gamma, class_weight=cw, from_logits=True)
    np.testing.assert_allclose(logits, MulticlassFocalLoss(gamma=gamma, alpha=cw).loss(y, z),
                               rtol=1e-15)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # nothing near the clip here
    probs = sparse_categorical_focal_loss(y, p, gamma, class_weight=cw)
    np.testing.assert_allclose(probs, logits, rtol=1e-9)
    py = p[np.arange(40), y]
    want = -np.array(cw)[y] * (1 - py) ** np.array(gamma)[y] * np.log(py)
    np.testing.assert_allclose(probs, want, rtol=1e-9)
    # channel axis first, labels with the batch shape
    p3 = np.moveaxis(p.reshape(8, 5, 3), -1, 0)
    np.testing.assert_allclose(
        sparse_categorical_focal_loss(y.reshape(8, 5), p3, 2.0, axis=0),
        sparse_categorical_focal_loss(y, p, 2.0).reshape(8, 5), rtol=1e-15)


def test_focal_loss_probabilities_are_clipped_and_renormalised():
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    loss = sparse_categorical_focal_loss([0, 0], p, gamma=0.0)
    c = np.clip(p, 1e-7, 1 - 1e-7)
    mp.mp.dps = 40
    want = [float(-mp.log(mp.mpf(r[0]) / mp.fsum(mp.mpf(v) for v in r))) for r in c]
    np.testing.assert_allclose(loss, want, rtol=1e-14)


@pytest.mark.parametrize("call,msg", [
    (lambda: sparse_categorical_focal_loss([0, 3], np.full((2, 3), 1 / 3), 2.0), "0..2"),
    (lambda: sparse_categorical_focal_loss([0, 1.5], np.full((2, 3), 1 / 3), 2.0), "integer"),
    (lambda: sparse_categorical_focal_loss([0], np.full((2, 3), 1 / 3), 2.0), "labels"),
    (lambda: sparse_categorical_focal_loss([0, 1], np.full((2, 3), 1 / 3), [1.0, 2.0]), "gamma"),
    (lambda: sparse_categorical_focal_loss([0, 1], np.full((2, 3), 1 / 3), -1.0), "gamma"),
    (lambda: sparse_categorical_focal_loss([0, 1], np.full((2, 3), 1 / 3), 2.0,
                                           class_weight=[1.0]), "class_weight"),
    (lambda: sparse_categorical_focal_loss([0, 1], [[np.nan, 0, 1], [0, 0, 1]], 2.0), "NaN"),
    (lambda: categorical_focal_crossentropy(Y3, P3, alpha=[1.0, 2.0]), "alpha"),
    (lambda: categorical_focal_crossentropy(Y3, [[0.5, 0.5], [0.5, 0.5]]), "shape"),
    (lambda: categorical_focal_crossentropy([[0, 2.0, 0]], [[0.2, 0.3, 0.5]]), "y_true"),
    (lambda: categorical_focal_crossentropy(Y3, P3, reduction="avg"), "reduction"),
    (lambda: categorical_focal_crossentropy(Y3, P3, gamma=-2.0), "gamma"),
    (lambda: categorical_focal_crossentropy(Y3, P3, axis=2), "axis"),
])
def test_bad_input(call, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        call()


@pytest.mark.parametrize("sw", [[1.0, np.nan, 1.0], [1.0, -1.0, 1.0], [1.0, np.inf, 1.0]])
def test_categorical_sample_weight_must_be_finite_and_non_negative(sw):
    """The Keras reduction is shared with binary_focal_crossentropy, weight checks included."""
    from boostfocal.compat import categorical_focal_crossentropy

    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        categorical_focal_crossentropy(np.eye(3), np.full((3, 3), 1 / 3), sample_weight=sw)
