"""``cnn-course benchmark 02`` (alias ``cifar10``): Chapter 2's two CIFAR-10 models, side by side.

Both models are the chapter's own code (the ``build_first_cnn`` answer and the cells tagged
``benchmark``) with the chapter's own settings. The test split is the one the folder loader
holds out (a stratified sixth of the 50,000 training images); it is never trained on.

- the better CNN trains on every other image for the chapter's ``BETTER_EPOCHS``, reports its
  test accuracy every ``VALIDATE_EVERY`` epochs, then at the end plain, with test-time flips
  and with flips and one-pixel shifts (the chapter's figure);
- the first CNN trains as in the chapter: Adam, batches of 64, early stopping on a
  validation tenth of the training images.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_course.benchmarks.common import (
    ModelResult,
    add_model_arguments,
    epoch_timer,
    format_results,
    save_trained,
    start_run,
    write_json,
)

CHAPTER = "02"
ALIASES = ("cifar10",)
SUMMARY = "Chapter 2: the better and the first CIFAR-10 CNN, trained side by side"
MODELS = ("better", "first")


def add_arguments(parser) -> None:
    add_model_arguments(parser, MODELS, epochs_first=30)
    parser.add_argument("--source", help="the CIFAR-10 archive or a folder of class subfolders (default: download)")
    parser.add_argument("--limit", type=int, help="use only this many training images, stratified (quick runs)")


def run(root: Path, args) -> int:
    cifar10(
        root,
        source=args.source,
        epochs_better=args.epochs_better,
        epochs_first=args.epochs_first,
        models=args.models,
        limit=args.limit,
        save_weights=args.save_weights,
        json_out=args.json,
    )
    return 0


def held_out_arrays(source: str | None, limit: int | None, seed: int):
    """((training images, one-hot labels), (test images, one-hot labels)), pixels scaled to [0, 1]:
    the folder loader's held-out split is the test set, the rest (or ``limit`` of it) trains."""
    import keras

    from cnn_course.data import load_cifar10

    (x_all, y_all), (x_test, y_test), class_names = load_cifar10(source)
    x_all, y_all = _subset(x_all, y_all, limit, seed)
    x_all, x_test = x_all.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    y_all, y_test = (keras.utils.to_categorical(y, len(class_names)) for y in (y_all, y_test))
    return (x_all, y_all), (x_test, y_test)


def _subset(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` images, the same share of every class."""
    from cnn_course.data.splits import stratified_parts

    if not limit or limit >= len(x):
        return x, y
    kept = stratified_parts(y, {"kept": limit / len(x), "rest": 1 - limit / len(x)}, seed)["kept"]
    return x[kept], y[kept]


@dataclass
class BetterRun:
    """One training of the chapter's better CNN and its test accuracy three ways."""

    model: object
    history: object
    seconds: float
    epoch_seconds: list[float]
    validated: list[int]
    precision: str
    plain: float
    flipped: float
    shifted: float


def train_better(
    chapter: dict,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    epochs: int,
    build_options: dict | None = None,
    compile_options: dict | None = None,
    precision: str | None = None,
    log=print,
) -> BetterRun:
    """The chapter's better CNN, built and compiled by the chapter's functions (with any of their
    options changed, for the ablation), trained and scored plain, with flips, with flips and shifts."""
    from cnn_course.environment import fast_precision

    (x_train, y_train), (x_test, y_test) = train, test
    batch_size = chapter["BETTER_BATCH_SIZE"]
    precision = precision or fast_precision()
    steps = epochs * -(-len(x_train) // batch_size)
    model = chapter["build_better_cnn"](precision=precision, **(build_options or {}))
    model = chapter["compile_better_cnn"](model, total_steps=steps, **(compile_options or {}))
    validate_every = chapter["VALIDATE_EVERY"]
    log(
        f"better CNN: {model.count_params():,} parameters, {epochs} epochs of {len(x_train):,} images, "
        f"batch {batch_size}, computing in {precision}; test accuracy every {validate_every} epochs"
    )
    # Every few epochs and always after the last one.
    validated = sorted({*range(validate_every, epochs + 1, validate_every), epochs})
    epoch_seconds: list[float] = []
    started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_test, y_test),
        validation_freq=validated,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[epoch_timer(epoch_seconds)],
        verbose=2,
    )
    seconds = time.perf_counter() - started
    labels = y_test.argmax(axis=1)
    plain = float(model.evaluate(x_test, y_test, batch_size=1024, verbose=0)[1])
    flipped = float((chapter["predict_with_flips"](model, x_test).argmax(axis=1) == labels).mean())
    shifted = float((chapter["predict_with_flips_and_shifts"](model, x_test).argmax(axis=1) == labels).mean())
    log(
        f"better CNN: test accuracy {plain:.2%}, with test-time flips {flipped:.2%}, "
        f"with flips and shifts {shifted:.2%}; training took {seconds:.0f} s"
    )
    return BetterRun(model, history, seconds, epoch_seconds, validated, precision, plain, flipped, shifted)


def cifar10(
    root: Path,
    source: str | None = None,
    epochs_better: int | None = None,
    epochs_first: int = 30,
    models: tuple[str, ...] | list[str] = MODELS,
    limit: int | None = None,
    seed: int = 0,
    save_weights: Path | None = None,
    json_out: Path | None = None,
    log=print,
) -> list[ModelResult]:
    """Train the chosen models; report test accuracy, epochs, wall time and images per second."""
    import keras

    from cnn_course import seeding
    from cnn_course.authoring.namespace import chapter_namespace
    from cnn_course.data.splits import stratified_split

    (x_all, y_all_onehot), (x_test, y_test_onehot) = held_out_arrays(source, limit, seed)
    num_classes = y_all_onehot.shape[1]
    chapter = chapter_namespace(root, CHAPTER, ("build_first_cnn",), tags=("benchmark",))
    log(f"CIFAR-10 from {source or 'the default source'}: {len(x_all):,} training and {len(x_test):,} test images")
    figures = start_run(log, train_images=len(x_all), test_images=len(x_test))
    results: list[ModelResult] = []

    if "better" in models:
        seeding.set_seed(seed)
        epochs = epochs_better or chapter["BETTER_EPOCHS"]
        run = train_better(chapter, (x_all, y_all_onehot), (x_test, y_test_onehot), epochs, log=log)
        model, history, seconds = run.model, run.history, run.seconds
        plain, flipped, shifted = run.plain, run.flipped, run.shifted
        results.append(
            ModelResult(
                "better CNN",
                model.count_params(),
                epochs,
                round(seconds, 1),
                round(len(x_all) * epochs / seconds, 1),
                round(shifted, 4),
            )
        )
        figures["better"] = {
            "test_accuracy_by_epoch": dict(
                zip(run.validated, [round(float(v), 4) for v in history.history.get("val_accuracy", [])])
            ),
            "train_accuracy_per_epoch": [round(float(v), 4) for v in history.history["accuracy"]],
            "seconds_per_epoch": [round(s, 1) for s in run.epoch_seconds],
            "precision": run.precision,
            "test_accuracy": round(plain, 4),
            "test_accuracy_with_flips": round(flipped, 4),
            "test_accuracy_with_flips_and_shifts": round(shifted, 4),
        }
        save_trained(
            save_weights,
            "cifar10_better_cnn",
            model,
            lambda: chapter["build_better_cnn"](precision=run.precision),
            history.history,
            seconds,
        )

    if "first" in models:
        seeding.set_seed(seed)
        (x_train, y_train), (x_val, y_val) = stratified_split(x_all, y_all_onehot.argmax(axis=1), 0.1, seed)
        y_train, y_val = (keras.utils.to_categorical(y, num_classes) for y in (y_train, y_val))
        model = chapter["build_first_cnn"]()
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
        stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
        log(
            f"first CNN: {model.count_params():,} parameters, up to {epochs_first} epochs of {len(x_train):,} images "
            f"with early stopping on {len(x_val):,} validation images"
        )
        started = time.perf_counter()
        history = model.fit(
            x_train,
            y_train,
            validation_data=(x_val, y_val),
            epochs=epochs_first,
            batch_size=64,
            callbacks=[stop],
            verbose=2,
        )
        seconds = time.perf_counter() - started
        accuracy = float(model.evaluate(x_test, y_test_onehot, verbose=0)[1])
        ran = len(history.epoch)
        results.append(
            ModelResult(
                "first CNN",
                model.count_params(),
                ran,
                round(seconds, 1),
                round(len(x_train) * ran / seconds, 1),
                round(accuracy, 4),
            )
        )
        save_trained(save_weights, "cifar10_first_cnn", model, chapter["build_first_cnn"], history.history, seconds)

    log(format_results(results, "test accuracy"))
    write_json(json_out, {**figures, "results": results})
    return results
