"""Chapter 4 checkers reject typical mistakes with a helpful message.

The checks every exercise gets are in checks/test_all_chapters.py."""

import csv

import keras
import numpy as np
import pytest
from keras import layers
from keras.applications.vgg16 import preprocess_input

from cnn_course.checks import chapter04 as ex
from cnn_course.checks.verdict import Status


def _head(x, dropout=0.4, hidden="relu"):
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation=hidden)(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(1, activation="sigmoid")(x)


def _nested(base):
    base.trainable = False
    inputs = keras.Input(base.input.shape[1:])
    return keras.Model(inputs, _head(base(inputs)))


def _not_frozen(base):
    return keras.Model(base.input, _head(base.output))


def _wrong_dropout(base):
    base.trainable = False
    return keras.Model(base.input, _head(base.output, dropout=0.5))


def _linear_head(base):
    base.trainable = False
    return keras.Model(base.input, _head(base.output, hidden=None))


def _fine_tuning(rate=lambda head: head / 10, recompile=True, loss="binary_crossentropy", block4=False, reuse=False):
    def start_fine_tuning(model, head_learning_rate):
        for layer in model.layers:
            in_block = layer.name.startswith(("block4", "block5") if block4 else "block5")
            layer.trainable = in_block or not layer.name.startswith("block")
        if recompile:
            optimizer = model.optimizer if reuse else keras.optimizers.Adam(rate(head_learning_rate))
            model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        else:
            model.optimizer.learning_rate = rate(head_learning_rate)
        return model

    return start_fine_tuning


def _new_optimizer_without_compiling(model, head_learning_rate):
    for layer in model.layers:
        layer.trainable = layer.name.startswith("block5") or not layer.name.startswith("block")
    model.optimizer = keras.optimizers.Adam(head_learning_rate / 10)
    return model


def _submission_unclipped(ids, probabilities, path, low=0.005, high=0.995):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        writer.writerows(zip(ids, np.ravel(probabilities)))


def _submission_without_header(ids, probabilities, path, low=0.005, high=0.995):
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(zip(ids, np.clip(np.ravel(probabilities), low, high)))


def _submission_fixed_bounds(ids, probabilities, path, low=0.005, high=0.995):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        writer.writerows(zip(ids, np.clip(np.ravel(probabilities), 0.005, 0.995)))


def _submission_sorted(ids, probabilities, path, low=0.005, high=0.995):
    rows = sorted(zip(ids, np.clip(np.ravel(probabilities), low, high)))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        writer.writerows(rows)


WRONG_ANSWERS = [
    (ex.vgg_preprocess, lambda images: preprocess_input(images), "changed the array it was given"),
    (ex.vgg_preprocess, lambda images: np.asarray(images, "float32") / 255.0, "vgg_preprocess(images) differs"),
    (ex.build_frozen_model, _nested, "contains another model as one layer"),
    (ex.build_frozen_model, _not_frozen, "must be frozen"),
    (ex.build_frozen_model, _wrong_dropout, "head layer 3 (Dropout) should have rate=0.4, got 0.5"),
    (ex.build_frozen_model, _linear_head, "head layer 2 (Dense) should have activation='relu', got 'linear'"),
    (ex.start_fine_tuning, _fine_tuning(rate=lambda head: head), "That is the head's own rate or more"),
    (ex.start_fine_tuning, _fine_tuning(rate=lambda head: 1e-5), "Compute it from head_learning_rate"),
    (ex.start_fine_tuning, _fine_tuning(recompile=False), "compile the model again, with a new Adam"),
    (ex.start_fine_tuning, _fine_tuning(reuse=True), "compile the model again, with a new Adam"),
    (ex.start_fine_tuning, _new_optimizer_without_compiling, "Compile after changing trainable"),
    (ex.start_fine_tuning, _fine_tuning(block4=True), "these are not as they should be: ['block4_conv1']"),
    (ex.start_fine_tuning, _fine_tuning(loss="categorical_crossentropy"), "still calls for loss='binary_crossentropy'"),
    (ex.write_submission, _submission_unclipped, "strictly between 0 and 1"),
    (ex.write_submission, _submission_without_header, "the first line must be exactly 'id,label'"),
    (ex.write_submission, _submission_sorted, "in the order given"),
    (ex.write_submission, lambda ids, probabilities, path, low=0.005, high=0.995: None, "nothing was written"),
]


@pytest.mark.parametrize("exercise, answer, fragment", WRONG_ANSWERS)
def test_a_wrong_answer_is_rejected_with_a_helpful_message(exercise, answer, fragment):
    result = exercise.evaluate(answer)
    assert result.status is Status.INCORRECT
    assert fragment in result.message, result.message
