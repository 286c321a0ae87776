"""For every chapter: each exercise has a checker that accepts the notebook's own solution,
reads an untouched stub as not attempted, explains a value passed instead of a function,
and has two hints. Chapter-specific wrong answers live in test_checks_chapterNN.py."""

from __future__ import annotations

import pytest

from cnn_course.cells import grade_id, is_answer_cell
from cnn_course.checks.verdict import Status
from cnn_course.course.namespace import chapter_namespace
from cnn_course.course.settings import chapters
from tests.helpers import COURSE, ROOT, checks_of, release_notebook, solution_cells

CHAPTERS = [c.name for c in chapters(ROOT)]


def solutions_of(chapter: str) -> dict:
    """The chapter's import cell and its solution cells, run as the benchmarks run them."""
    return chapter_namespace(COURSE, chapter[:2], solutions=True)


CASES = [(chapter, exercise) for chapter in CHAPTERS for exercise in checks_of(chapter).EXERCISES]


def _id(value):
    return value if isinstance(value, str) else value.name


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_a_checker_named_after_its_function(chapter):
    assert {exercise.name for exercise in checks_of(chapter).EXERCISES} == set(solution_cells(chapter))


@pytest.fixture(scope="module")
def solutions():
    return {chapter: solutions_of(chapter) for chapter in CHAPTERS}


@pytest.mark.parametrize("chapter, exercise", CASES, ids=_id)
def test_the_solution_is_correct(solutions, chapter, exercise):
    result = exercise.evaluate(solutions[chapter][exercise.name])
    assert result.passed, result.message


@pytest.mark.parametrize("chapter, exercise", CASES, ids=_id)
def test_an_untouched_stub_is_not_attempted(chapter, exercise):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    assert exercise.evaluate(stub).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("chapter, exercise", CASES, ids=_id)
def test_passing_a_value_instead_of_the_function_is_explained(chapter, exercise):
    result = exercise.evaluate(42)
    assert result.status is Status.INCORRECT and f"check({exercise.name})" in result.message


@pytest.mark.parametrize("chapter, exercise", CASES, ids=_id)
def test_every_exercise_has_two_hints(chapter, exercise):
    assert exercise.hint_text(1).startswith(f"Hint 1 for {exercise.name}:")
    assert exercise.hint_text(2).startswith(f"Hint 2 for {exercise.name}:")


def released_answer_cells(chapter: str) -> dict[str, str]:
    """grade_id -> source of every answer cell as the release hands it out."""
    notebook = release_notebook(chapter)
    return {grade_id(cell): cell.source for cell in notebook.cells if is_answer_cell(cell)}


SCAFFOLDED = [
    (chapter, grade_id, source)
    for chapter in CHAPTERS
    for grade_id, source in released_answer_cells(chapter).items()
    if "____" in source
]


def test_the_model_exercises_hand_out_scaffolds_with_blanks():
    scaffolded = {(chapter[:2], grade_id) for chapter, grade_id, _ in SCAFFOLDED}
    for expected in [
        ("02", "build_first_cnn"),
        ("03", "build_first_cnn"),
        ("03", "build_augmentation"),
        ("03", "compile_classifier"),
        ("04", "build_frozen_model"),
        ("02", "grad_cam_heatmap"),
        ("03", "photo_dataset"),
        ("03", "occlusion_drops"),
    ]:
        assert expected in scaffolded, f"chapter {expected[0]}: {expected[1]} is handed out without a scaffold"


@pytest.mark.parametrize("chapter, grade_id, source", SCAFFOLDED, ids=[f"{c}-{g}" for c, g, _ in SCAFFOLDED])
def test_an_untouched_scaffold_is_not_attempted_and_names_the_blanks(solutions, chapter, grade_id, source):
    namespace = dict(solutions[chapter])
    exec(compile(source, f"<release {grade_id}>", "exec"), namespace)
    exercise = next(e for e in checks_of(chapter).EXERCISES if e.name == grade_id)
    result = exercise.evaluate(namespace[grade_id])
    assert result.status is Status.NOT_ATTEMPTED and "____" in result.message


RELEASED = [
    (chapter, exercise, released_answer_cells(chapter)[exercise.name])
    for chapter in CHAPTERS
    for exercise in checks_of(chapter).EXERCISES
]


@pytest.mark.parametrize("chapter, exercise, source", RELEASED, ids=[f"{c[:2]}-{e.name}" for c, e, _ in RELEASED])
def test_the_untouched_release_fails_every_graded_cell_with_the_not_attempted_sentence(
    solutions, chapter, exercise, source
):
    """What grading an untouched release gives, cell by cell, without running whole notebooks
    (tests/grading/test_batch.py grades a Chapter 1 notebook with most exercises untouched end to
    end)."""
    namespace = dict(solutions[chapter])
    exec(compile(source, f"<release {exercise.name}>", "exec"), namespace)
    with pytest.raises(AssertionError, match=rf"^Not attempted yet \({exercise.name}\): "):
        exercise.grade(namespace[exercise.name])
