"""Self-checks for Chapter 3, cats versus dogs from scratch."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cnn_course.checks.core import (
    Exercise,
    Mismatch,
    call,
    compare_arrays,
    compare_numbers,
    describe_call,
    require_callable,
)
from cnn_course.checks.models import LayerSpec, check_layers, conv, dense, dropout, max_pool, require_model


def first_cnn_layers(dropout_rate: float) -> list[LayerSpec]:
    """Every layer of the first CNN as the text describes it."""
    return [
        LayerSpec("Rescaling", (150, 150, 3)),
        conv(32, (148, 148, 32)),
        max_pool((74, 74, 32)),
        conv(64, (72, 72, 64)),
        max_pool((36, 36, 64)),
        conv(64, (34, 34, 64)),
        max_pool((17, 17, 64)),
        LayerSpec("Flatten", (18496,)),
        dropout(dropout_rate, (18496,)),
        dense(256, (256,), "relu"),
        dense(1, (1,), "sigmoid"),
    ]


FIRST_CNN_PARAMS = 4_791_809
AUGMENTATION = {"RandomRotation", "RandomTranslation", "RandomZoom", "RandomFlip"}


def _photo_folder(root: Path, counts: dict[str, dict[str, int]]) -> None:
    from PIL import Image

    for split, per_class in counts.items():
        for name, count in per_class.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                # Cameras and phones write .JPG as often as .jpg.
                suffix = (".jpg", ".JPG", ".png", ".jpeg")[index % 4]
                Image.new("RGB", (8, 8), (index * 20, 0, 0)).save(folder / f"{name}.{index}{suffix}")
            (folder / "notes.txt").write_text("not a photo")


def _check_count(answer: Any) -> None:
    function = require_callable(answer, "count_photos")
    expected = {"train": {"cat": 3, "dog": 2}, "validation": {"cat": 1, "dog": 2}, "test": {"cat": 1, "dog": 1}}
    with tempfile.TemporaryDirectory() as folder:
        _photo_folder(Path(folder), expected)
        got = call(function, folder)  # a string: `root` may come as a Path or as a str
    if isinstance(got, pd.DataFrame):
        raise Mismatch(
            "count_photos should return a dict of dicts, e.g. {'train': {'cat': 3, 'dog': 2}, ...}, "
            "not a DataFrame (the notebook makes the table from your dict)."
        )
    if not isinstance(got, dict) or set(got) != set(expected):
        raise Mismatch(
            f"count_photos should return a dict with the keys 'train', 'validation' and 'test', got {got!r}."
        )
    for split, per_class in expected.items():
        found = (
            {name: int(count) for name, count in dict(got[split]).items()}
            if isinstance(got[split], dict)
            else got[split]
        )
        if found != per_class:
            too_many = isinstance(found, dict) and any(found.get(k, 0) > v for k, v in per_class.items())
            too_few = isinstance(found, dict) and any(found.get(k, 0) < v for k, v in per_class.items())
            hint = (
                " (only image files count: a notes.txt is not a photo)"
                if too_many
                else " (photos can end in .jpg, .JPG, .jpeg or .png: compare suffixes in lower case)"
                if too_few
                else ""
            )
            raise Mismatch(f"for '{split}' expected {per_class}, got {found}{hint}.")


def _factor(value: Any) -> float:
    """A Keras factor given as a number or as a (low, high) pair, as its upper bound."""
    if isinstance(value, (list, tuple)):
        return float(max(abs(v) for v in value))
    return float(value)


def _check_augmentation(answer: Any) -> None:
    import keras

    function = require_callable(answer, "build_augmentation")
    model = call(function)
    if not isinstance(model, keras.Model):
        raise Mismatch(f"build_augmentation() should return a keras.Sequential of layers, got {type(model).__name__}.")
    by_kind = {type(layer).__name__: layer.get_config() for layer in model.layers}
    if set(by_kind) != AUGMENTATION or len(model.layers) != 4:
        raise Mismatch(
            f"expected exactly the four layers {sorted(AUGMENTATION)}, got "
            f"{[type(layer).__name__ for layer in model.layers]}."
        )
    expectations = [
        ("RandomRotation", "factor", 30 / 360, "a rotation of up to 30 degrees is a factor of 30/360 of a full turn"),
        ("RandomTranslation", "height_factor", 0.2, "shifts of up to 20% of the height"),
        ("RandomTranslation", "width_factor", 0.2, "shifts of up to 20% of the width"),
        ("RandomZoom", "height_factor", 0.2, "zoom by up to 20%"),
    ]
    for kind, key, value, meaning in expectations:
        got = _factor(by_kind[kind][key])
        if not np.isclose(got, value, atol=1e-3):
            raise Mismatch(f"{kind}'s {key} should be {value:.4g} ({meaning}), got {got:.4g}.")
    if by_kind["RandomFlip"]["mode"] != "horizontal":
        raise Mismatch(
            f"RandomFlip should flip left-right only ('horizontal'): an upside-down cat is not a photo "
            f"you will meet. Got mode={by_kind['RandomFlip']['mode']!r}."
        )
    batch = np.random.default_rng(0).uniform(0, 255, (2, 40, 40, 3)).astype("float32")
    unchanged = np.asarray(model(batch, training=False))
    compare_arrays(
        unchanged, batch, "the augmentation with training=False (it must leave photos as they are)", atol=1e-3
    )


def _check_first_cnn(answer: Any) -> None:
    function = require_callable(answer, "build_first_cnn")
    advice = "Check the 3x3 kernels, the filters (32, 64, 64), 2x2 pooling and no padding."
    check_layers(require_model(call(function), "build_first_cnn"), first_cnn_layers(0.0), FIRST_CNN_PARAMS, advice)
    model = require_model(call(function, dropout_rate=0.5), "build_first_cnn")
    try:
        check_layers(model, first_cnn_layers(0.5), FIRST_CNN_PARAMS, advice)
    except Mismatch as mismatch:
        raise Mismatch(f"build_first_cnn(dropout_rate=0.5): {mismatch} Use the dropout_rate argument.") from None
    scale = model.layers[0].get_config().get("scale")
    if not np.isclose(float(scale), 1 / 255):
        raise Mismatch(
            f"the Rescaling layer should multiply by 1/255, so pixels 0..255 become 0..1; got scale={scale}."
        )


def _name(setting: Any) -> str:
    """A compile setting as Keras names it, whether it was passed as a string, an object or a
    function (``get_compile_config`` gives objects as dicts with a config)."""
    if isinstance(setting, str):
        return setting
    if isinstance(setting, dict):
        return str(setting.get("config", {}).get("name") or setting.get("class_name", ""))
    return str(getattr(setting, "name", None) or getattr(setting, "__name__", None) or type(setting).__name__)


LOSS_FOR = {2: "binary_crossentropy", 10: "categorical_crossentropy"}
LOSS_ADVICE = {
    "binary_crossentropy": "one sigmoid unit with labels 0/1 is a binary problem: binary cross-entropy.",
    "categorical_crossentropy": "a softmax over 10 classes with one-hot labels calls for categorical cross-entropy "
    "(sparse_categorical_crossentropy is for integer labels, binary_crossentropy for one sigmoid unit).",
}


def _check_compile(answer: Any) -> None:
    import keras

    function = require_callable(answer, "compile_classifier")
    for num_classes, units, activation in ((2, 1, "sigmoid"), (10, 10, "softmax")):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
        returned = call(function, model, num_classes)
        if returned is not model:
            raise Mismatch("compile_classifier should return the model it compiled (end with `return model`).")
        if not model.compiled:
            raise Mismatch("the model is not compiled: call model.compile(optimizer=..., loss=..., metrics=[...]).")
        settings = model.get_compile_config() or {}
        loss = _name(settings.get("loss"))
        if loss != LOSS_FOR[num_classes]:
            raise Mismatch(
                f"with num_classes={num_classes} the loss should be {LOSS_FOR[num_classes]!r}, got {loss!r}: "
                + LOSS_ADVICE[LOSS_FOR[num_classes]]
            )
        optimizer = model.optimizer
        if not isinstance(optimizer, keras.optimizers.Adam):
            raise Mismatch(f"the optimizer should be keras.optimizers.Adam, got {type(optimizer).__name__}.")
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if not np.isclose(rate, 1e-3):
            raise Mismatch(f"Adam's learning rate should be 0.001, got {rate:g}.")
        metrics = settings.get("metrics") or []
        metrics = [_name(metric) for metric in (metrics if isinstance(metrics, list | tuple) else [metrics])]
        if not {"accuracy", "acc", "binary_accuracy", "categorical_accuracy"} & set(metrics):
            raise Mismatch(f'metrics should be ["accuracy"], got {metrics}.')


def _check_scores(answer: Any) -> None:
    function = require_callable(answer, "scores_to_labels")
    scores = np.array([[0.02], [0.5], [0.51], [0.97], [0.3]], dtype=np.float32)
    compare_arrays(call(function, scores), [0, 0, 1, 1, 0], describe_call("scores_to_labels", (scores,), {}))
    compare_arrays(
        call(function, scores, threshold=0.25),
        [0, 1, 1, 1, 1],
        describe_call("scores_to_labels", (scores,), {"threshold": 0.25}),
    )
    got = call(function, scores)
    if not np.issubdtype(np.asarray(got).dtype, np.integer):
        raise Mismatch(f"labels should be integers (0 or 1), got dtype {np.asarray(got).dtype}. Use .astype(int).")


def _check_summary(answer: Any) -> None:
    function = require_callable(answer, "prediction_summary")
    y_true = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    y_pred = np.array([0, 1, 0, 1, 1, 0, 1, 1])
    names = ("cat", "dog")
    got = call(function, y_true, y_pred, names)
    if not isinstance(got, tuple) or len(got) != 2:
        raise Mismatch("prediction_summary should return two things: (accuracy, table).")
    accuracy, table = got
    compare_numbers(accuracy, 5 / 8, "the accuracy (5 of 8 right)", rtol=1e-9)
    if not isinstance(table, pd.DataFrame):
        raise Mismatch(f"the table should be a pandas DataFrame from pd.crosstab, got {type(table).__name__}.")
    expected = pd.crosstab(
        pd.Series([names[i] for i in y_true], name="true"),
        pd.Series([names[i] for i in y_pred], name="predicted"),
        margins=True,
    )
    if list(table.index) != list(expected.index) or list(table.columns) != list(expected.columns):
        raise Mismatch(
            f"the table should have rows {list(expected.index)} and columns {list(expected.columns)} "
            f"(class names, and margins=True adds 'All'), got rows {list(table.index)} and columns "
            f"{list(table.columns)}."
        )
    if table.index.name != "true" or table.columns.name != "predicted":
        raise Mismatch(
            f"name the rows 'true' and the columns 'predicted' (rownames/colnames, or named Series); "
            f"got {table.index.name!r} and {table.columns.name!r}."
        )
    compare_arrays(table.to_numpy(), expected.to_numpy(), "the counts in the table")


def _check_photo_batch(answer: Any) -> None:
    import keras

    function = require_callable(answer, "photo_to_batch")
    # A smooth photo (two gradients): any sound resize (bilinear, PIL's bicubic) keeps it, a crop does not.
    rows, columns = np.mgrid[0:97, 0:131]
    photo = np.stack([columns * 255 / 130, rows * 255 / 96, np.full(rows.shape, 128.0)], axis=-1).astype(np.uint8)
    got = call(function, photo)
    if getattr(got, "dtype", None) != np.float32:
        raise Mismatch(f"the batch should be float32, got {getattr(got, 'dtype', type(got).__name__)}.")
    if got.shape != (1, 150, 150, 3):
        raise Mismatch(f"one photo at 150x150 is a batch of shape (1, 150, 150, 3), got {got.shape}.")
    if got.max() <= 1.0:
        raise Mismatch("keep the pixels in 0..255: the model's Rescaling layer divides by 255 itself.")
    reference = np.asarray(keras.ops.image.resize(photo[None].astype("float32"), (150, 150)))
    difference = float(np.abs(got - reference).mean())
    if difference > 3.0:
        raise Mismatch(
            f"the pixels differ from a resize of the whole photo by {difference:.1f} on average: resize the "
            "photo itself to (height, width), not a crop of it, and keep the channels in RGB order."
        )
    small = call(function, photo, (32, 48))
    if np.asarray(small).shape != (1, 32, 48, 3):
        raise Mismatch(
            f"photo_to_batch(photo, (32, 48)) should give shape (1, 32, 48, 3), got {np.asarray(small).shape}."
        )


count_photos = Exercise(
    "count_photos",
    _check_count,
    [
        "Loop over the splits, then over the class folders inside each; count the files whose name ends in .jpg, "
        ".jpeg or .png.",
        "File names come in any case (.JPG too): compare suffixes in lower case, and count files only. "
        "The result is a dict of dicts, split first, then class.",
    ],
)
augmentation = Exercise(
    "build_augmentation",
    _check_augmentation,
    [
        "Four Keras layers in a keras.Sequential: RandomRotation, RandomTranslation, RandomZoom and RandomFlip.",
        "RandomRotation's factor is a fraction of a full turn, not degrees; shifts and zoom are fractions of the "
        "size. Only left-right flips keep a cat the right way up. fill_mode='nearest' avoids black corners.",
    ],
)
first_cnn = Exercise(
    "build_first_cnn",
    _check_first_cnn,
    [
        "Follow the text layer by layer: rescaling, three blocks of a 3x3 convolution and 2x2 pooling, then Flatten, "
        "Dropout and two Dense layers. The scaffold shows where each one goes.",
        "Hidden layers need an activation (Chapter 1's ReLU); the last layer gives one probability of 'dog'. "
        "The dropout rate is the function's argument, not a number you pick.",
        "Most of the 4,791,809 parameters are in Dense 256: 17*17*64 = 18,496 inputs times 256, plus 256 biases.",
    ],
)
compile_classifier = Exercise(
    "compile_classifier",
    _check_compile,
    [
        "model.compile takes three things: optimizer=, loss= and metrics=. The loss depends on num_classes.",
        "The last layer decides the loss: one sigmoid unit (2 classes) or a softmax over the classes with one-hot "
        "labels. Which cross-entropy fits each?",
        "Build the optimizer with keras.optimizers.Adam(learning_rate=...) and pass metrics as a list of names.",
    ],
)
scores_to_labels = Exercise(
    "scores_to_labels",
    _check_scores,
    [
        "A score is the model's probability of 'dog'. Above the threshold means dog (1), otherwise cat (0).",
        "Flatten the scores to one axis, compare with the threshold (strictly above), then turn the booleans "
        "into integers.",
    ],
)
prediction_summary = Exercise(
    "prediction_summary",
    _check_summary,
    [
        "Accuracy is the share of positions where y_true equals y_pred. For the table, turn the 0/1 labels into "
        "class names first.",
        "pd.crosstab takes two Series: their names become the titles of the rows and the columns, and "
        "margins=True adds the totals.",
    ],
)
photo_to_batch = Exercise(
    "photo_to_batch",
    _check_photo_batch,
    [
        "Resize to (height, width), convert to float32, and add a batch axis in front: the model takes batches.",
        "keras.ops.image.resize resizes bilinearly to (height, width), as the dataset loader does; a batch of one "
        "has a new axis in front of the height.",
    ],
)

EXERCISES = (
    count_photos,
    augmentation,
    first_cnn,
    compile_classifier,
    scores_to_labels,
    prediction_summary,
    photo_to_batch,
)
