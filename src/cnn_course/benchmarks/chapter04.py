"""``cnn-course benchmark 04`` (alias ``vgg16``): Chapter 4's epoch times and extraction speed."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from cnn_course.benchmarks.common import TimedFit, add_json_option, command, start_run, timed_fit, write_json
from cnn_course.course.course import Course
from cnn_course.options import add_option

CHAPTER = "04"
ALIASES = ("vgg16",)
SUMMARY = "Chapter 4: seconds per epoch (frozen, fine-tuning) and the bottleneck extraction rate"
# The chapter's HEAD_LEARNING_RATE (set in a cell that also builds its model, so it is not
# run here; tests/benchmarks check the two agree). Fine-tuning compiles with the chapter's own
# start_fine_tuning, at a tenth of it.
HEAD_LEARNING_RATE = 1e-4


def add_arguments(parser) -> None:
    add_option(
        parser,
        vgg16,
        "source",
        "a folder with train/, validation/ and test/, each with cat/ and dog/",
        unset="download",
    )
    add_option(
        parser,
        vgg16,
        "weights",
        "'imagenet', a local weights file, or 'none' (random weights, the same speed)",
        type=lambda text: None if text == "none" else text,
    )
    add_option(parser, vgg16, "batches", "use only this many batches of 32 per split", type=int, unset="all")
    add_option(parser, vgg16, "epochs", "epochs per timed run; the mean of all but the first counts", type=int)
    add_json_option(parser, vgg16)


def vgg16_inputs(source: str | None, batches: int | None, seed: int, log=print):
    """The chapter's photo set, its datasets (each cut to ``batches`` when given), and the model's
    inputs: VGG16's preprocessing, on augmented photos for training."""
    from keras.applications.vgg16 import preprocess_input

    from cnn_course import pipelines, smoke
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(source, log=log)
    image_size = smoke.full_or_quick((150, 150), (32, 32))  # the chapter's sizes: smoke mode (tests) is tiny
    datasets, _ = pipelines.folder_datasets(photo_set.root, image_size=image_size, seed=seed)
    if batches:
        datasets = {split: dataset.take(batches) for split, dataset in datasets.items()}
    inputs = {split: pipelines.with_images(dataset, preprocess_input) for split, dataset in datasets.items()}
    inputs["train"] = pipelines.with_images(
        pipelines.augmented(datasets["train"], pipelines.standard_augmentation(seed)), preprocess_input
    )
    return photo_set, datasets, inputs, image_size


def epoch_figures(fit: TimedFit, photos: dict[str, int], full: dict[str, int]) -> dict:
    """Seconds per epoch: the mean of every epoch but the first, which builds the graph, and the
    same scaled to the full splits. Training and validation scale with different splits (2,000
    and 1,000 photos in the course's set), so each part is scaled by its own."""
    counted = slice(1, None) if fit.epochs > 1 else slice(None)
    seconds = statistics.mean(fit.epoch_seconds[counted])
    validating = statistics.mean(fit.validation_seconds[counted])
    full_epoch = (seconds - validating) * full["train"] / photos["train"] + validating * full["validation"] / photos[
        "validation"
    ]
    return {
        "epoch_seconds": [round(value, 1) for value in fit.epoch_seconds],
        "validation_seconds": [round(value, 1) for value in fit.validation_seconds],
        "seconds_per_epoch": round(seconds, 1),
        "seconds_per_epoch_full_splits": round(full_epoch, 1),
    }


def extraction_rate(base, datasets: dict, log=print) -> dict:
    """Photos per second through the convolutional base alone: the bottleneck features' cost."""
    from keras.applications.vgg16 import preprocess_input

    from cnn_course import pipelines

    base.predict(pipelines.with_images(datasets["test"], preprocess_input).take(1), verbose=0)  # build the graph
    started, photos = time.perf_counter(), 0
    for split in ("train", "validation", "test"):
        for images, _ in pipelines.with_images(datasets[split], preprocess_input):
            base.predict_on_batch(images)
            photos += int(images.shape[0])
    seconds = time.perf_counter() - started
    log(f"bottleneck extraction: {photos} photos in {seconds:.1f} s = {photos / seconds:.1f} photos/s")
    return {"photos": photos, "seconds": round(seconds, 1), "photos_per_second": round(photos / seconds, 1)}


def vgg16(
    course: Course,
    source: str | None = None,
    weights: str | None = "imagenet",
    batches: int | None = None,
    epochs: int = 2,
    seed: int = 0,
    json_out: Path | None = None,
    log=print,
) -> dict:
    """Chapter 4's speeds: seconds per epoch of the frozen model and of fine-tuning, and the
    bottleneck extraction rate. Each training figure is the mean of ``epochs`` epochs less the
    first (the mean, not the median, because a long run costs the sum of its epochs, and on 2
    cores consecutive epochs have taken 21 s and 39 s); every epoch's time is kept.
    ``batches`` limits every split to that many batches of 32; the time per epoch is then also
    estimated for the whole training and validation splits. The weights do not change the
    speed, so ``weights=None`` measures it without downloading them."""
    import keras

    from cnn_course import seeding
    from cnn_course.course.namespace import chapter_namespace
    from cnn_course.transfer import vgg16_base

    seeding.set_seed(seed)
    photo_set, datasets, inputs, image_size = vgg16_inputs(source, batches, seed, log=log)
    photos = {split: sum(int(labels.shape[0]) for _, labels in datasets[split]) for split in ("train", "validation")}
    full = {split: int(photo_set.counts.loc[split, "total"]) for split in ("train", "validation")}
    figures = start_run(log, weights=weights or "none", train_photos_per_epoch=photos["train"])
    log(f"VGG16 weights: {weights or 'random (the speed is the same)'}; {photos['train']} training photos per epoch")
    chapter = chapter_namespace(course, CHAPTER, ("build_frozen_model", "start_fine_tuning"), tags=("benchmark",))
    base = vgg16_base((*image_size, 3), weights=weights)
    model = chapter["build_frozen_model"](base)
    model.compile(optimizer=keras.optimizers.Adam(HEAD_LEARNING_RATE), loss="binary_crossentropy", metrics=["accuracy"])
    for name in ("frozen", "fine_tuning"):
        if name == "fine_tuning":
            chapter["start_fine_tuning"](model, HEAD_LEARNING_RATE)
        fit = timed_fit(model, inputs["train"], validation_data=inputs["validation"], epochs=epochs)
        figures[name] = epoch_figures(fit, photos, full)
        each = ", ".join(f"{value:.1f}" for value in fit.epoch_seconds)
        log(
            f"{name}: {figures[name]['seconds_per_epoch']:.1f} s per epoch of {photos['train']} training and "
            f"{photos['validation']} validation photos (epochs took {each} s); for {full['train']:,} and "
            f"{full['validation']:,}: about {figures[name]['seconds_per_epoch_full_splits'] / 60:.0f} minutes"
        )
    figures["extraction"] = extraction_rate(base, datasets, log=log)
    write_json(json_out, figures)
    return figures


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = vgg16
run = command(MEASURE)
