"""A checker never raises: every exercise of every chapter, fed junk, answers with a sentence."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import cnn_course.checks as checks_package
from cnn_course.checks.core import Exercise
from cnn_course.checks.verdict import Status

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)


def all_exercises() -> list[Exercise]:
    found = []
    for info in pkgutil.iter_modules(checks_package.__path__):
        if info.name.startswith("chapter"):
            module = importlib.import_module(f"cnn_course.checks.{info.name}")
            found += [value for value in vars(module).values() if isinstance(value, Exercise)]
    return found


def _raises(*args, **kwargs):
    raise ValueError("the learner's own bug")


def _loops_forever(*args, **kwargs):
    while True:
        pass


JUNK = {
    "None": None,
    "a number": 42,
    "a string": "my answer",
    "a list": [1, 2, 3],
    "an empty array": np.zeros((0,)),
    "a function that returns None": lambda *args, **kwargs: None,
    "a function that returns a string": lambda *args, **kwargs: "oops",
    "a function that returns an int": lambda *args, **kwargs: 1600,
    "a function that returns a tuple": lambda *args, **kwargs: (1600,),
    "a function that returns an array of the wrong shape": lambda *args, **kwargs: np.zeros((2, 3, 5)),
    "a function that takes no arguments": lambda: 1,
    "a function that raises": _raises,
    "a function that never returns": _loops_forever,
}


@pytest.mark.parametrize("exercise", all_exercises(), ids=lambda exercise: exercise.name)
def test_every_checker_answers_junk_with_a_sentence(exercise, monkeypatch):
    monkeypatch.setattr("cnn_course.checks.calling.TIME_LIMIT_SECONDS", 0.25)  # the loop that never ends stops sooner
    for kind, junk in JUNK.items():
        result = exercise.evaluate(junk)  # must not raise
        assert result.status is Status.INCORRECT, f"{exercise.name} given {kind}: {result}"
        assert len(result.message) > 20 and "Traceback" not in result.message, f"{exercise.name} given {kind}"
