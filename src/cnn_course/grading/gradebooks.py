"""Gradebooks a learning platform imports: the class's own export, filled in.

Given as ``--roster``, a platform's export is both the class list and the file to send back:

- **Canvas** (Grades > Export): columns ``Student, ID, SIS User ID, SIS Login ID, Section``,
  then one column per assignment, and a ``Points Possible`` row under the header. The copy
  keeps every row and column in the export's order and fills the assignment's column (the one
  named with ``--gradebook-column``, else the one whose header names the chapter: never a new
  column, which Canvas would import as a second assignment) by the Canvas user id, the id
  ``--id-pattern canvas`` reads. Scores are scaled to the column's Points Possible.
- **Moodle** (the assignment's *Download grading worksheet*): columns ``Identifier, Full name,
  ..., Grade, Maximum Grade, ...``; the copy fills ``Grade`` by the participant id
  (``Participant 12345``), the id ``--id-pattern moodle`` reads, scaled to ``Maximum Grade``.

The export is the platform's truth, and a batch may be one re-graded student or a few
latecomers: a cell is only ever replaced by a score this batch computed. A student on the roster
with nothing in this batch keeps the cell as it was (0 only with ``missing_zero``, and only where
the cell is empty); a student whose notebooks need a person keeps it too. Every grade the export
already held that the new file changes is listed, so the instructor sees them before importing.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from cnn_course.errors import CourseError
from cnn_course.grading.intake import clean_id
from cnn_course.grading.report import MANUAL, MISSING, GradeRow, number_text

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Grade")


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def kind_of(rows: list[list[str]]) -> str | None:
    """``"canvas"``, ``"moodle"`` or None (a plain roster), from a CSV's header row."""
    header = [cell.strip() for cell in rows[0]] if rows else []
    if all(name in header for name in CANVAS_COLUMNS):
        return "canvas"
    if all(name in header for name in MOODLE_COLUMNS):
        return "moodle"
    return None


def roster_ids(path: Path) -> list[str] | None:
    """The student ids of a platform export, in its order; None for a plain roster."""
    rows = _read(path)
    kind = kind_of(rows)
    if kind is None:
        return None
    header = [cell.strip() for cell in rows[0]]
    if kind == "canvas":
        column = header.index("ID")
        return [clean_id(row[column]) for row in rows[1:] if _is_student(row, column)]
    column = header.index("Identifier")
    return [clean_id(row[column].replace("Participant", "")) for row in rows[1:] if len(row) > column and row[column]]


CANVAS_TEST_STUDENT = "Student, Test"  # the student Canvas adds for "Student View": not in the class


def _is_student(row: list[str], id_column: int) -> bool:
    """Canvas puts a "Points Possible" (and sometimes a "Manual Posting") row under its header,
    and lists its own test student."""
    return (
        len(row) > id_column
        and row[id_column].strip() != ""
        and not row[0].strip().startswith(("Points Possible", "Manual Posting"))
        and row[0].strip() != CANVAS_TEST_STUDENT
    )


NOT_HANDED_IN = "not handed in"  # a student of the roster with no notebook in this batch


@dataclass
class FilledGradebook:
    """What :func:`write_gradebook` did: the column it filled and the cells it touched."""

    column: str
    changed: list[str] = field(default_factory=list)  # "Smith, Alice (12345): 5 -> 12"
    filled: int = 0  # empty cells that got a score
    not_handed_in: int = 0  # roster students with nothing in this batch
    zeroed: int = 0  # of those, empty cells set to 0 (missing_zero)
    missing_zero: bool = False  # asked: 0 for a roster student with nothing handed in and no grade yet
    scale: float = 1.0  # the assignment's points over the notebook's maximum score
    scaled_from: tuple[float, float] | None = None  # (notebook's maximum, assignment's points) when scaled


def _totals(rows: list[GradeRow]) -> dict[str, object]:
    """Student id -> the score this batch computed, "" where a person decides, or
    :data:`NOT_HANDED_IN` for a student of the roster with no notebook in the batch."""
    totals: dict[str, object] = {}
    for row in rows:
        if row.status == MISSING:
            totals.setdefault(row.student_id, NOT_HANDED_IN)
        elif row.counts and row.status != MANUAL and row.score is not None:
            totals[row.student_id] = number_text(row.score)
        else:
            totals.setdefault(row.student_id, "")
    return totals


def _is_empty(cell: str) -> bool:
    return cell.strip() in ("", "-")  # Moodle writes "-" for "no grade yet"


def _same(old: str, new: str) -> bool:
    try:
        return float(old) == float(new)
    except ValueError:
        return old.strip() == new


def _fill(row: list[str], target: int, total: object, label: str, filled: FilledGradebook) -> None:
    """Put this batch's ``total`` into ``row[target]``, never replacing a grade it did not compute."""
    old = row[target]
    if total is NOT_HANDED_IN:
        filled.not_handed_in += 1
        if filled.missing_zero and _is_empty(old):
            row[target] = "0"
            filled.zeroed += 1
        return
    if total == "":  # a person decides: the cell keeps what it holds
        return
    new = str(number_text(round(float(total) * filled.scale, 2)))
    if _is_empty(old):
        filled.filled += 1
    elif not _same(old, new):
        filled.changed.append(f"{label}: {old.strip()} -> {new}")
    row[target] = new


def _points(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _scale(filled: FilledGradebook, points: float | None, max_score: float | None) -> None:
    """Scores out of the notebook's maximum go into an assignment worth ``points``: scaled."""
    if points and max_score and not _close(points, max_score):
        filled.scale = points / max_score
        filled.scaled_from = (max_score, points)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def chapter_columns(header: list[str], chapter: str) -> list[int]:
    """The export's columns that name ``chapter`` (e.g. ``01_convolution_maths``): by its name,
    by "Chapter 1" (or "Ch 1", "Ch. 1"), or by its title's words ("Convolution maths")."""
    number, _, slug = chapter.partition("_")
    by_number = re.compile(rf"\b(chapter|ch\.?)\s*0*{int(number)}\b", re.IGNORECASE) if number.isdigit() else None
    words = [word for word in slug.split("_") if word]
    found = []
    for index, name in enumerate(header):
        if index < len(CANVAS_COLUMNS):
            continue
        lowered = name.lower()
        if (
            chapter.lower() in lowered
            or (by_number and by_number.search(name))
            or (words and all(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words))
        ):
            found.append(index)
    return found


def _canvas_column(header: list[str], column: str | None, chapter: str, roster: Path) -> int:
    if column:
        matches = [index for index, name in enumerate(header) if column.lower() in name.lower()]
        if len(matches) != 1:
            found = "no column" if not matches else f"{len(matches)} columns"
            raise CourseError(f"--gradebook-column {column!r}: {found} of {roster} match; name one exactly")
        return matches[0]
    matches = chapter_columns(header, chapter)
    if len(matches) == 1:
        return matches[0]
    assignments = ", ".join(repr(name) for name in header[len(CANVAS_COLUMNS) :]) or "none"
    if matches:
        names = ", ".join(repr(header[index]) for index in matches)
        raise CourseError(
            f"{len(matches)} columns of {roster} could be {chapter}'s assignment ({names}): "
            "name the one students submitted to with --gradebook-column"
        )
    raise CourseError(
        f"no column of {roster} names {chapter} (its assignment columns: {assignments}). Create the assignment "
        "in Canvas and export again, or name its column with --gradebook-column: a new column would be "
        "imported as a second assignment"
    )


def _fill_canvas(table: list[list[str]], totals: dict, target: int, max_score: float | None, filled) -> None:
    header = table[0]
    ids = header.index("ID")
    points_row = next((row for row in table[1:] if row and row[0].strip().startswith("Points Possible")), None)
    if points_row is not None:
        points_row.extend([""] * (len(header) - len(points_row)))
        if not points_row[target].strip() and max_score is not None:
            points_row[target] = str(number_text(max_score))
        _scale(filled, _points(points_row[target]), max_score)
    for row in table[1:]:
        row.extend([""] * (len(header) - len(row)))
        if _is_student(row, ids) and clean_id(row[ids]) in totals:
            student = clean_id(row[ids])
            _fill(row, target, totals[student], f"{row[0].strip()} ({student})", filled)


def _fill_moodle(table: list[list[str]], totals: dict, max_score: float | None, filled) -> None:
    header = table[0]
    ids, target, names = header.index("Identifier"), header.index("Grade"), header.index("Full name")
    maximum = header.index("Maximum Grade") if "Maximum Grade" in header else None
    for row in table[1:]:
        student = clean_id(row[ids].replace("Participant", "")) if len(row) > ids else ""
        if student in totals:
            if maximum is not None and len(row) > maximum:
                _scale(filled, _points(row[maximum]), max_score)
            _fill(row, target, totals[student], f"{row[names].strip()} ({student})", filled)


def write_gradebook(
    roster: Path,
    rows: list[GradeRow],
    out: Path,
    column: str | None,
    chapter: str,
    missing_zero: bool = False,
) -> FilledGradebook:
    """Write ``roster`` (a Canvas or Moodle export) to ``out`` with this batch's grades filled in,
    in the assignment's column (``column``, else the one that names ``chapter``) and scaled to its
    points (``missing_zero``: 0 for a roster student with nothing handed in and no grade yet).
    Raises :class:`CourseError` for a plain roster, or a column that is unknown or ambiguous."""
    table = _read(roster)
    kind = kind_of(table)
    if kind is None:
        raise CourseError(
            f"--gradebook needs a platform's export as --roster: {roster} has neither Canvas's columns "
            f"({', '.join(CANVAS_COLUMNS)}) nor Moodle's grading worksheet columns ({', '.join(MOODLE_COLUMNS)})"
        )
    totals = _totals(rows)
    max_score = next((row.max_score for row in rows if row.max_score), None)
    if kind == "canvas":
        target = _canvas_column(table[0], column, chapter, roster)
        filled = FilledGradebook(table[0][target], missing_zero=missing_zero)
        _fill_canvas(table, totals, target, max_score, filled)
    else:
        filled = FilledGradebook("Grade", missing_zero=missing_zero)
        _fill_moodle(table, totals, max_score, filled)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)
    return filled
