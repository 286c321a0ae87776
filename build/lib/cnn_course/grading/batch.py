"""``cnn-course grade``: autograde a class's submissions with nbgrader, no JupyterHub.

Submissions come as a folder or a zip downloaded from a learning platform: one notebook per
student (``alice.ipynb``), one folder per student (``alice/01_convolution_maths.ipynb``), or
file names that carry the student id, read with a configurable pattern. Each notebook's
chapter is recognised from its nbgrader cell ids. The tests that run are the instructor's
(nbgrader restores them from ``solutions/``); every cell runs under a time limit
(``--timeout``, 120 s by default) and a guard that keeps it inside its own folder.

Every notebook gets a row in the CSV: a score, or "needs manual grading" with the reason
(and the provisional score where there is one). One broken notebook never stops the batch.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from cnn_course.authoring.cells import grade_id, nbgrader_meta
from cnn_course.authoring.course import Chapter, chapters, find_chapter, load_config
from cnn_course.authoring.nbgrader_course import log_of, release_assignment, temporary_course
from cnn_course.authoring.source import read_source
from cnn_course.errors import CourseError
from cnn_course.grading import DEFAULT_CELL_TIMEOUT
from cnn_course.grading.inspection import Inspection, inspect, load
from cnn_course.grading.intake import DEFAULT_ID_PATTERN, Submission, clean_id, collect, unpack
from cnn_course.grading.report import MANUAL, GradeRow, feedback_summary, format_table, write_csv
from cnn_course.grading.sandbox import guarded_kernels, take_blocked


def identify(notebook: dict, known: dict[str, set[str]], wanted: str | None = None) -> str:
    """The chapter a notebook belongs to; with ``wanted``, refuse a notebook of another chapter."""
    ids = {grade_id(cell) for cell in notebook["cells"]} - {None}
    overlap = {name: len(ids & chapter_ids) for name, chapter_ids in known.items()}
    best = max(overlap, key=overlap.get, default=None)
    if wanted:
        if overlap.get(wanted, 0) >= max(overlap.values(), default=0) and overlap.get(wanted, 0) > 0:
            return wanted
        if best and overlap[best] > 0:
            raise CourseError(
                f"this is the notebook of {best}, not of {wanted}: the student handed in the wrong chapter"
            )
        raise CourseError(f"this notebook has none of {wanted}'s graded cells: it is not the chapter's notebook")
    if best and overlap[best] > 0:
        return best
    raise CourseError("could not tell which chapter this notebook is: it has none of the course's graded cells")


def _scores(course: Path, course_id: str, assignment: str, student: str) -> tuple[float, float, dict]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", course_id) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        exercises = {
            grade.name: (grade.score, grade.max_score) for notebook in submission.notebooks for grade in notebook.grades
        }
        return submission.score, submission.max_score, exercises


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip() and not line.strip().startswith("[INFO]")]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["nbgrader autograde failed without a message"])[-1][:300]


def read_outcome(autograded: Path, row: GradeRow, cell_timeout: int) -> None:
    """Failed checks and timeouts, from the executed notebook."""
    notebook = json.loads(autograded.read_text(encoding="utf-8"))
    timed_out = []
    for index, cell in enumerate(notebook["cells"]):
        name = grade_id(cell) or f"cell {index}"
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            ename, evalue = output.get("ename", ""), output.get("evalue", "")
            if ename == "CellTimeoutError":
                timed_out.append(name)
            if nbgrader_meta(cell).get("grade"):
                row.failures[name] = f"{ename}: {evalue}".strip(": ")[:500]
    if timed_out:
        row.note(f"stopped after {cell_timeout} s (infinite loop?): {', '.join(timed_out)}")


def _grade_one(
    api, course: Path, chapter: Chapter, inspection: Inspection, row: GradeRow, feedback_dir: Path, cell_timeout: int
) -> None:
    target = course / "submitted" / row.student_id / chapter.assignment / f"{chapter.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(inspection.notebook), encoding="utf-8")
    result = api.autograde(chapter.assignment, row.student_id)
    if not result.get("success"):
        raise CourseError(f"autograde failed: {_last_error_line(log_of(result))}")
    row.score, row.max_score, row.exercises = _scores(
        course, api.coursedir.course_id, chapter.assignment, row.student_id
    )
    read_outcome(
        course / "autograded" / row.student_id / chapter.assignment / f"{chapter.name}.ipynb", row, cell_timeout
    )
    feedback = api.generate_feedback(chapter.assignment, row.student_id)
    page = course / "feedback" / row.student_id / chapter.assignment / f"{chapter.name}.html"
    if feedback.get("success") and page.exists():
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + feedback_summary(row), text, count=1)
        destination = feedback_dir / row.student_id / f"{chapter.name}.html"
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        row.feedback = str(destination)


def grade_submissions(
    submissions: list[Submission],
    root: Path,
    feedback_dir: Path,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    chapter: str | None = None,
) -> list[GradeRow]:
    config = load_config(root)
    course_chapters = {c.name: c for c in chapters(root)}
    wanted = find_chapter(root, chapter).name if chapter else None
    sources = {name: read_source(c, config)[1] for name, c in course_chapters.items()}
    # Only answer and test cells identify a chapter: every chapter shares the setup cell's id.
    known_ids = {
        name: {
            grade_id(cell)
            for cell in nb.cells
            if nbgrader_meta(cell).get("grade") or nbgrader_meta(cell).get("solution")
        }
        for name, nb in sources.items()
    }
    rows: list[GradeRow] = []
    released: set[str] = set()
    seen: set[tuple[str, str]] = set()
    with (
        guarded_kernels() as blocked_log,
        temporary_course(cell_timeout=cell_timeout, prefix="cnn-course-grade-") as (course, api),
    ):
        for submission in submissions:
            row = GradeRow(submission.student_id, chapter="?", file=submission.name)
            rows.append(row)
            try:
                notebook = load(submission.path)
                row.chapter = identify(notebook, known_ids, wanted)
                if (row.student_id, row.chapter) in seen:
                    raise CourseError(
                        f"a second notebook of {row.chapter} from {row.student_id}: "
                        "only the first was graded; decide which one counts"
                    )
                seen.add((row.student_id, row.chapter))
                inspection = inspect(notebook, sources[row.chapter])
                for text in inspection.notes:
                    row.note(text)
                if inspection.blocking:
                    raise CourseError(inspection.blocking)
                if row.chapter not in released:
                    release_assignment(api, course, course_chapters[row.chapter], sources[row.chapter])
                    released.add(row.chapter)
                _grade_one(api, course, course_chapters[row.chapter], inspection, row, feedback_dir, cell_timeout)
                if inspection.review:
                    row.flag(inspection.review)
            except CourseError as problem:
                row.flag(str(problem))
            finally:
                blocked = take_blocked(blocked_log)  # read every time, so nothing carries over to the next student
                if blocked:
                    row.flag(
                        "tried to change files outside its folder or to run programs, which was blocked: "
                        + "; ".join(blocked[:5])
                    )
    return rows


def grade_path(
    submissions: Path,
    out_csv: Path,
    root: Path,
    feedback_dir: Path | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    chapter: str | None = None,
    id_pattern: str = DEFAULT_ID_PATTERN,
    log=print,
) -> list[GradeRow]:
    """Grade a folder or a zip of submissions; write the CSV, the feedback and the class summary."""
    from cnn_course.grading.summary import write_summary

    submissions = Path(submissions)
    out_csv = Path(out_csv)
    feedback_dir = Path(feedback_dir) if feedback_dir else out_csv.resolve().parent / "feedback"
    with tempfile.TemporaryDirectory(prefix="cnn-course-intake-") as unpacked:
        if submissions.is_file() and submissions.suffix.lower() == ".zip":
            folder = unpack(submissions, Path(unpacked))
        elif submissions.is_dir():
            folder = submissions
        else:
            raise CourseError(f"{submissions} is neither a folder nor a .zip of submissions")
        found, strays = collect(folder, id_pattern)
        if not found and not strays:
            raise CourseError(
                f"no submissions in {submissions}: expected notebooks, one per student or in per-student folders"
            )
        for name, why in strays:
            log(f"not graded: {name}: {why}")
        log(f"grading {len(found)} notebook(s) from {submissions}, each cell limited to {cell_timeout} s")
        rows = grade_submissions(found, root, feedback_dir, cell_timeout=cell_timeout, chapter=chapter)
    rows += [
        GradeRow(student_id=clean_id(Path(name).stem), chapter="?", file=name, status=MANUAL, reason=why)
        for name, why in strays
    ]
    write_csv(rows, out_csv)
    log(format_table(rows))
    summary = write_summary(rows, out_csv.resolve().parent, stem=out_csv.stem)
    log(summary.text)
    log(f"wrote {out_csv}, the feedback in {feedback_dir}, and the class summary {summary.plot}")
    return rows
