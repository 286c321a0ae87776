"""ex.progress(): the chapter's exercises with their status, on an untouched, a half-done and a
finished notebook of every chapter, read from the saved notebook as after a kernel restart."""

from __future__ import annotations

import json

import pytest

from cnn_course.cells import (
    EXERCISE_HELPER,
    cell_source,
    cells_answers_need,
    grade_id,
    is_answer_cell,
    is_exercise_cell,
    tags,
)
from cnn_course.checks.progress import answers_from
from cnn_course.checks.verdict import Status
from cnn_course.course.namespace import chapter_namespace
from cnn_course.course.settings import chapters
from tests.helpers import COURSE, ROOT, checks_of

CHAPTERS = [chapter.name for chapter in chapters(ROOT)]


def _notebook(folder: str, chapter: str) -> dict:
    return json.loads((ROOT / folder / f"{chapter}.ipynb").read_text(encoding="utf-8"))


def _answer_cells(notebook: dict) -> dict[str, dict]:
    return {grade_id(cell): cell for cell in notebook["cells"] if is_answer_cell(cell)}


def half_done(chapter: str) -> tuple[dict, int]:
    """The release with the first half of its answer cells filled in from the solutions."""
    release, solutions = _notebook("notebooks", chapter), _notebook("solutions", chapter)
    answers = _answer_cells(solutions)
    names = list(_answer_cells(release))
    finished = len(names) // 2 or 1
    for cell in release["cells"]:
        if is_answer_cell(cell) and grade_id(cell) in names[:finished]:
            cell["source"] = answers[grade_id(cell)]["source"]
    return release, finished


@pytest.fixture(autouse=True)
def in_a_scratch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)


def _write(tmp_path, notebook: dict, name: str = "saved.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_progress_of_an_untouched_a_half_done_and_a_finished_notebook(chapter, tmp_path):
    ex = checks_of(chapter)
    count = len(ex.EXERCISES)
    untouched = ex.progress.report(_write(tmp_path, _notebook("notebooks", chapter)), namespace={})
    assert [row.status for row in untouched.rows] == [Status.NOT_ATTEMPTED] * count
    first = ex.EXERCISES[0].name
    assert untouched.next_step().startswith(f"Next: exercise 1, {first}.")

    notebook, finished = half_done(chapter)
    half = ex.progress.report(_write(tmp_path, notebook), namespace={})
    expected = [Status.CORRECT] * finished + [Status.NOT_ATTEMPTED] * (count - finished)
    assert [row.status for row in half.rows] == expected, str(half)
    assert half.done == finished and f"exercise {finished + 1}," in half.next_step()

    done = ex.progress.report(_write(tmp_path, _notebook("solutions", chapter)), namespace={})
    assert done.done == count and "well done" in done.next_step(), str(done)
    text, page = str(done), done._repr_html_()
    for exercise in ex.EXERCISES:
        assert exercise.name in text and exercise.name in page


def test_answers_the_kernel_holds_come_first_and_a_missing_cell_says_run_it():
    ex = checks_of(CHAPTERS[0])
    exercise = ex.EXERCISES[0]
    wrong = ex.progress.report(namespace={exercise.name: lambda *args, **kwargs: -1})
    assert wrong.rows[0].status is Status.INCORRECT
    assert wrong.rows[1].status is Status.NOT_ATTEMPTED and "has not run" in wrong.rows[1].result.message
    assert "ex.conv_output_size.check(conv_output_size)" in wrong.next_step()


def test_jupyter_s_session_name_finds_the_saved_notebook(tmp_path, monkeypatch):
    chapter = CHAPTERS[0]
    monkeypatch.setenv("JPY_SESSION_NAME", str(_write(tmp_path, _notebook("solutions", chapter))))
    report = checks_of(chapter).progress.report(namespace={})
    assert report.done == len(report.rows) and "saved notebook" in report.source


def test_the_last_cell_of_every_chapter_shows_the_progress():
    for chapter in CHAPTERS:
        last = "".join(_notebook("notebooks", chapter)["cells"][-1]["source"])
        assert last.strip() == "ex.progress()", chapter


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_tests_and_progress_run_the_same_cells_of_a_chapter(chapter):
    """One rule for the cells that define a chapter's answers (cells.cells_answers_need): the
    import cell first, then the exercise helpers and the answer cells nbgrader does not score."""
    solutions = _notebook("solutions", chapter)
    chosen = list(cells_answers_need(solutions["cells"]))
    assert cell_source(chosen[0]).lstrip().startswith(("import ", "from "))
    assert not is_exercise_cell(chosen[0])
    answers = [grade_id(cell) for cell in solutions["cells"] if is_answer_cell(cell)]
    assert [grade_id(cell) for cell in chosen if is_answer_cell(cell)] == answers
    assert all(is_answer_cell(cell) or EXERCISE_HELPER in tags(cell) for cell in chosen[1:])
    defined = chapter_namespace(COURSE, chapter[:2], solutions=True)
    progress_defined = answers_from(solutions)
    names = [exercise.name for exercise in checks_of(chapter).EXERCISES]
    assert all(name in defined and name in progress_defined for name in names)
