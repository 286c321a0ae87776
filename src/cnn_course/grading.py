"""``cnn-course grade``: autograde a folder of submissions with nbgrader, no JupyterHub.

Submissions come as one notebook per student (``SUBMISSIONS/<student_id>.ipynb``) or one
folder per student (``SUBMISSIONS/<student_id>/*.ipynb``, a notebook per chapter). Each
notebook's chapter is recognised from its nbgrader cell ids. The graded cells and tests
come from ``solutions/`` (nbgrader restores them, so an edited test cannot pass itself);
every cell of a submission runs under a time limit (``--timeout``, 120 s by default).

Every submission gets a row in the CSV: a score, or "needs manual grading" with the
reason. One broken notebook never stops the batch.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnn_course.build import notebook_text, read_source
from cnn_course.nbgrader_course import log_of, temporary_course
from cnn_course.project import Chapter, CourseError, chapters, find_chapter, load_config

GRADED = "graded"
MANUAL = "needs manual grading"
CSV_COLUMNS = ["student_id", "chapter", "score", "max_score", "percent", "status", "reason", "feedback"]
DEFAULT_CELL_TIMEOUT = 120


@dataclass
class Submission:
    student_id: str
    path: Path


@dataclass
class GradeRow:
    student_id: str
    chapter: str
    score: float | None = None
    max_score: float | None = None
    status: str = GRADED
    reason: str = ""
    feedback: str = ""
    exercises: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100.0 * self.score / self.max_score, 1)

    def as_csv(self) -> dict[str, object]:
        def number(value: float | None) -> object:
            return "" if value is None else (int(value) if float(value).is_integer() else round(value, 3))

        return {"student_id": self.student_id, "chapter": self.chapter, "score": number(self.score),
                "max_score": number(self.max_score), "percent": number(self.percent), "status": self.status,
                "reason": self.reason, "feedback": self.feedback}


STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


def collect(folder: Path) -> tuple[list[Submission], list[Path]]:
    """Submissions found in ``folder``, and the paths that are not one (listed, not dropped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder. Put one notebook or one folder per student in it.")
    found, unrecognised = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb" and STUDENT_ID.match(entry.stem):
            found.append(Submission(entry.stem, entry))
        elif entry.is_dir() and STUDENT_ID.match(entry.name):
            notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            found.extend(Submission(entry.name, notebook) for notebook in notebooks)
            if not notebooks:
                unrecognised.append(entry)
        else:
            unrecognised.append(entry)
    return found, unrecognised


def grade_ids_of(path: Path) -> set[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return {cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in notebook.get("cells", [])} - {None}


def recognise(path: Path, known: dict[str, set[str]]) -> str:
    """The chapter a notebook belongs to, from its grade ids (then its file name)."""
    try:
        ids = grade_ids_of(path)
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as error:
        raise CourseError(f"not a readable notebook ({type(error).__name__}): the file is not valid notebook JSON") from None
    overlap = {name: len(ids & chapter_ids) for name, chapter_ids in known.items()}
    best = max(overlap, key=overlap.get, default=None)
    if best and overlap[best] > 0:
        return best
    for name in known:
        if path.stem.startswith(name[:2] + "_") or path.stem == name:
            return name
    raise CourseError("could not tell which chapter this notebook is: it has none of the course's graded cells")


def _scores(course: Path, course_id: str, assignment: str, student: str) -> tuple[float, float, dict]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", course_id) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        exercises = {grade.name: (grade.score, grade.max_score)
                     for notebook in submission.notebooks for grade in notebook.grades}
        return submission.score, submission.max_score, exercises


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip() and not line.strip().startswith("[INFO]")]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["nbgrader autograde failed without a message"])[-1][:300]


def grade_submissions(submissions: list[Submission], root: Path, feedback_dir: Path,
                      cell_timeout: int = DEFAULT_CELL_TIMEOUT, chapter: str | None = None) -> list[GradeRow]:
    config = load_config(root)
    all_chapters = {c.name: c for c in chapters(root)}
    if chapter:
        all_chapters = {find_chapter(root, chapter).name: find_chapter(root, chapter)}
    sources = {name: read_source(c, config)[1] for name, c in all_chapters.items()}
    known_ids = {name: {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells} - {None}
                 for name, nb in sources.items()}
    rows: list[GradeRow] = []
    released: set[str] = set()
    with temporary_course(cell_timeout=cell_timeout, prefix="cnn-course-grade-") as (course, api):
        for submission in submissions:
            row = GradeRow(submission.student_id, chapter="?")
            rows.append(row)
            try:
                name = next(iter(all_chapters)) if chapter else recognise(submission.path, known_ids)
                row.chapter = name
                _grade_one(api, course, all_chapters[name], sources[name], submission, row, released, feedback_dir)
            except CourseError as problem:
                row.status, row.reason, row.score = MANUAL, str(problem), None
    return rows


def _grade_one(api, course: Path, chapter: Chapter, source: nbformat.NotebookNode, submission: Submission,
               row: GradeRow, released: set[str], feedback_dir: Path) -> None:
    if chapter.name not in released:
        source_dir = course / "source" / chapter.assignment
        source_dir.mkdir(parents=True, exist_ok=True)
        (source_dir / f"{chapter.name}.ipynb").write_text(notebook_text(source), encoding="utf-8")
        result = api.generate_assignment(chapter.assignment)
        if not result.get("success"):
            raise CourseError(f"could not prepare {chapter.name} for grading: {log_of(result)}")
        released.add(chapter.name)
    target = course / "submitted" / submission.student_id / chapter.assignment / f"{chapter.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(submission.path, target)
    result = api.autograde(chapter.assignment, submission.student_id)
    if not result.get("success"):
        raise CourseError(f"autograde failed: {_last_error_line(log_of(result))}")
    row.score, row.max_score, row.exercises = _scores(course, api.coursedir.course_id, chapter.assignment,
                                                      submission.student_id)
    feedback = api.generate_feedback(chapter.assignment, submission.student_id)
    html = course / "feedback" / submission.student_id / chapter.assignment / f"{chapter.name}.html"
    if feedback.get("success") and html.exists():
        destination = feedback_dir / submission.student_id / f"{chapter.name}.html"
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(html, destination)
        row.feedback = str(destination)


def write_csv(rows: list[GradeRow], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv() for row in rows)


def format_table(rows: list[GradeRow]) -> str:
    header = f"{'student':<20} {'chapter':<26} {'score':>12}  status"
    lines = [header, "-" * len(header)]
    for row in rows:
        score = "—" if row.score is None else f"{row.as_csv()['score']}/{row.as_csv()['max_score']}"
        status = row.status if not row.reason else f"{row.status}: {row.reason}"
        lines.append(f"{row.student_id:<20} {row.chapter:<26} {score:>12}  {status}")
    return "\n".join(lines)


def grade_folder(submissions: Path, out_csv: Path, root: Path, feedback_dir: Path | None = None,
                 cell_timeout: int = DEFAULT_CELL_TIMEOUT, chapter: str | None = None, log=print) -> list[GradeRow]:
    """Grade every submission in ``submissions``; write the CSV and the feedback; print a table."""
    found, unrecognised = collect(submissions)
    feedback_dir = Path(feedback_dir) if feedback_dir else Path(out_csv).resolve().parent / "feedback"
    for path in unrecognised:
        log(f"skipped, not a submission: {path} (expected <student_id>.ipynb or a <student_id>/ folder with notebooks)")
    if not found:
        raise CourseError(f"no submissions in {submissions}: expected <student_id>.ipynb files or <student_id>/ folders")
    log(f"grading {len(found)} notebook(s) from {submissions}, each cell limited to {cell_timeout} s")
    rows = grade_submissions(found, root, feedback_dir, cell_timeout=cell_timeout, chapter=chapter)
    write_csv(rows, Path(out_csv))
    log(format_table(rows))
    log(f"wrote {out_csv} and the feedback in {feedback_dir}")
    return rows
