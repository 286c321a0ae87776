"""Self-checks for Chapter 3, cats versus dogs from scratch."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cnn_course import interpret
from cnn_course.checks.calling import call, call_in_place, describe_call, require_callable
from cnn_course.checks.compare import compare_arrays
from cnn_course.checks.core import Exercise
from cnn_course.checks.models import (
    LayerSpec,
    check_layers,
    compile_setting_name,
    conv,
    dense,
    dropout,
    max_pool,
    require_model,
)
from cnn_course.checks.progress import ProgressView
from cnn_course.checks.verdict import Mismatch


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


def _photo_folder(root: Path, photos_per_class: int) -> list[float]:
    """A folder of class folders (cat, dog) of flat photos, each of its own brightness; returns
    the brightnesses in folder order (the order read_photos gives), which identify the photos."""
    from PIL import Image

    brightness = []
    for label, name in enumerate(("cat", "dog")):
        folder = root / name
        folder.mkdir(parents=True)
        for index in range(photos_per_class):
            value = 10 + 10 * (label * photos_per_class + index)
            Image.new("RGB", (6, 6), (value, value, value)).save(folder / f"{name}.{index:02d}.png")
            brightness.append(float(value))
    return brightness


def _epoch(dataset: Any) -> list[list[float]]:
    """One pass over the dataset: each batch as the list of its photos' brightnesses."""
    return [[round(float(photo.mean())) for photo in np.asarray(images)] for images, _ in dataset]


def _pipeline(dataset: Any) -> list[Any]:
    """The steps of a tf.data pipeline, from the last to the first: tf.data keeps each step's
    input in ``_input_dataset``."""
    steps = []
    while dataset is not None and len(steps) < 50:
        steps.append(dataset)
        dataset = getattr(dataset, "_input_dataset", None)
    return steps


def _stage_name(dataset: Any) -> str:
    """``_PrefetchDataset`` -> "prefetch", ``CacheDataset`` -> "cache"."""
    return type(dataset).__name__.lstrip("_").removesuffix("Dataset").lower()


def _epochs_of(function: Any) -> tuple[list[float], list, list, Any]:
    """The folder order of 22 photos, three epochs of the training pipeline, two of the
    validation one (the photo files deleted after the first: a cached pipeline no longer needs
    them), and the training dataset itself."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as folder:
        # 22 photos: batches of 4 leave a last batch of 2, and batches of 5 one of 2, so a dropped
        # remainder or a batch size that ignores the argument shows.
        order = _photo_folder(Path(folder), photos_per_class=11)
        training = call(function, folder, shuffle=True, batch_size=4)
        validation = call(function, folder, shuffle=False, batch_size=4)
        for dataset, what in ((training, "shuffle=True"), (validation, "shuffle=False")):
            _require_finite_dataset(dataset, what)
        _check_batch_sizes(_epoch(call(function, folder, shuffle=False, batch_size=5)), 5, len(order))
        first, valid_first = _epoch(training), _epoch(validation)
        for path in Path(folder).rglob("*.png"):
            path.unlink()
        try:
            later, valid_second = [_epoch(training), _epoch(training)], _epoch(validation)
        except tf.errors.OpError:
            raise Mismatch(
                "the second epoch reads the photo files again (this check removed them after the first "
                "epoch): cache the decoded photos with .cache(), before the shuffle."
            ) from None
    _check_batch_sizes(first, 4, len(order))
    return order, [first, *later], [valid_first, valid_second], training


def _check_orders(order: list[float], epochs: list, validation_epochs: list) -> None:
    flat = [value for batch in validation_epochs[0] for value in batch]
    if flat != order or validation_epochs[1] != validation_epochs[0]:
        raise Mismatch(
            "with shuffle=False the photos should come in folder order, the same in every epoch (so predictions "
            "line up with labels): shuffle only when shuffle is True."
        )
    if sorted(value for batch in epochs[0] for value in batch) != sorted(order):
        raise Mismatch("an epoch of the training dataset should hold every photo exactly once.")
    orders = [[value for batch in epoch for value in batch] for epoch in epochs]
    if all(epoch_order == order for epoch_order in orders):
        raise Mismatch("with shuffle=True the first epoch came in folder order: shuffle the training photos.")
    if orders[1] == orders[0] and orders[2] == orders[0]:
        raise Mismatch(
            "every epoch brings the photos in the same order: the shuffle must come after the cache (a cache after "
            "it replays the first order forever), with reshuffle_each_iteration=True."
        )
    groups = [sorted(sorted(batch) for batch in epoch) for epoch in epochs]
    if groups[1] == groups[0] and groups[2] == groups[0]:
        raise Mismatch(
            "the same photos share a batch in every epoch, only the batches' order changes: shuffle single "
            "photos, before batching them."
        )
    if orders[0] == order:
        raise Mismatch("with shuffle=True the first epoch came in folder order: shuffle the training photos.")


def _check_steps(training: Any, photos: int) -> None:
    steps = _pipeline(training)
    stages = [_stage_name(step) for step in steps]
    if stages[0] != "prefetch":
        raise Mismatch(
            f"the pipeline should end with .prefetch(tf.data.AUTOTUNE), so the next batch is ready while the model "
            f"trains; its steps, last first, are {stages}."
        )
    for step in steps:
        buffer = getattr(step, "_buffer_size", None) if _stage_name(step) == "shuffle" else None
        if buffer is not None and 0 < int(buffer) < photos:
            raise Mismatch(
                f"the shuffle's buffer holds {int(buffer)} photos, fewer than the {photos} in the folder: a photo "
                "can then move only a few places. Give it the dataset's size, int(photos.cardinality())."
            )


def _check_pipeline(answer: Any) -> None:
    function = require_callable(answer, "photo_dataset")
    order, epochs, validation_epochs, training = _epochs_of(function)
    _check_orders(order, epochs, validation_epochs)
    _check_steps(training, len(order))


def _require_finite_dataset(dataset: Any, what: str) -> None:
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        raise Mismatch(f"photo_dataset(..., {what}) should return a tf.data.Dataset, got {type(dataset).__name__}.")
    if int(dataset.cardinality()) == int(tf.data.INFINITE_CARDINALITY):
        raise Mismatch(
            f"photo_dataset(..., {what}) never ends (.repeat()?): one pass over it should be one epoch, every "
            "photo once. Keras's fit repeats the dataset itself, once per epoch."
        )


def _check_batch_sizes(epoch: list[list[float]], batch_size: int, photos: int) -> None:
    sizes = [len(batch) for batch in epoch]
    wanted = [batch_size] * (photos // batch_size) + ([photos % batch_size] if photos % batch_size else [])
    if sorted(sizes, reverse=True) == wanted:  # shuffled batches are the next check's business
        return
    if sizes and set(sizes) == {batch_size} and sum(sizes) < photos:
        why = " The last, smaller batch is missing (drop_remainder=True?): those photos would never be tested."
    elif sizes and max(sizes) != batch_size:
        why = f" The largest batch holds {max(sizes)}: use the batch_size argument, not a number of your own."
    else:
        why = " Batch the single photos once, with the batch_size argument."
    raise Mismatch(
        f"photo_dataset(..., batch_size={batch_size}) over {photos} photos should give batches of {wanted}, "
        f"got {sizes}.{why}"
    )


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


# (units of the last layer, its activation, labels, the loss that fits, why)
COMPILE_CASES = [
    (
        1,
        "sigmoid",
        np.array([[0.0], [1.0], [1.0]]),
        "binary_crossentropy",
        "one sigmoid unit gives the probability of class 1, and labels 0/1 call for binary cross-entropy",
    ),
    (
        10,
        "softmax",
        np.eye(10, dtype=np.float32)[[3, 0, 9]],
        "categorical_crossentropy",
        "a softmax over 10 classes with one-hot labels calls for categorical cross-entropy",
    ),
    (
        2,
        "softmax",
        np.eye(2, dtype=np.float32)[[1, 0, 1]],
        "categorical_crossentropy",
        "a two-unit softmax with one-hot labels is a softmax over classes: categorical cross-entropy, whatever "
        "the number of classes",
    ),
    (
        10,
        "softmax",
        np.array([3, 0, 9]),
        "sparse_categorical_crossentropy",
        "a softmax over 10 classes with labels given as class numbers calls for sparse categorical cross-entropy",
    ),
    (
        3,
        "softmax",
        np.array([[2], [0], [1]]),
        "sparse_categorical_crossentropy",
        "class numbers in a column are still class numbers, not one-hot rows: sparse categorical cross-entropy",
    ),
]
ACCURACY_NAMES = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"}


def _check_compile(answer: Any) -> None:
    import keras

    function = require_callable(answer, "compile_classifier")
    for units, activation, labels, loss_wanted, why in COMPILE_CASES:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
        returned = call(function, model, labels)
        if returned is not model:
            raise Mismatch("compile_classifier should return the model it compiled (end with `return model`).")
        if not model.compiled:
            raise Mismatch("the model is not compiled: call model.compile(optimizer=..., loss=..., metrics=[...]).")
        settings = model.get_compile_config() or {}
        loss = compile_setting_name(settings.get("loss"))
        if loss != loss_wanted:
            raise Mismatch(
                f"a last layer of {units} {activation} unit(s) with labels of shape {labels.shape} should get the "
                f"loss {loss_wanted!r}, got {loss!r}: {why}."
            )
        optimizer = model.optimizer
        if not isinstance(optimizer, keras.optimizers.Adam):
            raise Mismatch(f"the optimizer should be keras.optimizers.Adam, got {type(optimizer).__name__}.")
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if not np.isclose(rate, 1e-3):
            raise Mismatch(f"Adam's learning rate should be 0.001, got {rate:g}.")
        metrics = settings.get("metrics") or []
        metrics = [
            compile_setting_name(metric) for metric in (metrics if isinstance(metrics, list | tuple) else [metrics])
        ]
        if not ACCURACY_NAMES & set(metrics):
            raise Mismatch(f'metrics should be ["accuracy"], got {metrics}.')


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


def _occlusion_model():
    """A small CNN on 0..255 photos with weights drawn here: its score depends on where things are."""
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input((12, 14, 3)),
            layers.Rescaling(scale=1 / 255),
            layers.Conv2D(3, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(units=1, activation="sigmoid"),
        ],
        name="small_photo_cnn",
    )
    rng = np.random.default_rng(31)
    model.set_weights([rng.normal(0, 0.6, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _check_occlusion(answer: Any) -> None:
    function = require_callable(answer, "occlusion_drops")
    model = _occlusion_model()
    photo = np.random.default_rng(32).uniform(0, 255, (12, 14, 3)).astype(np.float32)
    untouched = photo.copy()
    # (label, patch, stride): strides that do not divide the free space, so the last place counts.
    for label, patch, stride in ((1, 4, 2), (0, 5, 3), (1, 3, 4)):
        got = call_in_place(function, model, photo, label, patch=patch, stride=stride)
        if not np.array_equal(photo, untouched):
            raise Mismatch(
                "occlusion_drops changed the photo it was given: cover a copy (photo.copy()) at each place, "
                "so that the photo and the next places stay clean."
            )
        expected, _ = interpret.occlusion_map(model, photo, patch=patch, stride=stride, class_index=label, fill=128.0)
        what = describe_call("occlusion_drops", ("<model>", photo, label), {"patch": patch, "stride": stride})
        if np.shape(got) != expected.shape:
            raise Mismatch(
                f"{what} should have shape {expected.shape} (one value per place where the patch fits wholly "
                f"inside the 12x14 photo: top edges 0, {stride}, ... up to height - patch), got {np.shape(got)}."
            )
        try:
            compare_arrays(got, expected, what, atol=1e-5)
        except Mismatch as mismatch:
            advice = (
                " A drop is the score of the photo as it is minus the score of the covered photo (positive where "
                "the patch hid evidence), for the class `label`, with the patch filled with GREY."
            )
            if np.allclose(np.asarray(got, dtype=np.float64), -expected, atol=1e-5):
                advice = (
                    " The signs are reversed: the drop is the score as it is minus the covered photo's score, "
                    "for the class `label` (class_scores gives a cat's score, label 0, as minus the dog logit)."
                )
            raise Mismatch(f"{mismatch}{advice}") from None


photo_dataset = Exercise(
    "photo_dataset",
    _check_pipeline,
    [
        "For each step, ask what it works on: single photos or batches? the files or what is already in memory? Then "
        "place it after the steps that make what it needs.",
        "Caching keeps what came before it; shuffling mixes only what its buffer holds, so the buffer must hold every"
        " photo, and it must mix single photos, not batches; a new order each epoch needs the shuffle after the "
        "cache.",
        "Read from disk and decode, keep the decoded photos in memory, mix single photos (only when asked), group "
        "them, and let the next batch be prepared while the model trains on this one.",
    ],
    ideas=[
        "what each step works on: files, single photos or batches",
        "where the cache goes",
        "where the shuffle goes, and how big its buffer",
    ],
    chapter=__name__,
)
build_augmentation = Exercise(
    "build_augmentation",
    _check_augmentation,
    [
        "Which changes of a photo leave a cat a cat? Think of a camera held a little differently.",
        "Four Keras layers in a keras.Sequential: RandomRotation, RandomTranslation, RandomZoom and RandomFlip.",
        "RandomRotation's factor is a fraction of a full turn, not degrees; shifts and zoom are fractions of the "
        "size. Only left-right flips keep a cat the right way up. fill_mode='nearest' avoids black corners.",
    ],
    ideas=[
        "which changes leave a cat a cat",
        "the layers' units: fractions of a turn and a size",
    ],
    chapter=__name__,
)
build_first_cnn = Exercise(
    "build_first_cnn",
    _check_first_cnn,
    [
        "Follow the text layer by layer: rescaling, three blocks of a 3x3 convolution and 2x2 pooling, then Flatten, "
        "Dropout and two Dense layers. The scaffold shows where each one goes.",
        "Hidden layers need an activation (Chapter 1's ReLU); the last layer gives one probability of 'dog'. "
        "The dropout rate is the function's argument, not a number you pick.",
        "Most of the 4,791,809 parameters are in Dense 256: 17*17*64 = 18,496 inputs times 256, plus 256 biases.",
    ],
    ideas=[
        "three convolution and pooling blocks after rescaling",
        "dropout before the dense layers",
        "one sigmoid unit for 'dog'",
    ],
    chapter=__name__,
)
compile_classifier = Exercise(
    "compile_classifier",
    _check_compile,
    [
        "Two questions decide the loss: how many numbers does the last layer give per image (model.output_shape), "
        "and is each label a class number or a row as wide as that output?",
        "1 unit: binary_crossentropy. Several units and labels.ndim == 2 with labels.shape[-1] equal to the "
        "units: categorical_crossentropy. Several units and class numbers: sparse_categorical_crossentropy.",
        "Build the optimizer with keras.optimizers.Adam(learning_rate=...) and pass metrics as a list of names.",
    ],
    ideas=[
        "the loss from the output's width and the labels' form",
        "a fresh optimizer at the given rate",
    ],
    chapter=__name__,
)
photo_to_batch = Exercise(
    "photo_to_batch",
    _check_photo_batch,
    [
        "What shape does the model's input have, and what does one photo from load_photo look like? Compare them axis"
        " by axis.",
        "Resize to (height, width), convert to float32, and add a batch axis in front: the model takes batches.",
        "Keras's image ops resize bilinearly to (height, width), as the dataset loader does; a batch of one has a new"
        " axis in front of the height.",
    ],
    ideas=[
        "the model's input shape against one photo's",
        "resize, float32 and a batch axis",
    ],
    chapter=__name__,
)

occlusion_drops = Exercise(
    name="occlusion_drops",
    checker=_check_occlusion,
    helpers=(interpret.occlusion_map,),
    hints=[
        "Start with the score of the uncovered photo: every place is compared with it. How many top edges fit in a "
        "photo of height 12 with a patch of 4 and a stride of 2?",
        "The top edges run from 0 in steps of stride up to the last one where the patch still fits (height minus "
        "patch); the same for the left edges. For each place, cover a fresh copy, never the photo itself.",
        "A drop is the score of the photo as it is minus the score of the covered copy, both from class_scores for "
        "the class label, so hiding evidence gives a positive number.",
    ],
    ideas=[
        "the uncovered photo's score as the baseline",
        "every top and left edge where the patch fits",
        "cover a fresh copy, never the photo itself",
        "a drop: the baseline minus the covered score",
        "where each drop goes in the rows-by-columns array",
    ],
    chapter=__name__,
)

EXERCISES = (photo_dataset, build_augmentation, build_first_cnn, compile_classifier, photo_to_batch, occlusion_drops)
progress = ProgressView(EXERCISES, globals())
