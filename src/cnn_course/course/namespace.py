"""Run chosen cells of a chapter outside Jupyter and keep what they define.

The benchmarks train the chapter's own models and the tests call the chapter's own
solutions; both need the same thing: the chapter's import cell, then the cells picked by
nbgrader ``grade_id`` or by tag, executed in one fresh namespace. This is the one way to do it.
"""

from __future__ import annotations

from collections.abc import Iterable

from cnn_course.cells import cells_answers_need, grade_id, is_import_cell
from cnn_course.cells import tags as tags_of
from cnn_course.course.course import Course
from cnn_course.errors import CourseError


def _chapter_source(course: Course, number: str):
    """The chapter and its source notebook, as both ways of running its cells read them."""
    chapter = course.chapter(number)
    return chapter, course.source(chapter)[1]


def chapter_namespace(
    course: Course, number: str, grade_ids: Iterable[str] = (), tags: Iterable[str] = (), solutions: bool = False
) -> dict:
    """Execute the chapter's import cell, then (in notebook order) every code cell whose
    grade_id is in ``grade_ids``, that carries one of ``tags``, or, with ``solutions``,
    that is a solution cell or a cell tagged ``exercise-helper`` (one that defines what an
    answer calls, such as Chapter 3's ``read_photos``). Returns the namespace they filled."""
    chapter, notebook = _chapter_source(course, number)
    wanted_ids, wanted_tags = set(grade_ids), set(tags)
    import_cell = next((cell for cell in notebook.cells if is_import_cell(cell)), None)
    if import_cell is None:
        raise CourseError(f"{chapter.source}: no import cell (a code cell starting with 'import' or 'from')")
    answers_need = {id(cell) for cell in cells_answers_need(notebook.cells)} if solutions else set()
    namespace: dict = {"__name__": f"chapter_{chapter.number}"}
    exec(compile(import_cell.source, f"<{chapter.name} imports>", "exec"), namespace)
    found = set()
    for cell in notebook.cells:
        name = grade_id(cell)
        chosen = name in wanted_ids or wanted_tags & set(tags_of(cell)) or (id(cell) in answers_need)
        if cell.cell_type == "code" and chosen and cell is not import_cell:
            found.add(name)
            exec(compile(cell.source, f"<{chapter.name} cell {name or 'tagged'}>", "exec"), namespace)
    missing = wanted_ids - found
    if missing:
        raise CourseError(f"{chapter.source}: no code cell with grade_id {sorted(missing)}")
    return namespace


def run_tagged_cells(course: Course, number: str, tag: str, namespace: dict, log=print) -> None:
    """Execute the chapter's code cells tagged ``tag``, in order, in ``namespace`` (which holds
    what they use): a benchmark times the chapter's own cell this way."""
    chapter, notebook = _chapter_source(course, number)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and tag in tags_of(cell)]
    if not cells:
        raise CourseError(f"{chapter.source}: no code cell tagged {tag!r}")
    namespace.setdefault("print", log)
    for cell in cells:
        exec(compile(cell.source, f"<{chapter.name} cell tagged {tag}>", "exec"), namespace)
