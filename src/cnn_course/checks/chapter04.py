"""Self-checks for Chapter 4, transfer learning with VGG16.

The model checks build VGG16 at full size (150x150x3) with ``weights=None``: the counts
are the same as with ImageNet weights, and nothing is downloaded.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cnn_course.checks.core import Exercise, Mismatch, call, call_in_place, compare_arrays, require_callable
from cnn_course.checks.models import (
    LayerSpec,
    check_settings,
    compile_setting_name,
    require_model,
)
from cnn_course.checks.progress import ProgressView
from cnn_course.training import trainable_count
from cnn_course.transfer import vgg16_base

FULL_SIZE = (150, 150, 3)
FROZEN_TOTAL = 16_812_353
FROZEN_TRAINABLE = 2_097_665
BASE_LAYERS = 19
MODEL_LAYERS = 23
BLOCK5 = 3 * (3 * 3 * 512 * 512 + 512)
FINE_TUNING_TRAINABLE = FROZEN_TRAINABLE + BLOCK5  # 9,177,089
# The head the text asks for, as data: the layer class and its settings, in order.
HEAD_SPEC = (
    LayerSpec("Flatten", ()),
    LayerSpec("Dense", (256,), {"units": 256, "activation": "relu"}),
    LayerSpec("Dropout", (256,), {"rate": 0.4}),
    LayerSpec("Dense", (1,), {"units": 1, "activation": "sigmoid"}),
)
HEAD = [spec.kind for spec in HEAD_SPEC]


def full_size_base():
    return vgg16_base(FULL_SIZE, weights=None)


def _check_preprocess(answer: Any) -> None:
    from keras.applications import vgg16

    function = require_callable(answer, "vgg_preprocess")
    images = np.random.default_rng(1).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    original = images.copy()
    got = call_in_place(function, images)  # the point is to see whether *this* array changes
    if not np.array_equal(images, original):
        raise Mismatch(
            "vgg_preprocess changed the array it was given: preprocess_input works in place on float "
            "arrays. Pass it a copy (np.array(images, dtype='float32')), so the photos stay as they were."
        )
    compare_arrays(got, vgg16.preprocess_input(original.copy()), "vgg_preprocess(images)", atol=1e-3)
    from_uint8 = call(function, original.astype("uint8"))
    compare_arrays(
        from_uint8,
        vgg16.preprocess_input(original.astype("uint8").astype("float32")),
        "vgg_preprocess(uint8 images)",
        atol=1e-3,
    )


def _check_head(head_layers: list, where: str) -> None:
    """The four head layers against HEAD_SPEC: type, then each setting (units, activation, rate)."""
    kinds = [type(layer).__name__ for layer in head_layers]
    if kinds != HEAD:
        raise Mismatch(f"{where} should end in {', '.join(HEAD)}, got {', '.join(kinds)}.")
    for position, (layer, spec) in enumerate(zip(head_layers, HEAD_SPEC), start=1):
        check_settings(layer, spec, f"head layer {position}")


def _check_frozen(answer: Any) -> None:
    function = require_callable(answer, "build_frozen_model")
    base = full_size_base()
    model = require_model(call(function, base), "build_frozen_model")
    if len(base.layers) != BASE_LAYERS:
        raise Mismatch(
            f"VGG16 without its top has {BASE_LAYERS} layers; the base you were given now has {len(base.layers)}."
        )
    if any(type(layer).__name__ in ("Functional", "Sequential", "Model") for layer in model.layers):
        raise Mismatch(
            "the model contains another model as one layer. Build one flat model: "
            "keras.Model(base.input, head(base.output)), so Grad-CAM can reach block5_conv3."
        )
    if len(model.layers) != MODEL_LAYERS:
        raise Mismatch(
            f"the model should have {MODEL_LAYERS} layers (VGG16's {BASE_LAYERS} and a head of 4), "
            f"got {len(model.layers)}."
        )
    _check_head(model.layers[-4:], "the model")
    if model.get_layer("block5_conv3") is not base.get_layer("block5_conv3"):
        raise Mismatch("build the model from the base you were given (base.input and base.output).")
    if any(layer.trainable for layer in base.layers if layer.weights):
        raise Mismatch(
            "the VGG16 layers must be frozen (set the base's trainable attribute to False) before the head is trained."
        )
    rate = model.layers[-2].get_config()["rate"]
    if not np.isclose(rate, 0.4):
        raise Mismatch(f"the Dropout rate should be 0.4, got {rate}.")
    if model.layers[-1].get_config()["activation"] != "sigmoid" or model.output_shape != (None, 1):
        raise Mismatch("the last layer should be Dense(1, activation='sigmoid'): one probability of 'dog'.")
    if model.count_params() != FROZEN_TOTAL:
        raise Mismatch(f"the model should have {FROZEN_TOTAL:,} parameters, got {model.count_params():,}.")
    if trainable_count(model) != FROZEN_TRAINABLE:
        raise Mismatch(
            f"{FROZEN_TRAINABLE:,} parameters (the head's) should be trainable, got {trainable_count(model):,}."
        )


def _stand_in_for_fine_tuning(head_learning_rate: float):
    """A small model named like VGG16's blocks, block 5 unfrozen as exercise 3 leaves it, compiled
    for the head's training: what compile_for_fine_tuning receives, without VGG16's size."""
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, activation="relu", name="block4_conv1")(inputs)
    x = layers.Conv2D(4, 3, activation="relu", name="block5_conv1")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8, activation="relu")(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="stand_in")
    model.get_layer("block4_conv1").trainable = False
    model.compile(optimizer=keras.optimizers.Adam(head_learning_rate), loss="binary_crossentropy")
    return model


def _check_fine_tuning_compile(answer: Any) -> None:
    import keras

    function = require_callable(answer, "compile_for_fine_tuning")
    for head_rate in (1e-4, 3e-3):
        model = _stand_in_for_fine_tuning(head_rate)
        head_optimizer = model.optimizer
        trainable_before = [layer.trainable for layer in model.layers]
        returned = call(function, model, head_rate)
        if returned is not model:
            raise Mismatch("compile_for_fine_tuning should return the model it compiled (end with `return model`).")
        if [layer.trainable for layer in model.layers] != trainable_before:
            raise Mismatch(
                "compile_for_fine_tuning changed which layers train: unfreeze_last_block decided that (block 5 and "
                "the head); this step only compiles."
            )
        if model.optimizer is head_optimizer:
            raise Mismatch(
                "the model still has the optimizer of the head's training: compile it again with model.compile, so "
                "that block 5's new trainable weights take part and the new learning rate comes with a new optimizer."
            )
        if not isinstance(model.optimizer, keras.optimizers.Adam):
            raise Mismatch(f"the optimizer should be keras.optimizers.Adam, got {type(model.optimizer).__name__}.")
        rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        wanted = head_rate / 10
        if not np.isclose(rate, wanted, rtol=1e-4):
            why = (
                " That is the head's own rate or more: steps that large overwrite what block 5 learned on ImageNet "
                "before the head and block 5 settle together."
                if rate >= head_rate * (1 - 1e-4)
                else " Compute it from head_learning_rate, so it fits whatever rate the head trained at."
            )
            raise Mismatch(
                f"with head_learning_rate={head_rate:g} Adam's learning rate should be {wanted:g} (a tenth), "
                f"got {rate:g}.{why}"
            )
        settings = model.get_compile_config() or {}
        loss = compile_setting_name(settings.get("loss"))
        if loss != "binary_crossentropy":
            raise Mismatch(f"one sigmoid output still calls for loss='binary_crossentropy', got {loss!r}.")
        metrics = settings.get("metrics") or []
        names = {
            compile_setting_name(metric) for metric in (metrics if isinstance(metrics, list | tuple) else [metrics])
        }
        if not names & {"accuracy", "acc", "binary_accuracy"}:
            raise Mismatch(f'metrics should be ["accuracy"], got {sorted(names)}.')


def _check_unfreeze(answer: Any) -> None:
    import keras

    function = require_callable(answer, "unfreeze_last_block")
    base = full_size_base()
    for layer in base.layers:
        layer.trainable = False
    tensor = base.output
    for spec in HEAD_SPEC:
        tensor = getattr(keras.layers, spec.kind)(**spec.settings)(tensor)
    model = keras.Model(base.input, tensor)
    call(function, model)
    wrong = [
        layer.name
        for layer in model.layers
        if layer.weights and layer.trainable != (layer.name.startswith("block5") or not layer.name.startswith("block"))
    ]
    if wrong:
        raise Mismatch(
            f"only block5's convolutions and the head should be trainable; these are not as they should be: "
            f"{wrong[:5]}."
        )
    if trainable_count(model) != FINE_TUNING_TRAINABLE:
        raise Mismatch(
            f"after unfreezing block 5, {FINE_TUNING_TRAINABLE:,} parameters should be trainable, "
            f"got {trainable_count(model):,}."
        )


def _check_submission(answer: Any) -> None:
    from cnn_course.kaggle_submission import problems

    function = require_callable(answer, "write_submission")
    ids = ["12", "3", "7", "100"]
    probabilities = np.array([0.0, 0.3, 1.0, 0.999999])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "submission.csv"
        call(function, ids, probabilities, path)
        if not path.is_file():
            raise Mismatch(f"write_submission should write the file it is given ({path.name}); nothing was written.")
        found = problems(path, ids)
        if found:
            raise Mismatch("the file would be rejected: " + "; ".join(found[:3]))
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
    if [row[0] for row in rows] != ids:
        raise Mismatch(f"write one row per id, in the order given: expected ids {ids}, got {[row[0] for row in rows]}.")
    compare_arrays(
        [float(row[1]) for row in rows],
        np.clip(probabilities, 0.005, 0.995),
        "the labels (probabilities clipped to [0.005, 0.995])",
        atol=1e-6,
    )
    # Other bounds, given as arguments: the answer must use them, not fixed numbers.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "other_bounds.csv"
        call(function, ids, probabilities.reshape(-1, 1), path, low=0.02, high=0.9)
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
    compare_arrays(
        [float(row[1]) for row in rows] if all(len(row) == 2 for row in rows) else rows,
        np.clip(probabilities, 0.02, 0.9),
        "write_submission(..., low=0.02, high=0.9) with probabilities of shape (4, 1): the labels "
        "(clip with the low and high arguments, not fixed numbers)",
        atol=1e-6,
    )


vgg_preprocess = Exercise(
    "vgg_preprocess",
    _check_preprocess,
    [
        "Keras ships each pretrained model with the preparation it was trained with: look in "
        "keras.applications.vgg16. Does it leave its input as it was?",
        "keras.applications.vgg16.preprocess_input does the work: RGB to BGR, then it subtracts ImageNet's mean "
        "colour. It changes float arrays in place, so give it a copy.",
        "np.array (unlike np.asarray) always makes a new array: prepare that one and the caller's stays as it was.",
    ],
    chapter=__name__,
)
frozen_model = Exercise(
    "build_frozen_model",
    _check_frozen,
    [
        "Freeze the base first: every Keras model has a `trainable` attribute. Then stack the head on the "
        "base's output, in the order the text lists: flatten, 256 ReLU units, dropout of 0.4, one sigmoid unit.",
        "With the functional API you call each layer on the tensor the previous one returned, starting from "
        "`base.output`; the model then runs from `base.input` to the last tensor.",
    ],
    chapter=__name__,
)
unfreeze_last_block = Exercise(
    "unfreeze_last_block",
    _check_unfreeze,
    [
        "Go through model.layers: a VGG16 layer (its name starts with 'block') is trainable only if it is in block 5; "
        "the head's layers stay trainable.",
        "The names say where a layer is: VGG16's run from block1_conv1 to block5_pool, the head's do not start "
        "with 'block'.",
    ],
    chapter=__name__,
)
fine_tuning_compile = Exercise(
    "compile_for_fine_tuning",
    _check_fine_tuning_compile,
    [
        "Which of model.compile's three settings changes for fine-tuning, and which stay as they were for the head?",
        "model.compile(optimizer=keras.optimizers.Adam(learning_rate=head_learning_rate / 10), "
        "loss='binary_crossentropy', metrics=['accuracy']), then return the model.",
    ],
    chapter=__name__,
)
write_submission = Exercise(
    "write_submission",
    _check_submission,
    [
        "Which module of Python's standard library writes rows of comma-separated values? Which NumPy "
        "function keeps numbers between two bounds?",
        "Write the header id,label, then one line per photo with its id and its probability of dog, clipped to "
        "[0.005, 0.995].",
        "np.clip bounds every probability; use the low and high arguments, not fixed numbers. csv.writer writes "
        "one row per call; keep the ids in the order given.",
    ],
    chapter=__name__,
)

EXERCISES = (vgg_preprocess, frozen_model, unfreeze_last_block, fine_tuning_compile, write_submission)
progress = ProgressView(EXERCISES, globals())
