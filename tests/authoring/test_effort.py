"""Exercise time: every chapter's stated time holds its exercises, by one estimate for all."""

from __future__ import annotations

import json
import re

import jupytext
import pytest

from cnn_course.authoring.effort import ExerciseEffort, chapter_effort, effort_of, stated_minutes, table
from cnn_course.checks.core import Exercise
from cnn_course.course.settings import chapters
from tests.helpers import ROOT

CHAPTERS = chapters(ROOT)
ANSWERS = ROOT / "src" / "cnn_course" / "checks" / "answers"


def test_the_estimate_weighs_ideas_and_counts_written_and_scaffolded_lines():
    cell = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    # Why: because.\n"
        "    #: y = ____\n"
        "    #: # a comment of the scaffold\n"
        "    #: return ____\n"
        "    y = 2 * x\n"
        "    z = y + 1\n"
        "    return z\n"
        "    ### END SOLUTION\n"
    )
    effort = effort_of("f", cell, ideas=("double it", "add one"))
    assert effort == ExerciseEffort("f", ideas=("double it", "add one"), lines=3, scaffolded=2)
    assert effort.minutes == 2 + 3 * 2 + 0.25 * 1 + 0.125 * 2


def test_every_exercise_says_what_its_learner_decides():
    for chapter in CHAPTERS:
        for effort in chapter_effort(chapter):
            assert effort.ideas, f"chapter {chapter.number}: {effort.name} declares no ideas (Exercise(ideas=...))"


def _minutes(name: str) -> float:
    return {effort.name: effort.minutes for chapter in CHAPTERS for effort in chapter_effort(chapter)}[name]


def test_exercises_that_ask_for_more_thinking_are_rated_longer_whatever_their_lines():
    # A teacher's reading (issue 34): Grad-CAM about 15 minutes, occlusion 15 to 20, a step
    # the scaffold dictates a few. Lines alone rated Grad-CAM 7 and occlusion 10.5.
    assert 12 <= _minutes("grad_cam_heatmap") <= 18
    assert 15 <= _minutes("occlusion_drops") <= 20
    assert _minutes("relu") < 6 and _minutes("scale_images") < 6
    assert _minutes("start_fine_tuning") < _minutes("grad_cam_heatmap")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_each_chapter_s_exercises_fit_the_time_its_opening_states(chapter):
    efforts = chapter_effort(chapter)
    stated = stated_minutes(chapter)
    assert stated, f"chapter {chapter.number}: the opening says how long the exercises take"
    total = sum(effort.minutes for effort in efforts)
    assert total <= stated, f"chapter {chapter.number}: {total:g} minutes of exercises in a budget of {stated}"
    assert stated <= total + 15, f"chapter {chapter.number}: states {stated} minutes for {total:g} of exercises"


def test_the_instructor_guide_shows_the_current_estimates_and_plans_every_exercise():
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    assert table(ROOT) in guide, "the guide's table is stale: `cnn-course build` writes it"
    plans = guide.split("## 8.")[1].split("**How long the exercises take.**")[0]
    planned = {int(number) for number in re.findall(r"^\*\*Chapter (\d+),", plans, re.M)}
    assert {1, 2, 3, 4} <= planned, "the workshop plans of the course's four chapters are gone"
    # A plan is advice, written when a chapter is first taught; one that exists names every exercise.
    for chapter in CHAPTERS[1:]:  # Chapter 1's plan names its exercises by topic
        if int(chapter.number) not in planned:
            continue
        plan = plans.split(f"**Chapter {int(chapter.number)},", 1)[1].split("\n**Chapter ", 1)[0]
        for effort in chapter_effort(chapter):
            assert f"`{effort.name}`" in plan, f"the guide's plan for chapter {chapter.number} misses {effort.name}"


def _phrases(text: str) -> set[tuple[str, ...]]:
    """Every run of three words: shared runs mean shared phrasing, not just shared vocabulary."""
    words = re.findall(r"[a-z0-9_]+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def restated_share(hint: str, task: str) -> float:
    """The share of the hint's three-word phrases that the task text already holds."""
    phrases = _phrases(hint)
    return len(phrases & _phrases(task)) / max(len(phrases), 1)


RESTATES = 0.3


def test_the_restatement_measure_catches_a_hint_that_repeats_its_task():
    # did_it_learn (Chapter 2, retired by issue 23): its first hint said the task again.
    task = (
        "Write `did_it_learn(history, weights_before, weights_after)` that returns `True` only if the training loss "
        "fell (last epoch lower than the first, which needs at least two epochs) and at least one weight array changed."
    )
    old_hint = "Training worked if the last loss is lower than the first and at least one weight array changed."
    assert restated_share(old_hint, task) >= RESTATES
    assert restated_share("What does a frozen layer leave unchanged, and where would you see it?", task) < RESTATES


def _task_and_answer(cells, name: str) -> str:
    answer = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == name)
    task = next(c.source for c in reversed(cells[:answer]) if c.cell_type == "markdown")
    return task + "\n" + cells[answer].source


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_every_first_hint_is_a_nudge_the_task_text_does_not_already_give(chapter):
    cells = jupytext.read(chapter.source).cells
    checks = chapter.checks()
    for exercise in checks.EXERCISES:
        assert isinstance(exercise, Exercise)
        share = restated_share(exercise.hints[0], _task_and_answer(cells, exercise.name))
        assert share < RESTATES, f"{exercise.name}: hint 1 repeats the task ({share:.0%} of its phrases)"


def _code_words(code: str) -> list[str]:
    """The words of an answer's code without its docstring and comments: what a hint must not spell out."""
    code = re.sub(r'"""(.|\n)*?"""', " ", code)
    code = re.sub(r"#[^\n]*", " ", code)
    return re.findall(r"[a-z0-9_]+", code.lower())


CODE_RUN = 5  # five words of the answer's code in a row, in a hint, are the answer's code


def code_run_in(hint: str, code: str) -> tuple[str, ...] | None:
    """The first run of CODE_RUN words the hint shares, in order, with the code; None if none."""
    words = _code_words(code)
    runs = {tuple(words[i : i + CODE_RUN]) for i in range(len(words) - CODE_RUN + 1)}
    hint_words = re.findall(r"[a-z0-9_]+", hint.lower())
    return next(
        (run for i in range(len(hint_words) - CODE_RUN + 1) if (run := tuple(hint_words[i : i + CODE_RUN])) in runs),
        None,
    )


def test_the_code_measure_catches_a_hint_that_spells_out_the_answer():
    code = "def f(maps, gradients):\n    importance = gradients.mean(axis=(0, 1))\n    return importance\n"
    assert code_run_in("weights = gradients averaged: gradients.mean(axis=(0, 1)) gives them", code)
    assert code_run_in("Which axes hold height and width? Average over those two.", code) is None


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_every_hint_ladder_nudges_in_three_rungs_and_never_gives_the_code(chapter):
    """A question, the method, a near-answer: the code itself is solution()'s job."""
    checks = chapter.checks()
    answers = json.loads((ANSWERS / f"chapter{chapter.number}.json").read_text(encoding="utf-8"))
    problems = []
    for exercise in checks.EXERCISES:
        if len(exercise.hints) < 3:
            problems.append(f"{exercise.name}: {len(exercise.hints)} rungs")
        for rung, hint in enumerate(exercise.hints, start=1):
            run = code_run_in(hint, answers[exercise.name]["code"])
            if run:
                problems.append(f"{exercise.name}: hint {rung} spells out the answer's code ({' '.join(run)})")
    assert not problems, "\n".join(problems)
