"""``cnn-course run NN``: execute a chapter's solution notebook outside Jupyter.

What an instructor does before a workshop (or on a GPU box): run the chapter top to
bottom, keep the executed copy with its figures, and see which cells take the time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from cnn_course.authoring.course import find_chapter, load_config
from cnn_course.authoring.execute import ExecutionReport, execute_notebook
from cnn_course.authoring.source import read_source


def run_chapter(
    root: Path,
    number: str,
    smoke: bool = False,
    out_dir: Path = Path("runs"),
    cell_timeout: int = 3600,
    slowest: int = 5,
    log=print,
) -> ExecutionReport:
    chapter = find_chapter(root, number)
    _, notebook = read_source(chapter, load_config(root))
    mode = "smoke mode" if smoke else "full mode"
    log(f"running {chapter.source} ({mode}, each cell limited to {cell_timeout} s)")
    with tempfile.TemporaryDirectory(prefix=f"cnn-course-run-{chapter.number}-") as workdir:
        report = execute_notebook(notebook, Path(workdir), smoke=smoke, cell_timeout=cell_timeout)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{chapter.name}{'.smoke' if smoke else ''}.executed.ipynb"
    nbformat.write(report.notebook, executed)
    log(f"finished in {report.seconds:.1f} s; executed copy with figures: {executed}")
    log("slowest cells:")
    for cell in report.slowest(slowest):
        log(f"  {cell.seconds:7.2f} s  cell {cell.index:3d}  {cell.first_line}")
    for error in report.errors:
        log(f"ERROR in {error.describe()}")
    return report
