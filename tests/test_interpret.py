"""Looking-inside helpers on small models whose right answers are known."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnn_course import interpret, seeding


def brightness_model(functional: bool) -> keras.Model:
    """Class 0's score grows with the brightness of the image: a 1x1 conv sums the channels,
    ReLU, global average pooling, then a dense layer with weights +1 (class 0) and -1 (class 1)."""
    conv = keras.layers.Conv2D(1, 1, use_bias=False, activation="relu", name="bright_conv")
    pool = keras.layers.GlobalAveragePooling2D(name="pool")
    dense = keras.layers.Dense(2, activation="softmax", name="scores")
    if functional:
        inputs = keras.Input((16, 16, 3))
        model = keras.Model(inputs, dense(pool(conv(inputs))), name="functional")
    else:
        model = keras.Sequential([keras.Input((16, 16, 3)), conv, pool, dense], name="sequential")
    conv.set_weights([np.ones((1, 1, 3, 1), np.float32)])
    dense.set_weights([np.array([[4.0, -4.0]], np.float32), np.zeros(2, np.float32)])
    return model


def small_cnn(units: int = 3) -> keras.Model:
    seeding.set_seed(0)
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_a"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv_b"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(units, activation="softmax" if units > 1 else "sigmoid"),
        ]
    )


def bright_square(top=2, left=3):
    image = np.zeros((16, 16, 3), np.float32)
    image[top : top + 4, left : left + 4] = 1.0
    return image


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_grad_cam_points_at_the_evidence(functional):
    model = brightness_model(functional)
    heatmap, class_index = interpret.grad_cam(model, bright_square())
    assert class_index == 0 and heatmap.shape == (16, 16)
    assert heatmap.max() == pytest.approx(1.0) and heatmap.min() >= 0
    assert heatmap[2:6, 3:7].min() == pytest.approx(1.0) and heatmap[10:, 10:].max() == 0


def test_grad_cam_agrees_for_sequential_and_functional_with_the_same_weights():
    sequential = small_cnn()
    functional = keras.Model(sequential.inputs, sequential.outputs)
    image = np.random.default_rng(1).random((16, 16, 3)).astype(np.float32)
    for class_index in range(3):
        a, _ = interpret.grad_cam(sequential, image, class_index=class_index)
        b, _ = interpret.grad_cam(functional, image, class_index=class_index)
        np.testing.assert_allclose(a, b, atol=1e-6)
        assert a.shape == (5, 5), "the last conv layer's resolution"


def test_grad_cam_for_one_sigmoid_unit_explains_either_class():
    model = small_cnn(units=1)
    image = np.random.default_rng(2).random((16, 16, 3)).astype(np.float32)
    _, predicted = interpret.grad_cam(model, image)
    probability = float(model(image[None])[0, 0])
    assert predicted == int(probability >= 0.5)
    for class_index in (0, 1):
        heatmap, explained = interpret.grad_cam(model, image, class_index=class_index)
        assert explained == class_index and heatmap.shape == (5, 5)


def test_occlusion_finds_the_region_the_score_depends_on():
    model = brightness_model(functional=False)
    drops, class_index = interpret.occlusion_map(model, bright_square(top=8, left=8), patch=4, stride=2, fill=0.0)
    assert class_index == 0 and drops.shape == (7, 7)
    row, col = np.unravel_index(np.argmax(drops), drops.shape)
    assert (row * 2, col * 2) == (8, 8), "hiding the bright square hurts most"
    assert drops[0, 0] == pytest.approx(0.0, abs=1e-6), "hiding an empty corner changes nothing"


def test_feature_maps_match_a_direct_sub_model():
    model = small_cnn()
    image = np.random.default_rng(3).random((16, 16, 3)).astype(np.float32)
    maps = interpret.feature_maps(model, image)
    assert list(maps) == ["conv_a", "conv_b"]
    assert maps["conv_a"].shape == (14, 14, 4) and maps["conv_b"].shape == (5, 5, 8)
    direct = keras.Model(model.inputs[0], model.get_layer("conv_a").output)(image[None])[0]
    np.testing.assert_allclose(maps["conv_a"], direct, atol=1e-6)


def test_filter_visualisation_raises_the_filter_s_activation():
    model = small_cnn()
    pattern, before, after = interpret.visualize_filter(model, "conv_a", filter_index=1, steps=20)
    assert pattern.shape == (16, 16, 3) and pattern.min() >= 0 and pattern.max() <= 1
    assert after > before + 0.1


def test_asking_for_a_missing_layer_or_filter_says_what_exists():
    model = small_cnn()
    with pytest.raises(
        interpret.LayerError, match=r"no layer 'block5_conv3'; its convolution layers are \['conv_a', 'conv_b'\]"
    ):
        interpret.grad_cam(model, np.zeros((16, 16, 3)), layer_name="block5_conv3")
    with pytest.raises(interpret.LayerError, match="filters 0 to 3, not 9"):
        interpret.visualize_filter(model, "conv_a", filter_index=9)
    dense_only = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(interpret.LayerError, match="has no convolution layer"):
        interpret.feature_maps(dense_only, np.zeros(4))


def saturated_model(units: int) -> keras.Model:
    """A CNN so sure of class 1 on a bright square that float32 rounds its probability to 1.0:
    a 3x3 conv that finds brightness, global max pooling, a dense layer with a logit of 20."""
    conv = keras.layers.Conv2D(2, 3, activation="relu", name="finder")
    pool = keras.layers.GlobalMaxPooling2D()
    dense = keras.layers.Dense(units, activation="sigmoid" if units == 1 else "softmax")
    model = keras.Sequential([keras.Input((16, 16, 3)), conv, pool, dense])
    conv.set_weights([np.ones((3, 3, 3, 2), np.float32) / 27, np.zeros(2, np.float32)])
    weights = [[20.0], [0.0]] if units == 1 else [[0.0, 10.0], [0.0, 10.0]]
    dense.set_weights([np.array(weights, np.float32), np.zeros(units, np.float32)])
    return model


@pytest.mark.parametrize("units", [1, 2], ids=["sigmoid", "softmax"])
def test_a_saturated_prediction_still_gets_maps_that_are_finite_and_not_zero(units):
    model = saturated_model(units)
    image = bright_square(top=6, left=6)
    probability = np.asarray(model(image[None]))[0, -1]
    logit = interpret.class_logits(model, image[None])[0]
    assert probability == 1.0, "float32 has rounded the probability to exactly 1"
    assert (logit[0] if units == 1 else logit[1] - logit[0]) >= 17
    heatmap, explained = interpret.grad_cam(model, image)
    assert explained == 1 and np.isfinite(heatmap).all() and heatmap.max() == pytest.approx(1.0)
    drops, _ = interpret.occlusion_map(model, image, patch=4, stride=2, fill=0.0)
    assert np.isfinite(drops).all() and drops.max() > 1, "hiding the square lowers the logit by whole units"
    row, col = np.unravel_index(np.argmax(drops), drops.shape)
    assert 4 <= row * 2 <= 8 and 4 <= col * 2 <= 8, "the largest drop is on the square"


def test_class_logits_are_the_scores_before_the_softmax():
    model = brightness_model(functional=True)
    image = bright_square()
    logits = interpret.class_logits(model, image[None])
    probabilities = np.asarray(model(image[None]))
    np.testing.assert_allclose(keras.ops.softmax(logits).numpy(), probabilities, rtol=1e-5)
    assert model.layers[-1].activation is keras.activations.softmax, "the model is left as it was"
