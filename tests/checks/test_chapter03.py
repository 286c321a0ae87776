"""Chapter 3 checkers reject typical mistakes with a helpful message.

The checks every exercise gets are in checks/test_all_chapters.py."""

from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers

from cnn_course.checks import chapter03 as ex
from cnn_course.checks.core import Status


def _count_every_file(root):
    return {
        split: {p.name: len(list(p.iterdir())) for p in sorted((Path(root) / split).iterdir())}
        for split in ("train", "validation", "test")
    }


def _augmentation(rotation=30 / 360, flip="horizontal", extra=()):
    return lambda: keras.Sequential(
        [
            layers.RandomRotation(rotation),
            layers.RandomTranslation(0.2, 0.2),
            layers.RandomZoom(0.2),
            layers.RandomFlip(flip),
            *extra,
        ]
    )


def _cnn(scale=1 / 255, padding="valid", last="sigmoid", hidden="relu", fixed_rate=None):
    def build(input_shape=(150, 150, 3), dropout_rate=0.0):
        return keras.Sequential(
            [
                keras.Input(input_shape),
                layers.Rescaling(scale),
                layers.Conv2D(32, 3, padding=padding, activation=hidden),
                layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, padding=padding, activation=hidden),
                layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, padding=padding, activation=hidden),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dropout(dropout_rate if fixed_rate is None else fixed_rate),
                layers.Dense(256, activation=hidden),
                layers.Dense(1, activation=last),
            ]
        )

    return build


def _summary_without_names(y_true, y_pred, class_names):
    return float(np.mean(y_true == y_pred)), pd.crosstab(y_true, y_pred, margins=True)


def _summary_swapped(y_true, y_pred, class_names):
    names = np.asarray(class_names)
    return float(np.mean(y_true == y_pred)), pd.crosstab(
        pd.Series(names[y_pred], name="true"), pd.Series(names[y_true], name="predicted"), margins=True
    )


def _compiler(
    binary="binary_crossentropy", multi="categorical_crossentropy", optimizer=None, metrics=("accuracy",), returns=True
):
    def compile_classifier(model, num_classes):
        loss = binary if num_classes == 2 else multi
        model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=loss, metrics=list(metrics))
        return model if returns else None

    return compile_classifier


def _count_lower_case_jpg_only(root):
    return {
        split.name: {folder.name: len(list(folder.glob("*.jpg"))) for folder in split.iterdir()}
        for split in Path(root).iterdir()
    }


WRONG_ANSWERS = [
    (ex.count_photos, _count_every_file, "only image files count"),
    (ex.count_photos, lambda root: pd.DataFrame(), "not a DataFrame"),
    (ex.count_photos, _count_lower_case_jpg_only, "compare suffixes in lower case"),
    (ex.augmentation, _augmentation(rotation=0.3), "RandomRotation's factor should be 0.08333"),
    (ex.augmentation, _augmentation(flip="horizontal_and_vertical"), "an upside-down cat"),
    (ex.augmentation, _augmentation(extra=(layers.RandomContrast(0.1),)), "expected exactly the four layers"),
    (ex.first_cnn, _cnn(padding="same"), "layer 2 (Conv2D) should output (148, 148, 32), got (150, 150, 32)"),
    (ex.first_cnn, _cnn(last="softmax"), "should use a sigmoid activation"),
    (ex.first_cnn, _cnn(scale=1.0), "should multiply by 1/255"),
    (ex.first_cnn, _cnn(hidden=None), "layer 2 (Conv2D) should have activation='relu', got 'linear'"),
    (ex.first_cnn, _cnn(hidden="sigmoid"), "should have activation='relu', got 'sigmoid'"),
    (ex.first_cnn, _cnn(fixed_rate=0.5), "layer 9 (Dropout) should have rate=0.0, got 0.5"),
    (ex.first_cnn, _cnn(fixed_rate=0.0), "Use the dropout_rate argument"),
    (ex.compile_classifier, _compiler(multi="binary_crossentropy"), "the loss should be 'categorical_crossentropy'"),
    (
        ex.compile_classifier,
        _compiler(multi="sparse_categorical_crossentropy"),
        "sparse_categorical_crossentropy is for",
    ),
    (ex.compile_classifier, _compiler(binary="mse"), "should be 'binary_crossentropy', got 'mse'"),
    (ex.compile_classifier, _compiler(optimizer=keras.optimizers.SGD(1e-3)), "should be keras.optimizers.Adam"),
    (ex.compile_classifier, _compiler(optimizer=keras.optimizers.Adam(1e-2)), "learning rate should be 0.001"),
    (ex.compile_classifier, _compiler(metrics=()), "metrics should be"),
    (ex.compile_classifier, _compiler(returns=False), "should return the model"),
    (
        ex.scores_to_labels,
        lambda scores, threshold=0.5: (np.ravel(scores) >= threshold).astype(int),
        "differs at index (1,)",
    ),
    (ex.scores_to_labels, lambda scores, threshold=0.5: np.ravel(scores) > threshold, "should be integers"),
    (
        ex.scores_to_labels,
        lambda scores, threshold=0.5: (np.ravel(scores) > 0.5).astype(int),
        "scores_to_labels(<array of shape (5, 1)>, threshold=0.25)",
    ),
    (ex.prediction_summary, _summary_without_names, "should have rows ['cat', 'dog', 'All']"),
    (ex.prediction_summary, _summary_swapped, "the counts in the table differs"),
    (ex.prediction_summary, lambda y_true, y_pred, names: float(np.mean(y_true == y_pred)), "should return two things"),
    (
        ex.photo_to_batch,
        lambda photo, size=(150, 150): np.asarray(keras.ops.image.resize(photo, size)) / 255.0,
        "should be float32",
    ),
    (
        ex.photo_to_batch,
        lambda photo, size=(150, 150): np.asarray(keras.ops.image.resize(photo.astype("float32"), size)),
        "shape (1, 150, 150, 3)",
    ),
    (
        ex.photo_to_batch,
        lambda photo, size=(150, 150): np.full((1, *size, 3), 250.0, "float32"),
        "differ from a resize of the whole photo",
    ),
]


@pytest.mark.parametrize("exercise, answer, fragment", WRONG_ANSWERS)
def test_a_wrong_answer_is_rejected_with_a_helpful_message(exercise, answer, fragment):
    result = exercise.evaluate(answer)
    assert result.status is Status.INCORRECT
    assert fragment in result.message, result.message
