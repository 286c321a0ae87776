"""Self-checks for Chapter 2, a CIFAR-10 CNN."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnn_course.checks.core import Exercise, Mismatch, call, compare_arrays, describe_call, require_callable
from cnn_course.checks.models import LayerSpec, check_layers, conv, dense, dropout, max_pool, require_model

FIRST_CNN_LAYERS = [
    conv(32, (30, 30, 32)),
    conv(32, (28, 28, 32)),
    max_pool((14, 14, 32)),
    dropout(0.25, (14, 14, 32)),
    conv(64, (12, 12, 64)),
    conv(64, (10, 10, 64)),
    max_pool((5, 5, 64)),
    dropout(0.25, (5, 5, 64)),
    LayerSpec("Flatten", (1600,)),
    dense(256, (256,), "relu"),
    dropout(0.5, (256,)),
    dense(10, (10,), "softmax"),
]
FIRST_CNN_PARAMS = 477_994
HAND_SHAPES = {
    "conv1": (30, 30, 32),
    "conv2": (28, 28, 32),
    "pool1": (14, 14, 32),
    "conv3": (12, 12, 64),
    "conv4": (10, 10, 64),
    "pool2": (5, 5, 64),
    "flatten": (1600,),
}

_rng = np.random.default_rng(7)


def _check_scale(answer: Any) -> None:
    function = require_callable(answer, "scale_images")
    images = _rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    images[0, 0, 0] = (0, 255, 128)
    got = call(function, images)
    if getattr(got, "dtype", None) != np.float32:
        raise Mismatch(
            f"scale_images should return float32 (what Keras computes in), got {getattr(got, 'dtype', type(got))}."
        )
    compare_arrays(got, images.astype(np.float64) / 255.0, describe_call("scale_images", (images,), {}), atol=1e-6)


def _check_one_hot(answer: Any) -> None:
    function = require_callable(answer, "one_hot")
    for labels, classes in ((np.array([[3], [0], [9]], dtype=np.uint8), 10), (np.array([1, 0, 2, 1]), 3)):
        flat = np.asarray(labels).ravel()
        expected = (flat[:, None] == np.arange(classes)[None, :]).astype(np.float32)
        got = call(function, labels, classes)
        compare_arrays(got, expected, describe_call("one_hot", (labels, classes), {}))
        if np.asarray(got).dtype != np.float32:
            raise Mismatch(
                f"one_hot should be float32 (what Keras computes in), got {np.asarray(got).dtype}. "
                "Convert with .astype('float32')."
            )


def _check_first_cnn(answer: Any) -> None:
    function = require_callable(answer, "build_first_cnn")
    model = require_model(call(function), "build_first_cnn")
    check_layers(
        model,
        FIRST_CNN_LAYERS,
        FIRST_CNN_PARAMS,
        "Check the filters, the 3x3 kernels and that the convolutions use no padding.",
    )


def _check_hand_shapes(answer: Any) -> None:
    function = require_callable(answer, "layer_shapes_by_hand")
    got = call(function)
    if not isinstance(got, dict) or list(got) != list(HAND_SHAPES):
        keys = list(got) if isinstance(got, dict) else type(got).__name__
        raise Mismatch(f"layer_shapes_by_hand() should return a dict with keys {list(HAND_SHAPES)}, got {keys}.")
    for name, shape in HAND_SHAPES.items():
        value = got[name]
        if not isinstance(value, tuple | list):
            raise Mismatch(
                f"{name} should be the tuple {shape}, got {value!r} ({type(value).__name__}). A shape is always a "
                f"tuple, even with one number: write ({value!r},)."
            )
        if tuple(value) != shape:
            raise Mismatch(f"{name} should be {shape}, got {tuple(value)}.")


def _check_did_it_learn(answer: Any) -> None:
    function = require_callable(answer, "did_it_learn")
    before = [np.zeros((3, 3)), np.zeros(3)]
    moved = [np.full((3, 3), 0.1), np.zeros(3)]
    cases = [
        (({"loss": [2.3, 1.9, 1.5]}, before, moved), True, "the loss fell and the weights moved"),
        (({"loss": [2.3, 2.3, 2.4]}, before, moved), False, "the loss did not fall"),
        (({"loss": [2.3, 1.9, 1.5]}, before, [w.copy() for w in before]), False, "no weight moved"),
        (({"loss": [2.3]}, before, moved), False, "one epoch cannot show a falling loss"),
    ]
    for args, expected, why in cases:
        got = call(function, *args)
        if bool(got) is not expected or not isinstance(got, (bool, np.bool_)):
            raise Mismatch(f"did_it_learn should return {expected} when {why}, got {got!r}.")


def _check_per_class(answer: Any) -> None:
    function = require_callable(answer, "per_class_accuracy")
    y_true = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 3])
    y_pred = np.array([0, 1, 1, 1, 0, 2, 2, 0, 2, 1])
    expected = np.array([1 / 2, 2 / 3, 3 / 4, 0.0])
    compare_arrays(
        call(function, y_true, y_pred, 4), expected, describe_call("per_class_accuracy", (y_true, y_pred, 4), {})
    )
    with_absent = call(function, np.array([0, 0]), np.array([0, 1]), 3)
    values = np.asarray(with_absent, dtype=np.float64)
    if values.shape != (3,) or values[0] != 0.5 or not np.isnan(values[1:]).all():
        raise Mismatch(
            "a class with no test images has no accuracy: return NaN for it (expected [0.5, nan, nan], "
            f"got {values.tolist()})."
        )


scale_images = Exercise(
    "scale_images",
    _check_scale,
    [
        "Pixels are 0..255 in uint8. Convert to float32 first, then divide.",
        "Arithmetic on uint8 stays in 0..255: make the array float32 first, then divide by the largest pixel value.",
    ],
)
one_hot = Exercise(
    "one_hot",
    _check_one_hot,
    [
        "Row i has a 1 in column labels[i] and 0 elsewhere. CIFAR-10's labels have shape (n, 1): flatten them first.",
        "Broadcasting a column of labels against a row of class numbers 0..num_classes-1 gives a table of "
        "True/False; Keras wants it as float32 numbers.",
    ],
)
first_cnn = Exercise(
    "build_first_cnn",
    _check_first_cnn,
    [
        "Two 3x3 convolutions of 32 filters, pooling, dropout 0.25; the same with 64 filters; then Flatten, "
        "Dense 256, dropout 0.5 and a softmax layer of 10. Start with keras.Input(shape=(32, 32, 3)).",
        "Use `padding='valid'` (the default) and `activation='relu'` in the convolutions: "
        "the fourth one must output 10x10x64.",
    ],
)
hand_shapes = Exercise(
    "layer_shapes_by_hand",
    _check_hand_shapes,
    [
        "A 3x3 convolution without padding takes 2 pixels off each side length; 2x2 pooling halves it (rounding down).",
        "Follow the side length layer by layer; the depth is the layer's number of filters (pooling keeps it); "
        "flatten multiplies height, width and depth, and its shape is a tuple of one number.",
    ],
)
did_it_learn = Exercise(
    "did_it_learn",
    _check_did_it_learn,
    [
        "Training worked if the last loss is lower than the first and at least one weight array changed.",
        "Compare each weight array before and after (np.allclose); one array that moved is enough. "
        "Return True or False, not an array.",
    ],
)
per_class = Exercise(
    "per_class_accuracy",
    _check_per_class,
    [
        "For each class c, look only at the images whose true label is c, and count how many were predicted c.",
        "A boolean mask selects the images of class c. A class with no images has no accuracy: np.nan.",
    ],
)

EXERCISES = (scale_images, one_hot, first_cnn, hand_shapes, did_it_learn, per_class)
