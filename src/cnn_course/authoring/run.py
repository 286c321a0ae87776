"""``cnn-course run NN``: execute a chapter's solution notebook outside Jupyter.

What an instructor does before a workshop (or on a GPU box): run the chapter top to
bottom, keep the executed copy with its figures, and see which cells take the time.
``--set NAME=VALUE`` changes one of the chapter's settings for the run, as a learner would
edit it, e.g. ``--set TRAIN_MODELS=False`` to run on the course's trained models.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import nbformat

from cnn_course.authoring import RUN_CELL_TIMEOUT, RUNS_FOLDER
from cnn_course.course.course import Course
from cnn_course.errors import CourseError
from cnn_course.hardware import cpu_description
from cnn_course.kernels.execute import ExecutionReport, execute_notebook


def _is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def python_value(name: str, value: str, current: str) -> str:
    """``VALUE`` as Python: a literal as given; plain text (``/some/path``, as people type it)
    quoted where the setting holds a path or a name (its value now is text or None)."""
    if _is_literal(value):
        return value
    now = current.split("#", 1)[0].strip()
    if _is_literal(now) and (ast.literal_eval(now) is None or isinstance(ast.literal_eval(now), str)):
        return repr(value)
    raise CourseError(
        f"--set {name}={value}: {name} takes a Python value, such as {now or 'True'}; "
        f"{value!r} is not one (quote text: --set '{name}=\"...\"')"
    )


def apply_settings(notebook: nbformat.NotebookNode, settings: Mapping[str, str], where: str) -> None:
    """Replace each setting's line ``NAME = ...`` in the chapter's code cells with ``NAME = VALUE``."""
    for name, value in settings.items():
        line = re.compile(rf"^{re.escape(name)} = (.*)$", re.M)
        cells = [cell for cell in notebook.cells if cell.cell_type == "code" and line.search(cell.source)]
        if not cells:
            raise CourseError(f"{where} has no setting {name} (a line '{name} = ...') to change")
        replacement = f"{name} = {python_value(name, value, line.search(cells[0].source).group(1))}"
        for cell in cells:
            cell.source = line.sub(lambda _, text=replacement: text, cell.source)


def run_chapter(
    course: Course,
    number: str,
    smoke: bool = False,
    out_dir: Path = RUNS_FOLDER,
    cell_timeout: int = RUN_CELL_TIMEOUT,
    slowest: int = 5,
    settings: Mapping[str, str] | None = None,
    log=print,
) -> ExecutionReport:
    chapter = course.chapter(number)
    _, notebook = course.source(chapter)
    apply_settings(notebook, settings or {}, str(chapter.source))
    mode = "smoke mode" if smoke else "full mode"
    log(f"running {chapter.source} ({mode}, each cell limited to {cell_timeout} s)")
    with tempfile.TemporaryDirectory(prefix=f"cnn-course-run-{chapter.number}-") as workdir:
        report = execute_notebook(notebook, Path(workdir), smoke=smoke, cell_timeout=cell_timeout)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{chapter.name}{'.smoke' if smoke else ''}.executed.ipynb"
    nbformat.write(report.notebook, executed)
    log(f"finished in {report.seconds:.1f} s; executed copy with figures: {executed}")
    # A time means little without the machine: CPUs sold under one name differ by times.
    log(f"on {cpu_description()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    log("slowest cells:")
    for cell in report.slowest(slowest):
        log(f"  {cell.seconds:7.2f} s  cell {cell.index:3d}  {cell.first_line}")
    if report.errors:
        log(f"ERROR in {report.errors[0].describe()}")
    if len(report.errors) > 1:
        later = ", ".join(str(error.index) for error in report.errors[1:])
        log(
            f"{len(report.errors) - 1} later cell(s) failed too (cells {later}); they most likely follow from "
            "the first error: fix that one and run again"
        )
    return report
