"""When a notebook's kernel dies while it is graded.

nbgrader then writes no score and says only "Kernel died". The cell log
(:mod:`cnn_course.grading.cell_log`) says which cells ran and how each ended, so the row can
name the cell the kernel died in, give the checks that ran before it as a provisional score,
and tell the instructor how to grade the rest.
"""

from __future__ import annotations

from cnn_course.cells import cell_source, grade_id, is_test_cell, nbgrader_meta
from cnn_course.grading.report import GradeRow

DEAD_KERNEL_SIGNS = ("Kernel died", "DeadKernelError")


def kernel_died(log: str) -> bool:
    return any(sign in log for sign in DEAD_KERNEL_SIGNS)


def cell_outcomes(notebook: dict, entries: list[dict]) -> tuple[dict[int, tuple[bool | None, str]], int | None]:
    """Which code cells ran and how each ended ({index: (ok, error)}; ok is None for a cell that
    started and never ended), and the index of the cell the kernel died in (None if none)."""
    runs: list[list] = []
    for entry in entries:
        if entry.get("event") == "start":
            runs.append([entry.get("source", ""), None, ""])
        elif entry.get("event") == "end" and runs and runs[-1][1] is None:
            runs[-1][1:] = [entry.get("ok"), entry.get("error", "")]
    # nbclient runs every non-empty code cell, in order; the k-th run is the k-th such cell
    # (matched by order, not text: nbgrader put its own version of the test cells in).
    code = [
        index
        for index, cell in enumerate(notebook.get("cells", []))
        if cell.get("cell_type") == "code" and cell_source(cell).strip()
    ]
    outcomes = {index: (ok, error) for index, (_, ok, error) in zip(code, runs)}
    died = next((index for index, (ok, _) in outcomes.items() if ok is None), None)
    return outcomes, died


def score_before_death(notebook: dict, outcomes: dict[int, tuple[bool | None, str]], row: GradeRow) -> None:
    """The graded test cells' points as far as the kernel got: full marks for a test that ran
    and passed, 0 for one that failed or never ran (the row says which)."""
    row.exercises, row.failures = {}, {}
    for index, cell in enumerate(notebook.get("cells", [])):
        if not is_test_cell(cell):
            continue
        points = float(nbgrader_meta(cell).get("points", 0) or 0)
        ok, error = outcomes.get(index, (None, "did not run: the kernel died before it"))
        row.exercises[grade_id(cell)] = (points if ok else 0.0, points)
        if not ok:
            row.failures[grade_id(cell)] = error or "did not run: the kernel died in it"
    row.score = sum(score for score, _ in row.exercises.values())
    row.max_score = sum(points for _, points in row.exercises.values())
