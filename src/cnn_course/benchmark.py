"""``cnn-course benchmark cifar10|catsdogs``: train a chapter's two models side by side.

The models come from the chapter itself (the ``build_first_cnn`` answer and the cells
tagged ``benchmark`` in ``solutions/02_cifar10_cnn.py`` or ``03_cats_vs_dogs_cnn.py``), so
the figures describe exactly what learners train. Both are trained in one run on the same
data, and the report names the hardware.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cnn_course.build import read_source
from cnn_course.cells import grade_id
from cnn_course.project import find_chapter, load_config


@dataclass
class ModelResult:
    model: str
    parameters: int
    epochs: int
    seconds: float
    images_per_second: float
    validation_accuracy: float  # on the held-out split (CIFAR-10) or the test photos (cats vs dogs)


def chapter_namespace(root: Path, number: str, grade_ids: tuple[str, ...], tag: str = "benchmark") -> dict:
    """Run the chapter's cells that define its models, and return what they defined."""
    import keras

    _, notebook = read_source(find_chapter(root, number), load_config(root))
    namespace = {"np": np, "keras": keras, "layers": keras.layers}
    for cell in notebook.cells:
        name = grade_id(cell)
        if cell.cell_type == "code" and (name in grade_ids or tag in cell.metadata.get("tags", [])):
            exec(compile(cell.source, f"<{number} cell {name or tag}>", "exec"), namespace)
    return namespace


def hardware() -> str:
    import tensorflow as tf

    gpus = [tf.config.experimental.get_device_details(d).get("device_name", d.name)
            for d in tf.config.list_physical_devices("GPU")]
    cpu = platform.processor() or platform.machine()
    where = f"GPU: {', '.join(gpus)}" if gpus else "no GPU"
    return f"{where}; CPU: {cpu}, {os.cpu_count()} cores; TensorFlow {tf.__version__}; {platform.platform()}"


def _subset(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if not limit or limit >= len(x):
        return x, y
    from sklearn.model_selection import train_test_split

    x_kept, _, y_kept, _ = train_test_split(x, y, train_size=limit, stratify=y.ravel(), random_state=seed)
    return x_kept, y_kept


def cifar10(root: Path, source: str | None = None, epochs_first: int = 30, epochs_better: int = 40,
            batch_size_first: int = 64, batch_size_better: int = 128, limit: int | None = None,
            validation_fraction: float = 0.1, seed: int = 0, json_out: Path | None = None, log=print) -> list[ModelResult]:
    """Train both models and report validation accuracy, epochs, wall time and images per second."""
    import keras
    from sklearn.model_selection import train_test_split

    from cnn_course.data import load_cifar10

    (x_all, y_all), _, class_names = load_cifar10(source)
    x_all, y_all = _subset(x_all, y_all, limit, seed)
    x_train, x_val, y_train, y_val = train_test_split(x_all, y_all, test_size=validation_fraction,
                                                      stratify=y_all.ravel(), random_state=seed)
    x_train, x_val = x_train.astype("float32") / 255.0, x_val.astype("float32") / 255.0
    y_train, y_val = (keras.utils.to_categorical(y, len(class_names)) for y in (y_train, y_val))
    log(f"CIFAR-10 from {source or 'the default source'}: {len(x_train):,} training and {len(x_val):,} held-out images")
    log(f"hardware: {hardware()}")

    chapter = chapter_namespace(root, "02", ("build_first_cnn",))

    def first():
        model = chapter["build_first_cnn"]()
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
        stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
        return model, epochs_first, batch_size_first, [stop]

    def better():
        steps = epochs_better * -(-len(x_train) // batch_size_better)
        model = chapter["compile_better_cnn"](chapter["build_better_cnn"](), total_steps=steps)
        return model, epochs_better, batch_size_better, []

    def train(model, epochs, batch_size, callbacks):
        return model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
                         callbacks=callbacks, verbose=2)

    results = _side_by_side((("first CNN", first), ("better CNN", better)), train,
                            lambda model: model.evaluate(x_val, y_val, verbose=0)[1], len(x_train), seed, log)
    log(format_results(results, "held-out acc."))
    if json_out:
        Path(json_out).write_text(json.dumps({"hardware": hardware(), "train_images": len(x_train),
                                              "held_out_images": len(x_val),
                                              "results": [asdict(r) for r in results]}, indent=2))
    return results


def _side_by_side(makers, train, accuracy_of, train_images: int, seed: int, log) -> list[ModelResult]:
    """Train each model from the same seed; time it and measure its accuracy."""
    from cnn_course import seeding

    results = []
    for name, make in makers:
        seeding.set_seed(seed)
        model, epochs, batch_size, callbacks = make()
        log(f"training the {name} ({model.count_params():,} parameters) for up to {epochs} epochs")
        started = time.perf_counter()
        history = train(model, epochs, batch_size, callbacks)
        seconds = time.perf_counter() - started
        ran = len(history.epoch)
        results.append(ModelResult(name, model.count_params(), ran, round(seconds, 1),
                                   round(train_images * ran / seconds, 1), round(float(accuracy_of(model)), 4)))
    return results


def cats_vs_dogs(root: Path, source: str | None = None, epochs_first: int = 60, epochs_better: int = 100,
                 pipeline_epochs: int = 3, seed: int = 0, json_out: Path | None = None, log=print) -> dict:
    """Chapter 3's two models on the same photos (test accuracy), then the pipeline speed ratio."""
    import keras

    from cnn_course import pipelines
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(source, log=log)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=seed)
    chapter = chapter_namespace(root, "03", ("build_first_cnn", "build_augmentation"))
    train_augmented = pipelines.augmented(datasets["train"], chapter["build_augmentation"]())
    steps = int(train_augmented.cardinality())
    log(f"cats vs dogs from {source or 'the default source'}:\n{photo_set.counts.to_string()}")
    log(f"hardware: {hardware()}")

    def first():
        stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
        return chapter["compile_first_cnn"](chapter["build_first_cnn"]()), epochs_first, None, [stop]

    def better():
        model = chapter["compile_better_cnn"](chapter["build_better_cnn"](), total_steps=epochs_better * steps)
        return model, epochs_better, None, []

    def train(model, epochs, _, callbacks):
        return model.fit(train_augmented, validation_data=datasets["validation"], epochs=epochs,
                         callbacks=callbacks, verbose=2)

    results = _side_by_side((("first CNN", first), ("better CNN", better)), train,
                            lambda model: model.evaluate(datasets["test"], verbose=0)[1],
                            int(photo_set.counts.loc["train", "total"]), seed, log)
    log(format_results(results, "test accuracy"))
    log("pipelines, side by side on the training photos:")
    timings = pipelines.compare(photo_set.root / "train", epochs=pipeline_epochs, log=log)
    log(pipelines.format_comparison(timings))
    ratio = timings[1].images_per_second / timings[0].images_per_second
    log(f"tf.data pipeline vs naive loader: {ratio:.1f}x")
    figures = {"hardware": hardware(), "counts": photo_set.counts.to_dict(), "results": [asdict(r) for r in results],
               "pipelines": [{"name": t.name, "images_per_second": round(t.images_per_second, 1)} for t in timings],
               "pipeline_ratio": round(ratio, 2)}
    if json_out:
        Path(json_out).write_text(json.dumps(figures, indent=2))
    return figures


def format_results(results: list[ModelResult], accuracy_label: str) -> str:
    lines = [f"{'model':<12} {'parameters':>11} {'epochs':>7} {'wall time':>10} {'images/s':>9} {accuracy_label:>14}"]
    for r in results:
        lines.append(f"{r.model:<12} {r.parameters:>11,} {r.epochs:>7} {r.seconds:>9.0f}s {r.images_per_second:>9,.0f} "
                     f"{r.validation_accuracy:>14.1%}")
    return "\n".join(lines)


def _epoch_timer(seconds: list[float]):
    """A callback that appends each epoch's wall time to ``seconds``."""
    import keras

    started = []
    return keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: started.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: seconds.append(time.perf_counter() - started[-1]))


def vgg16(root: Path, source: str | None = None, weights: str | None = "imagenet", batches: int | None = None,
          epochs: int = 2, seed: int = 0, json_out: Path | None = None, log=print) -> dict:
    """Chapter 4's speeds: seconds per epoch of the frozen model and of fine-tuning, and the
    bottleneck extraction rate. Each training figure is the last of ``epochs`` epochs (the first
    includes building the graph). ``batches`` limits every split to that many batches of 32;
    the time per epoch is then also given for the whole training split. The weights do not
    change the speed, so ``weights=None`` measures it without downloading them."""
    import keras
    from keras.applications.vgg16 import preprocess_input

    from cnn_course import pipelines, seeding
    from cnn_course.data import load_cats_vs_dogs
    from cnn_course.transfer import vgg16_base

    seeding.set_seed(seed)
    photo_set = load_cats_vs_dogs(source, log=log)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=seed)
    if batches:
        datasets = {split: dataset.take(batches) for split, dataset in datasets.items()}
    inputs = {split: pipelines.with_images(dataset, preprocess_input) for split, dataset in datasets.items()}
    inputs["train"] = pipelines.with_images(pipelines.augmented(datasets["train"], pipelines.standard_augmentation(seed)),
                                            preprocess_input)
    train_photos = sum(int(labels.shape[0]) for _, labels in datasets["train"])
    full_train = int(photo_set.counts.loc["train", "total"])
    log(f"hardware: {hardware()}")
    log(f"VGG16 weights: {weights or 'random (the speed is the same)'}; {train_photos} training photos per epoch")

    chapter = chapter_namespace(root, "04", ("build_frozen_model", "unfreeze_last_block"))
    base = vgg16_base((150, 150, 3), weights=weights)
    model = chapter["build_frozen_model"](base)
    figures: dict = {"hardware": hardware(), "weights": weights or "none", "train_photos_per_epoch": train_photos}

    def timed_fit(name: str, learning_rate: float) -> None:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
        epoch_seconds: list[float] = []
        model.fit(inputs["train"], validation_data=inputs["validation"], epochs=epochs,
                  callbacks=[_epoch_timer(epoch_seconds)], verbose=2)
        seconds = epoch_seconds[-1]
        figures[name] = {"seconds_per_epoch": round(seconds, 1),
                         "seconds_per_epoch_full_train_split": round(seconds * full_train / train_photos, 1)}
        log(f"{name}: {seconds:.1f} s per epoch ({train_photos} training photos, with validation)")

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
    figures["extraction"] = {"photos": photos, "seconds": round(seconds, 1), "photos_per_second": round(photos / seconds, 1)}
    log(f"bottleneck extraction: {photos} photos in {seconds:.1f} s = {photos / seconds:.1f} photos/s")
    if json_out:
        Path(json_out).write_text(json.dumps(figures, indent=2))
    return figures
