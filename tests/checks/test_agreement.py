"""One truth per exercise: the self-check and the graded tests agree.

For every exercise of every chapter, a catalogue of answers goes through both layers: the
reference answer, other correct ways to write it (catalogue.CORRECT), and typical mistakes
(test_chapterNN.WRONG_ANSWERS and catalogue.MISTAKES). ``check()`` says "Correct" exactly
when the exercise's nbgrader test cell, hidden tests included, passes; and each answer
lands on the side it belongs to.
"""

from __future__ import annotations

import ast
import importlib
import warnings

import jupytext
import pytest

from cnn_course.cells import grade_id, is_graded
from cnn_course.course.namespace import chapter_namespace
from cnn_course.course.settings import chapters
from tests.checks import catalogue
from tests.helpers import COURSE, ROOT, checks_of

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

CHAPTERS = {c.name[:2]: c.name for c in chapters(ROOT)}


def graded_test_cells(number: str) -> list[tuple[str, str]]:
    """(grade id, source) of the chapter's graded test cells, hidden tests included, in order."""
    notebook = jupytext.read(ROOT / "solutions" / f"{CHAPTERS[number]}.py")
    return [(grade_id(cell), cell.source) for cell in notebook.cells if is_graded(cell)]


def _names(source: str, kind) -> set[str]:
    return {
        node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name) and isinstance(node.ctx, kind)
    }


def _chapter3_photos() -> dict:
    """Chapter 3's test cells look at the chapter's photos: the smoke stand-ins here."""
    import os

    from cnn_course import data

    before = os.environ.get("CNN_COURSE_SMOKE")
    os.environ["CNN_COURSE_SMOKE"] = "1"
    try:
        return {"photo_set": data.load_cats_vs_dogs(None, log=lambda *_: None)}
    finally:
        if before is None:
            del os.environ["CNN_COURSE_SMOKE"]
        else:
            os.environ["CNN_COURSE_SMOKE"] = before


# Variables of the notebook (made by cells that are not tests) that a chapter's test cells use.
NOTEBOOK_STATE = {"03": _chapter3_photos}


class Grader:
    """Runs one exercise's test cell the way nbgrader does, with a given answer in place of the
    reference. Earlier test cells that set names this one uses run first, with the reference
    answers, so each answer starts from the same state (e.g. Chapter 4's ``full_size``)."""

    def __init__(self, number: str):
        self.namespace = chapter_namespace(COURSE, number, solutions=True)
        self.namespace.update(NOTEBOOK_STATE.get(number, dict)())
        self.cells = graded_test_cells(number)

    def passes(self, exercise_name: str, answer) -> bool:
        index = next(i for i, (grade_id, _) in enumerate(self.cells) if grade_id == f"{exercise_name}_tests")
        source = self.cells[index][1]
        namespace = dict(self.namespace)
        needed = _names(source, ast.Load) - _names(source, ast.Store)
        for _, earlier in self.cells[:index]:
            if needed & _names(earlier, ast.Store):
                exec(compile(earlier, "<earlier test cell>", "exec"), namespace)
        namespace[exercise_name] = answer
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, f"<{exercise_name}_tests>", "exec"), namespace)
        except Exception:  # an AssertionError or any error: nbgrader gives the cell no points
            return False
        return True


@pytest.fixture(autouse=True)
def in_a_scratch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # some test cells write files (Chapter 4's sample submission)


@pytest.fixture(scope="module")
def graders():
    return {}


def grader_for(graders: dict, number: str) -> Grader:
    if number not in graders:
        graders[number] = Grader(number)
    return graders[number]


def chapter_test_data(number: str):
    """The chapter's own test file, ``tests/checks/test_chapterNN.py``: ``WRONG_ANSWERS`` (and,
    optionally, ``CORRECT_ANSWERS``: exercise name -> other correct answers)."""
    try:
        module = importlib.import_module(f"tests.checks.test_chapter{number}")
    except ModuleNotFoundError as missing:
        if missing.name != f"tests.checks.test_chapter{number}":
            raise
        module = None
    if module is None or not hasattr(module, "WRONG_ANSWERS"):
        pytest.fail(
            f"Chapter {number} has no tests/checks/test_chapter{number}.py with WRONG_ANSWERS (and CORRECT_ANSWERS): "
            "the agreement test needs realistic mistakes and other correct answers for every exercise "
            "(docs/adding-a-chapter.md, section 2)"
        )
    return module


def catalogue_of(number: str) -> list[tuple[str, str, object, bool]]:
    """(exercise name, label, answer, correct?) for every answer of the chapter's catalogue: the
    chapter's own test file, and for Chapters 1-4 also the shared catalogue."""
    data = chapter_test_data(number)
    wrong, own_correct = data.WRONG_ANSWERS, getattr(data, "CORRECT_ANSWERS", {})
    rows = []
    for exercise in checks_of(number).EXERCISES:
        key = (number, exercise.name)
        rows.append((exercise.name, "reference answer", None, True))
        correct = catalogue.CORRECT.get(key, []) + own_correct.get(exercise.name, [])
        rows += [(exercise.name, f"correct {i + 1}", answer, True) for i, answer in enumerate(correct)]
        mistakes = [answer for checked, answer, _ in wrong if checked is exercise] + catalogue.MISTAKES.get(key, [])
        rows += [(exercise.name, f"mistake {i + 1}", answer, False) for i, answer in enumerate(mistakes)]
    return rows


def _cases() -> list[tuple]:
    """Every catalogue row; a chapter without test data fails test_every_exercise_has_a_full_catalogue."""
    cases = []
    for number in CHAPTERS:
        try:
            cases += [(number, *row) for row in catalogue_of(number)]
        except pytest.fail.Exception:
            continue
    return cases


CASES = _cases()


@pytest.mark.parametrize("number", list(CHAPTERS))
def test_every_exercise_has_a_full_catalogue(number):
    for exercise in checks_of(number).EXERCISES:
        rows = [row for row in catalogue_of(number) if row[0] == exercise.name]
        correct = [row for row in rows if row[3] and row[2] is not None]
        mistakes = [row for row in rows if not row[3]]
        assert correct, f"{exercise.name}: no other correct answer in the catalogue"
        assert len(mistakes) >= 3, f"{exercise.name}: only {len(mistakes)} typical mistakes in the catalogue"


@pytest.mark.parametrize("number, name, label, answer, correct", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_the_self_check_and_the_grader_agree(graders, number, name, label, answer, correct, monkeypatch):
    grader = grader_for(graders, number)
    answer = grader.namespace[name] if answer is None else answer
    exercise = next(e for e in checks_of(number).EXERCISES if e.name == name)
    # The test cell opens with ex.NAME.grade(answer), which evaluates the answer as check() does:
    # that evaluation is kept and compared, rather than a second one of the same answer (a third
    # of this file's time, where an answer builds and runs a Keras model).
    seen = []
    evaluate = exercise.evaluate

    def evaluate_and_keep(candidate):
        result = evaluate(candidate)
        if candidate is answer:
            seen.append(result)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(exercise, "evaluate", evaluate_and_keep)
        graded = grader.passes(name, answer)
    result = seen[0] if seen else exercise.evaluate(answer)
    assert result.passed == graded, (
        f"{name}, {label}: check() says {result.status.value} ({result.message}) but the graded tests "
        f"{'pass' if graded else 'fail'}"
    )
    assert result.passed is correct, f"{name}, {label}: expected {'correct' if correct else 'a mistake'}, got " + (
        result.message
    )
