"""``cnn-course benchmark cifar10``: train Chapter 2's two models side by side and measure them.

The models come from the chapter itself (the ``build_first_cnn`` answer and the cells
tagged ``benchmark`` in ``solutions/02_cifar10_cnn.py``), so the figures describe exactly
what learners train. Both are trained in one run, on the same held-out split of the
training images, and the report names the hardware.
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
    validation_accuracy: float


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

    from cnn_course import seeding
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

    results = []
    for name, make in (("first CNN", first), ("better CNN", better)):
        seeding.set_seed(seed)
        model, epochs, batch_size, callbacks = make()
        log(f"training the {name} ({model.count_params():,} parameters) for up to {epochs} epochs")
        started = time.perf_counter()
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
                            callbacks=callbacks, verbose=2)
        seconds = time.perf_counter() - started
        _, accuracy = model.evaluate(x_val, y_val, verbose=0)
        ran = len(history.epoch)
        results.append(ModelResult(name, model.count_params(), ran, round(seconds, 1),
                                   round(len(x_train) * ran / seconds, 1), round(float(accuracy), 4)))
    log(format_results(results))
    if json_out:
        Path(json_out).write_text(json.dumps({"hardware": hardware(), "train_images": len(x_train),
                                              "held_out_images": len(x_val),
                                              "results": [asdict(r) for r in results]}, indent=2))
    return results


def format_results(results: list[ModelResult]) -> str:
    lines = [f"{'model':<12} {'parameters':>11} {'epochs':>7} {'wall time':>10} {'images/s':>9} {'held-out acc.':>14}"]
    for r in results:
        lines.append(f"{r.model:<12} {r.parameters:>11,} {r.epochs:>7} {r.seconds:>9.0f}s {r.images_per_second:>9,.0f} "
                     f"{r.validation_accuracy:>14.1%}")
    return "\n".join(lines)
