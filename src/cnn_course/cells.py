"""nbgrader's vocabulary, in one place: which cells are answers and tests, the markers inside
them, a test cell as students see it, and where nbgrader keeps its gradebook.

Build, grading, feedback, the website, the learner's progress view and the tests all read
cells through these names, so a change to how a chapter marks its cells is made once. It
stands on the standard library alone: learner helpers (``checks.progress``) use it on a base
install, where nbgrader is absent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# The reference answer between the markers, and a hidden-tests region with its line end.
SOLUTION_REGION = re.compile(rf"{SOLUTION_BEGIN}\n(.*?){SOLUTION_END}", re.S)
HIDDEN_REGION = re.compile(rf"{HIDDEN_BEGIN}.*?{HIDDEN_END}\n?", re.S)
# One marker line on its own, as a scaffold's author writes it (indented inside a function).
SOLUTION_MARKER_LINE = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# The tag of a cell that defines what answers call (a constant, a loader): it runs with them.
EXERCISE_HELPER = "exercise-helper"


def nbgrader_meta(cell: Mapping[str, Any]) -> dict:
    """The cell's nbgrader metadata, or {} (also when a submission mangled it)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The cell's nbgrader grade_id, or None for a cell nbgrader does not track."""
    return nbgrader_meta(cell).get("grade_id")


def is_answer_cell(cell: Mapping[str, Any]) -> bool:
    """A cell the student writes in (nbgrader's ``solution: true``)."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell: Mapping[str, Any]) -> bool:
    """A graded cell of tests (``grade: true``, not an answer)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_graded(cell: Mapping[str, Any]) -> bool:
    """A cell nbgrader scores (``grade: true``): a test cell, or an answer graded by hand."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_exercise_cell(cell: Mapping[str, Any]) -> bool:
    """An answer or a graded cell: the cells that tell one chapter from another (every
    chapter shares the setup cell's id) and whose release source differs from the solution's."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade") or meta.get("solution"))


def cell_source(cell: Mapping[str, Any]) -> str:
    """The cell's source as one string (a saved notebook may keep it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def tags(cell: Mapping[str, Any]) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def is_import_cell(cell: Mapping[str, Any]) -> bool:
    """The chapter's import cell: code, no exercise, starting with ``import`` or ``from``."""
    return (
        cell.get("cell_type") == "code"
        and not is_exercise_cell(cell)
        and cell_source(cell).lstrip().startswith(("import ", "from "))
    )


def cells_answers_need(cells: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """What defines a chapter's answers without training or downloading anything: its first
    import cell, then in order every ``exercise-helper`` cell and every answer cell nbgrader
    does not score. The tests, the benchmarks and ``ex.progress()`` all run these cells."""
    code = [cell for cell in cells if cell.get("cell_type") == "code"]
    imports = next((cell for cell in code if is_import_cell(cell)), None)
    if imports is not None:
        yield imports
    for cell in code:
        if EXERCISE_HELPER in tags(cell) or (is_answer_cell(cell) and not is_graded(cell)):
            yield cell


def visible_source(cell: Mapping[str, Any]) -> str:
    """A test cell as the students received it: hidden tests removed."""
    return HIDDEN_REGION.sub("", cell_source(cell)).strip()


def gradebook_url(course_folder: Path) -> str:
    """The SQLite gradebook nbgrader keeps in a course folder."""
    return f"sqlite:///{course_folder}/gradebook.db"
