"""``cnn-course benchmark 02`` (alias ``cifar10``): Chapter 2's two CIFAR-10 models side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnn_course.benchmarks.common import ModelResult, format_results, hardware, side_by_side, write_json

CHAPTER = "02"
ALIASES = ("cifar10",)
SUMMARY = "Chapter 2: the first and the better CIFAR-10 CNN, trained side by side"


def add_arguments(parser) -> None:
    parser.add_argument("--source", help="the CIFAR-10 archive or a folder of class subfolders (default: download)")
    parser.add_argument("--epochs-first", type=int, default=30, help="most epochs for the first CNN, which stops early")
    parser.add_argument(
        "--epochs-better", type=int, default=40, help="epochs for the better CNN, its schedule's length"
    )
    parser.add_argument("--limit", type=int, help="use only this many images, stratified (quick runs)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def run(root: Path, args) -> int:
    cifar10(
        root,
        source=args.source,
        epochs_first=args.epochs_first,
        epochs_better=args.epochs_better,
        limit=args.limit,
        json_out=args.json,
    )
    return 0


def _subset(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` images, the same share of every class."""
    from cnn_course.data.splits import stratified_parts

    if not limit or limit >= len(x):
        return x, y
    kept = stratified_parts(y, {"kept": limit / len(x), "rest": 1 - limit / len(x)}, seed)["kept"]
    return x[kept], y[kept]


def cifar10(
    root: Path,
    source: str | None = None,
    epochs_first: int = 30,
    epochs_better: int = 40,
    batch_size_first: int = 64,
    batch_size_better: int = 128,
    limit: int | None = None,
    validation_fraction: float = 0.1,
    seed: int = 0,
    json_out: Path | None = None,
    log=print,
) -> list[ModelResult]:
    """Train both models and report validation accuracy, epochs, wall time and images per second."""
    import keras

    from cnn_course.authoring.namespace import chapter_namespace
    from cnn_course.data import load_cifar10
    from cnn_course.data.splits import stratified_split

    (x_all, y_all), _, class_names = load_cifar10(source)
    x_all, y_all = _subset(x_all, y_all, limit, seed)
    (x_train, y_train), (x_val, y_val) = stratified_split(x_all, y_all, validation_fraction, seed)
    x_train, x_val = x_train.astype("float32") / 255.0, x_val.astype("float32") / 255.0
    y_train, y_val = (keras.utils.to_categorical(y, len(class_names)) for y in (y_train, y_val))
    log(f"CIFAR-10 from {source or 'the default source'}: {len(x_train):,} training and {len(x_val):,} held-out images")
    log(f"hardware: {hardware()}")

    chapter = chapter_namespace(root, CHAPTER, ("build_first_cnn",), tags=("benchmark",))

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
        return model.fit(
            x_train,
            y_train,
            validation_data=(x_val, y_val),
            epochs=epochs,
            batch_size=batch_size,
            callbacks=callbacks,
            verbose=2,
        )

    results = side_by_side(
        (("first CNN", first), ("better CNN", better)),
        train,
        lambda model: model.evaluate(x_val, y_val, verbose=0)[1],
        len(x_train),
        seed,
        log,
    )
    log(format_results(results, "held-out acc."))
    write_json(
        json_out,
        {"hardware": hardware(), "train_images": len(x_train), "held_out_images": len(x_val), "results": results},
    )
    return results
