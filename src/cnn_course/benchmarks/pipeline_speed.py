"""``cnn-course benchmark pipeline``: a naive photo loader against tf.data, on any folder."""

from __future__ import annotations

from pathlib import Path

from cnn_course.errors import CourseError

CHAPTER = None
ALIASES = ("pipeline",)
SUMMARY = "a naive photo loader against tf.data on a folder of class subfolders (Chapter 3's pipelines)"


def add_arguments(parser) -> None:
    parser.add_argument("--source", help="a folder with one subfolder of photos per class")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the folder per pipeline")


def run(root: Path, args) -> int:
    from cnn_course import pipelines

    if not args.source:
        raise CourseError("benchmark pipeline needs --source: a folder with one subfolder of photos per class")
    print(pipelines.format_comparison(pipelines.compare(args.source, epochs=args.epochs)))
    return 0
