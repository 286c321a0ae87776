"""What ``solution()`` shows: the reference answer from the chapter's answers file, or, in a
graded class's tree (which leaves the files out), that solutions are off."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources

SOLUTIONS_OFF = (
    "Solutions are turned off for this course: your instructor keeps them until the "
    "exercises are graded. Try the hints: .hint(1), .hint(2), ..."
)


@dataclass(frozen=True, repr=False)
class Solution:
    """The reference answer of one exercise, shown as code."""

    exercise: str
    code: str
    explanation: str = ""

    def __str__(self) -> str:
        why = f"\n\nWhy it works: {self.explanation}" if self.explanation else ""
        return f"A reference answer for {self.exercise} (yours may differ and still be right):\n\n{self.code}{why}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        why = f"<p><b>Why it works:</b> {html.escape(self.explanation)}</p>" if self.explanation else ""
        return (
            f"<p><b>A reference answer for {html.escape(self.exercise)}</b> (yours may differ and still be "
            f"right; compare them line by line, then run the check again):</p><pre>{html.escape(self.code)}</pre>" + why
        )


def load_answers(module: str) -> dict[str, dict[str, str]] | None:
    """The answers file of a checks module (``cnn_course.checks.chapter01``), or None when absent."""
    chapter = module.rsplit(".", 1)[-1]
    try:
        text = resources.files("cnn_course.checks").joinpath("answers", f"{chapter}.json").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None
    return json.loads(text)
