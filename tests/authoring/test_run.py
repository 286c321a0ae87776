"""Every chapter's solution notebook runs top to bottom in smoke mode, within its budget."""

from __future__ import annotations

import pytest

from cnn_course.authoring.course import chapters, find_root
from cnn_course.authoring.run import run_chapter
from cnn_course.cli import main

ROOT = find_root()
CELL_BUDGET_SECONDS = 60
CHAPTER_BUDGET_SECONDS = 240
CELL_TIMEOUT_SECONDS = 180  # a hanging cell fails its test in minutes, not after the default hour


@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_solution_notebook_runs_in_smoke_mode(chapter, tmp_path):
    report = run_chapter(
        ROOT, chapter.number, smoke=True, out_dir=tmp_path, cell_timeout=CELL_TIMEOUT_SECONDS, log=lambda *_: None
    )
    assert not report.errors, "; ".join(error.describe() for error in report.errors)
    slow = [
        f"cell {c.index} ({c.seconds:.0f} s): {c.first_line}" for c in report.cells if c.seconds > CELL_BUDGET_SECONDS
    ]
    assert not slow, f"cells over the {CELL_BUDGET_SECONDS} s smoke budget: {slow}"
    assert report.seconds < CHAPTER_BUDGET_SECONDS
    executed = tmp_path / f"{chapter.name}.smoke.executed.ipynb"
    text = executed.read_text(encoding="utf-8")
    assert '"image/png"' in text, "the executed copy keeps its figures"
    assert "Smoke mode is on" in text


@pytest.mark.parametrize("seed", ["1", "2024"])
@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_solution_notebook_passes_its_checks_with_other_seeds(chapter, seed, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SEED", seed)
    report = run_chapter(
        ROOT, chapter.number, smoke=True, out_dir=tmp_path, cell_timeout=CELL_TIMEOUT_SECONDS, log=lambda *_: None
    )
    assert not report.errors, "; ".join(error.describe() for error in report.errors)
    executed = (tmp_path / f"{chapter.name}.smoke.executed.ipynb").read_text(encoding="utf-8")
    assert f"random seed {seed} " in executed, "the seed reached the notebook"


def test_run_prints_the_slowest_cells(tmp_path, capsys):
    assert main(["--root", str(ROOT), "run", "1", "--smoke", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "slowest cells:" in out and "executed copy with figures" in out


def test_an_unknown_chapter_is_refused_with_the_list_of_chapters(capsys):
    assert main(["--root", str(ROOT), "run", "42"]) == 2
    assert "No chapter '42'" in capsys.readouterr().err


def test_a_hanging_cell_is_stopped_and_reported_and_the_rest_still_runs(tmp_path):
    import nbformat

    from cnn_course.authoring.execute import execute_notebook

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("while True:\n    pass"), nbformat.v4.new_code_cell("print('after the hang')")]
    )
    report = execute_notebook(notebook, tmp_path, cell_timeout=3)
    assert [error.index for error in report.errors] == [0]
    assert "after the hang" in str(report.notebook.cells[1].outputs)
