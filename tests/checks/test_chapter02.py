"""Chapter 2 checkers reject typical mistakes with a helpful message.

The checks every exercise gets are in checks/test_all_chapters.py."""

import keras
import numpy as np
import pytest
from keras import layers

from cnn_course.checks import chapter02 as ex
from cnn_course.checks.verdict import Status


def _cnn(padding="valid", hidden="relu", rates=(0.25, 0.25, 0.5)):
    def build_first_cnn(input_shape=(32, 32, 3), num_classes=10):
        return keras.Sequential(
            [
                keras.Input(input_shape),
                layers.Conv2D(32, 3, padding=padding, activation=hidden),
                layers.Conv2D(32, 3, padding=padding, activation=hidden),
                layers.MaxPooling2D(2),
                layers.Dropout(rates[0]),
                layers.Conv2D(64, 3, padding=padding, activation=hidden),
                layers.Conv2D(64, 3, padding=padding, activation=hidden),
                layers.MaxPooling2D(2),
                layers.Dropout(rates[1]),
                layers.Flatten(),
                layers.Dense(256, activation=hidden),
                layers.Dropout(rates[2]),
                layers.Dense(num_classes, activation="softmax"),
            ]
        )

    return build_first_cnn


def _cnn_without_dropout():
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            layers.Conv2D(32, 3),
            layers.Conv2D(32, 3),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3),
        ]
    )


def _hand_shapes_with_padding():
    return {
        "conv1": (32, 32, 32),
        "conv2": (32, 32, 32),
        "pool1": (16, 16, 32),
        "conv3": (16, 16, 64),
        "conv4": (16, 16, 64),
        "pool2": (8, 8, 64),
        "flatten": (4096,),
    }


def _hand_shapes_right():
    return dict(ex.HAND_SHAPES)


def _scale_by_batch_range(x):
    x = np.asarray(x, dtype=np.float32)
    return (x - x.min()) / (x.max() - x.min())


def _activation_model_of_the_last_conv(model):
    last = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)][-1]
    return keras.Model(model.inputs, [last.output])


def _activation_model_of_every_layer(model):
    return keras.Model(model.inputs, [layer.output for layer in model.layers])


def _activation_model_of_the_convolutions(model):
    return keras.Model(model.inputs, [layer.output for layer in model.layers if isinstance(layer, layers.Conv2D)])


def _activation_model_of_a_clone(model):
    copy = keras.models.clone_model(model)
    return keras.Model(copy.inputs, [layer.output for layer in copy.layers if len(layer.output.shape) == 4])


def _heat_without_relu(maps, gradients):
    heat = (maps * gradients.mean(axis=(0, 1))).sum(axis=-1)
    return heat / heat.max()


def _heat_averaged_over_channels(maps, gradients):
    heat = np.maximum(maps.mean(axis=-1) * gradients.mean(axis=-1), 0)
    return heat / heat.max() if heat.max() > 0 else heat


WRONG_ANSWERS = [
    (ex.scale_images, lambda x: x / 255, "should return float32"),
    (ex.scale_images, lambda x: np.asarray(x, np.float32) / 256, "differs at index"),
    (ex.build_first_cnn, _cnn(padding="same"), "layer 1 (Conv2D) should output (30, 30, 32), got (32, 32, 32)"),
    (ex.build_first_cnn, _cnn(hidden=None), "layer 1 (Conv2D) should have activation='relu', got 'linear'"),
    (ex.build_first_cnn, _cnn(hidden="sigmoid"), "should have activation='relu', got 'sigmoid'"),
    (ex.build_first_cnn, _cnn(rates=(0.5, 0.25, 0.25)), "layer 4 (Dropout) should have rate=0.25, got 0.5"),
    (ex.build_first_cnn, _cnn(rates=(0.0, 0.0, 0.0)), "should have rate=0.25, got 0.0"),
    (ex.layer_shapes_by_hand, lambda: {**_hand_shapes_right(), "flatten": 1600}, "write (1600,)"),
    (ex.build_first_cnn, _cnn_without_dropout, "layer 4 should be Dropout, got Conv2D"),
    (ex.build_first_cnn, lambda: "a model", "should return a Keras model"),
    (ex.layer_shapes_by_hand, _hand_shapes_with_padding, "conv1 should be (30, 30, 32), got (32, 32, 32)"),
    (ex.layer_shapes_by_hand, lambda: [(30, 30, 32)], "should return a dict"),
    (ex.scale_images, _scale_by_batch_range, "differs at index"),
    (ex.build_activation_model, _activation_model_of_the_last_conv, "should have 4 outputs, got 1"),
    (ex.build_activation_model, _activation_model_of_the_convolutions, "Pooling layers output maps too"),
    (ex.build_activation_model, _activation_model_of_every_layer, "give one vector per image, not maps"),
    (ex.build_activation_model, _activation_model_of_a_clone, "own .output from the model you were given"),
    (ex.build_activation_model, lambda model: [layer.output for layer in model.layers], "should return a keras.Model"),
    (
        ex.build_activation_model,
        lambda model: keras.Model(model.input, [layer.output for layer in model.layers if layer.output.ndim == 4]),
        "Use model.inputs",
    ),
    (ex.grad_cam_heatmap, _heat_without_relu, "after the ReLU the map is 0 everywhere"),
    (ex.grad_cam_heatmap, _heat_averaged_over_channels, "averaged over height and width"),
]


@pytest.mark.parametrize("exercise, answer, fragment", WRONG_ANSWERS)
def test_a_wrong_answer_is_rejected_with_a_helpful_message(exercise, answer, fragment):
    result = exercise.evaluate(answer)
    assert result.status is Status.INCORRECT
    assert fragment in result.message
