"""The class list: ``--roster``, a plain CSV of student ids or a platform's export (a Canvas
gradebook, a Moodle grading worksheet), whose ids are read the way the submissions' are."""

from __future__ import annotations

import csv
from pathlib import Path

from cnn_course.errors import CourseError
from cnn_course.grading.gradebooks import roster_ids
from cnn_course.grading.intake import clean_id

# The roster's id column, by header (any case), first found wins; else the first column.
ROSTER_COLUMNS = ("student_id", "id", "student id", "user_id", "sis user id", "username", "email")


def roster_columns_text() -> str:
    """The one description of the columns a roster may use (for --help and the guide)."""
    return ", ".join(f"`{name}`" for name in ROSTER_COLUMNS) + " (any case; the first found), else the first column"


def read_roster(path: Path) -> list[str]:
    """Student ids from a roster CSV: the first column whose header is in :data:`ROSTER_COLUMNS`,
    else the first column."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"--roster {path}: no such file. Pass a CSV with one student id per row.")
    exported = roster_ids(path)
    if exported is not None:
        if not exported:
            raise CourseError(f"--roster {path} is a platform's export with no students in it")
        return exported
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise CourseError(f"--roster {path} is empty: expected a header and one student id per row")
    header = [cell.strip().lower() for cell in rows[0]]
    for wanted in ROSTER_COLUMNS:
        if wanted in header:
            column = header.index(wanted)
            break
    else:
        column = 0
    ids = [clean_id(row[column]) for row in rows[1:] if len(row) > column and row[column].strip()]
    if not ids:
        raise CourseError(f"--roster {path} lists no student ids under its column {rows[0][column]!r}")
    return ids
