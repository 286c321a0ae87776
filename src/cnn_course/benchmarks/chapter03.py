"""``cnn-course benchmark 03`` (alias ``catsdogs``): Chapter 3's three models on the same
photos, then the photo pipelines side by side.

Every model is the chapter's own code with the chapter's own settings: the better CNN and the
first CNN on the chapter's augmented training photos, and the same first CNN on the photos as
they are. Each is scored on the validation and the test split apart (what a learner who loads
the trained models sees in the chapter) and on both together (a steadier figure).
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
from cnn_course.benchmarks.pipeline_speed import compare_pipelines
from cnn_course.course.course import Course
from cnn_course.options import add_option

CHAPTER = "03"
ALIASES = ("catsdogs",)
SUMMARY = "Chapter 3: the better CNN, the first CNN with and without augmentation, then the pipeline ratio"
MODELS = ("better", "first", "plain")
# The first CNN as the chapter trains it twice, with the same dropout: on augmented photos, and
# on the photos as they are (to show the overfitting). Only augmentation differs. Each entry:
# the table's label, the saved weights' name, the prefix of the chapter's settings, and the
# dataset it trains on.
FIRST_RUNS = {
    "first": ("first CNN", "cats_dogs_first_cnn", "FIRST", "augmented"),
    "plain": ("no augment.", "cats_dogs_plain_cnn", "PLAIN", "train"),
}


def add_arguments(parser) -> None:
    add_model_arguments(parser, cats_vs_dogs)
    add_option(
        parser,
        cats_vs_dogs,
        "source",
        "a folder with train/, validation/ and test/, each with cat/ and dog/",
        unset="download",
    )
    add_option(
        parser,
        cats_vs_dogs,
        "pipeline_epochs",
        "passes over the training photos per pipeline (0 skips the pipeline comparison)",
        flag="--epochs",
        type=int,
    )


def _arrays(dataset) -> tuple[np.ndarray, np.ndarray]:
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in dataset))
    return np.concatenate(images), np.concatenate(labels).ravel().astype(int)


@dataclass
class HeldOut:
    """The validation and the test photos, one after the other, scored apart and together."""

    images: np.ndarray
    labels: np.ndarray
    validation_size: int

    @classmethod
    def of(cls, datasets: dict) -> HeldOut:
        (validation_images, validation_labels), (test_images, test_labels) = (
            _arrays(datasets[split]) for split in ("validation", "test")
        )
        return cls(
            np.concatenate([validation_images, test_images]),
            np.concatenate([validation_labels, test_labels]),
            len(validation_labels),
        )

    def accuracy(self, scores: np.ndarray) -> dict[str, float]:
        """Accuracy of the dog scores on the validation split, the test split, and both."""
        right = (scores > 0.5).astype(int) == self.labels
        validation, test = right[: self.validation_size], right[self.validation_size :]
        return {
            "validation": round(float(validation.mean()), 4),
            "test": round(float(test.mean()), 4),
            "both": round(float(right.mean()), 4),
        }

    def accuracy_of(self, model) -> dict[str, float]:
        return self.accuracy(model.predict(self.images, batch_size=64, verbose=0).ravel())


def describe(accuracy: dict[str, float]) -> str:
    return ", ".join(f"{split} {value:.2%}" for split, value in accuracy.items())


def train_better(chapter: dict, datasets: dict, held_out: HeldOut, epochs: int, log=print) -> tuple[TimedFit, dict]:
    """The chapter's better CNN on its augmented photos; returns the fit and its figures."""
    from cnn_course.hardware import fast_precision

    steps = int(datasets["augmented"].cardinality())
    precision = fast_precision()
    model = chapter["compile_better_cnn"](chapter["build_better_cnn"](precision=precision), total_steps=epochs * steps)
    log(
        f"better CNN: {model.count_params():,} parameters, {epochs} epochs, computing in {precision}; "
        f"validation accuracy every {chapter['VALIDATE_EVERY']} epochs"
    )
    fit = timed_fit(
        model,
        datasets["augmented"],
        validation_data=datasets["validation"],
        epochs=epochs,
        validation_freq=chapter["VALIDATE_EVERY"],
    )
    plain = held_out.accuracy_of(model)
    flipped = held_out.accuracy(chapter["scores_with_flips"](model, held_out.images))
    log(f"better CNN: accuracy {describe(plain)}; with test-time flips {describe(flipped)}; took {fit.seconds:.0f} s")
    return fit, {
        "held_out_accuracy": plain["both"],
        "held_out_accuracy_with_flips": flipped["both"],
        "accuracy_by_split": plain,
        "accuracy_by_split_with_flips": flipped,
        "seconds_per_epoch": [round(s, 1) for s in fit.epoch_seconds],
        "precision": precision,
    }


def train_first(
    chapter: dict, key: str, datasets: dict, held_out: HeldOut, epochs: int | None, log=print
) -> tuple[TimedFit, dict[str, float]]:
    """One of the chapter's two runs of its first CNN (``FIRST_RUNS``), with the chapter's
    dropout, epochs and patience; ``epochs`` overrides the chapter's most epochs."""
    import keras

    label, _, prefix, trained_on = FIRST_RUNS[key]
    dropout, patience = chapter["FIRST_DROPOUT"], chapter[f"{prefix}_PATIENCE"]
    epochs = epochs or chapter[f"{prefix}_EPOCHS"]
    model = chapter["compile_first_cnn"](chapter["build_first_cnn"](dropout_rate=dropout))
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    log(
        f"{label}: {model.count_params():,} parameters, dropout {dropout}, up to {epochs} epochs, "
        f"early stopping after {patience} without improvement"
    )
    fit = timed_fit(
        model, datasets[trained_on], validation_data=datasets["validation"], epochs=epochs, callbacks=[stop]
    )
    accuracy = held_out.accuracy_of(model)
    log(f"{label}: accuracy {describe(accuracy)}; {fit.epochs} epochs in {fit.seconds:.0f} s")
    return fit, accuracy


def cats_vs_dogs(
    course: Course,
    source: str | None = None,
    epochs_better: int | None = None,
    epochs_first: int | None = None,
    models: tuple[str, ...] | list[str] = MODELS,
    pipeline_epochs: int = 3,
    seed: int = 0,
    save_weights: Path | None = None,
    json_out: Path | None = None,
    log=print,
) -> dict:
    """Chapter 3's models on the same photos (held-out accuracy), then the pipeline speed ratio."""
    from cnn_course import pipelines, seeding
    from cnn_course.course.namespace import chapter_namespace
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(source, log=log)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=seed)
    chapter = chapter_namespace(
        course, CHAPTER, ("build_first_cnn", "build_augmentation", "compile_classifier"), tags=("benchmark",)
    )
    datasets["augmented"] = pipelines.augmented(datasets["train"], chapter["build_augmentation"]())
    held_out = HeldOut.of(datasets)
    train_photos = int(photo_set.counts.loc["train", "total"])
    log(f"cats vs dogs from {source or 'the default source'}:\n{photo_set.counts.to_string()}")
    test_size = len(held_out.labels) - held_out.validation_size
    log(f"scored on the validation ({held_out.validation_size:,}) and test ({test_size:,}) photos, apart and together")
    figures = start_run(log, counts=photo_set.counts.to_dict(), held_out_photos=len(held_out.labels))
    results: list[ModelResult] = []
    if "better" in models:
        seeding.set_seed(seed)
        fit, figures["better"] = train_better(
            chapter, datasets, held_out, epochs_better or chapter["BETTER_EPOCHS"], log=log
        )
        results.append(fit.result("better CNN", train_photos, figures["better"]["held_out_accuracy_with_flips"]))
        precision = figures["better"]["precision"]
        fit.save(save_weights, "cats_dogs_better_cnn", lambda: chapter["build_better_cnn"](precision=precision))
    for key, (label, name, *_) in FIRST_RUNS.items():
        if key in models:
            seeding.set_seed(seed)
            fit, accuracy = train_first(chapter, key, datasets, held_out, epochs_first, log=log)
            figures[key] = {"accuracy_by_split": accuracy, "epochs_run": fit.epochs}
            results.append(fit.result(label, train_photos, accuracy["both"]))
            fit.save(save_weights, name, lambda: chapter["build_first_cnn"](dropout_rate=chapter["FIRST_DROPOUT"]))
    log(format_results(results, "held-out acc."))
    figures["results"] = results
    if pipeline_epochs:
        log("pipelines, side by side on the training photos:")
        figures.update(compare_pipelines(photo_set.root / "train", pipeline_epochs, log=log))
    write_json(json_out, figures)
    return figures


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = cats_vs_dogs
run = command(MEASURE)
