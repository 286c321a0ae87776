"""Chapter 2 checkers reject typical mistakes with a helpful message.

The checks every exercise gets are in checks/test_all_chapters.py."""

import keras
import numpy as np
import pytest
from keras import layers

from cnn_course.checks import chapter02 as ex
from cnn_course.checks.core import Status


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


def _per_class_overall(y_true, y_pred, num_classes):
    return np.full(num_classes, np.mean(np.asarray(y_true) == np.asarray(y_pred)))


WRONG_ANSWERS = [
    (ex.scale_images, lambda x: x / 255, "should return float32"),
    (ex.scale_images, lambda x: np.asarray(x, np.float32) / 256, "differs at index"),
    (
        ex.one_hot,
        lambda labels, n: keras.utils.to_categorical(labels, n + 1),
        "should have shape (3, 10), got shape (3, 11)",
    ),
    (ex.first_cnn, _cnn(padding="same"), "layer 1 (Conv2D) should output (30, 30, 32), got (32, 32, 32)"),
    (ex.first_cnn, _cnn(hidden=None), "layer 1 (Conv2D) should have activation='relu', got 'linear'"),
    (ex.first_cnn, _cnn(hidden="sigmoid"), "should have activation='relu', got 'sigmoid'"),
    (ex.first_cnn, _cnn(rates=(0.5, 0.25, 0.25)), "layer 4 (Dropout) should have rate=0.25, got 0.5"),
    (ex.first_cnn, _cnn(rates=(0.0, 0.0, 0.0)), "should have rate=0.25, got 0.0"),
    (ex.one_hot, lambda labels, n: np.eye(n)[np.ravel(labels)], "should be float32"),
    (ex.hand_shapes, lambda: {**_hand_shapes_right(), "flatten": 1600}, "write (1600,)"),
    (ex.first_cnn, _cnn_without_dropout, "layer 4 should be Dropout, got Conv2D"),
    (ex.first_cnn, lambda: "a model", "should return a Keras model"),
    (ex.hand_shapes, _hand_shapes_with_padding, "conv1 should be (30, 30, 32), got (32, 32, 32)"),
    (ex.hand_shapes, lambda: [(30, 30, 32)], "should return a dict"),
    (
        ex.did_it_learn,
        lambda history, before, after: history["loss"][-1] < history["loss"][0],
        "should return False when no weight moved",
    ),
    (ex.did_it_learn, lambda history, before, after: "yes", "should return True"),
    (ex.per_class, _per_class_overall, "differs at index"),
]


@pytest.mark.parametrize("exercise, answer, fragment", WRONG_ANSWERS)
def test_a_wrong_answer_is_rejected_with_a_helpful_message(exercise, answer, fragment):
    result = exercise.evaluate(answer)
    assert result.status is Status.INCORRECT
    assert fragment in result.message
