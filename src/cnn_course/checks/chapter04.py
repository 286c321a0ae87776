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

from cnn_course.checks.calling import call, call_in_place, require_callable
from cnn_course.checks.compare import compare_arrays
from cnn_course.checks.core import Exercise
from cnn_course.checks.models import (
    LayerSpec,
    check_settings,
    compile_setting_name,
    require_model,
)
from cnn_course.checks.progress import ProgressView
from cnn_course.checks.verdict import Mismatch
from cnn_course.training import trainable_count
from cnn_course.transfer import vgg16_base

FULL_SIZE = (150, 150, 3)
FROZEN_TOTAL = 16_812_353
FROZEN_TRAINABLE = 2_097_665
BASE_LAYERS = 19
MODEL_LAYERS = 23
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


def _stand_in_for_fine_tuning(head_learning_rate: float, trained: bool = True):
    """A small model named like VGG16's blocks, blocks 4 and 5 frozen, whose head has trained one
    step: what start_fine_tuning receives, without VGG16's size. Keras has traced its training
    step with the head's weights only, as after the chapter's head training."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(41)
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, activation="relu", name="block4_conv1")(inputs)
    x = layers.Conv2D(4, 3, activation="relu", name="block5_conv1")(x)
    x = layers.Conv2D(4, 3, activation="relu", name="block5_conv2")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8, activation="relu")(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="stand_in")
    for layer in model.layers:
        layer.trainable = not layer.name.startswith("block")
    model.compile(optimizer=keras.optimizers.Adam(head_learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    if trained:
        model.fit(*_stand_in_batch(), epochs=1, verbose=0)
    return model


def _stand_in_batch():
    rng = np.random.default_rng(42)
    return rng.uniform(0, 1, (8, 8, 8, 3)).astype("float32"), rng.integers(0, 2, (8, 1)).astype("float32")


def _check_unfrozen(model: Any) -> None:
    wrong = [
        layer.name
        for layer in model.layers
        if layer.weights and layer.trainable != (layer.name.startswith("block5") or not layer.name.startswith("block"))
    ]
    if wrong:
        raise Mismatch(
            f"only block 5's convolutions and the head should be trainable; these are not as they should be: "
            f"{wrong[:5]}. Blocks 1 to 4 stay frozen: their general filters suit cats and dogs as they are."
        )


def _check_fine_tuning_settings(model: Any, head_optimizer: Any, head_rate: float) -> None:
    import keras

    if model.optimizer is head_optimizer:
        raise Mismatch(
            "the model still has the optimizer of the head's training. Keras built that training step (and that "
            "optimizer's state) for the head's weights only: compile the model again, with a new Adam, so that "
            "block 5's weights take part."
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
    names = {compile_setting_name(metric) for metric in (metrics if isinstance(metrics, list | tuple) else [metrics])}
    if not names & {"accuracy", "acc", "binary_accuracy"}:
        raise Mismatch(f'metrics should be ["accuracy"], got {sorted(names)}.')


def _check_block5_learns(model: Any) -> None:
    """One more training step, as the chapter's fit makes: block 5 must move, block 4 must not."""
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers if layer.weights}
    try:
        model.fit(*_stand_in_batch(), epochs=1, verbose=0)
    except ValueError as error:  # Keras: an optimizer used for weights it was not built for
        raise Mismatch(
            "training failed: the optimizer was built for the head's weights only. Give model.compile a new "
            f"keras.optimizers.Adam (Keras said: {str(error).splitlines()[0][:160]})"
        ) from None
    moved = {name for name, weights in before.items() if not all(
        np.array_equal(old, new) for old, new in zip(weights, model.get_layer(name).get_weights())
    )}  # fmt: skip
    if "block4_conv1" in moved:
        raise Mismatch("block 4 changed in training: keep blocks 1 to 4 frozen.")
    if not {"block5_conv1", "block5_conv2"} <= moved:
        raise Mismatch(
            "block 5 is marked trainable, but a training step left it unchanged: Keras traced the training step "
            "when the head trained, with the head's weights only, and keeps using it until the model is compiled "
            "again. Compile after changing trainable."
        )


def _check_fine_tuning(answer: Any) -> None:
    function = require_callable(answer, "start_fine_tuning")
    # Training takes seconds: the second rate checks the settings only.
    for head_rate, trained in ((1e-4, True), (3e-3, False)):
        model = _stand_in_for_fine_tuning(head_rate, trained)
        head_optimizer = model.optimizer
        returned = call(function, model, head_rate)
        if returned is not model:
            raise Mismatch("start_fine_tuning should return the model it got ready (end with `return model`).")
        _check_unfrozen(model)
        _check_fine_tuning_settings(model, head_optimizer, head_rate)
        if trained:
            _check_block5_learns(model)


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
    ideas=[
        "the preparation VGG16 was trained with",
        "a copy, so the caller's array stays as it was",
    ],
    chapter=__name__,
)
build_frozen_model = Exercise(
    "build_frozen_model",
    _check_frozen,
    [
        "Which weights should the head's training leave alone, and which Keras attribute says so for a whole model at"
        " once?",
        "Freeze the base first; then stack the head on the base's output, in the order the text lists: flatten, 256 "
        "ReLU units, dropout of 0.4, one sigmoid unit.",
        "With the functional API you call each layer on the tensor the previous one returned, starting from the "
        "base's output tensor; the model then runs from the base's input to the last tensor.",
    ],
    ideas=[
        "freeze the base",
        "a head on the base's output, in the functional API",
    ],
    chapter=__name__,
)
start_fine_tuning = Exercise(
    "start_fine_tuning",
    _check_fine_tuning,
    [
        "The head has trained; now block 5 should learn too. What has to change on the model, and what does "
        "Keras need before that change takes part in the next fit?",
        "Two changes: which layers are trainable (the names tell VGG16's blocks apart; the head's names do not "
        "start with 'block'), and the step size. Keras reads both when the model is compiled.",
        "Compile again after changing trainable, with a fresh Adam at a tenth of head_learning_rate; the loss and "
        "the metric stay those of one sigmoid output. Return the model.",
    ],
    ideas=[
        "which layers to unfreeze, by their names",
        "compile again after changing trainable",
        "a fresh optimizer with a smaller step",
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
    ideas=[
        "clip the probabilities (log loss punishes a confident mistake)",
        "a header and one id,label row per photo, in order",
    ],
    chapter=__name__,
)

EXERCISES = (vgg_preprocess, build_frozen_model, start_fine_tuning, write_submission)
progress = ProgressView(EXERCISES, globals())
