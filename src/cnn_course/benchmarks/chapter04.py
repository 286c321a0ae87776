"""``cnn-course benchmark 04`` (alias ``vgg16``): Chapter 4's epoch times and extraction speed."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from cnn_course.benchmarks.common import epoch_timer, start_run, validation_timer, write_json

CHAPTER = "04"
ALIASES = ("vgg16",)
SUMMARY = "Chapter 4: seconds per epoch (frozen, fine-tuning) and the bottleneck extraction rate"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--source", help="a folder with train/, validation/ and test/, each with cat/ and dog/ (default: download)"
    )
    parser.add_argument(
        "--weights",
        default="imagenet",
        help="'imagenet', a local weights file, or 'none' (random weights, the same speed)",
    )
    parser.add_argument("--batches", type=int, help="use only this many batches of 32 per split")
    parser.add_argument(
        "--epochs", type=int, default=2, help="epochs per timed run; the mean of all but the first counts"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def run(root: Path, args) -> int:
    vgg16(
        root,
        source=args.source,
        weights=None if args.weights == "none" else args.weights,
        batches=args.batches,
        epochs=args.epochs,
        json_out=args.json,
    )
    return 0


def vgg16(
    root: Path,
    source: str | None = None,
    weights: str | None = "imagenet",
    batches: int | None = None,
    epochs: int = 2,
    seed: int = 0,
    json_out: Path | None = None,
    log=print,
) -> dict:
    """Chapter 4's speeds: seconds per epoch of the frozen model and of fine-tuning, and the
    bottleneck extraction rate. Each training figure is the mean of ``epochs`` epochs less the first,
    which includes building the graph: the mean, not the median, because a long run costs the
    sum of its epochs, and on 2 cores consecutive epochs have taken 21 s and 39 s. Every
    epoch's time is kept. ``batches`` limits every split to that many batches of 32; the time
    per epoch is then also estimated for the whole training and validation splits. The weights do not change the
    speed, so ``weights=None`` measures it without downloading them."""
    import keras
    from keras.applications.vgg16 import preprocess_input

    from cnn_course import pipelines, seeding, smoke
    from cnn_course.authoring.namespace import chapter_namespace
    from cnn_course.data import load_cats_vs_dogs
    from cnn_course.transfer import vgg16_base

    seeding.set_seed(seed)
    photo_set = load_cats_vs_dogs(source, log=log)
    image_size = smoke.pick((150, 150), (32, 32))  # the chapter's sizes: smoke mode (tests) is tiny
    datasets, _ = pipelines.folder_datasets(photo_set.root, image_size=image_size, seed=seed)
    if batches:
        datasets = {split: dataset.take(batches) for split, dataset in datasets.items()}
    inputs = {split: pipelines.with_images(dataset, preprocess_input) for split, dataset in datasets.items()}
    inputs["train"] = pipelines.with_images(
        pipelines.augmented(datasets["train"], pipelines.standard_augmentation(seed)), preprocess_input
    )
    train_photos = sum(int(labels.shape[0]) for _, labels in datasets["train"])
    validation_photos = sum(int(labels.shape[0]) for _, labels in datasets["validation"])
    full_train = int(photo_set.counts.loc["train", "total"])
    full_validation = int(photo_set.counts.loc["validation", "total"])
    figures = start_run(log, weights=weights or "none", train_photos_per_epoch=train_photos)
    log(f"VGG16 weights: {weights or 'random (the speed is the same)'}; {train_photos} training photos per epoch")

    chapter = chapter_namespace(root, CHAPTER, ("build_frozen_model", "unfreeze_last_block"), tags=("benchmark",))
    base = vgg16_base((*image_size, 3), weights=weights)
    model = chapter["build_frozen_model"](base)

    def timed_fit(name: str, learning_rate: float) -> None:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
        epoch_seconds: list[float] = []
        validation_seconds: list[float] = []
        model.fit(
            inputs["train"],
            validation_data=inputs["validation"],
            epochs=epochs,
            callbacks=[epoch_timer(epoch_seconds), validation_timer(validation_seconds)],
            verbose=2,
        )
        counted = slice(1, None) if len(epoch_seconds) > 1 else slice(None)
        seconds = statistics.mean(epoch_seconds[counted])
        validating = statistics.mean(validation_seconds[counted])
        # Training and validation scale with different splits (2,000 and 1,000 photos in the
        # course's set), so each part is scaled by its own.
        training = seconds - validating
        full_epoch = training * full_train / train_photos + validating * full_validation / validation_photos
        figures[name] = {
            "epoch_seconds": [round(value, 1) for value in epoch_seconds],
            "validation_seconds": [round(value, 1) for value in validation_seconds],
            "seconds_per_epoch": round(seconds, 1),
            "seconds_per_epoch_full_splits": round(full_epoch, 1),
        }
        each = ", ".join(f"{value:.1f}" for value in epoch_seconds)
        log(
            f"{name}: {seconds:.1f} s per epoch of {train_photos} training and {validation_photos} validation photos "
            f"(epochs took {each} s); for {full_train:,} and {full_validation:,}: about {full_epoch / 60:.0f} minutes"
        )

    timed_fit("frozen", 1e-4)
    chapter["unfreeze_last_block"](model)
    timed_fit("fine_tuning", 1e-5)
    base.predict(inputs["test"].take(1), verbose=0)  # warm up: build the graph outside the timing
    started, photos = time.perf_counter(), 0
    for split in ("train", "validation", "test"):
        for images, _ in pipelines.with_images(datasets[split], preprocess_input):
            base.predict_on_batch(images)
            photos += int(images.shape[0])
    seconds = time.perf_counter() - started
    figures["extraction"] = {
        "photos": photos,
        "seconds": round(seconds, 1),
        "photos_per_second": round(photos / seconds, 1),
    }
    log(f"bottleneck extraction: {photos} photos in {seconds:.1f} s = {photos / seconds:.1f} photos/s")
    write_json(json_out, figures)
    return figures
