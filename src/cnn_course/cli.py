"""The ``cnn-course`` command: build the release, run a chapter, grade submissions, benchmark.

Each command is one function of the course's tools, and its options are that function's
parameters (:mod:`cnn_course.options`): a default is written once, in the signature. The console
script is installed with the learner package (Colab included), so the parser declares the
options of the one command named on the command line, importing only that command's tools; one
that needs the ``instructor`` extra and finds it missing says which ``pip install`` to run.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from cnn_course.errors import CourseError
from cnn_course.options import add_option, options

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


def _setting(text: str) -> str:
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier() or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. TRAIN_MODELS=False, got {text!r}")
    return text


def declare_build(parser) -> None:
    from cnn_course.authoring.build import build
    from cnn_course.kernels.quiet import quiet_kernel_logs

    add_option(parser, build, "out", "write into this folder instead of the course folder", type=Path)
    help = "skip running each solution notebook against its own tests (faster)"
    add_option(parser, build, "execute", help, flag="--no-execute", action="store_false")

    def handle(args) -> int:
        with quiet_kernel_logs():  # the kernels' TensorFlow start-up log ("failed call to cuInit") is noise here
            result = build(args.course, **options(args, build))
        print(f"{len(result.written)} files written, {len(result.changed)} changed")
        for path in result.changed:
            print(f"  changed: {path}")
        return 0

    parser.set_defaults(handler=handle)


def declare_run(parser) -> None:
    from cnn_course.authoring.run import run_chapter
    from cnn_course.authoring.site.runs import keep_run
    from cnn_course.kernels.quiet import quiet_kernel_logs

    parser.add_argument("number", metavar="chapter", help="chapter number, e.g. 01")
    add_option(parser, run_chapter, "smoke", "small data and few epochs (CNN_COURSE_SMOKE=1)", action="store_true")
    add_option(parser, run_chapter, "out_dir", "where the executed copy goes", flag="--out", type=Path)
    add_option(
        parser, run_chapter, "cell_timeout", "seconds one cell may run before it is stopped", flag="--timeout", type=int
    )
    help = "change one of the chapter's settings for this run, e.g. TRAIN_MODELS=False (repeatable)"
    add_option(
        parser, run_chapter, "settings", help, flag="--set", action="append", metavar="NAME=VALUE", type=_setting
    )
    parser.add_argument(
        "--site",
        action="store_true",
        help="keep this run as the chapter's page on the website (site/runs/); a failing cell ends its outputs there",
    )
    add_option(parser, keep_run, "note", "with --site: a sentence the page shows about this run, e.g. its data")

    def handle(args) -> int:
        if args.site and args.smoke:
            raise CourseError("--site keeps a full run for the website's page; leave out --smoke")
        args.settings = dict(setting.split("=", 1) for setting in args.settings or [])
        # The kernel's TensorFlow start-up log ("failed call to cuInit") is noise here, and so is
        # this process's own when keeping the run imports TensorFlow.
        with quiet_kernel_logs():
            report = run_chapter(args.course, **options(args, run_chapter))
            if args.site:
                chapter = args.course.chapter(args.number)
                kept = keep_run(
                    args.course.root, chapter, report.notebook, report.seconds, args.settings, note=args.note
                )
                print(f"kept for the website: {kept} (rebuild the site with `cnn-course site DIR`)")
        return 1 if report.errors and not args.site else 0

    parser.set_defaults(handler=handle)


def declare_publish(parser) -> None:
    from cnn_course.authoring.publish import publish

    parser.add_argument("out", type=Path, help="an empty folder, or a clone of the public repository")
    add_option(parser, publish, "repository", "the public repository's address", unset="public_repository")
    add_option(parser, publish, "branch", "its branch", unset="public_branch, else main")

    def handle(args) -> int:
        publish(args.course, **options(args, publish))
        return 0

    parser.set_defaults(handler=handle)


def declare_site(parser) -> None:
    from cnn_course.authoring.publish import public_config
    from cnn_course.authoring.site.build import build_site

    parser.add_argument("out", type=Path, help="an empty folder, or one an earlier `cnn-course site` wrote")
    unset = "public_repository if set, else the course's own"
    add_option(parser, public_config, "repository", "the repository the pages open in Colab", unset=unset)
    add_option(parser, public_config, "branch", "its branch", unset="public_branch, else main")

    def handle(args) -> int:
        public = args.repository or args.course.config.public_repository
        links = public_config(args.course, **options(args, public_config)) if public else None
        build_site(args.out, args.course, links)
        return 0

    parser.set_defaults(handler=handle)


def declare_grade(parser) -> None:
    from cnn_course.grading.batch import grade_path
    from cnn_course.grading.roster import roster_columns_text

    parser.add_argument(
        "submissions",
        type=Path,
        help="a folder or a .zip: one notebook or one folder per student, or names with the id in them",
    )
    parser.add_argument(
        "--out",
        dest="out_csv",
        type=Path,
        default=Path("grades.csv"),
        metavar="CSV",
        help="the CSV to write (default: grades.csv)",
    )
    add = functools.partial(add_option, parser, grade_path)
    add("feedback_dir", "folder for the HTML feedback", flag="--feedback", type=Path, unset="feedback/ beside the CSV")
    add("cell_timeout", "seconds one cell of a submission may run before it is stopped", flag="--timeout", type=int)
    add("chapter", "grade every submission as this chapter", unset="detected per notebook")
    add(
        "id_pattern",
        "how to find the student id in a file or folder name: 'canvas' or 'moodle' for their "
        "downloads (the platform's own id, and the late flag), or a regular expression with a group "
        "(?P<student>...) and optionally (?P<late>...)",
        unset="the whole name is the id",
    )
    add(
        "jobs", "notebooks graded side by side, each with its own guard and time limits", type=int, unset="one per core"
    )
    add(
        "roster",
        "a CSV of the class, its id column one of "
        + roster_columns_text().replace("`", "")
        + ": every student gets a row, 'missing' where nothing came",
        type=Path,
    )
    add(
        "wide_csv",
        "also write one row per student, one column per graded cell",
        flag="--wide",
        type=Path,
        metavar="CSV",
    )
    _declare_grade_outputs(add)

    def handle(args) -> int:
        grade_path(course=args.course, **options(args, grade_path))
        return 0

    parser.set_defaults(handler=handle)


def _declare_grade_outputs(add: Callable) -> None:
    """What ``grade`` writes besides the CSV and what it does with late work."""
    add(
        "show_hidden",
        "show the hidden tests' source in the feedback pages (default: students see only the "
        "tests they were handed and each failed check's message)",
        flag="--show-hidden-tests",
        action="store_true",
    )
    add(
        "gradebook",
        "write the --roster file, a Canvas gradebook export or a Moodle grading worksheet, with the "
        "scores filled in, ready to import",
        type=Path,
        metavar="CSV",
    )
    add(
        "gradebook_column",
        "the Canvas assignment column to fill (part of its header)",
        metavar="NAME",
        unset="the column whose header names the chapter, e.g. 'Chapter 1'; refused when none or several do",
    )
    add(
        "missing_zero",
        "with --gradebook: 0 for a student on the roster who handed in nothing and has no grade yet "
        "(default: such cells stay as they are; a grade the export holds is only ever replaced by a new score)",
        action="store_true",
    )
    add(
        "late_penalty",
        "a late notebook loses this percent of its score; the feedback page says so",
        type=float,
        metavar="PERCENT",
    )
    add(
        "due",
        "the deadline, e.g. '2026-12-01 23:59' (local time) or with a zone: a notebook saved after it is "
        "late (the time the zip or folder records; for downloads without a late flag, such as Moodle's)",
        metavar="WHEN",
    )
    add(
        "allow_in_repository",
        "write grades and feedback inside a git repository even where .gitignore does not "
        "cover them (default: refuse, so a commit cannot publish students' grades)",
        action="store_true",
    )


def declare_benchmark(parser) -> None:
    from cnn_course import benchmarks

    kinds = parser.add_subparsers(dest="benchmark_name", required=True, metavar="NN")
    for module in benchmarks.modules():
        first, *aliases = benchmarks.names(module)
        benchmark = kinds.add_parser(first, aliases=aliases, help=module.SUMMARY, description=module.SUMMARY)
        module.add_arguments(benchmark)
        benchmark.set_defaults(handler=lambda args, run=module.run: run(args.course, args))


# Every command: what --help says of it, and what declares its options (importing its tools).
COMMANDS: dict[str, tuple[str, Callable]] = {
    "build": ("regenerate solutions/*.ipynb, notebooks/ and the README badges", declare_build),
    "run": ("execute a chapter's solution notebook top to bottom", declare_run),
    "publish": (
        "write the student tree of a graded class (no answers, no hidden tests) for a public repository",
        declare_publish,
    ),
    "site": ("build the course's website: every chapter with the outputs of its kept run (site/runs/)", declare_site),
    "grade": ("autograde a folder of submissions with nbgrader", declare_grade),
    "benchmark": (
        "measure a chapter's training on this machine: train its own models and report accuracy, time and hardware "
        "(name the benchmark by chapter number, 02, or by its older name)",
        declare_benchmark,
    ),
}


def make_parser(declared: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``cnn-course`` parser, with the options of the ``declared`` commands (default: all)."""
    # The docstring's first line, without reStructuredText's double backticks (``--help`` is plain text).
    parser = argparse.ArgumentParser(prog="cnn-course", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("--root", type=Path, help="the course folder (default: found from the working folder)")
    commands = parser.add_subparsers(dest="command", required=True)
    declared = COMMANDS if declared is None else set(declared)
    for name, (help, declare) in COMMANDS.items():
        command = commands.add_parser(name, help=help, description=help)
        if name in declared:
            declare(command)
    return parser


def named_command(argv: list[str]) -> str | None:
    """The command the words name: the first that is neither an option nor --root's folder."""
    words = iter(argv)
    for word in words:
        if word == "--root":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name = named_command(argv)
    try:
        args = make_parser([name] if name else []).parse_args(argv)
        from cnn_course.course.course import Course

        args.course = Course.at(args.root)  # every command works on the course checkout
        return args.handler(args)
    except CourseError as error:
        print(f"cnn-course {name}: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in INSTRUCTOR_PACKAGES:
            raise
        print(
            f"cnn-course {name} needs the instructor tools ({error.name} is not installed). "
            f"Install them with:\n  {INSTALL_INSTRUCTOR}",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
