"""Chapter 3 checkers reject typical mistakes with a helpful message.

The checks every exercise gets are in checks/test_all_chapters.py."""

import keras
import numpy as np
import pytest
from keras import layers

from cnn_course import interpret
from cnn_course.checks import chapter03 as ex
from cnn_course.checks.verdict import Status


def _read(folder):
    return keras.utils.image_dataset_from_directory(
        folder, label_mode="binary", image_size=(8, 8), batch_size=None, shuffle=False, verbose=False
    )


def _pipeline(order, shuffle_buffer=None, batch=None, drop_remainder=False):
    """A photo_dataset that chains the steps in ``order`` (e.g. "cache shuffle batch prefetch")."""

    def photo_dataset(folder, shuffle, batch_size=32):
        photos = _read(folder)
        for step in order.split():
            if step == "cache":
                photos = photos.cache()
            elif step == "shuffle" and shuffle:
                buffer = shuffle_buffer or int(photos.cardinality())
                photos = photos.shuffle(buffer, seed=3, reshuffle_each_iteration=True)
            elif step == "batch":
                photos = photos.batch(batch or batch_size, drop_remainder=drop_remainder)
            elif step == "repeat":
                photos = photos.repeat()
            elif step == "prefetch":
                photos = photos.prefetch(2)
        return photos

    return photo_dataset


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


def _compiler(
    binary="binary_crossentropy", multi="categorical_crossentropy", optimizer=None, metrics=("accuracy",), returns=True
):
    def compile_classifier(model, labels):
        loss = binary if model.output_shape[-1] == 1 else multi
        model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=loss, metrics=list(metrics))
        return model if returns else None

    return compile_classifier


def _occlusion(fill=128.0, copy=True, reverse=False, last_place=True, label_matters=True):
    def occlusion_drops(model, photo, label, patch=30, stride=15):
        photo = np.asarray(photo, dtype=np.float32)

        def score(batch):
            dog = interpret.class_logits(model, batch).ravel()
            return dog if (label == 1 or not label_matters) else -dog

        baseline = score(photo[None])[0]
        end = photo.shape[0] - patch + (1 if last_place else 0)
        end_columns = photo.shape[1] - patch + (1 if last_place else 0)
        tops, lefts = range(0, end, stride), range(0, end_columns, stride)
        drops = np.zeros((len(tops), len(lefts)))
        for row, top in enumerate(tops):
            for column, left in enumerate(lefts):
                covered = photo.copy() if copy else photo
                covered[top : top + patch, left : left + patch] = fill
                drop = baseline - score(covered[None])[0]
                drops[row, column] = -drop if reverse else drop
        return drops

    return occlusion_drops


WRONG_ANSWERS = [
    (ex.photo_dataset, _pipeline("shuffle cache batch prefetch"), "the shuffle must come after the cache"),
    (ex.photo_dataset, _pipeline("shuffle batch prefetch"), "cache the decoded photos"),
    (ex.photo_dataset, _pipeline("cache batch shuffle prefetch"), "shuffle single photos, before batching"),
    (ex.photo_dataset, _pipeline("cache shuffle batch"), "should end with .prefetch"),
    (ex.photo_dataset, _pipeline("cache shuffle batch prefetch", shuffle_buffer=4), "the shuffle's buffer holds 4"),
    (ex.photo_dataset, _pipeline("cache batch prefetch"), "with shuffle=True the first epoch came in folder order"),
    (ex.photo_dataset, _pipeline("cache shuffle batch prefetch repeat"), "never ends (.repeat()?)"),
    (ex.photo_dataset, _pipeline("cache shuffle batch prefetch", drop_remainder=True), "drop_remainder=True?"),
    (ex.photo_dataset, _pipeline("cache shuffle batch prefetch", batch=32), "use the batch_size argument"),
    (ex.photo_dataset, _pipeline("cache shuffle batch prefetch", shuffle_buffer=16), "the shuffle's buffer holds 16"),
    (ex.build_augmentation, _augmentation(rotation=0.3), "RandomRotation's factor should be 0.08333"),
    (ex.build_augmentation, _augmentation(flip="horizontal_and_vertical"), "an upside-down cat"),
    (ex.build_augmentation, _augmentation(extra=(layers.RandomContrast(0.1),)), "expected exactly the four layers"),
    (ex.build_first_cnn, _cnn(padding="same"), "layer 2 (Conv2D) should output (148, 148, 32), got (150, 150, 32)"),
    (ex.build_first_cnn, _cnn(last="softmax"), "should use a sigmoid activation"),
    (ex.build_first_cnn, _cnn(scale=1.0), "should multiply by 1/255"),
    (ex.build_first_cnn, _cnn(hidden=None), "layer 2 (Conv2D) should have activation='relu', got 'linear'"),
    (ex.build_first_cnn, _cnn(hidden="sigmoid"), "should have activation='relu', got 'sigmoid'"),
    (ex.build_first_cnn, _cnn(fixed_rate=0.5), "layer 9 (Dropout) should have rate=0.0, got 0.5"),
    (ex.build_first_cnn, _cnn(fixed_rate=0.0), "Use the dropout_rate argument"),
    (ex.compile_classifier, _compiler(multi="binary_crossentropy"), "should get the loss 'categorical_crossentropy'"),
    (ex.compile_classifier, _compiler(multi="sparse_categorical_crossentropy"), "with one-hot labels calls for"),
    (ex.compile_classifier, _compiler(multi="categorical_crossentropy"), "labels given as class numbers"),
    (ex.compile_classifier, _compiler(binary="mse"), "should get the loss 'binary_crossentropy', got 'mse'"),
    (ex.compile_classifier, _compiler(optimizer=keras.optimizers.SGD(1e-3)), "should be keras.optimizers.Adam"),
    (ex.compile_classifier, _compiler(optimizer=keras.optimizers.Adam(1e-2)), "learning rate should be 0.001"),
    (ex.compile_classifier, _compiler(metrics=()), "metrics should be"),
    (ex.compile_classifier, _compiler(returns=False), "should return the model"),
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
    (ex.occlusion_drops, _occlusion(copy=False), "changed the photo it was given"),
    (ex.occlusion_drops, _occlusion(reverse=True), "The signs are reversed"),
    (ex.occlusion_drops, _occlusion(last_place=False), "should have shape (5, 6)"),
    (ex.occlusion_drops, _occlusion(fill=0.0), "with the patch filled with GREY"),
    (ex.occlusion_drops, _occlusion(label_matters=False), "for the class `label`"),
]


@pytest.mark.parametrize("exercise, answer, fragment", WRONG_ANSWERS)
def test_a_wrong_answer_is_rejected_with_a_helpful_message(exercise, answer, fragment):
    result = exercise.evaluate(answer)
    assert result.status is Status.INCORRECT
    assert fragment in result.message, result.message
