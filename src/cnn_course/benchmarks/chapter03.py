"""``cnn-course benchmark 03`` (alias ``catsdogs``): Chapter 3's three models on the same
photos, then the photo pipelines side by side.

Every model is the chapter's own code with the chapter's own settings: the better CNN and the
first CNN on the chapter's augmented training photos, and the same first CNN on the photos as
they are. Each is scored on the validation and the test split apart (what a learner who loads
the trained models sees in the chapter) and on both together (a steadier figure).
"""

from __future__ import annotations

import time
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

CHAPTER = "03"
ALIASES = ("catsdogs",)
SUMMARY = "Chapter 3: the better CNN, the first CNN with and without augmentation, then the pipeline ratio"
MODELS = ("better", "first", "plain")


def add_arguments(parser) -> None:
    add_model_arguments(parser, MODELS, epochs_first=None)
    parser.add_argument(
        "--source", help="a folder with train/, validation/ and test/, each with cat/ and dog/ (default: download)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=3,
        help="passes over the training photos per pipeline (0 skips the pipeline comparison)",
    )


def run(root: Path, args) -> int:
    cats_vs_dogs(
        root,
        source=args.source,
        epochs_better=args.epochs_better,
        epochs_first=args.epochs_first,
        models=args.models,
        pipeline_epochs=args.epochs,
        save_weights=args.save_weights,
        json_out=args.json,
    )
    return 0


def _arrays(dataset) -> tuple[np.ndarray, np.ndarray]:
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in dataset))
    return np.concatenate(images), np.concatenate(labels).ravel().astype(int)


def cats_vs_dogs(
    root: Path,
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
    import keras

    from cnn_course import pipelines, seeding
    from cnn_course.authoring.namespace import chapter_namespace
    from cnn_course.data import load_cats_vs_dogs
    from cnn_course.environment import fast_precision

    photo_set = load_cats_vs_dogs(source, log=log)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=seed)
    chapter = chapter_namespace(
        root, CHAPTER, ("build_first_cnn", "build_augmentation", "compile_classifier"), tags=("benchmark",)
    )
    train_augmented = pipelines.augmented(datasets["train"], chapter["build_augmentation"]())
    split_arrays = {split: _arrays(datasets[split]) for split in ("validation", "test")}
    held_out_images = np.concatenate([images for images, _ in split_arrays.values()])
    held_out_labels = np.concatenate([labels for _, labels in split_arrays.values()])
    split_sizes = [len(labels) for _, labels in split_arrays.values()]
    train_photos = int(photo_set.counts.loc["train", "total"])
    steps = int(train_augmented.cardinality())
    log(f"cats vs dogs from {source or 'the default source'}:\n{photo_set.counts.to_string()}")
    log(f"scored on the validation ({split_sizes[0]:,}) and test ({split_sizes[1]:,}) photos, apart and together")
    figures = start_run(log, counts=photo_set.counts.to_dict(), held_out_photos=len(held_out_labels))
    results: list[ModelResult] = []

    def by_split(scores: np.ndarray) -> dict[str, float]:
        """Accuracy on the validation split, the test split, and both."""
        right = (scores > 0.5).astype(int) == held_out_labels
        validation, test = right[: split_sizes[0]], right[split_sizes[0] :]
        return {
            "validation": round(float(validation.mean()), 4),
            "test": round(float(test.mean()), 4),
            "both": round(float(right.mean()), 4),
        }

    def describe(accuracy: dict[str, float]) -> str:
        return ", ".join(f"{split} {value:.2%}" for split, value in accuracy.items())

    if "better" in models:
        seeding.set_seed(seed)
        epochs = epochs_better or chapter["BETTER_EPOCHS"]
        precision = fast_precision()
        model = chapter["compile_better_cnn"](
            chapter["build_better_cnn"](precision=precision), total_steps=epochs * steps
        )
        log(
            f"better CNN: {model.count_params():,} parameters, {epochs} epochs, computing in {precision}; "
            f"validation accuracy every {chapter['VALIDATE_EVERY']} epochs"
        )
        epoch_seconds: list[float] = []
        started = time.perf_counter()
        history = model.fit(
            train_augmented,
            validation_data=datasets["validation"],
            epochs=epochs,
            validation_freq=chapter["VALIDATE_EVERY"],
            callbacks=[epoch_timer(epoch_seconds)],
            verbose=2,
        )
        seconds = time.perf_counter() - started
        plain_scores = model.predict(held_out_images, batch_size=64, verbose=0).ravel()
        flipped_scores = chapter["scores_with_flips"](model, held_out_images)
        plain, flipped = by_split(plain_scores), by_split(flipped_scores)
        log(f"better CNN: accuracy {describe(plain)}; with test-time flips {describe(flipped)}; took {seconds:.0f} s")
        results.append(
            ModelResult(
                "better CNN",
                model.count_params(),
                epochs,
                round(seconds, 1),
                round(train_photos * epochs / seconds, 1),
                flipped["both"],
            )
        )
        figures["better"] = {
            "held_out_accuracy": plain["both"],
            "held_out_accuracy_with_flips": flipped["both"],
            "accuracy_by_split": plain,
            "accuracy_by_split_with_flips": flipped,
            "seconds_per_epoch": [round(s, 1) for s in epoch_seconds],
            "precision": precision,
        }
        save_trained(
            save_weights,
            "cats_dogs_better_cnn",
            model,
            lambda: chapter["build_better_cnn"](precision=precision),
            history.history,
            seconds,
        )

    # The first CNN as the chapter trains it twice, with the same dropout: on augmented photos,
    # and on the photos as they are (to show the overfitting). Only augmentation differs.
    first_runs = {
        "first": (
            "first CNN",
            "cats_dogs_first_cnn",
            train_augmented,
            chapter["FIRST_DROPOUT"],
            chapter["FIRST_EPOCHS"],
            chapter["FIRST_PATIENCE"],
        ),
        "plain": (
            "no augment.",
            "cats_dogs_plain_cnn",
            datasets["train"],
            chapter["FIRST_DROPOUT"],
            chapter["PLAIN_EPOCHS"],
            chapter["PLAIN_PATIENCE"],
        ),
    }
    for key, (label, name, train, dropout, epochs, patience) in first_runs.items():
        if key not in models:
            continue
        seeding.set_seed(seed)
        epochs = epochs_first or epochs
        model = chapter["compile_first_cnn"](chapter["build_first_cnn"](dropout_rate=dropout))
        stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        log(
            f"{label}: {model.count_params():,} parameters, dropout {dropout}, up to {epochs} epochs, "
            f"early stopping after {patience} without improvement"
        )
        started = time.perf_counter()
        history = model.fit(train, validation_data=datasets["validation"], epochs=epochs, callbacks=[stop], verbose=2)
        seconds = time.perf_counter() - started
        accuracy = by_split(model.predict(held_out_images, batch_size=64, verbose=0).ravel())
        ran = len(history.epoch)
        log(f"{label}: accuracy {describe(accuracy)}; {ran} epochs in {seconds:.0f} s")
        figures[key] = {"accuracy_by_split": accuracy, "epochs_run": ran}
        results.append(
            ModelResult(
                label,
                model.count_params(),
                ran,
                round(seconds, 1),
                round(train_photos * ran / seconds, 1),
                accuracy["both"],
            )
        )
        save_trained(
            save_weights,
            name,
            model,
            lambda dropout=dropout: chapter["build_first_cnn"](dropout_rate=dropout),
            history.history,
            seconds,
        )

    log(format_results(results, "held-out acc."))
    figures["results"] = results
    if pipeline_epochs:
        log("pipelines, side by side on the training photos:")
        timings = pipelines.compare(photo_set.root / "train", epochs=pipeline_epochs, log=log)
        log(pipelines.format_comparison(timings))
        ratio = timings[1].images_per_second / timings[0].images_per_second
        log(f"tf.data pipeline vs naive loader, the same work per photo: {ratio:.1f}x")
        figures["pipelines"] = [{"name": t.name, "images_per_second": round(t.images_per_second, 1)} for t in timings]
        figures["pipeline_ratio"] = round(ratio, 2)
    write_json(json_out, figures)
    return figures
