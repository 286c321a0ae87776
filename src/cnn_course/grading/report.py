"""What grading produces: a row per notebook, the CSV, the table and the feedback summary."""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

GRADED = "graded"
MANUAL = "needs manual grading"
MISSING = "missing"
NOT_COUNTED = "not counted"  # graded, but another notebook of the same student and chapter counts
CSV_COLUMNS = [
    "student_id",
    "chapter",
    "score",
    "max_score",
    "percent",
    "late",
    "status",
    "reason",
    "feedback",
    "file",
    "score_before_penalty",
]


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
    counts: bool = True  # False: another notebook of this student and chapter counts, or a person must choose
    exercises: dict[str, tuple[float, float]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    cells: dict[str, int] = field(default_factory=dict)  # cells named in the notes -> their number (from 1)
    score_before_penalty: float | None = None  # set when a late penalty was applied
    counting: str = ""  # for one of several notebooks of a chapter: whether this one counts, and why

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100.0 * self.score / self.max_score, 1)

    def flag(self, reason: str) -> None:
        self.status = MANUAL
        self.reason = "; ".join(part for part in (reason, self.reason) if part)

    def penalize(self, percent: float) -> None:
        """Apply a late penalty: the score loses ``percent`` of itself; the row says so."""
        self.score_before_penalty = self.score
        self.score = round(self.score * (1 - percent / 100), 3)
        self.note(f"late: {percent:g}% deducted ({number_text(self.score_before_penalty)} before)")

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
            "score": number_text(self.score),
            "max_score": number_text(self.max_score),
            "percent": number_text(self.percent),
            "late": "yes" if self.late else "",
            "status": self.status,
            "reason": self.reason,
            "feedback": feedback,
            "file": self.file,
            "score_before_penalty": number_text(self.score_before_penalty),
        }


def choose_counted(rows: list[GradeRow], submissions: dict[str, object]) -> None:
    """Where a student handed in several notebooks of one chapter, every one keeps its row and
    score and one counts: the latest upload where the platform numbers them (Canvas), else the
    newest file. When no rule tells them apart, none counts and the rows say "choose one".

    ``submissions`` maps each row's file name to its :class:`~cnn_course.grading.intake.Submission`.
    """
    groups: dict[tuple[str, str], list[GradeRow]] = defaultdict(list)
    for row in rows:
        if row.file in submissions and row.chapter != "?":
            groups[(row.student_id, row.chapter)].append(row)
    for (_, chapter), group in groups.items():
        if len(group) < 2:
            continue
        handed_in = [submissions[row.file] for row in group]
        if all(submission.upload for submission in handed_in):
            keys, rule = [submission.upload for submission in handed_in], "the latest upload"
            by = "the platform's upload number"
        else:
            keys, rule = [submission.modified for submission in handed_in], "the newest file"
            by = "the files' times"
        files = ", ".join(row.file for row in group)
        latest = max(keys)
        if keys.count(latest) > 1:
            for row in group:
                row.counts = False
                row.flag(f"choose one: {len(group)} notebooks of {chapter} ({files}), none of them the latest")
                row.counting = (
                    f"Not counted yet: you handed in {len(group)} notebooks of {chapter} and {by} cannot tell "
                    "which is the latest; your instructor chooses the one that counts."
                )
            continue
        winner = group[keys.index(latest)]
        for row in group:
            if row is winner:
                row.note(f"counts: {rule} of {len(group)} notebooks of {chapter} ({files})")
                row.counting = f"This notebook counts: it is {rule} of the {len(group)} you handed in (by {by})."
            else:
                row.counts = False
                row.status = NOT_COUNTED
                row.note(f"{winner.file} counts instead, as {rule}")
                row.counting = (
                    f"This notebook does not count: {winner.file} counts instead, as {rule} of the {len(group)} "
                    f"you handed in (by {by})."
                )


def number_text(value: float | None) -> object:
    return "" if value is None else (int(value) if float(value).is_integer() else round(value, 3))


def write_csv(rows: list[GradeRow], path: Path) -> None:
    """One row per notebook (and per missing student); paths relative to the CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv(relative_to=path.parent) for row in rows)


def _graded_cells(rows: list[GradeRow]) -> dict[str, list[str]]:
    """chapter -> its graded cells, in the order the notebooks list them."""
    cells: dict[str, list[str]] = {chapter: [] for chapter in sorted({row.chapter for row in rows if row.exercises})}
    for row in rows:
        for name in row.exercises:
            if name not in cells[row.chapter]:
                cells[row.chapter].append(name)
    return cells


def _wide_line(line: dict[str, object], row: GradeRow, column, cells: dict[str, list[str]]) -> None:
    """Add one notebook's row to its student's line of the wide table."""
    if not row.counts:  # another notebook of the same chapter counts, or a person chooses
        if row.status == MANUAL:
            line["status"] = MANUAL
        return
    if row.late:
        line["late"] = "yes"
    if row.status != GRADED and line["status"] == GRADED:
        line["status"] = row.status
    for name, (score, _) in row.exercises.items():
        line[column(row.chapter, name)] = number_text(score)
    if row.chapter in cells and row.score is not None:
        line[column(row.chapter, "total")] = number_text(row.score)


def write_wide_csv(rows: list[GradeRow], path: Path) -> None:
    """One row per student, one column per graded cell and a total per chapter: the shape a
    gradebook import wants. Cells are named ``chapter/cell`` when several chapters were graded."""
    cells = _graded_cells(rows)

    def column(chapter: str, name: str) -> str:
        return name if len(cells) == 1 else f"{chapter}/{name}"

    header = ["student_id"]
    for chapter, names in cells.items():
        header += [column(chapter, name) for name in names] + [column(chapter, "total")]
    header += ["late", "status"]
    table: dict[str, dict[str, object]] = {}
    for row in rows:
        line = table.setdefault(row.student_id, {"student_id": row.student_id, "late": "", "status": GRADED})
        _wide_line(line, row, column, cells)
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


def flag_odd_chapters(rows: list[GradeRow]) -> str | None:
    """The chapter most notebooks of the batch belong to; a notebook of another chapter among
    them (graded as that chapter, so it scores) is flagged for a person to look at."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.chapter != "?":
            counts[row.chapter] = counts.get(row.chapter, 0) + 1
    if not counts:
        return None
    main_chapter = max(counts, key=counts.get)
    if counts[main_chapter] <= sum(counts.values()) / 2:
        return None  # a mixed batch: no chapter is the batch's
    for row in rows:
        if row.chapter not in ("?", main_chapter):
            row.flag(f"a notebook of {row.chapter} in a batch of {main_chapter}: was the right chapter handed in?")
    return main_chapter


def roster_rows(rows: list[GradeRow], roster_ids: list[str], chapter: str) -> list[GradeRow]:
    """A "missing" row for each student on the roster who handed in nothing; notes the others."""
    on_roster = set(roster_ids)
    for row in rows:
        if row.student_id not in on_roster:
            row.note("not on the roster: check the student id")
    handed_in = {row.student_id for row in rows}
    return [
        GradeRow(student_id=student, chapter=chapter, status=MISSING, reason="nothing was handed in")
        for student in roster_ids
        if student not in handed_in
    ]
