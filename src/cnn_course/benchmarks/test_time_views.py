"""``cnn-course benchmark views``: Chapter 2's test-time views on a CPU, before and after.

Chapter 2 scores its better CNN with six views per test image (itself and its mirror, each as
it is and moved one pixel diagonally both ways). The earlier cell computed them for every test
image after a plain ``evaluate`` and a flips-only pass: nine passes over the test set. The
chapter's cell now (tagged ``test-time-views``) makes two passes over every image and gives
the four shifted views to a stratified sample on a CPU. Both run here, one after the other,
on the course's trained weights (``models/``) and the same test images.
"""

from __future__ import annotations

import time

from cnn_course.benchmarks.common import command, start_run
from cnn_course.course.course import Course
from cnn_course.options import add_option

CHAPTER = None
ALIASES = ("views",)
SUMMARY = "Chapter 2's test-time views: the earlier nine passes against the chapter's cell, on the trained CNN"


def add_arguments(parser) -> None:
    add_option(
        parser, test_time_views, "source", "the CIFAR-10 archive or a folder of class subfolders", unset="download"
    )


def test_time_views(course: Course, source: str | None = None, log=print) -> dict:
    """Time both ways on the loader's test split; print the accuracies, the times and the ratio."""
    import numpy as np

    from cnn_course.benchmarks.chapter02 import held_out_arrays
    from cnn_course.course.namespace import chapter_namespace, run_tagged_cells
    from cnn_course.course_models import load_weights_quietly

    _, (x_test, y_test) = held_out_arrays(source, None, 0)
    chapter = chapter_namespace(course, "02", tags=("benchmark",))
    model = chapter["compile_better_cnn"](chapter["build_better_cnn"](), total_steps=1)
    load_weights_quietly(model, course.root / "models" / "cifar10_better_cnn.weights.h5")
    labels = y_test.argmax(axis=1)
    figures = start_run(log, test_images=len(labels))

    started = time.perf_counter()  # the earlier cell: evaluate, flips, then all six views of every image
    plain = float(model.evaluate(x_test, y_test, batch_size=1024, verbose=0)[1])
    flipped = float((chapter["predict_with_flips"](model, x_test).argmax(axis=1) == labels).mean())
    six_views = float((chapter["predict_with_flips_and_shifts"](model, x_test).argmax(axis=1) == labels).mean())
    before = time.perf_counter() - started
    log(f"earlier cell: {before:.0f} s; plain {plain:.2%}, flips {flipped:.2%}, flips and shifts {six_views:.2%}")

    chapter.update(better_cnn=model, x_test_scaled=x_test, true_labels=labels, TRAIN_MODELS=False, SEED=0)
    started = time.perf_counter()
    run_tagged_cells(course, "02", "test-time-views", chapter, log=log)
    after = time.perf_counter() - started
    log(
        f"chapter's cell (CPU path, shifts on {len(chapter['sample']):,} images): {after:.0f} s; plain "
        f"{chapter['better_accuracy']:.2%}, flips {chapter['flip_accuracy']:.2%}, "
        f"flips and shifts {chapter['shift_accuracy']:.2%}"
    )
    log(f"the chapter's cell takes {after / before:.2f}x the earlier cell's time ({before / after:.1f}x faster)")
    figures.update(earlier_seconds=round(before, 1), chapter_seconds=round(after, 1), ratio=round(after / before, 3))
    figures.update(
        six_views_on_every_image=round(six_views, 4), six_views_on_sample=round(chapter["shift_accuracy"], 4)
    )
    return {**figures, "gain_over_flips_on_sample": float(np.mean(chapter["gain"]))}


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = test_time_views
run = command(MEASURE)
