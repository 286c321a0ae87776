"""The ``cnn-course`` command: build the release, run a chapter, grade submissions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnn_course.project import CourseError, find_root


def _root(args: argparse.Namespace) -> Path:
    return find_root(args.root) if args.root else find_root()


def command_build(args: argparse.Namespace) -> int:
    from cnn_course.build import build

    result = build(_root(args), out=args.out, execute=not args.no_execute)
    print(f"{len(result.written)} files written, {len(result.changed)} changed")
    for path in result.changed:
        print(f"  changed: {path}")
    return 0


def command_run(args: argparse.Namespace) -> int:
    from cnn_course.runner import run_chapter

    report = run_chapter(_root(args), args.chapter, smoke=args.smoke, out_dir=args.out, cell_timeout=args.timeout)
    return 1 if report.errors else 0


def command_grade(args: argparse.Namespace) -> int:
    from cnn_course.grading import grade_path

    grade_path(args.submissions, out_csv=args.out, root=_root(args), feedback_dir=args.feedback,
               cell_timeout=args.timeout, chapter=args.chapter, id_pattern=args.id_pattern)
    return 0


def command_benchmark(args: argparse.Namespace) -> int:
    if args.dataset == "pipeline":
        from cnn_course import pipelines

        if not args.source:
            raise CourseError("benchmark pipeline needs --source: a folder with one subfolder of photos per class")
        print(pipelines.format_comparison(pipelines.compare(args.source, epochs=args.epochs or 3)))
        return 0
    from cnn_course import benchmark

    if args.dataset == "vgg16":
        weights = None if args.weights == "none" else args.weights
        benchmark.vgg16(_root(args), source=args.source, weights=weights, batches=args.batches,
                        epochs=args.epochs or 2, json_out=args.json)
        return 0
    if args.dataset == "catsdogs":
        benchmark.cats_vs_dogs(_root(args), source=args.source, epochs_first=args.epochs_first or 60,
                               epochs_better=args.epochs_better or 100, pipeline_epochs=args.epochs or 3, json_out=args.json)
        return 0
    benchmark.cifar10(_root(args), source=args.source, epochs_first=args.epochs_first or 30,
                      epochs_better=args.epochs_better or 40, limit=args.limit, json_out=args.json)
    return 0


def make_parser() -> argparse.ArgumentParser:
    from cnn_course.grading import DEFAULT_CELL_TIMEOUT, DEFAULT_ID_PATTERN

    parser = argparse.ArgumentParser(prog="cnn-course", description=__doc__)
    parser.add_argument("--root", type=Path, help="the course folder (default: found from the working folder)")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="regenerate solutions/*.ipynb, notebooks/ and the README badges")
    build.add_argument("--out", type=Path, help="write into this folder instead of the course folder")
    build.add_argument("--no-execute", action="store_true",
                       help="skip running each solution notebook against its own tests (faster)")
    build.set_defaults(handler=command_build)

    run = commands.add_parser("run", help="execute a chapter's solution notebook top to bottom")
    run.add_argument("chapter", help="chapter number, e.g. 01")
    run.add_argument("--smoke", action="store_true", help="small data and few epochs (CNN_COURSE_SMOKE=1)")
    run.add_argument("--out", type=Path, default=Path("runs"), help="where the executed copy goes (default: runs/)")
    run.add_argument("--timeout", type=int, default=3600, help="seconds one cell may run before it is stopped")
    run.set_defaults(handler=command_run)

    grade = commands.add_parser("grade", help="autograde a folder of submissions with nbgrader")
    grade.add_argument("submissions", type=Path,
                       help="a folder or a .zip: one notebook or one folder per student, or names with the id in them")
    grade.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (default: grades.csv)")
    grade.add_argument("--feedback", type=Path, help="folder for the HTML feedback (default: feedback/ beside the CSV)")
    grade.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT,
                       help=f"seconds one cell of a submission may run before it is stopped (default: {DEFAULT_CELL_TIMEOUT})")
    grade.add_argument("--chapter", help="grade every submission as this chapter (default: detected per notebook)")
    grade.add_argument("--id-pattern", default=DEFAULT_ID_PATTERN,
                       help="regular expression with a group (?P<student>...) that finds the student id in a "
                            "file or folder name (default: the whole name), e.g. '^(?P<student>[a-z]+)_' for Canvas")
    grade.set_defaults(handler=command_grade)
    bench = commands.add_parser("benchmark", help="train a chapter's models side by side and report the figures")
    bench.add_argument("dataset", choices=["cifar10", "catsdogs", "vgg16", "pipeline"],
                       help="cifar10: Chapter 2's two models; catsdogs: Chapter 3's two models and the pipeline "
                            "ratio; vgg16: Chapter 4's epoch times and extraction speed; pipeline: a naive photo "
                            "loader against tf.data")
    bench.add_argument("--source", help="an archive or a folder of class subfolders (default: download)")
    bench.add_argument("--epochs-first", type=int,
                       help="most epochs for the first CNN, which stops early (default: 30 cifar10, 60 catsdogs)")
    bench.add_argument("--epochs-better", type=int,
                       help="epochs for the better CNN, its schedule's length (default: 40 cifar10, 100 catsdogs)")
    bench.add_argument("--limit", type=int, help="use only this many images, stratified (quick runs)")
    bench.add_argument("--epochs", type=int,
                       help="pipeline, catsdogs: passes over the folder per pipeline (default 3); "
                            "vgg16: epochs per timed run, the last one counts (default 2)")
    bench.add_argument("--weights", default="imagenet",
                       help="vgg16: 'imagenet', a local weights file, or 'none' (random weights, same speed)")
    bench.add_argument("--batches", type=int, help="vgg16: use only this many batches of 32 per split")
    bench.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    bench.set_defaults(handler=command_benchmark)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CourseError as error:
        print(f"cnn-course {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
