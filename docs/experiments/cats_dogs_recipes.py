"""Issue 37, cats vs dogs: a variant of Chapter 3's better CNN against the chapter's own run, side by side.

An experiment, not a course tool. Issue 37 asks for 92% on the learner's 500 test photos
within 30 minutes of this project's 2-core machine, where the chapter's recipe (112x112 working
size, 72 epochs) takes about 58 minutes. A variant changes what the options say and keeps the
rest of the chapter's recipe (its model, AdamW schedule, augmentation and test-time flips):

- ``--epochs N``: the variant's schedule, squeezed or stretched into N epochs;
- ``--working-size S``: the size the model resizes every photo to (the chapter's is 112), which
  sets most of the compute (each layer's work grows with its pixels);
- ``--finish-size S --finish-epochs N``: progressive resizing; the last N of the epochs train at
  working size S (a copy of the model built for S takes over the weights and the optimizer's
  state, step count included, so the schedule runs on as one);
- ``--width F``: every layer's filters times F (0.75: 24, then 48, 96 and 192), which scales
  the multiplications by about F squared;
- ``--lookahead``: every 5 steps the weights (batch-norm statistics included) move to a running
  average whose decay grows as 0.95**5 * progress**3; training ends on the average (the
  CIFAR-10 experiment's callback).

``--baseline`` then trains the chapter's recipe as the chapter runs it (``--baseline N``: for
N epochs) on the same photos with the same seed, and prints the compute ratio:
each recipe's mean epoch after the first times its epochs (``--baseline 8`` is enough to time
today's epochs). Each run is timed by whole epochs (``benchmarks.common.timed_fit``) and scored on
the learner's 500 validation and 500 test photos apart, plain and with test-time flips.

Run: ``python docs/experiments/cats_dogs_recipes.py CATS_DOGS_SOURCE [options] [--baseline]``.
The results, with hardware, date and commit, are in docs/benchmarks.md ("Issue 37").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cifar10_airbench_recipe import Lookahead  # noqa: E402  (the same callback as the CIFAR-10 runs)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the cats-vs-dogs zip or folder")
    parser.add_argument("--epochs", type=int, help="the variant's epochs (default: the chapter's)")
    parser.add_argument(
        "--working-size", type=int, help="the variant's working size in pixels (default: the chapter's)"
    )
    parser.add_argument("--width", type=float, help="the variant's filters, times the chapter's (default 1)")
    parser.add_argument("--finish-size", type=int, help="the working size of the variant's last epochs")
    parser.add_argument("--finish-epochs", type=int, default=0, help="how many of the epochs train at --finish-size")
    parser.add_argument("--lookahead", action="store_true", help="the variant averages its weights as it trains")
    parser.add_argument("--save-weights", type=Path, help="keep the variant's trained weights in this .weights.h5 file")
    parser.add_argument(
        "--baseline",
        type=int,
        nargs="?",
        const=0,
        help="also train the chapter's recipe, for N epochs (default: the chapter's), and print the ratio",
    )
    options = parser.parse_args()
    if options.lookahead and options.finish_epochs:
        parser.error("--lookahead and --finish-epochs do not combine: the average would be of the smaller model")
    return options


def main(options: argparse.Namespace) -> None:
    from cnn_course import pipelines
    from cnn_course.benchmarks.chapter03 import HeldOut
    from cnn_course.benchmarks.common import start_run
    from cnn_course.course.course import Course
    from cnn_course.course.namespace import chapter_namespace
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(options.source)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=0)
    chapter = chapter_namespace(Course.at(ROOT), "03", ("build_augmentation",), tags=("benchmark",))
    augmented = pipelines.augmented(datasets["train"], chapter["build_augmentation"]())
    held_out = HeldOut.of(datasets)
    epochs = options.epochs or chapter["BETTER_EPOCHS"]
    size = options.working_size
    start_run(
        print,
        epochs=epochs,
        working_size=size or "the chapter's",
        width=options.width or 1,
        finish=f"{options.finish_epochs} epochs at {options.finish_size}" if options.finish_epochs else "none",
        lookahead=options.lookahead,
    )
    build = {"working_size": (size, size)} if size else {}
    if options.width:
        build["width"] = options.width
    finish = (options.finish_size, options.finish_epochs) if options.finish_epochs else None
    variant = train(
        "variant", chapter, augmented, held_out, epochs, build, options.lookahead, finish, options.save_weights
    )
    if options.baseline is not None:
        full = chapter["BETTER_EPOCHS"]
        baseline = train("today's recipe", chapter, augmented, held_out, options.baseline or full)
        # As the CIFAR-10 experiment does: mean epoch after the first (the first also traces the
        # model) times the epochs, so a short baseline gives the ratio to today's whole run.
        print(
            f"compute ratio (mean epoch after the first x epochs) of {epochs} variant epochs to today's "
            f"{full}: {variant * epochs / (baseline * full):.3f}",
            flush=True,
        )


def train(
    name: str, chapter: dict, augmented, held_out, epochs: int, build=None, lookahead=False, finish=None, save=None
):
    """Train one recipe from seed 0, print its accuracies and times; return its mean epoch after
    the first (s)."""
    from cnn_course import seeding
    from cnn_course.benchmarks.chapter03 import describe
    from cnn_course.benchmarks.common import timed_fit

    seeding.set_seed(0)
    steps = epochs * int(augmented.cardinality())
    model = compiled(chapter, steps, **(build or {}))
    print(f"--- {name}: {model.count_params():,} parameters, {epochs} epochs, {build or 'chapter size'}", flush=True)
    first_epochs = epochs - (finish[1] if finish else 0)
    callbacks = [Lookahead(steps)] if lookahead else []
    fits = [timed_fit(model, augmented, epochs=first_epochs, callbacks=callbacks)]
    if finish:
        size, finish_epochs = finish
        larger = compiled(chapter, steps, **{**(build or {}), "working_size": (size, size)})
        take_over(model, larger)
        print(f"--- {name}: the last {finish_epochs} epochs at {size}x{size}", flush=True)
        model = larger
        fits.append(timed_fit(model, augmented, epochs=finish_epochs, callbacks=callbacks))
    if save:
        model.save_weights(save)
    plain = held_out.accuracy_of(model)
    flipped = held_out.accuracy(chapter["scores_with_flips"](model, held_out.images))
    seconds = sum(fit.seconds for fit in fits)
    later_epochs = sum(sum(fit.epoch_seconds) for fit in fits) - fits[0].epoch_seconds[0]
    print(
        f"{name}: {describe(plain)}; with flips {describe(flipped)}; {seconds:.0f} s, "
        f"epochs after the first {later_epochs:.0f} s",
        flush=True,
    )
    return later_epochs / (epochs - 1) if epochs > 1 else seconds


def compiled(chapter: dict, total_steps: int, width: float | None = None, **build):
    """The chapter's better CNN (``width`` times as wide), built with ``build``'s options and
    compiled for its schedule."""
    model = scaled_cnn(chapter, width, **build) if width else chapter["build_better_cnn"](**build)
    return chapter["compile_better_cnn"](model, total_steps=total_steps)


def scaled_cnn(chapter: dict, width: float, working_size=(112, 112)):
    """The chapter's better CNN with every layer's filters times ``width``: the chapter's builder
    fixes them, so its layers are repeated here (its ``conv_group`` is the chapter's own)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(150, 150, 3))
    x = layers.Resizing(*working_size)(inputs)
    x = layers.Rescaling(1 / 255)(x)
    x = layers.Conv2D(round(32 * width), 3, padding="same", use_bias=False)(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("gelu")(x)
    for filters in (64, 128, 256):
        x = chapter["conv_group"](x, round(filters * width))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="better_cnn")


def take_over(trained, larger) -> None:
    """``larger`` (the same layers, another working size) continues where ``trained`` stopped:
    its weights, and the optimizer's moments and step count, so the schedule runs on."""
    larger.set_weights(trained.get_weights())
    larger.optimizer.build(larger.trainable_variables)
    for source, target in zip(trained.optimizer.variables, larger.optimizer.variables, strict=True):
        target.assign(source)


if __name__ == "__main__":
    main(arguments())
