"""Every printed value in the two seed documents (../shared/seeds), reproduced.

Keras printed float32 results (computed in float32 by TensorFlow); boostfocal.compat computes the
same expressions in float64, so agreement is to the printed digits or to float32 rounding, whichever
is looser: one unit of the last printed digit, or rtol 3e-7 (2-3 float32 ulps). The focal-loss
example printed 3 decimals.
"""
import numpy as np
import pytest

from boostfocal.compat import binary_focal_crossentropy as bfc
from boostfocal.compat import binary_focal_loss

YT1, YP1 = [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]
YT2, YP2 = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]

KERAS_CASES = [
    # (args, kwargs, printed)
    (([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), dict(gamma=2, reduction=None),
     "0.32986466 0.20579838"),
    ((YT1, YP1), dict(gamma=2, from_logits=True), "0.6912122"),
    ((YT1, YP1), dict(apply_class_balancing=True, gamma=2, from_logits=True), "0.5101333"),
    ((YT2, YP2), dict(gamma=3, from_logits=True), "0.6469951"),
    ((YT2, YP2), dict(apply_class_balancing=True, gamma=3, from_logits=True), "0.48214132"),
    ((YT2, YP2), dict(gamma=3, from_logits=True, sample_weight=[0.8, 0.2]), "0.13312504"),
    ((YT2, YP2), dict(apply_class_balancing=True, gamma=3, from_logits=True,
                      sample_weight=[0.8, 0.2]), "0.09735977"),
    ((YT2, YP2), dict(gamma=4, from_logits=True, reduction="sum"), "1.2218808"),
    ((YT2, YP2), dict(apply_class_balancing=True, gamma=4, from_logits=True, reduction="sum"),
     "0.9140807"),
    ((YT2, YP2), dict(gamma=5, from_logits=True, reduction=None), "0.00174837 1.1561027"),
    ((YT2, YP2), dict(apply_class_balancing=True, gamma=5, from_logits=True, reduction=None),
     "4.3709317e-04 8.6707699e-01"),
]


def _last_digit_unit(text):
    """10^(position of the last printed digit): '0.00174837' -> 1e-8, '8.6707699e-01' -> 1e-8."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


@pytest.mark.parametrize("args, kwargs, printed", KERAS_CASES)
def test_keras_seed_values(args, kwargs, printed):
    got = np.atleast_1d(bfc(*args, **kwargs))
    printed = printed.split()
    assert got.shape == (len(printed),)
    for value, text in zip(got, printed):
        tol = max(_last_digit_unit(text), 3e-7 * abs(float(text)))
        assert abs(value - float(text)) <= tol, (value, text)
    assert len(KERAS_CASES) + 1 == 12  # with the focal-loss example: every printed value


def test_focal_loss_package_seed_value():
    got = binary_focal_loss([0, 1, 1], [0.1, 0.7, 0.9], gamma=2)
    assert got.shape == (3,)
    np.testing.assert_array_equal(np.round(got, 3), [0.001, 0.032, 0.001])
    # and the unrounded values, from the formula by hand: -(q^2) log p etc.
    np.testing.assert_allclose(got, [0.01 * -np.log(0.9), 0.09 * -np.log(0.7), 0.01 * -np.log(0.9)],
                               rtol=1e-14)


def test_focal_loss_package_logits_equal_probabilities_away_from_clipping(rng):
    z = rng.normal(size=50) * 3
    y = (rng.random(50) < 0.4).astype(float)
    p = 1 / (1 + np.exp(-z))
    for kw in ({}, {"pos_weight": 2.5}, {"label_smoothing": 0.2}, {"pos_weight": 0.0}):
        a = binary_focal_loss(y, z, 2.0, from_logits=True, **kw)
        b = binary_focal_loss(y, p, 2.0, **kw)
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_keras_clips_confident_logits_like_keras():
    # sigmoid(-18.6) = 8.4e-9 < 1e-7: Keras clips the probability, so the y=0 loss is not ~0
    # but (1e-7)^gamma * -log(1 - 1e-7); with gamma = 0 that is 1e-7 (exact logit form: 8.4e-9).
    got = bfc([0.0], [-18.6], gamma=0.0, from_logits=True, reduction=None)
    np.testing.assert_allclose(got, -np.log(1 - 1e-7), rtol=1e-12)


def test_keras_gamma0_is_binary_crossentropy(rng):
    y = (rng.random((8, 5)) < 0.5).astype(float)
    p = rng.uniform(0.01, 0.99, (8, 5))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)
    np.testing.assert_allclose(bfc(y, p, gamma=0.0, reduction=None), bce, rtol=1e-12)


def test_keras_reductions_and_smoothing(rng):
    y = (rng.random((6, 3)) < 0.5).astype(float)
    p = rng.uniform(0.01, 0.99, (6, 3))
    w = rng.uniform(0, 2, 6)
    per = bfc(y, p, reduction=None, label_smoothing=0.1, sample_weight=w)
    ys = y * 0.9 + 0.05
    pt = ys * p + (1 - ys) * (1 - p)
    manual = ((1 - pt) ** 2 * -(ys * np.log(p) + (1 - ys) * np.log(1 - p))).mean(-1) * w
    np.testing.assert_allclose(per, manual, rtol=1e-12)
    kw = dict(label_smoothing=0.1, sample_weight=w)
    np.testing.assert_allclose(bfc(y, p, reduction="sum", **kw), manual.sum(), rtol=1e-12)
    np.testing.assert_allclose(bfc(y, p, **kw), manual.sum() / 6, rtol=1e-12)
    np.testing.assert_allclose(bfc(y, p, reduction="mean_with_sample_weight", **kw),
                               manual.sum() / w.sum(), rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: bfc([0, 1], [0.2, 0.3], gamma=-1), "gamma"),
    (lambda: bfc([0, 1], [0.2, 0.3], alpha=1.5), "alpha"),
    (lambda: bfc([0, 1], [0.2, 0.3], label_smoothing=2), "label_smoothing"),
    (lambda: bfc([0, 1], [0.2, 0.3], reduction="avg"), "reduction"),
    (lambda: bfc([0, 2], [0.2, 0.3]), "y_true"),
    (lambda: bfc([0, 1, 1], [0.2, 0.3]), "broadcast"),
    (lambda: binary_focal_loss([0, 1], [0.2, 0.3], gamma=-0.5), "gamma"),
    (lambda: binary_focal_loss([0, 1], [0.2, 0.3], 2, pos_weight=-1), "pos_weight"),
    (lambda: binary_focal_loss([0, 1], [0.2, np.nan], 2), "y_pred"),
])
def test_compat_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
