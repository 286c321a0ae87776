"""Issue 37, cats vs dogs: Chapter 3's better CNN with and without lookahead, side by side.

An experiment, not a course tool. The CIFAR-10 runs (cifar10_airbench_recipe.py) showed that
airbench94's ingredients that do not depend on 32x32 images carry over to Keras; the one that
costs nothing and suits a small set is **lookahead**: every 5 steps the weights (batch-norm
statistics included) move to a running average whose decay grows as 0.95**5 * progress**3, and
training ends on the average. Everything else is Chapter 3's recipe as the chapter runs it
(its model, AdamW schedule, augmentation, 72 epochs, test-time flips), so the two runs differ in
that one callback.

Each run is timed by whole epochs (``benchmarks.common.timed_fit``) and scored on the learner's
500 validation and 500 test photos apart, plain and with test-time flips.

Run: ``python docs/experiments/cats_dogs_lookahead.py CATS_DOGS_SOURCE [EPOCHS]``; the lookahead
run goes first. The results, with hardware, date and commit, are in docs/benchmarks.md ("Issue 37").
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cifar10_airbench_recipe import Lookahead  # noqa: E402  (the same callback as the CIFAR-10 runs)


def main(source: str, epochs: int | None = None) -> None:
    from cnn_course import pipelines, seeding
    from cnn_course.benchmarks.chapter03 import HeldOut, describe
    from cnn_course.benchmarks.common import start_run, timed_fit
    from cnn_course.course.course import Course
    from cnn_course.course.namespace import chapter_namespace
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(source)
    datasets, _ = pipelines.folder_datasets(photo_set.root, seed=0)
    chapter = chapter_namespace(Course.at(ROOT), "03", ("build_augmentation",), tags=("benchmark",))
    augmented = pipelines.augmented(datasets["train"], chapter["build_augmentation"]())
    held_out = HeldOut.of(datasets)
    epochs = epochs or chapter["BETTER_EPOCHS"]
    steps = epochs * int(augmented.cardinality())
    start_run(print, epochs=epochs, steps=steps)
    for name, callbacks in (("lookahead", lambda: [Lookahead(steps)]), ("today's recipe", list)):
        seeding.set_seed(0)
        model = chapter["compile_better_cnn"](chapter["build_better_cnn"](), total_steps=steps)
        print(f"--- {name}: {model.count_params():,} parameters, {epochs} epochs", flush=True)
        fit = timed_fit(model, augmented, epochs=epochs, callbacks=callbacks())
        plain = held_out.accuracy_of(model)
        flipped = held_out.accuracy(chapter["scores_with_flips"](model, held_out.images))
        print(
            f"{name}: {describe(plain)}; with flips {describe(flipped)}; {fit.seconds:.0f} s, "
            f"epochs after the first {sum(fit.epoch_seconds[1:]):.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
