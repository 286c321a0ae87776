"""Execute a notebook top to bottom outside Jupyter, timing every cell."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cnn_course.cells import grade_id
from cnn_course.kernels.warm_kernels import libraries_for, warm_kernels
from cnn_course.smoke import SMOKE_VARIABLE


@dataclass
class CellRun:
    index: int
    seconds: float
    first_line: str
    grade_id: str | None


@dataclass
class CellError:
    index: int
    grade_id: str | None
    ename: str
    evalue: str

    def describe(self) -> str:
        name = f" (grade_id {self.grade_id!r})" if self.grade_id else ""
        return f"cell {self.index}{name}: {self.ename}: {self.evalue}"


@dataclass
class ExecutionReport:
    notebook: nbformat.NotebookNode
    cells: list[CellRun] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    seconds: float = 0.0

    def slowest(self, count: int = 5) -> list[CellRun]:
        return sorted(self.cells, key=lambda cell: cell.seconds, reverse=True)[:count]


def kernel_environment(smoke: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if smoke:
        env[SMOKE_VARIABLE] = "1"
    else:
        env.pop(SMOKE_VARIABLE, None)
    return env


def execute_notebook(
    notebook: nbformat.NotebookNode, workdir: Path, smoke: bool = False, cell_timeout: int = 600
) -> ExecutionReport:
    """Run every code cell in ``workdir``; errors are collected, not raised, so the
    report names every failing cell. ``cell_timeout`` stops a cell that hangs."""
    notebook = nbformat.from_dict(notebook)
    report = ExecutionReport(notebook=notebook)
    starts: dict[int, float] = {}

    def on_start(cell, cell_index, **_):
        starts[cell_index] = time.perf_counter()

    def on_done(cell, cell_index, **_):
        seconds = time.perf_counter() - starts.get(cell_index, time.perf_counter())
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        report.cells.append(CellRun(cell_index, seconds, first[:70], grade_id(cell)))

    def on_error(cell, cell_index, execute_reply, **_):
        content = execute_reply.get("content", {})
        report.errors.append(
            CellError(cell_index, grade_id(cell), content.get("ename", "Error"), content.get("evalue", ""))
        )

    # interrupt_on_timeout: a hanging cell is stopped and reported like an error, and the
    # cells after it still run, so the report names it instead of ending in a traceback.
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(workdir)}},
        on_cell_execute=on_start,
        on_cell_executed=on_done,
        on_cell_error=on_error,
    )
    began = time.perf_counter()
    with warm_kernels(libraries_for([notebook])):
        client.execute(env=kernel_environment(smoke))
    report.seconds = time.perf_counter() - began
    return report
