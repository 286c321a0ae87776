"""What grading produces: a row per notebook, the CSV, the table and the feedback summary."""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass, field
from pathlib import Path

GRADED = "graded"
MANUAL = "needs manual grading"
CSV_COLUMNS = ["student_id", "chapter", "score", "max_score", "percent", "status", "reason", "feedback", "file"]


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

        return {
            "student_id": self.student_id,
            "chapter": self.chapter,
            "score": number(self.score),
            "max_score": number(self.max_score),
            "percent": number(self.percent),
            "status": self.status,
            "reason": self.reason,
            "feedback": self.feedback,
            "file": self.file,
        }


def feedback_summary(row: GradeRow) -> str:
    """An HTML block for the top of a student's feedback page: score and each failed check."""
    items = []
    for name, (score, max_score) in row.exercises.items():
        message = row.failures.get(name) or ("" if score == max_score else "did not pass")
        detail = f" — <code>{html.escape(message)}</code>" if score != max_score else ""
        mark = "&#10003;" if score == max_score else "&#10007;"
        items.append(f"<li>{mark} <b>{html.escape(name)}</b>: {score:g} / {max_score:g}{detail}</li>")
    notes = f"<p><b>Notes:</b> {html.escape(row.reason)}</p>" if row.reason else ""
    return (
        f'<div style="border:2px solid #0969da;padding:1em;margin:1em;font-family:sans-serif">'
        f"<h2>{html.escape(row.student_id)} — {html.escape(row.chapter)}: {row.as_csv()['score']} / "
        f"{row.as_csv()['max_score']}</h2>{notes}<ul>{''.join(items)}</ul>"
        f"<p>The full notebook with every test's output follows.</p></div>"
    )


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
