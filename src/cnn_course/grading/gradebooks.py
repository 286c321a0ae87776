"""Gradebooks a learning platform imports: the class's own export, filled in.

Given as ``--roster``, a platform's export is both the class list and the file to send back:

- **Canvas** (Grades > Export): columns ``Student, ID, SIS User ID, SIS Login ID, Section``,
  then one column per assignment, and a ``Points Possible`` row under the header. The copy
  keeps every row and column in the export's order and fills the assignment's column (the one
  named with ``--gradebook-column``, or a new column named after the chapter, which Canvas
  adds as an assignment on import) by the Canvas user id, the id ``--id-pattern canvas`` reads.
- **Moodle** (the assignment's *Download grading worksheet*): columns ``Identifier, Full name,
  ..., Grade, Maximum Grade, ...``; the copy fills ``Grade`` by the participant id
  (``Participant 12345``), the id ``--id-pattern moodle`` reads.

A student with nothing handed in gets 0 (the row says so in the grades CSV); a student whose
notebooks need a person to choose, or who needs manual grading, is left blank for the
instructor to fill.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cnn_course.errors import CourseError
from cnn_course.grading.intake import clean_id
from cnn_course.grading.report import MANUAL, MISSING, GradeRow, _number

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


def _is_student(row: list[str], id_column: int) -> bool:
    """Canvas puts a "Points Possible" (and sometimes a "Manual Posting") row under its header."""
    return (
        len(row) > id_column
        and row[id_column].strip() != ""
        and not row[0].strip().startswith(("Points Possible", "Manual Posting"))
    )


def _totals(rows: list[GradeRow]) -> dict[str, object]:
    """Student id -> the score that goes into the gradebook, or "" where a person decides."""
    totals: dict[str, object] = {}
    for row in rows:
        if row.status == MISSING:
            totals.setdefault(row.student_id, 0)
        elif row.counts and row.status != MANUAL and row.score is not None:
            totals[row.student_id] = _number(row.score)
        else:
            totals.setdefault(row.student_id, "")
    return totals


def write_gradebook(roster: Path, rows: list[GradeRow], out: Path, column: str | None, chapter: str) -> str:
    """Write ``roster`` (a Canvas or Moodle export) to ``out`` with the grades filled in; returns
    the column filled. Raises :class:`CourseError` for a plain roster or an unknown column."""
    table = _read(roster)
    kind = kind_of(table)
    if kind is None:
        raise CourseError(
            f"--gradebook needs a platform's export as --roster: {roster} has neither Canvas's columns "
            f"({', '.join(CANVAS_COLUMNS)}) nor Moodle's grading worksheet columns ({', '.join(MOODLE_COLUMNS)})"
        )
    header = table[0]
    totals = _totals(rows)
    if kind == "canvas":
        ids = header.index("ID")
        if column:
            matches = [index for index, name in enumerate(header) if column.lower() in name.lower()]
            if len(matches) != 1:
                found = "no column" if not matches else f"{len(matches)} columns"
                raise CourseError(f"--gradebook-column {column!r}: {found} of {roster} match; name one exactly")
            target = matches[0]
        else:
            header.append(chapter)
            target = len(header) - 1
        max_score = next((row.max_score for row in rows if row.max_score), None)
        for row in table[1:]:
            row.extend([""] * (len(header) - len(row)))
            if row[0].strip().startswith("Points Possible") and max_score is not None and not row[target]:
                row[target] = str(_number(max_score))
            elif _is_student(row, ids) and clean_id(row[ids]) in totals:
                row[target] = str(totals[clean_id(row[ids])])
    else:
        ids, target = header.index("Identifier"), header.index("Grade")
        for row in table[1:]:
            student = clean_id(row[ids].replace("Participant", "")) if len(row) > ids else ""
            if student in totals:
                row[target] = str(totals[student])
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)
    return header[target]
