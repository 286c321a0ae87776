"""``cnn-course benchmark grading``: how much faster a class grades with parallel workers.

A class of ``--students`` copies of a chapter's solution notebook (every cell runs, as in the
slowest real submission) is graded twice by ``cnn-course grade``'s own code: with one worker,
then with ``--jobs`` workers. The scores must agree; the speed-up is the ratio of the two
wall times, measured side by side in one run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from cnn_course.benchmarks.common import add_json_option, command, start_run, write_json
from cnn_course.course.course import Course
from cnn_course.options import add_option

CHAPTER = None
ALIASES = ("grading",)
SUMMARY = "grading a class with one worker and with several (cnn-course grade --jobs)"


def add_arguments(parser) -> None:
    add_option(parser, grading_speed, "chapter", "the chapter whose solutions form the class")
    add_option(parser, grading_speed, "students", "submissions in the class", type=int)
    add_option(parser, grading_speed, "jobs", "workers of the parallel run", type=int)
    add_json_option(parser, grading_speed)


def grading_speed(
    course: Course, chapter: str = "01", students: int = 40, jobs: int = 2, json_out: Path | None = None, log=print
) -> dict:
    from cnn_course.errors import CourseError
    from cnn_course.grading.batch import grade_path

    found = course.chapter(chapter)
    solution = course.root / "solutions" / f"{found.name}.ipynb"
    figures = start_run(log, chapter=found.name, students=students)
    log(f"a class of {students} copies of {solution.name}, graded with 1 worker and with {jobs}")
    with tempfile.TemporaryDirectory(prefix="cnn-course-grading-bench-") as folder:
        submissions = Path(folder) / "submissions"
        submissions.mkdir()
        for number in range(students):
            shutil.copyfile(solution, submissions / f"student{number:03d}.ipynb")
        scores = {}
        for workers in (1, jobs):
            started = time.perf_counter()
            rows = grade_path(
                submissions,
                Path(folder) / f"jobs{workers}" / "grades.csv",
                course,
                chapter=chapter,
                jobs=workers,
                log=lambda *_: None,
            )
            seconds = time.perf_counter() - started
            scores[workers] = sorted((row.student_id, row.score, row.status) for row in rows)
            figures[f"seconds_with_{workers}_jobs"] = round(seconds, 1)
            log(f"{workers} worker(s): {seconds:.0f} s, {seconds / students:.1f} s per notebook")
    if scores[1] != scores[jobs]:
        raise CourseError("the parallel run gave other scores than the sequential one: grading is not repeatable")
    speedup = figures["seconds_with_1_jobs"] / figures[f"seconds_with_{jobs}_jobs"]
    figures["speedup"] = round(speedup, 2)
    log(f"speed-up with {jobs} workers: {speedup:.2f}x (the same scores both times)")
    if json_out:
        write_json(json_out, figures)
    return figures


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = grading_speed
run = command(MEASURE)
