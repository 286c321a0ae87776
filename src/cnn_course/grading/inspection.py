"""Inspect a submitted notebook against the handout before nbgrader sees it.

Real submissions arrive damaged: a test cell deleted, an answer cell pasted twice, cells
dragged around, a cell turned into markdown, a test "fixed" to always pass. This module
reads the file, repairs what can be repaired without judging the student (a deleted test
cell is put back: the instructor's tests are what count), and says plainly what it found,
so that every submission ends in a score, a score with notes, or a reason for a person to
look at it.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnn_course.cells import grade_id, is_answer_cell, is_test_cell, visible_source
from cnn_course.errors import CourseError


@dataclass
class Inspection:
    notebook: dict
    notes: list[str] = field(default_factory=list)
    blocking: str | None = None  # autograde cannot give a fair score: a person must look
    review: str | None = None  # autograde runs, but the score needs a person's check


def load(path: Path) -> dict:
    """The submission as notebook JSON; :class:`CourseError` says why it is not one."""
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise CourseError("the file is empty (0 bytes of notebook): ask the student to save and submit again")
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CourseError(
            f"the file is not valid notebook JSON ({type(error).__name__}): it may be truncated "
            "or not a notebook at all"
        ) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise CourseError("the file is JSON but not a Jupyter notebook (it has no list of cells)")
    for cell in notebook["cells"]:
        if not isinstance(cell, dict):
            raise CourseError("the notebook has a malformed cell: it cannot be graded automatically")
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        cell.setdefault("metadata", {})
    return notebook


def _restore_missing(notebook: dict, source: nbformat.NotebookNode, missing: set[str]) -> list[str]:
    """Put deleted locked cells (tests, setup) back after the cell that preceded them."""
    restored = []
    for index, cell in enumerate(source.cells):
        name = grade_id(cell)
        if name not in missing:
            continue
        previous = {grade_id(c) for c in source.cells[:index]} - {None}
        position = 0
        for at, candidate in enumerate(notebook["cells"]):
            if grade_id(candidate) in previous:
                position = at + 1
        restored_cell = nbformat.from_dict(copy.deepcopy(dict(cell)))
        restored_cell.source = visible_source(cell) + "\n"
        if restored_cell.cell_type == "code":
            restored_cell.outputs, restored_cell.execution_count = [], None
        notebook["cells"].insert(position, restored_cell)
        restored.append(name)
    return restored


def inspect(notebook: dict, source: nbformat.NotebookNode) -> Inspection:
    """Compare a loaded submission with the chapter's source notebook."""
    notebook = copy.deepcopy(notebook)
    found = Inspection(notebook)
    submitted = [grade_id(cell) for cell in notebook["cells"]]
    counts = Counter(name for name in submitted if name)
    duplicated = sorted(name for name, count in counts.items() if count > 1)
    if duplicated:
        where = ", ".join(
            f"{name!r} in cells {[i for i, n in enumerate(submitted) if n == name]}" for name in duplicated
        )
        found.blocking = (
            f"graded cells appear more than once ({where}); nbgrader cannot tell which copy to grade. "
            "Delete the extra copies (usually keep the last one), then grade again"
        )
        return found

    expected = {grade_id(cell): cell for cell in source.cells if grade_id(cell)}
    solution_ids = {name for name, cell in expected.items() if is_answer_cell(cell)}
    missing = set(expected) - set(counts)
    deleted_answers = sorted(missing & solution_ids)
    if deleted_answers:
        found.notes.append(f"answer cell(s) deleted: {', '.join(deleted_answers)} (scored as unanswered)")
    restored = _restore_missing(notebook, source, missing - solution_ids)
    if restored:
        found.notes.append(f"restored deleted cell(s) from the handout: {', '.join(restored)}")

    for cell in notebook["cells"]:
        name = grade_id(cell)
        if name not in expected:
            continue
        original = expected[name]
        if cell.get("cell_type") != original.cell_type:
            found.notes.append(f"cell {name!r} was turned into {cell.get('cell_type')}; graded as {original.cell_type}")
        if is_test_cell(original) and visible_source(cell) != visible_source(original):
            found.notes.append(f"test cell {name!r} was edited; the original test was run")

    order = [name for name in (grade_id(c) for c in notebook["cells"]) if name in expected]
    expected_order = [name for name in expected if name in order]
    if order != expected_order:
        first = next(i for i, (a, b) in enumerate(zip(order, expected_order)) if a != b)
        found.review = (
            f"graded cells are in a different order from the handout ({order[first]!r} where "
            f"{expected_order[first]!r} was expected), so a test may have run before its answer: "
            "the score is provisional"
        )
    return found


def identify(notebook: dict, known: dict[str, set[str]], wanted: str | None = None) -> str:
    """The chapter a notebook belongs to; with ``wanted``, refuse a notebook of another chapter."""
    ids = {grade_id(cell) for cell in notebook["cells"]} - {None}
    overlap = {name: len(ids & chapter_ids) for name, chapter_ids in known.items()}
    best = max(overlap, key=overlap.get, default=None)
    if wanted:
        if overlap.get(wanted, 0) >= max(overlap.values(), default=0) and overlap.get(wanted, 0) > 0:
            return wanted
        if best and overlap[best] > 0:
            raise CourseError(
                f"this is the notebook of {best}, not of {wanted}: the student handed in the wrong chapter"
            )
        raise CourseError(f"this notebook has none of {wanted}'s graded cells: it is not the chapter's notebook")
    if best and overlap[best] > 0:
        return best
    raise CourseError("could not tell which chapter this notebook is: it has none of the course's graded cells")
