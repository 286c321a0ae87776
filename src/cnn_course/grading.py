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

import csv
import html
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnn_course.build import notebook_text, read_source
from cnn_course.cells import grade_id, nbgrader_meta
from cnn_course.nbgrader_course import log_of, temporary_course
from cnn_course.project import Chapter, CourseError, chapters, find_chapter, load_config
from cnn_course.sandbox import guarded_kernels, take_blocked
from cnn_course.submissions import Inspection, inspect, load

GRADED = "graded"
MANUAL = "needs manual grading"
CSV_COLUMNS = ["student_id", "chapter", "score", "max_score", "percent", "status", "reason", "feedback", "file"]
DEFAULT_CELL_TIMEOUT = 120
# By default the whole file or folder name is the student id, e.g. alice.ipynb or alice/.
DEFAULT_ID_PATTERN = r"^(?P<student>[A-Za-z0-9][A-Za-z0-9_.@-]*)$"


@dataclass
class Submission:
    student_id: str
    path: Path
    name: str  # the file's path as handed in, for the CSV and messages


@dataclass
class GradeRow:
    student_id: str
    chapter: str
    file: str = ""
    score: float | None = None
    max_score: float | None = None
    status: str = GRADED
    reason: str = ""
    feedback: str = ""
    exercises: dict[str, tuple[float, float]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100.0 * self.score / self.max_score, 1)

    def flag(self, reason: str) -> None:
        self.status = MANUAL
        self.reason = "; ".join(part for part in (reason, self.reason) if part)

    def note(self, text: str) -> None:
        self.reason = "; ".join(part for part in (self.reason, text) if part)

    def as_csv(self) -> dict[str, object]:
        def number(value: float | None) -> object:
            return "" if value is None else (int(value) if float(value).is_integer() else round(value, 3))

        return {"student_id": self.student_id, "chapter": self.chapter, "score": number(self.score),
                "max_score": number(self.max_score), "percent": number(self.percent), "status": self.status,
                "reason": self.reason, "feedback": self.feedback, "file": self.file}


# --- finding the submissions ------------------------------------------------------------

def _clean_id(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", raw.strip()).strip("_.") or "unknown"


def collect(folder: Path, id_pattern: str = DEFAULT_ID_PATTERN) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Notebooks in ``folder`` with their student ids, and ``(name, why)`` for everything else.

    The id comes from the top-level folder a notebook sits in, or else from its file name
    without ``.ipynb``; ``id_pattern``'s group ``student`` picks it out of that name.
    """
    folder = Path(folder)
    pattern = re.compile(id_pattern)
    if "student" not in pattern.groupindex:
        raise CourseError(f"--id-pattern {id_pattern!r} needs a named group (?P<student>...) for the student id")
    found, strays = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part in ("__MACOSX", ".ipynb_checkpoints") for part in relative.parts):
            continue
        if path.suffix != ".ipynb":
            strays.append((str(relative), "not a notebook (.ipynb)"))
            continue
        name = relative.parts[0] if len(relative.parts) > 1 else path.stem
        match = pattern.search(name)
        if not match or not match.group("student"):
            strays.append((str(relative), f"no student id in {name!r} (id pattern {id_pattern})"))
            continue
        found.append(Submission(_clean_id(match.group("student")), path, str(relative)))
    return found, strays


def unpack(archive: Path, into: Path) -> Path:
    """Extract a zip of submissions, refusing members that would land outside ``into``."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (into / member.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise CourseError(f"{archive}: member {member.filename!r} points outside the archive; not extracted")
            bundle.extractall(into)
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a readable zip file") from None
    return into


# --- recognising the chapter ------------------------------------------------------------

def identify(notebook: dict, known: dict[str, set[str]], wanted: str | None = None) -> str:
    """The chapter a notebook belongs to; with ``wanted``, refuse a notebook of another chapter."""
    ids = {grade_id(cell) for cell in notebook["cells"]} - {None}
    overlap = {name: len(ids & chapter_ids) for name, chapter_ids in known.items()}
    best = max(overlap, key=overlap.get, default=None)
    if wanted:
        if overlap.get(wanted, 0) >= max(overlap.values(), default=0) and overlap.get(wanted, 0) > 0:
            return wanted
        if best and overlap[best] > 0:
            raise CourseError(f"this is the notebook of {best}, not of {wanted}: the student handed in the wrong chapter")
        raise CourseError(f"this notebook has none of {wanted}'s graded cells: it is not the chapter's notebook")
    if best and overlap[best] > 0:
        return best
    raise CourseError("could not tell which chapter this notebook is: it has none of the course's graded cells")


# --- grading ----------------------------------------------------------------------------

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


def feedback_summary(row: GradeRow) -> str:
    """An HTML block for the top of a student's feedback page: score and each failed check."""
    items = []
    for name, (score, max_score) in row.exercises.items():
        message = row.failures.get(name) or ("" if score == max_score else "did not pass")
        detail = f" — <code>{html.escape(message)}</code>" if score != max_score else ""
        mark = "&#10003;" if score == max_score else "&#10007;"
        items.append(f"<li>{mark} <b>{html.escape(name)}</b>: {score:g} / {max_score:g}{detail}</li>")
    notes = f"<p><b>Notes:</b> {html.escape(row.reason)}</p>" if row.reason else ""
    return (f'<div style="border:2px solid #0969da;padding:1em;margin:1em;font-family:sans-serif">'
            f"<h2>{html.escape(row.student_id)} — {html.escape(row.chapter)}: {row.as_csv()['score']} / "
            f"{row.as_csv()['max_score']}</h2>{notes}<ul>{''.join(items)}</ul>"
            f"<p>The full notebook with every test's output follows.</p></div>")


def _release(api, course: Path, chapter: Chapter, source: nbformat.NotebookNode) -> None:
    source_dir = course / "source" / chapter.assignment
    source_dir.mkdir(parents=True, exist_ok=True)
    (source_dir / f"{chapter.name}.ipynb").write_text(notebook_text(source), encoding="utf-8")
    result = api.generate_assignment(chapter.assignment)
    if not result.get("success"):
        raise CourseError(f"could not prepare {chapter.name} for grading: {log_of(result)}")


def _grade_one(api, course: Path, chapter: Chapter, inspection: Inspection, row: GradeRow,
               feedback_dir: Path, cell_timeout: int) -> None:
    target = course / "submitted" / row.student_id / chapter.assignment / f"{chapter.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(inspection.notebook), encoding="utf-8")
    result = api.autograde(chapter.assignment, row.student_id)
    if not result.get("success"):
        raise CourseError(f"autograde failed: {_last_error_line(log_of(result))}")
    row.score, row.max_score, row.exercises = _scores(course, api.coursedir.course_id, chapter.assignment,
                                                      row.student_id)
    read_outcome(course / "autograded" / row.student_id / chapter.assignment / f"{chapter.name}.ipynb", row,
                 cell_timeout)
    feedback = api.generate_feedback(chapter.assignment, row.student_id)
    page = course / "feedback" / row.student_id / chapter.assignment / f"{chapter.name}.html"
    if feedback.get("success") and page.exists():
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + feedback_summary(row), text, count=1)
        destination = feedback_dir / row.student_id / f"{chapter.name}.html"
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        row.feedback = str(destination)


def grade_submissions(submissions: list[Submission], root: Path, feedback_dir: Path,
                      cell_timeout: int = DEFAULT_CELL_TIMEOUT, chapter: str | None = None) -> list[GradeRow]:
    config = load_config(root)
    course_chapters = {c.name: c for c in chapters(root)}
    wanted = find_chapter(root, chapter).name if chapter else None
    sources = {name: read_source(c, config)[1] for name, c in course_chapters.items()}
    # Only answer and test cells identify a chapter: every chapter shares the setup cell's id.
    known_ids = {name: {grade_id(cell) for cell in nb.cells
                        if nbgrader_meta(cell).get("grade") or nbgrader_meta(cell).get("solution")}
                 for name, nb in sources.items()}
    rows: list[GradeRow] = []
    released: set[str] = set()
    seen: set[tuple[str, str]] = set()
    with guarded_kernels() as blocked_log, temporary_course(cell_timeout=cell_timeout, prefix="cnn-course-grade-") as (course, api):
        for submission in submissions:
            row = GradeRow(submission.student_id, chapter="?", file=submission.name)
            rows.append(row)
            try:
                notebook = load(submission.path)
                row.chapter = identify(notebook, known_ids, wanted)
                if (row.student_id, row.chapter) in seen:
                    raise CourseError(f"a second notebook of {row.chapter} from {row.student_id}: "
                                      "only the first was graded; decide which one counts")
                seen.add((row.student_id, row.chapter))
                inspection = inspect(notebook, sources[row.chapter])
                for text in inspection.notes:
                    row.note(text)
                if inspection.blocking:
                    raise CourseError(inspection.blocking)
                if row.chapter not in released:
                    _release(api, course, course_chapters[row.chapter], sources[row.chapter])
                    released.add(row.chapter)
                _grade_one(api, course, course_chapters[row.chapter], inspection, row, feedback_dir, cell_timeout)
                if inspection.review:
                    row.flag(inspection.review)
            except CourseError as problem:
                row.flag(str(problem))
            finally:
                blocked = take_blocked(blocked_log)  # read every time, so nothing carries over to the next student
                if blocked:
                    row.flag("tried to change files outside its folder or to run programs, which was blocked: "
                             + "; ".join(blocked[:5]))
    return rows


# --- reports ----------------------------------------------------------------------------

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
        values = row.as_csv()
        score = "—" if row.score is None else f"{values['score']}/{values['max_score']}"
        status = row.status if not row.reason else f"{row.status}: {row.reason}"
        lines.append(f"{row.student_id:<20} {row.chapter:<26} {score:>12}  {status}")
    return "\n".join(lines)


def grade_path(submissions: Path, out_csv: Path, root: Path, feedback_dir: Path | None = None,
               cell_timeout: int = DEFAULT_CELL_TIMEOUT, chapter: str | None = None,
               id_pattern: str = DEFAULT_ID_PATTERN, log=print) -> list[GradeRow]:
    """Grade a folder or a zip of submissions; write the CSV, the feedback and the class summary."""
    from cnn_course.class_summary import write_summary

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
            raise CourseError(f"no submissions in {submissions}: expected notebooks, one per student or in per-student folders")
        for name, why in strays:
            log(f"not graded: {name}: {why}")
        log(f"grading {len(found)} notebook(s) from {submissions}, each cell limited to {cell_timeout} s")
        rows = grade_submissions(found, root, feedback_dir, cell_timeout=cell_timeout, chapter=chapter)
    rows += [GradeRow(student_id=_clean_id(Path(name).stem), chapter="?", file=name, status=MANUAL, reason=why)
             for name, why in strays]
    write_csv(rows, out_csv)
    log(format_table(rows))
    summary = write_summary(rows, out_csv.resolve().parent, stem=out_csv.stem)
    log(summary.text)
    log(f"wrote {out_csv}, the feedback in {feedback_dir}, and the class summary {summary.plot}")
    return rows
