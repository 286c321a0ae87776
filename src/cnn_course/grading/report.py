"""What grading produces: a row per notebook, the CSV, the table and the feedback summary."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

GRADED = "graded"
MANUAL = "needs manual grading"
MISSING = "missing"
CSV_COLUMNS = ["student_id", "chapter", "score", "max_score", "percent", "late", "status", "reason", "feedback", "file"]


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
    late: bool = False
    seconds: float = 0.0  # time spent grading this notebook
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

    def as_csv(self, relative_to: Path | None = None) -> dict[str, object]:
        """The row for the CSV; the feedback page's path relative to the CSV's folder."""
        feedback = self.feedback
        if feedback and relative_to is not None:
            feedback = Path(os.path.relpath(Path(feedback).resolve(), Path(relative_to).resolve())).as_posix()
        return {
            "student_id": self.student_id,
            "chapter": self.chapter,
            "score": _number(self.score),
            "max_score": _number(self.max_score),
            "percent": _number(self.percent),
            "late": "yes" if self.late else "",
            "status": self.status,
            "reason": self.reason,
            "feedback": feedback,
            "file": self.file,
        }


def _number(value: float | None) -> object:
    return "" if value is None else (int(value) if float(value).is_integer() else round(value, 3))


def write_csv(rows: list[GradeRow], path: Path) -> None:
    """One row per notebook (and per missing student); paths relative to the CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv(relative_to=path.parent) for row in rows)


def write_wide_csv(rows: list[GradeRow], path: Path) -> None:
    """One row per student, one column per graded cell and a total per chapter: the shape a
    gradebook import wants. Cells are named ``chapter/cell`` when several chapters were graded."""
    chapters = sorted({row.chapter for row in rows if row.exercises})
    cells = {chapter: [] for chapter in chapters}
    for row in rows:
        for name in row.exercises:
            if name not in cells[row.chapter]:
                cells[row.chapter].append(name)

    def column(chapter: str, name: str) -> str:
        return name if len(chapters) == 1 else f"{chapter}/{name}"

    header = ["student_id"]
    for chapter in chapters:
        header += [column(chapter, name) for name in cells[chapter]] + [column(chapter, "total")]
    header += ["late", "status"]
    table: dict[str, dict[str, object]] = {}
    for row in rows:
        line = table.setdefault(row.student_id, {"student_id": row.student_id, "late": "", "status": GRADED})
        if row.late:
            line["late"] = "yes"
        if row.status != GRADED:
            line["status"] = row.status if line["status"] == GRADED else line["status"]
        for name, (score, _) in row.exercises.items():
            line[column(row.chapter, name)] = _number(score)
        if row.chapter in cells and row.score is not None:
            line[column(row.chapter, "total")] = _number(row.score)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(table.values())


def format_table(rows: list[GradeRow]) -> str:
    header = f"{'student':<20} {'chapter':<26} {'score':>12}  status"
    lines = [header, "-" * len(header)]
    for row in rows:
        values = row.as_csv()
        score = "—" if row.score is None else f"{values['score']}/{values['max_score']}"
        status = row.status if not row.reason else f"{row.status}: {row.reason}"
        lines.append(f"{row.student_id:<20} {row.chapter:<26} {score:>12}  {status}")
    return "\n".join(lines)
