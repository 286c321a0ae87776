"""``cnn-course benchmark 03`` (alias ``catsdogs``): Chapter 3's two models on the same photos,
then the photo pipelines side by side."""

from __future__ import annotations

from pathlib import Path

from cnn_course.benchmarks.common import format_results, hardware, side_by_side, write_json

CHAPTER = "03"
ALIASES = ("catsdogs",)
SUMMARY = "Chapter 3: the first and the better cats-vs-dogs CNN, then the tf.data/naive pipeline ratio"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--source", help="a folder with train/, validation/ and test/, each with cat/ and dog/ (default: download)"
    )
    parser.add_argument("--epochs-first", type=int, default=60, help="most epochs for the first CNN, which stops early")
    parser.add_argument(
        "--epochs-better", type=int, default=100, help="epochs for the better CNN, its schedule's length"
    )
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training photos per pipeline")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def run(root: Path, args) -> int:
    cats_vs_dogs(
        root,
        source=args.source,
        epochs_first=args.epochs_first,
        epochs_better=args.epochs_better,
        pipeline_epochs=args.epochs,
        json_out=args.json,
    )
    return 0


def cats_vs_dogs(
    root: Path,
    source: str | None = None,
    epochs_first: int = 60,
    epochs_better: int = 100,
    pipeline_epochs: int = 3,
    seed: int = 0,
    json_out: Path | None = None,
    log=print,
) -> dict:
    """Chapter 3's two models on the same photos (test accuracy), then the pipeline speed ratio."""
    import keras

    from cnn_course import pipelines
    from cnn_course.authoring.namespace import chapter_namespace
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(source, log=log)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=seed)
    chapter = chapter_namespace(root, CHAPTER, ("build_first_cnn", "build_augmentation"), tags=("benchmark",))
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
        return model.fit(
            train_augmented, validation_data=datasets["validation"], epochs=epochs, callbacks=callbacks, verbose=2
        )

    results = side_by_side(
        (("first CNN", first), ("better CNN", better)),
        train,
        lambda model: model.evaluate(datasets["test"], verbose=0)[1],
        int(photo_set.counts.loc["train", "total"]),
        seed,
        log,
    )
    log(format_results(results, "test accuracy"))
    log("pipelines, side by side on the training photos:")
    timings = pipelines.compare(photo_set.root / "train", epochs=pipeline_epochs, log=log)
    log(pipelines.format_comparison(timings))
    ratio = timings[1].images_per_second / timings[0].images_per_second
    log(f"tf.data pipeline vs naive loader: {ratio:.1f}x")
    figures = {
        "hardware": hardware(),
        "counts": photo_set.counts.to_dict(),
        "results": results,
        "pipelines": [{"name": t.name, "images_per_second": round(t.images_per_second, 1)} for t in timings],
        "pipeline_ratio": round(ratio, 2),
    }
    write_json(json_out, figures)
    return figures
