"""The ``cnn-course`` command: build the release, run a chapter, grade submissions, benchmark.

The console script is installed with the learner package (Colab included), so building the
parser imports nothing beyond the standard library and the course's own light modules. Each
command imports its tools when it runs; one that needs the ``instructor`` extra and finds it
missing says which ``pip install`` to run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnn_course.errors import CourseError

# What the instructor extra brings; a command that needs one of these says how to install it.
INSTRUCTOR_PACKAGES = {
    "nbgrader",
    "jupytext",
    "nbformat",
    "nbclient",
    "nbconvert",
    "traitlets",
    "IPython",
    "ipykernel",
    "jupyter_client",
}
INSTALL_INSTRUCTOR = 'pip install "cnn-course[instructor]"  (from a clone: pip install -e ".[instructor]")'


def command_build(args: argparse.Namespace) -> int:
    from cnn_course.authoring.build import build
    from cnn_course.kernels.quiet import quiet_kernel_logs

    with quiet_kernel_logs():  # the kernels' TensorFlow start-up log ("failed call to cuInit") is noise here
        result = build(args.course, out=args.out, execute=not args.no_execute)
    print(f"{len(result.written)} files written, {len(result.changed)} changed")
    for path in result.changed:
        print(f"  changed: {path}")
    return 0


def command_run(args: argparse.Namespace) -> int:
    from cnn_course.authoring.run import run_chapter
    from cnn_course.kernels.quiet import quiet_kernel_logs

    settings = dict(setting.split("=", 1) for setting in args.set)
    if args.site and args.smoke:
        raise CourseError("--site keeps a full run for the website's page; leave out --smoke")
    # The kernel's TensorFlow start-up log ("failed call to cuInit") is noise here, and so is
    # this process's own when keeping the run imports TensorFlow.
    with quiet_kernel_logs():
        report = run_chapter(
            args.course,
            args.chapter,
            smoke=args.smoke,
            out_dir=args.out,
            cell_timeout=args.timeout,
            settings=settings,
        )
        if args.site:
            from cnn_course.authoring.site.runs import keep_run

            chapter = args.course.chapter(args.chapter)
            kept = keep_run(args.course.root, chapter, report.notebook, report.seconds, settings, note=args.note)
            print(f"kept for the website: {kept} (rebuild the site with `cnn-course site DIR`)")
    return 1 if report.errors and not args.site else 0


def command_publish(args: argparse.Namespace) -> int:
    from cnn_course.authoring.publish import publish

    publish(args.course, args.out, repository=args.repository, branch=args.branch)
    return 0


def command_site(args: argparse.Namespace) -> int:
    from cnn_course.authoring.site.build import build_site

    course = args.course
    links = None
    if args.repository or course.config.public_repository:
        from cnn_course.authoring.publish import public_config

        links = public_config(course, args.repository, args.branch)
    build_site(args.out, course, links)
    return 0


def command_grade(args: argparse.Namespace) -> int:
    from cnn_course.grading.batch import grade_path

    grade_path(
        args.submissions,
        out_csv=args.out,
        course=args.course,
        feedback_dir=args.feedback,
        cell_timeout=args.timeout,
        chapter=args.chapter,
        id_pattern=args.id_pattern,
        jobs=args.jobs,
        roster=args.roster,
        wide_csv=args.wide,
        show_hidden=args.show_hidden_tests,
        allow_in_repository=args.allow_in_repository,
        gradebook=args.gradebook,
        gradebook_column=args.gradebook_column,
        missing_zero=args.missing_zero,
        due=args.due,
        **({"late_penalty": args.late_penalty} if "late_penalty" in args else {}),
    )
    return 0


def command_benchmark(args: argparse.Namespace) -> int:
    return args.benchmark.run(args.course, args)


def _setting(text: str) -> str:
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier() or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. TRAIN_MODELS=False, got {text!r}")
    return text


def _add_benchmarks(commands) -> None:
    from cnn_course import benchmarks

    bench = commands.add_parser(
        "benchmark",
        help="measure a chapter's training on this machine",
        description="Train a chapter's own models and report accuracy, time and hardware. "
        "Name the benchmark by chapter number (02) or by its older name.",
    )
    kinds = bench.add_subparsers(dest="benchmark_name", required=True, metavar="NN")
    for module in benchmarks.modules():
        first, *aliases = benchmarks.names(module)
        parser = kinds.add_parser(first, aliases=aliases, help=module.SUMMARY, description=module.SUMMARY)
        module.add_arguments(parser)
        parser.set_defaults(handler=command_benchmark, benchmark=module)


def _add_build(commands) -> None:
    build = commands.add_parser("build", help="regenerate solutions/*.ipynb, notebooks/ and the README badges")
    build.add_argument("--out", type=Path, help="write into this folder instead of the course folder")
    build.add_argument(
        "--no-execute", action="store_true", help="skip running each solution notebook against its own tests (faster)"
    )
    build.set_defaults(handler=command_build)


def _add_run(commands) -> None:
    from cnn_course.authoring import RUN_CELL_TIMEOUT, RUNS_FOLDER

    run = commands.add_parser("run", help="execute a chapter's solution notebook top to bottom")
    run.add_argument("chapter", help="chapter number, e.g. 01")
    run.add_argument("--smoke", action="store_true", help="small data and few epochs (CNN_COURSE_SMOKE=1)")
    run.add_argument(
        "--out", type=Path, default=RUNS_FOLDER, help=f"where the executed copy goes (default: {RUNS_FOLDER}/)"
    )
    run.add_argument(
        "--timeout",
        type=int,
        default=RUN_CELL_TIMEOUT,
        help=f"seconds one cell may run before it is stopped (default: {RUN_CELL_TIMEOUT})",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_setting,
        help="change one of the chapter's settings for this run, e.g. TRAIN_MODELS=False (repeatable)",
    )
    run.add_argument(
        "--site",
        action="store_true",
        help="keep this run as the chapter's page on the website (site/runs/); a failing cell ends its outputs there",
    )
    run.add_argument("--note", default="", help="with --site: a sentence the page shows about this run, e.g. its data")
    run.set_defaults(handler=command_run)


def _add_publish_and_site(commands) -> None:
    publish = commands.add_parser(
        "publish",
        help="write the student tree of a graded class (no answers, no hidden tests) for a public repository",
    )
    publish.add_argument("out", type=Path, help="an empty folder, or a clone of the public repository")
    publish.add_argument("--repository", help="the public repository's address (default: public_repository)")
    publish.add_argument("--branch", help="its branch (default: public_branch, else main)")
    publish.set_defaults(handler=command_publish)

    site = commands.add_parser(
        "site", help="build the course's website: every chapter with the outputs of its kept run (site/runs/)"
    )
    site.add_argument("out", type=Path, help="an empty folder, or one an earlier `cnn-course site` wrote")
    site.add_argument(
        "--repository",
        help="the repository the pages open in Colab (default: public_repository if set, else the course's own)",
    )
    site.add_argument("--branch", help="its branch (default: public_branch, else main)")
    site.set_defaults(handler=command_site)


def _add_grade(commands) -> None:
    from cnn_course.grading import DEFAULT_CELL_TIMEOUT
    from cnn_course.grading.intake import DEFAULT_ID_PATTERN
    from cnn_course.grading.roster import roster_columns_text

    grade = commands.add_parser("grade", help="autograde a folder of submissions with nbgrader")
    grade.add_argument(
        "submissions",
        type=Path,
        help="a folder or a .zip: one notebook or one folder per student, or names with the id in them",
    )
    grade.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (default: grades.csv)")
    grade.add_argument("--feedback", type=Path, help="folder for the HTML feedback (default: feedback/ beside the CSV)")
    grade.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT,
        help=f"seconds one cell of a submission may run before it is stopped (default: {DEFAULT_CELL_TIMEOUT})",
    )
    grade.add_argument("--chapter", help="grade every submission as this chapter (default: detected per notebook)")
    grade.add_argument(
        "--id-pattern",
        default=DEFAULT_ID_PATTERN,
        help="how to find the student id in a file or folder name: 'canvas' or 'moodle' for their "
        "downloads (the platform's own id, and the late flag), or a regular expression with a group "
        "(?P<student>...) and optionally (?P<late>...) (default: the whole name is the id)",
    )
    grade.add_argument(
        "--jobs",
        type=int,
        help="notebooks graded side by side, each with its own guard and time limits (default: one per core)",
    )
    grade.add_argument(
        "--roster",
        type=Path,
        help="a CSV of the class, its id column one of "
        + roster_columns_text().replace("`", "")
        + ": every student gets a row, 'missing' where nothing came",
    )
    grade.add_argument(
        "--wide", type=Path, metavar="CSV", help="also write one row per student, one column per graded cell"
    )
    _add_grade_outputs(grade)
    grade.set_defaults(handler=command_grade)


def _add_grade_outputs(grade) -> None:
    """What ``grade`` writes besides the CSV and what it does with late work."""
    grade.add_argument(
        "--show-hidden-tests",
        action="store_true",
        help="show the hidden tests' source in the feedback pages (default: students see only the "
        "tests they were handed and each failed check's message)",
    )
    grade.add_argument(
        "--gradebook",
        type=Path,
        metavar="CSV",
        help="write the --roster file, a Canvas gradebook export or a Moodle grading worksheet, with the "
        "scores filled in, ready to import",
    )
    grade.add_argument(
        "--gradebook-column",
        metavar="NAME",
        help="the Canvas assignment column to fill (part of its header; default: the column whose header names the "
        "chapter, e.g. 'Chapter 1'; refused when none or several do)",
    )
    grade.add_argument(
        "--missing-zero",
        action="store_true",
        help="with --gradebook: 0 for a student on the roster who handed in nothing and has no grade yet "
        "(default: such cells stay as they are; a grade the export holds is only ever replaced by a new score)",
    )
    grade.add_argument(
        "--late-penalty",
        type=float,
        default=argparse.SUPPRESS,  # grade_path's own default (none) applies
        metavar="PERCENT",
        help="a late notebook loses this percent of its score (default: 0); the feedback page says so",
    )
    grade.add_argument(
        "--due",
        metavar="WHEN",
        help="the deadline, e.g. '2026-12-01 23:59' (local time) or with a zone: a notebook saved after it is "
        "late (the time the zip or folder records; for downloads without a late flag, such as Moodle's)",
    )
    grade.add_argument(
        "--allow-in-repository",
        action="store_true",
        help="write grades and feedback inside a git repository even where .gitignore does not cover them "
        "(default: refuse, so a commit cannot publish students' grades)",
    )


def make_parser() -> argparse.ArgumentParser:
    # The docstring's first line, without reStructuredText's double backticks (``--help`` is plain text).
    parser = argparse.ArgumentParser(prog="cnn-course", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("--root", type=Path, help="the course folder (default: found from the working folder)")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_build, _add_run, _add_publish_and_site, _add_grade, _add_benchmarks):
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        from cnn_course.course.course import Course

        args.course = Course.at(args.root)  # every command works on the course checkout
        return args.handler(args)
    except CourseError as error:
        print(f"cnn-course {args.command}: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in INSTRUCTOR_PACKAGES:
            raise
        print(
            f"cnn-course {args.command} needs the instructor tools ({error.name} is not installed). "
            f"Install them with:\n  {INSTALL_INSTRUCTOR}",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
