"""``cnn-course benchmark pipeline``: a naive photo loader against tf.data, on any folder."""

from __future__ import annotations

from pathlib import Path

from cnn_course.benchmarks.common import command
from cnn_course.errors import CourseError
from cnn_course.options import add_option

CHAPTER = None
ALIASES = ("pipeline",)
SUMMARY = "a naive photo loader against tf.data on a folder of class subfolders (Chapter 3's pipelines)"


def add_arguments(parser) -> None:
    add_option(parser, pipeline_speed, "source", "a folder with one subfolder of photos per class")
    add_option(parser, pipeline_speed, "epochs", "passes over the folder per pipeline", type=int)


def pipeline_speed(source: str | None = None, epochs: int = 3, log=print) -> dict:
    """Time the pipelines on the photos in ``source``: the table, the ratio, and their figures."""
    if not source:
        raise CourseError("benchmark pipeline needs --source: a folder with one subfolder of photos per class")
    return compare_pipelines(Path(source), epochs, log=log)


def compare_pipelines(folder: Path, epochs: int, log=print) -> dict:
    """The naive loader and tf.data side by side on ``folder``: their rates and the ratio."""
    from cnn_course import pipelines

    timings = pipelines.compare(folder, epochs=epochs, log=log)
    log(pipelines.format_comparison(timings))
    ratio = timings[1].images_per_second / timings[0].images_per_second
    log(f"tf.data pipeline vs naive loader, the same work per photo: {ratio:.1f}x")
    return {
        "pipelines": [{"name": t.name, "images_per_second": round(t.images_per_second, 1)} for t in timings],
        "pipeline_ratio": round(ratio, 2),
    }


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = pipeline_speed
run = command(MEASURE)
