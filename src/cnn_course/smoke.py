"""One switch for small runs.

``CNN_COURSE_SMOKE=1`` shrinks data and epochs so that every notebook runs top to bottom
on a CPU in seconds; the test suite sets it. nbgrader sets ``NBGRADER_EXECUTION`` while it
autogrades, and long cells treat that the same way so grading stays fast. In either mode a
chapter's setup cell (:func:`cnn_course.environment.prepare`) also runs Keras functions
eagerly, which is quicker than building their graphs for so little data.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

SMOKE_VARIABLE = "CNN_COURSE_SMOKE"
_TRUE_WORDS = {"1", "true", "yes", "on"}


def is_smoke() -> bool:
    """True when ``CNN_COURSE_SMOKE`` is set to 1/true/yes/on (any case)."""
    return os.environ.get(SMOKE_VARIABLE, "").strip().lower() in _TRUE_WORDS


def is_grading() -> bool:
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def is_quick() -> bool:
    """True when long cells should do the least that still shows the idea."""
    return is_smoke() or is_grading()


def full_or_quick(full: T, quick: T) -> T:
    """``full`` normally; ``quick`` in a smoke run or while nbgrader grades.

    The chapters call it in one "sizes" cell, so that the lessons show plain numbers."""
    return quick if is_quick() else full


def describe() -> str:
    """One line saying which mode is active, for the top of a notebook."""
    if is_smoke():
        return f"Smoke mode is on ({SMOKE_VARIABLE}=1): small data, few epochs."
    if is_grading():
        return "Grading mode (nbgrader): long cells run their shortest version."
    return "Full mode: real data and full training runs."
