"""``cnn-course grade``: autograde a class's submissions with nbgrader, no JupyterHub.

Submissions come as a folder or a zip downloaded from a learning platform (see
:mod:`~cnn_course.grading.intake`). Each notebook's chapter is recognised from its nbgrader
cell ids. The tests that run are the instructor's (nbgrader restores them from
``solutions/``); every cell runs under a time limit (``--timeout``, 120 s by default) and a
guard that keeps it inside its own folder. ``--jobs N`` grades N notebooks side by side, each
worker with its own nbgrader course, guard and time limits.

Every notebook gets a row in the CSV: a score, or "needs manual grading" with the reason
(and the provisional score where there is one); with ``--roster``, so does every student who
handed in nothing. One broken notebook never stops the batch.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from cnn_course.cells import grade_id, gradebook_url, is_exercise_cell, is_graded
from cnn_course.checks.shortcuts import SHORTCUT_ERROR
from cnn_course.course.course import Course
from cnn_course.course.settings import Chapter
from cnn_course.errors import CourseError
from cnn_course.grading import DEFAULT_CELL_TIMEOUT, default_jobs
from cnn_course.grading.dead_kernel import cell_outcomes, kernel_died, score_before_death
from cnn_course.grading.feedback import feedback_page, finish_pages, handed_out_tests
from cnn_course.grading.gradebooks import write_gradebook
from cnn_course.grading.inspection import Inspection, identify, inspect, load
from cnn_course.grading.intake import (
    DEFAULT_ID_PATTERN,
    Submission,
    collect,
    mark_late,
    submissions_folder,
)
from cnn_course.grading.privacy import refuse_student_data_in_git
from cnn_course.grading.report import (
    MANUAL,
    GradeRow,
    choose_counted,
    flag_odd_chapters,
    format_table,
    roster_rows,
    write_csv,
    write_wide_csv,
)
from cnn_course.grading.roster import read_roster
from cnn_course.grading.sandbox import guarded_kernels, take_blocked, take_cells
from cnn_course.kernels.envvars import temporary_environment
from cnn_course.kernels.nbgrader_course import log_of, release_assignment, temporary_course
from cnn_course.kernels.quiet import quiet_kernel_logs
from cnn_course.kernels.warm_kernels import libraries_for, warm_kernels


def _scores(course: Path, course_id: str, assignment: str, student: str) -> tuple[float, float, dict]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course), course_id) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        exercises = {
            grade.name: (grade.score, grade.max_score) for notebook in submission.notebooks for grade in notebook.grades
        }
        return submission.score, submission.max_score, exercises


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip() and not line.strip().startswith("[INFO]")]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["nbgrader autograde failed without a message"])[-1][:300]


def cell_label(cells: list[dict], index: int) -> str:
    """A cell as a person finds it in Jupyter or Colab: its grade id, or its first line and the
    section it sits in (cell numbers are not shown there)."""
    cell = cells[index]
    if grade_id(cell):
        return grade_id(cell)
    source = "".join(cell.get("source", ""))
    first = next((line.strip() for line in source.splitlines() if line.strip()), "(empty)")
    first = first if len(first) <= 50 else first[:47] + "..."
    heading = next(
        (
            line.lstrip("#").strip()
            for earlier in reversed(cells[:index])
            if earlier.get("cell_type") == "markdown"
            for line in "".join(earlier.get("source", "")).splitlines()
            if line.startswith("#")
        ),
        None,
    )
    return f"the cell '{first}'" + (f" in '{heading}'" if heading else "")


def read_outcome(autograded: dict, row: GradeRow, cell_timeout: int) -> None:
    """Failed checks, timeouts and errors in ungraded cells, from the executed notebook."""
    cells = autograded["cells"]
    timed_out, ungraded_errors, shortcuts = [], [], []
    for index, cell in enumerate(cells):
        errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        if not errors:
            continue
        name = cell_label(cells, index)
        row.cells[name] = index + 1  # the feedback page's anchor (#cell-N, counted from 1)
        # A stopped cell shows KeyboardInterrupt and then CellTimeoutError: one entry, as a timeout.
        if any(output.get("ename") == "CellTimeoutError" for output in errors):
            timed_out.append(name)
            errors = [output for output in errors if output.get("ename") == "CellTimeoutError"]
        ename, evalue = errors[-1].get("ename", ""), errors[-1].get("evalue", "")
        if is_graded(cell):
            row.failures[name] = f"{ename}: {evalue}".strip(": ")[:500]
            if ename == SHORTCUT_ERROR:  # the answer used the course's checking code
                shortcuts.append(name)
        elif name not in timed_out:
            ungraded_errors.append(f"{name} ({ename})")
    if shortcuts:
        # Scored 0 by the test; a person decides whether it was a shortcut or a mistake.
        row.flag(f"{', '.join(shortcuts)} used the course's checking code")
    if timed_out:
        row.note(f"stopped after {cell_timeout} s (infinite loop?): {', '.join(timed_out)}")
    if ungraded_errors:
        # The score stands, but later answers may have run on missing variables: worth a look.
        count = len(ungraded_errors)
        shown = ", ".join(ungraded_errors[:5]) + (", ..." if count > 5 else "")
        row.note(f"{count} ungraded cell{'s' if count > 1 else ''} raised errors: {shown}")


@dataclass
class KnownChapters:
    """What a worker knows of the chapters it may be handed: each one, its source (with the
    instructor's tests), its tests as handed out, and the grade ids that identify it."""

    chapters: dict[str, Chapter]
    sources: dict[str, dict]
    handed_out: dict[str, dict[str, str]]
    ids: dict[str, set[str]]
    wanted: str | None  # the chapter named with --chapter

    @classmethod
    def of(cls, checkout: Course, chapter: str | None) -> KnownChapters:
        sources = {c.name: checkout.source(c)[1] for c in checkout.chapters}
        return cls(
            {c.name: c for c in checkout.chapters},
            sources,
            {name: handed_out_tests(nb) for name, nb in sources.items()},
            # Only answer and test cells identify a chapter: every chapter shares the setup cell's id.
            {name: {grade_id(cell) for cell in nb.cells if is_exercise_cell(cell)} for name, nb in sources.items()},
            checkout.chapter(chapter).name if chapter else None,
        )


@dataclass
class Worker:
    """One worker's grading, one notebook after another in nbgrader's temporary ``course``."""

    api: object
    course: Path
    known: KnownChapters
    feedback_dir: Path
    cell_timeout: int
    show_hidden: bool
    late_penalty: float
    blocked_log: Path
    released: set[str] = field(default_factory=set)
    pages: dict[tuple[str, str], int] = field(default_factory=dict)  # notebooks graded per (student, chapter)

    def grade(self, submission: Submission, row: GradeRow) -> None:
        """Fill in ``row`` for ``submission``; a CourseError says why it needs a person."""
        notebook = load(submission.path)
        row.chapter = identify(notebook, self.known.ids, self.known.wanted)
        page_name = self._page_name(row)
        inspection = inspect(notebook, self.known.sources[row.chapter])
        for text in inspection.notes:
            row.note(text)
        if inspection.blocking:
            raise CourseError(inspection.blocking)
        if row.chapter not in self.released:
            chapter = self.known.chapters[row.chapter]
            release_assignment(self.api, self.course, chapter, self.known.sources[row.chapter])
            self.released.add(row.chapter)
        self._autograde(inspection, row, page_name)
        if inspection.review:
            row.flag(inspection.review)

    def _page_name(self, row: GradeRow) -> str:
        """Every notebook is graded; a student's second of the same chapter gets its own page
        (named for good by :func:`finish_pages`, once it is known which one counts)."""
        key = (row.student_id, row.chapter)
        count = self.pages[key] = self.pages.get(key, 0) + 1
        return f"{row.chapter}.html" if count == 1 else f"{row.chapter}-{count}.html"

    def _autograde(self, inspection: Inspection, row: GradeRow, page_name: str) -> None:
        name = row.chapter
        target = self.course / "submitted" / row.student_id / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(inspection.notebook), encoding="utf-8")
        result = self.api.autograde(name, row.student_id)
        if not result.get("success") and kernel_died(log_of(result)):
            self._kernel_died(inspection, row, page_name)
            return
        if not result.get("success"):
            raise CourseError(f"autograde failed: {_last_error_line(log_of(result))}")
        row.score, row.max_score, exercises = _scores(self.course, self.api.coursedir.course_id, name, row.student_id)
        autograded_path = self.course / "autograded" / row.student_id / name / f"{name}.ipynb"
        autograded = json.loads(autograded_path.read_text(encoding="utf-8"))
        # In the order of the notebook, as the class summary and the gradebook list them.
        order = [grade_id(cell) for cell in autograded["cells"]]
        row.exercises = dict(
            sorted(exercises.items(), key=lambda item: order.index(item[0]) if item[0] in order else 0)
        )
        read_outcome(autograded, row, self.cell_timeout)
        if row.late and self.late_penalty and row.score is not None:
            row.penalize(self.late_penalty)
        page = feedback_page(autograded, row, self.known.handed_out[name], self.show_hidden)
        destination = self.feedback_dir / row.student_id / page_name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(page, encoding="utf-8")
        row.feedback = str(destination)

    def _kernel_died(self, inspection: Inspection, row: GradeRow, page_name: str) -> None:
        """nbgrader gave no score: name the cell the kernel died in, score the checks that ran
        before it (provisional), and write the page with them."""
        name = row.chapter
        autograded_path = self.course / "autograded" / row.student_id / name / f"{name}.ipynb"
        notebook = (
            json.loads(autograded_path.read_text(encoding="utf-8")) if autograded_path.exists() else inspection.notebook
        )
        outcomes, died = cell_outcomes(notebook, take_cells(self.blocked_log))
        score_before_death(notebook, outcomes, row)
        where = "a cell the grader could not tell"
        if died is not None:
            label = cell_label(notebook["cells"], died)
            where = label if label.startswith("the cell") else f"the cell {label}"
            row.cells[label] = died + 1
        page = feedback_page(notebook, row, self.known.handed_out[name], self.show_hidden)
        destination = self.feedback_dir / row.student_id / page_name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(page, encoding="utf-8")
        row.feedback = str(destination)
        row.flag(
            f"the kernel died in {where} (os._exit, a crash in a library, or out of memory), so nbgrader gave no "
            f"score; the checks that ran before it give {row.score:g} of {row.max_score:g} (provisional). To grade "
            "the rest, delete or fix that cell in a copy of the notebook and grade the copy alone (guide, section 6)"
        )


THREAD_VARIABLES = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


@contextlib.contextmanager
def worker_threads(kernel_threads: int | None) -> Iterator[None]:
    """While grading, each notebook kernel this worker starts uses ``kernel_threads`` threads
    (None: as many as TensorFlow and OpenMP choose)."""
    if not kernel_threads:
        yield
        return
    with temporary_environment(dict.fromkeys(THREAD_VARIABLES, str(kernel_threads))):
        yield


def grade_submissions(
    submissions: list[Submission],
    course: Course,
    feedback_dir: Path,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    chapter: str | None = None,
    show_hidden: bool = False,
    kernel_threads: int | None = None,
    late_penalty: float = 0.0,
) -> list[GradeRow]:
    """Grade ``submissions`` one after the other in this process (a worker of :func:`grade_path`).

    ``kernel_threads`` caps the threads each notebook's TensorFlow and OpenMP may use, so that
    workers side by side do not each start a thread per core and fight over the cores."""
    known = KnownChapters.of(course, chapter)
    rows: list[GradeRow] = []
    with (
        worker_threads(kernel_threads),
        guarded_kernels() as blocked_log,
        warm_kernels(libraries_for(known.sources.values())),
        temporary_course(cell_timeout=cell_timeout, prefix="cnn-course-grade-") as (nbgrader_folder, api),
    ):
        worker = Worker(api, nbgrader_folder, known, feedback_dir, cell_timeout, show_hidden, late_penalty, blocked_log)
        for submission in submissions:
            started = time.perf_counter()
            row = GradeRow(submission.student_id, chapter="?", file=submission.name, late=submission.late)
            rows.append(row)
            try:
                worker.grade(submission, row)
            except CourseError as problem:
                row.flag(str(problem))
            finally:
                take_cells(blocked_log)  # emptied, so the next student's cells are theirs alone
                blocked = take_blocked(blocked_log)  # read every time, so nothing carries over to the next student
                if blocked:
                    row.flag(
                        "tried to change files outside its folder or to run programs, which was blocked: "
                        + "; ".join(blocked[:5])
                    )
                row.seconds = time.perf_counter() - started
    return rows


def split_for_workers(submissions: list[Submission], jobs: int) -> list[list[Submission]]:
    """Deal the submissions out to ``jobs`` workers; a student's notebooks stay together, so a
    worker still sees a second notebook of the same chapter."""
    by_student: dict[str, list[Submission]] = {}
    for submission in submissions:
        by_student.setdefault(submission.student_id, []).append(submission)
    shares: list[list[Submission]] = [[] for _ in range(max(1, jobs))]
    for group in sorted(by_student.values(), key=len, reverse=True):
        min(shares, key=len).extend(group)
    return [share for share in shares if share]


def grade_in_parallel(submissions: list[Submission], jobs: int, **settings) -> list[GradeRow]:
    """:func:`grade_submissions` in ``jobs`` worker processes; rows come back in the input order."""
    shares = split_for_workers(submissions, jobs)
    if len(shares) <= 1:
        return grade_submissions(submissions, **settings)
    threads = max(1, default_jobs() // len(shares))
    # spawn: each worker starts clean, with nothing inherited from this process's threads.
    with ProcessPoolExecutor(max_workers=len(shares), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(grade_submissions, share, kernel_threads=threads, **settings) for share in shares]
        rows = [row for future in futures for row in future.result()]
    order = {(s.student_id, s.name): i for i, s in enumerate(submissions)}
    return sorted(rows, key=lambda row: order.get((row.student_id, row.file), len(order)))


def _check_options(roster: Path | None, gradebook: Path | None, late_penalty: float) -> None:
    if gradebook and not roster:
        raise CourseError("--gradebook fills in a platform's export: pass that export as --roster")
    if not 0 <= late_penalty <= 100:
        raise CourseError(
            f"--late-penalty {late_penalty:g}: give the percent of the score a late notebook loses, 0 to 100"
        )


def _outputs(out_csv: Path, feedback_dir: Path, wide_csv: Path | None, gradebook: Path | None) -> dict[str, Path]:
    """What a grading run writes, by what it is (the privacy check names them)."""
    written = {
        "the grades CSV": out_csv,
        "the class summary": out_csv.parent / f"{out_csv.stem}_summary.png",
        "the feedback folder": feedback_dir / "student" / "chapter.html",
    }
    if wide_csv:
        written["the gradebook table"] = Path(wide_csv)
    if gradebook:
        written["the gradebook to import"] = Path(gradebook)
    return written


def grade_path(
    submissions: Path,
    out_csv: Path,
    course: Course,
    feedback_dir: Path | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    chapter: str | None = None,
    id_pattern: str = DEFAULT_ID_PATTERN,
    jobs: int | None = None,
    roster: Path | None = None,
    wide_csv: Path | None = None,
    show_hidden: bool = False,
    allow_in_repository: bool = False,
    late_penalty: float = 0.0,
    gradebook: Path | None = None,
    gradebook_column: str | None = None,
    missing_zero: bool = False,
    due: str | None = None,
    log=print,
) -> list[GradeRow]:
    """Grade a folder or a zip of submissions; write the CSV, the feedback and the class summary."""
    out_csv = Path(out_csv)
    feedback_dir = Path(feedback_dir) if feedback_dir else out_csv.resolve().parent / "feedback"
    _check_options(roster, gradebook, late_penalty)
    refuse_student_data_in_git(_outputs(out_csv, feedback_dir, wide_csv, gradebook), allow=allow_in_repository)
    roster_ids = read_roster(roster) if roster else None
    settings = dict(
        course=course,
        feedback_dir=feedback_dir,
        cell_timeout=cell_timeout,
        chapter=chapter,
        show_hidden=show_hidden,
        late_penalty=late_penalty,
    )
    rows = _grade_handed_in(Path(submissions), id_pattern, jobs, settings, log, due)
    batch_chapter = course.chapter(chapter).name if chapter else flag_odd_chapters(rows)
    if roster_ids is not None:
        rows += roster_rows(rows, roster_ids, batch_chapter or "?")
    finish_pages(rows)
    write_csv(rows, out_csv)
    if wide_csv:
        write_wide_csv(rows, Path(wide_csv))
    if gradebook:
        filled = write_gradebook(
            Path(roster), rows, Path(gradebook), gradebook_column, batch_chapter or "cnn-course", missing_zero
        )
        _log_gradebook(filled, Path(roster), Path(gradebook), log)
    _log_summary(rows, out_csv, feedback_dir, wide_csv, log)
    return rows


def _log_gradebook(filled, roster: Path, gradebook: Path, log) -> None:
    """What the file to import does to the export: new scores, and every grade it would change."""
    log(f"wrote {gradebook}: the export {roster} with {filled.filled} empty cell(s) of {filled.column!r} filled in")
    if filled.scaled_from:
        notebook, assignment = filled.scaled_from
        log(f"  scores scaled from the notebook's {notebook:g} points to the assignment's {assignment:g}")
    if filled.changed:
        log(f"  it changes {len(filled.changed)} grade(s) the export already held; check them before importing:")
        for change in filled.changed:
            log(f"    {change}")
    else:
        log("  it changes no grade the export already held")
    if filled.not_handed_in:
        absent = f"  {filled.not_handed_in} student(s) on the roster handed in nothing in this batch"
        if filled.zeroed:
            log(f"{absent}: {filled.zeroed} without a grade got 0 (--missing-zero), the others keep theirs")
        else:
            log(f"{absent}: their cells are left as they were (--missing-zero gives 0 where a cell is empty)")


def _grade_handed_in(
    submissions: Path, id_pattern: str, jobs: int | None, settings: dict, log, due: str | None = None
) -> list[GradeRow]:
    """Unpack the submissions, grade every notebook (``jobs`` side by side), and give each file
    that is no notebook a row saying why; of two notebooks of one chapter, mark the one that counts."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cnn-course-intake-") as scratch:
        found, strays = collect(submissions_folder(submissions, Path(scratch)), id_pattern)
        if not found and not strays:
            raise CourseError(
                f"no submissions in {submissions}: expected notebooks, one per student or in per-student folders"
            )
        for stray in strays:
            log(f"not graded: {stray.name}: {stray.why}")
        mark_late(found, id_pattern, due, settings["late_penalty"], log)
        jobs = max(1, min(jobs or default_jobs(), len(found) or 1))
        log(
            f"grading {len(found)} notebook(s) from {submissions} with {jobs} worker(s), "
            f"each cell limited to {settings['cell_timeout']} s"
        )
        with quiet_kernel_logs():
            rows = grade_in_parallel(found, jobs, **settings) if found else []
    if found:
        seconds = time.perf_counter() - started
        log(
            f"graded {len(found)} notebook(s) in {seconds:.0f} s with {jobs} worker(s): "
            f"{seconds / len(found):.1f} s per notebook"
        )
    rows += [
        GradeRow(student_id=s.student_id, chapter="?", file=s.name, status=MANUAL, reason=s.why, late=s.late)
        for s in strays
    ]
    choose_counted(rows, {submission.name: submission for submission in found})
    return rows


def _log_summary(rows: list[GradeRow], out_csv: Path, feedback_dir: Path, wide_csv: Path | None, log) -> None:
    """The table of rows, the class summary (written beside the CSV), and where everything went."""
    from cnn_course.grading.summary import write_summary

    log(format_table(rows))
    summary = write_summary([row for row in rows if row.counts], out_csv.resolve().parent, stem=out_csv.stem)
    log(summary.text)
    wide = f", the gradebook table {wide_csv}" if wide_csv else ""
    log(f"wrote {out_csv}{wide}, the feedback in {feedback_dir}, and the class summary {summary.plot}")
