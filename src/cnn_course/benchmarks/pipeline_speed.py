"""``cnn-course benchmark pipeline``: a naive photo loader against tf.data, on any folder."""

from __future__ import annotations

from pathlib import Path

from cnn_course.benchmarks.common import add_option, options
from cnn_course.errors import CourseError

CHAPTER = None
ALIASES = ("pipeline",)
SUMMARY = "a naive photo loader against tf.data on a folder of class subfolders (Chapter 3's pipelines)"


def add_arguments(parser) -> None:
    add_option(parser, pipeline_speed, "source", "a folder with one subfolder of photos per class")
    add_option(parser, pipeline_speed, "epochs", "passes over the folder per pipeline", type=int)


def run(root: Path, args) -> int:
    pipeline_speed(**options(args, pipeline_speed))
    return 0


def pipeline_speed(source: str | None = None, epochs: int = 3, log=print) -> None:
    """Time both pipelines on the photos in ``source`` and print the table."""
    from cnn_course import pipelines

    if not source:
        raise CourseError("benchmark pipeline needs --source: a folder with one subfolder of photos per class")
    log(pipelines.format_comparison(pipelines.compare(source, epochs=epochs, log=log)))


# What the command calls; its signature holds every option's default (benchmarks.common.add_option).
MEASURE = pipeline_speed
