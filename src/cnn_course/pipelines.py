"""Input pipelines for photo folders, and a side-by-side speed measurement.

:func:`folder_datasets` reads ``<root>/<split>/<class>/`` with
``keras.utils.image_dataset_from_directory``, decodes every photo once into a cache and
prefetches the next batch while the model trains (Chapter 3 builds the same pipeline in
the open first). :func:`naive_batches` is the way the old Keras ``ImageDataGenerator`` fed
models: one photo at a time in Python, decoded, resized and transformed again every epoch.
:func:`compare` times them on the same folder in one run, like with like.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_course.data.photo_folders import photos_in


def standard_augmentation(seed: int = 0):
    """The augmentation the chapters use: rotations up to 30°, shifts and zoom of 20%, flips."""
    import keras

    return keras.Sequential(
        [
            keras.layers.RandomRotation(30 / 360, fill_mode="nearest", seed=seed),
            keras.layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", seed=seed),
            keras.layers.RandomZoom(0.2, fill_mode="nearest", seed=seed),
            keras.layers.RandomFlip("horizontal", seed=seed),
        ],
        name="augmentation",
    )


def folder_datasets(
    root: Path,
    image_size: tuple[int, int] = (150, 150),
    batch_size: int = 32,
    splits: tuple[str, ...] = ("train", "validation", "test"),
    seed: int = 0,
    cache: bool = True,
) -> tuple[dict, list[str]]:
    """``({split: tf.data.Dataset of (images 0..255, labels 0/1)}, class_names)``.

    Photos are decoded once into the cache, *then* the training split is shuffled and
    batched, so every epoch sees a new order and new batches (caching batches that were
    shuffled once would replay the same ones every epoch). Validation and test keep the
    folder order, so predictions line up with their labels.
    """
    import keras
    import tensorflow as tf

    datasets, class_names = {}, None
    for split in splits:
        photos = keras.utils.image_dataset_from_directory(
            Path(root) / split,
            label_mode="binary",
            image_size=image_size,
            batch_size=None,
            shuffle=False,
            verbose=False,
        )
        class_names = class_names or photos.class_names
        if cache:
            photos = photos.cache()
        if split == "train":
            photos = photos.shuffle(int(photos.cardinality()), seed=seed, reshuffle_each_iteration=True)
        datasets[split] = photos.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return datasets, class_names


def with_images(dataset, function):
    """Apply ``function`` to the images of every batch (labels untouched), several batches at once."""
    import tensorflow as tf

    return dataset.map(lambda images, labels: (function(images), labels), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )


def augmented(dataset, augmentation):
    """Apply augmentation layers (in training mode) to every batch."""
    return with_images(dataset, lambda images: augmentation(images, training=True))


def _random_affine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One photo rotated, shifted, zoomed and maybe flipped the way the old ImageDataGenerator
    did it: the transforms composed into one matrix, applied with SciPy to each channel of a
    float32 array, with the nearest edge pixel filling the corners."""
    from scipy import ndimage

    height, width = image.shape[:2]
    angle = np.deg2rad(rng.uniform(-30, 30))
    zoom = rng.uniform(0.8, 1.2)
    shift = (rng.uniform(-0.2, 0.2) * height, rng.uniform(-0.2, 0.2) * width)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotation @ np.diag([zoom, zoom])
    centre = np.array([height / 2 - 0.5, width / 2 - 0.5])
    offset = centre - matrix @ centre + shift
    channels = [
        ndimage.affine_transform(image[..., c], matrix, offset, order=1, mode="nearest") for c in range(image.shape[-1])
    ]
    out = np.stack(channels, axis=-1)
    return out[:, ::-1] if rng.random() < 0.5 else out


def naive_batches(
    folder: Path, image_size: tuple[int, int] = (150, 150), batch_size: int = 32, augment: bool = True, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of (images, labels) batches, each photo opened and transformed in Python."""
    from PIL import Image

    classes = sorted(p.name for p in Path(folder).iterdir() if p.is_dir())
    files = [(path, label) for label, name in enumerate(classes) for path in photos_in(Path(folder) / name)]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(files))
    height, width = image_size
    for start in range(0, len(order), batch_size):
        images, labels = [], []
        for index in order[start : start + batch_size]:
            path, label = files[index]
            with Image.open(path) as photo:
                pixels = np.asarray(photo.convert("RGB").resize((width, height), Image.BILINEAR), dtype=np.float32)
            images.append(_random_affine(pixels, rng) if augment else pixels)
            labels.append(label)
        yield np.stack(images), np.asarray(labels, dtype=np.float32)


@dataclass
class PipelineTiming:
    name: str
    images: int
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds


def _time_epochs(batches_per_epoch, epochs: int) -> tuple[int, float]:
    images, started = 0, time.perf_counter()
    for epoch in range(epochs):
        for batch_images, _ in batches_per_epoch(epoch):
            images += len(batch_images)
    return images, time.perf_counter() - started


def _tf_data_batches(folder: Path, image_size, batch_size: int, cache: bool):
    """The chapter's pipeline on one folder: decode, (cache,) shuffle, batch, augment in parallel, prefetch."""
    import keras

    photos = keras.utils.image_dataset_from_directory(
        folder, label_mode="binary", image_size=image_size, batch_size=None, shuffle=False, verbose=False
    )
    if cache:
        photos = photos.cache()
    photos = photos.shuffle(int(photos.cardinality()), seed=0, reshuffle_each_iteration=True).batch(batch_size)
    return augmented(photos, standard_augmentation())


def compare(
    folder: Path, epochs: int = 3, image_size: tuple[int, int] = (150, 150), batch_size: int = 32, log=print
) -> list[PipelineTiming]:
    """Time three pipelines over ``epochs`` passes of the same folder, all with the same augmentation:
    the naive loader; tf.data doing the same work per photo (decode, resize and augment every
    epoch) but in parallel and ahead of time; tf.data with the cache, which decodes each photo once."""
    folder = Path(folder)
    naive = PipelineTiming(
        "naive: one photo at a time in Python",
        *_time_epochs(lambda epoch: naive_batches(folder, image_size, batch_size, seed=epoch), epochs),
    )
    log(f"naive loader: {naive.images:,} images in {naive.seconds:.1f} s")
    same_work = _tf_data_batches(folder, image_size, batch_size, cache=False)
    parallel = PipelineTiming("tf.data, same work: parallel, prefetched", *_time_epochs(lambda e: same_work, epochs))
    log(f"tf.data, no cache: {parallel.images:,} images in {parallel.seconds:.1f} s")
    cached_batches = _tf_data_batches(folder, image_size, batch_size, cache=True)
    cached = PipelineTiming("tf.data + cache: decodes each photo once", *_time_epochs(lambda e: cached_batches, epochs))
    log(f"tf.data with cache: {cached.images:,} images in {cached.seconds:.1f} s")
    return [naive, parallel, cached]


def format_comparison(timings: list[PipelineTiming]) -> str:
    naive = timings[0]
    lines = [f"{'pipeline':<52} {'images':>7} {'seconds':>8} {'images/s':>9} {'vs naive':>9}"]
    lines += [
        f"{t.name:<52} {t.images:>7,} {t.seconds:>8.1f} {t.images_per_second:>9,.0f} "
        f"{t.images_per_second / naive.images_per_second:>8.1f}x"
        for t in timings
    ]
    lines.append(f"measured side by side in one run on {os.cpu_count()} CPU cores")
    return "\n".join(lines)
