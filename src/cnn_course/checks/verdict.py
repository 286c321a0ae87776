"""A check's verdict: its three states, how it shows in a notebook, and the exception a check
raises for an answer that ran but gave something else."""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass
from typing import Any


class Status(str, enum.Enum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"


# The one colour table for verdicts, check()'s and the progress view's; the words say the same,
# so no reader depends on the colour.
# Blue and orange, as plotting.RIGHT_MARK and WRONG_MARK: a pair every kind of colour vision tells
# apart (red against green is not), and each verdict also says its word.
VERDICT_COLOURS = {Status.CORRECT: "#0969da", Status.INCORRECT: "#bc4c00", Status.NOT_ATTEMPTED: "#57606a"}
HEADINGS = {Status.CORRECT: "Correct", Status.INCORRECT: "Not quite", Status.NOT_ATTEMPTED: "Not attempted yet"}


@dataclass(frozen=True, repr=False)
class Result:
    exercise: str
    status: Status
    message: str
    shortcut: bool = False  # the answer used the checking code or the course's own helper

    @property
    def passed(self) -> bool:
        return self.status is Status.CORRECT

    def __str__(self) -> str:
        return f"{HEADINGS[self.status]} ({self.exercise}): {self.message}"

    __repr__ = __str__  # what plain-text front ends (a terminal, some editors) show

    def _repr_html_(self) -> str:
        colour = VERDICT_COLOURS[self.status]
        return (
            f'<p style="color:{colour}"><b>{HEADINGS[self.status]}</b> ({html.escape(self.exercise)}): '
            f"{html.escape(self.message)}</p>"
        )


class Mismatch(AssertionError):
    """The answer ran but gave something other than what was expected."""


def show(item: Any) -> None:
    """Rich display inside Jupyter/Colab, plain print elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with every notebook kernel
        print(item)
        return
    if get_ipython() is None:
        print(item)
    else:
        display(item)
