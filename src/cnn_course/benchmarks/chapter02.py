"""``cnn-course benchmark 02`` (alias ``cifar10``): Chapter 2's two CIFAR-10 models, side by side.

Both models are the chapter's own code (the ``build_first_cnn`` answer and the cells tagged
``benchmark``) with the chapter's own settings. The test split is the one the folder loader
holds out (a stratified sixth of the 50,000 training images); it is never trained on.

- the better CNN trains on every other image for the chapter's ``BETTER_EPOCHS``, reports its
  test accuracy every ``VALIDATE_EVERY`` epochs, then at the end plain, with test-time flips
  and with flips and one-pixel shifts (the chapter's figure);
- the first CNN trains as in the chapter (``compile_first_cnn``, ``FIRST_EPOCHS``,
  ``FIRST_BATCH_SIZE``, early stopping after ``FIRST_PATIENCE`` epochs) on nine tenths of the
  training images, the other tenth validating, as the chapter splits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_course.benchmarks.common import (
    ModelResult,
    TimedFit,
    add_model_arguments,
    command,
    format_results,
    start_run,
    timed_fit,
    write_json,
)
from cnn_course.course.course import Course
from cnn_course.options import add_option

CHAPTER = "02"
ALIASES = ("cifar10",)
SUMMARY = "Chapter 2: the better and the first CIFAR-10 CNN, trained side by side"
MODELS = ("better", "first")
VALIDATION_SHARE = 0.1  # the chapter's train_test_split(..., test_size=0.1)

Arrays = tuple[np.ndarray, np.ndarray]


def add_arguments(parser) -> None:
    add_model_arguments(parser, cifar10)
    add_option(parser, cifar10, "source", "the CIFAR-10 archive or a folder of class subfolders", unset="download")
    add_option(parser, cifar10, "limit", "use only this many training images, stratified", type=int, unset="all")


def held_out_arrays(source: str | None, limit: int | None, seed: int) -> tuple[Arrays, Arrays]:
    """((training images, one-hot labels), (test images, one-hot labels)), pixels scaled to [0, 1]:
    the folder loader's held-out split is the test set, the rest (or ``limit`` of it) trains."""
    import keras

    from cnn_course.data import load_cifar10

    (x_all, y_all), (x_test, y_test), class_names = load_cifar10(source)
    x_all, y_all = _subset(x_all, y_all, limit, seed)
    x_all, x_test = x_all.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    y_all, y_test = (keras.utils.to_categorical(y, len(class_names)) for y in (y_all, y_test))
    return (x_all, y_all), (x_test, y_test)


def _subset(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> Arrays:
    """At most ``limit`` images, the same share of every class."""
    from cnn_course.data.splits import stratified_parts

    if not limit or limit >= len(x):
        return x, y
    kept = stratified_parts(y, {"kept": limit / len(x), "rest": 1 - limit / len(x)}, seed)["kept"]
    return x[kept], y[kept]


@dataclass
class BetterRun:
    """One training of the chapter's better CNN and its test accuracy three ways."""

    fit: TimedFit
    validated: list[int]
    precision: str
    plain: float
    flipped: float
    shifted: float

    def figures(self) -> dict:
        """What the JSON keeps of the run: accuracy by epoch and at the end, three ways."""
        tested = [round(float(v), 4) for v in self.fit.history.get("val_accuracy", [])]
        return {
            "test_accuracy_by_epoch": dict(zip(self.validated, tested)),
            "train_accuracy_per_epoch": [round(float(v), 4) for v in self.fit.history["accuracy"]],
            "seconds_per_epoch": [round(s, 1) for s in self.fit.epoch_seconds],
            "precision": self.precision,
            "test_accuracy": round(self.plain, 4),
            "test_accuracy_with_flips": round(self.flipped, 4),
            "test_accuracy_with_flips_and_shifts": round(self.shifted, 4),
        }


def train_better(
    chapter: dict,
    train: Arrays,
    test: Arrays,
    epochs: int,
    build_options: dict | None = None,
    compile_options: dict | None = None,
    precision: str | None = None,
    log=print,
) -> BetterRun:
    """The chapter's better CNN, built and compiled by the chapter's functions (with any of their
    options changed, for the ablation), trained and scored plain, with flips, with flips and shifts."""
    from cnn_course.hardware import fast_precision

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
    fit = timed_fit(
        model, x_train, y_train, validation_data=test, validation_freq=validated, epochs=epochs, batch_size=batch_size
    )
    labels = y_test.argmax(axis=1)
    plain = float(model.evaluate(x_test, y_test, batch_size=1024, verbose=0)[1])
    flipped = float((chapter["predict_with_flips"](model, x_test).argmax(axis=1) == labels).mean())
    shifted = float((chapter["predict_with_flips_and_shifts"](model, x_test).argmax(axis=1) == labels).mean())
    log(
        f"better CNN: test accuracy {plain:.2%}, with test-time flips {flipped:.2%}, "
        f"with flips and shifts {shifted:.2%}; training took {fit.seconds:.0f} s"
    )
    return BetterRun(fit, validated, precision, plain, flipped, shifted)


def train_first(
    chapter: dict, train: Arrays, test: Arrays, epochs: int | None, seed: int, log=print
) -> tuple[TimedFit, float, int]:
    """The chapter's first CNN as the chapter trains it: its compile step, batch size and early
    stopping, on the chapter's share of the training images (the rest validates). Returns the
    fit, the test accuracy and the number of images it trained on."""
    import keras

    from cnn_course.data.splits import stratified_split

    (x_all, y_all), (x_test, y_test) = train, test
    (x_train, y_train), (x_val, y_val) = stratified_split(x_all, y_all.argmax(axis=1), VALIDATION_SHARE, seed)
    y_train, y_val = (keras.utils.to_categorical(y, y_all.shape[1]) for y in (y_train, y_val))
    epochs = epochs or chapter["FIRST_EPOCHS"]
    model = chapter["compile_first_cnn"](chapter["build_first_cnn"]())
    stop = keras.callbacks.EarlyStopping(patience=chapter["FIRST_PATIENCE"], restore_best_weights=True)
    log(
        f"first CNN: {model.count_params():,} parameters, up to {epochs} epochs of {len(x_train):,} images "
        f"with early stopping on {len(x_val):,} validation images"
    )
    fit = timed_fit(
        model,
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=chapter["FIRST_BATCH_SIZE"],
        callbacks=[stop],
    )
    return fit, float(model.evaluate(x_test, y_test, verbose=0)[1]), len(x_train)


def cifar10(
    course: Course,
    source: str | None = None,
    epochs_better: int | None = None,
    epochs_first: int | None = None,
    models: tuple[str, ...] | list[str] = MODELS,
    limit: int | None = None,
    seed: int = 0,
    save_weights: Path | None = None,
    json_out: Path | None = None,
    log=print,
) -> list[ModelResult]:
    """Train the chosen models; report test accuracy, epochs, wall time and images per second."""
    from cnn_course import seeding
    from cnn_course.course.namespace import chapter_namespace

    train, test = held_out_arrays(source, limit, seed)
    chapter = chapter_namespace(course, CHAPTER, ("build_first_cnn",), tags=("benchmark",))
    log(f"CIFAR-10 from {source or 'the default source'}: {len(train[0]):,} training and {len(test[0]):,} test images")
    figures = start_run(log, train_images=len(train[0]), test_images=len(test[0]))
    results: list[ModelResult] = []
    if "better" in models:
        seeding.set_seed(seed)
        better = train_better(chapter, train, test, epochs_better or chapter["BETTER_EPOCHS"], log=log)
        results.append(better.fit.result("better CNN", len(train[0]), better.shifted))
        figures["better"] = better.figures()
        better.fit.save(
            save_weights, "cifar10_better_cnn", lambda: chapter["build_better_cnn"](precision=better.precision)
        )
    if "first" in models:
        seeding.set_seed(seed)
        first, accuracy, images = train_first(chapter, train, test, epochs_first, seed, log=log)
        results.append(first.result("first CNN", images, accuracy))
        first.save(save_weights, "cifar10_first_cnn", chapter["build_first_cnn"])
    log(format_results(results, "test accuracy"))
    write_json(json_out, {**figures, "results": results})
    return results


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = cifar10
run = command(MEASURE)
