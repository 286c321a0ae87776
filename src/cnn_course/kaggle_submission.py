"""Check a Kaggle-style submission file before uploading it: ``id,label`` with one row per photo.

Kaggle's Dogs vs. Cats scores submissions by log loss, which punishes a confident mistake
without limit: a label of exactly 0 or 1 that is wrong costs an infinite loss. So labels
must be probabilities strictly between 0 and 1 (clip them, e.g. to [0.005, 0.995]).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

from cnn_course.errors import CourseError

HEADER = ["id", "label"]


class SubmissionError(CourseError):
    """The file would be rejected or scored badly; the message lists every problem."""


def _row_problems(rows: list[list[str]], seen: dict[str, int]) -> list[str]:
    """What is wrong with the data rows (``seen``: each id's first line, filled in here)."""
    found: list[str] = []
    for number, row in enumerate(rows, start=2):
        if len(row) != 2:
            found.append(f"line {number} has {len(row)} values instead of 2: {','.join(row)!r}")
            continue
        identifier, label = row[0].strip(), row[1].strip()
        if identifier in seen:
            found.append(f"id {identifier} appears twice (lines {seen[identifier]} and {number})")
        seen.setdefault(identifier, number)
        try:
            value = float(label)
        except ValueError:
            found.append(f"line {number}: the label {label!r} is not a number")
            continue
        if not math.isfinite(value) or not 0.0 < value < 1.0:
            found.append(
                f"line {number}: the label {label} must be a probability strictly between 0 and 1 "
                "(clip it: an exact 0 or 1 that is wrong costs an infinite log loss)"
            )
    return found


def _id_problems(seen: Iterable[str], expected_ids: Iterable[str]) -> list[str]:
    expected, seen = {str(i) for i in expected_ids}, set(seen)
    missing, extra = sorted(expected - seen), sorted(seen - expected)
    found = []
    if missing:
        found.append(f"{len(missing)} photo(s) have no row, e.g. id {', '.join(missing[:5])}")
    if extra:
        found.append(f"{len(extra)} row(s) are for ids that are not in the test folder, e.g. {', '.join(extra[:5])}")
    return found


def problems(path: Path, expected_ids: Iterable[str] | None = None) -> list[str]:
    """Every problem with the file, in plain words; an empty list means it is fine."""
    path = Path(path)
    if not path.is_file():
        return [f"there is no file {path}"]
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return ["the file is empty: it needs the header id,label and one row per photo"]
    found: list[str] = []
    if [cell.strip() for cell in rows[0]] != HEADER:
        found.append(f"the first line must be exactly 'id,label', not {','.join(rows[0])!r}")
    seen: dict[str, int] = {}
    found += _row_problems(rows[1:], seen)
    if len(rows) == 1:
        found.append("the file has a header but no rows")
    if expected_ids is not None:
        found += _id_problems(seen, expected_ids)
    return found


def check(path: Path, expected_ids: Iterable[str] | None = None) -> int:
    """Raise :class:`SubmissionError` listing every problem; return the number of rows if none."""
    found = problems(path, expected_ids)
    if found:
        raise SubmissionError(f"{path} is not ready to submit:\n" + "\n".join(f"  - {p}" for p in found))
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1
