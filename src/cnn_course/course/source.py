"""Reading a chapter's source, ``solutions/NN_name.py``, and refusing what nbgrader would mishandle.

:func:`read_source` stamps the configured repository into the setup cell, parses the
jupytext py:percent text into a notebook, validates its nbgrader marks (naming the file and
the cell of any problem) and gives every cell a stable id.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

from cnn_course.cells import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END, grade_id, is_test_cell
from cnn_course.course.settings import Chapter, CourseConfig
from cnn_course.errors import CourseError

NBGRADER_KEYS = ("grade", "grade_id", "locked", "schema_version", "solution")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BuildError(CourseError):
    """The solutions cannot be built; the message names the file and the cell."""


# A link to one of the course's own files that every published tree has: it must lead into the
# repository the notebook is published from (a graded class's public tree, not the open course).
OWN_FILE_LINK = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/blob/[\w./-]+?/(docs/benchmarks\.md)")


def stamp_repository(text: str, config: CourseConfig) -> str:
    """Put the configured repository and branch into a setup cell's two settings lines, and into
    the links to the course's own files (the measurements page)."""
    text = re.sub(r'^COURSE_REPOSITORY = ".*"$', f'COURSE_REPOSITORY = "{config.repository}"', text, flags=re.M)
    text = re.sub(r'^COURSE_BRANCH = ".*"$', f'COURSE_BRANCH = "{config.branch}"', text, flags=re.M)
    return OWN_FILE_LINK.sub(lambda found: f"{config.repository}/blob/{config.branch}/{found.group(1)}", text)


def describe_cell(source: Path, index: int, cell: nbformat.NotebookNode) -> str:
    name_id = grade_id(cell)
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    name = f"grade_id {name_id!r}" if name_id else repr(first[:50])
    return f"{source}: cell {index} ({name})"


def _check_unmarked(text: str, where: str) -> None:
    """A cell without nbgrader metadata must not hold what only nbgrader's cells may."""
    if SOLUTION_BEGIN in text:
        raise BuildError(
            f"{where}: has a solution region but is not marked as a solution cell "
            '(add nbgrader={"solution": true, ...} to its "# %%" line)'
        )
    if HIDDEN_BEGIN in text:
        raise BuildError(f"{where}: has hidden tests but is not a graded test cell")


def _check_marked(cell: nbformat.NotebookNode, meta: dict, where: str) -> None:
    """An nbgrader cell's metadata, and its regions, as nbgrader needs them."""
    missing = [key for key in NBGRADER_KEYS if key not in meta]
    if missing:
        raise BuildError(f"{where}: nbgrader metadata lacks {', '.join(missing)}")
    name = meta["grade_id"]
    if not GRADE_ID.match(str(name)):
        raise BuildError(f"{where}: grade_id {name!r} must be 1-64 letters, digits, '_' or '-'")
    if SOLUTION_BEGIN in cell.source and not meta.get("solution"):
        raise BuildError(f"{where}: has a solution region but its nbgrader metadata says solution: false")
    if HIDDEN_BEGIN in cell.source and not is_test_cell(cell):
        raise BuildError(f"{where}: has hidden tests but is not a graded test cell")
    if meta.get("grade") and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
        raise BuildError(f'{where}: is graded but has no points (add "points": N with N > 0)')


def validate(notebook: nbformat.NotebookNode, source: Path) -> None:
    """Refuse what nbgrader would silently mishandle, naming the file and the cell."""
    seen: dict[str, int] = {}
    setup_cells = 0
    for index, cell in enumerate(notebook.cells):
        where = describe_cell(source, index, cell)
        meta = cell.metadata.get("nbgrader")
        setup_cells += "COURSE_REPOSITORY = " in cell.source
        for begin, end in ((SOLUTION_BEGIN, SOLUTION_END), (HIDDEN_BEGIN, HIDDEN_END)):
            if cell.source.count(begin) != cell.source.count(end):
                raise BuildError(f"{where}: {cell.source.count(begin)} '{begin}' but {cell.source.count(end)} '{end}'")
        if meta is None:
            _check_unmarked(cell.source, where)
            continue
        _check_marked(cell, meta, where)
        if meta["grade_id"] in seen:
            raise BuildError(
                f"{where}: grade_id {meta['grade_id']!r} is used twice (first in cell {seen[meta['grade_id']]})"
            )
        seen[meta["grade_id"]] = index
    if setup_cells != 1:
        raise BuildError(f"{source}: needs exactly one setup cell defining COURSE_REPOSITORY, found {setup_cells}")


def assign_ids(notebook: nbformat.NotebookNode) -> None:
    """Stable cell ids: the grade_id for graded cells, the position for the others."""
    for index, cell in enumerate(notebook.cells):
        cell["id"] = grade_id(cell) or f"cell-{index:03d}"


def read_source(chapter: Chapter, config: CourseConfig) -> tuple[str, nbformat.NotebookNode]:
    text = stamp_repository(chapter.source.read_text(encoding="utf-8"), config)
    notebook = jupytext.reads(text, fmt="py:percent")
    validate(notebook, chapter.source)
    notebook.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    notebook.metadata["jupytext"].pop("text_representation", None)
    assign_ids(notebook)
    return text, notebook


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """A notebook as the text nbformat writes, ending in a newline."""
    return nbformat.writes(notebook, version=4) + "\n"
