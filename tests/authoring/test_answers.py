"""The reference answers that solution() shows are found whatever spelling a chapter uses to
import its self-checks, and a spelling the build cannot follow is refused by name."""

from __future__ import annotations

import jupytext
import pytest

from cnn_course.authoring.answers import answers_of
from cnn_course.course.source import BuildError
from tests.helpers import ROOT

IMPORT = "from cnn_course.checks import chapter01 as ex"


def chapter_one(import_line: str, prefix: str = "ex."):
    notebook = jupytext.read(ROOT / "solutions" / "01_convolution_maths.py")
    for cell in notebook.cells:
        cell.source = cell.source.replace(IMPORT, import_line).replace("ex.", prefix)
    return notebook


@pytest.mark.parametrize(
    ("import_line", "prefix"),
    [
        ("from cnn_course.checks import chapter01", "chapter01."),
        ("import cnn_course.checks.chapter01 as checks", "checks."),
    ],
)
def test_every_import_spelling_finds_the_same_answers(import_line, prefix):
    module, answers = answers_of(chapter_one(IMPORT))
    assert module == "chapter01" and len(answers) == 9
    assert answers_of(chapter_one(import_line, prefix)) == (module, answers)


def test_a_spelling_the_build_cannot_follow_is_a_build_error():
    with pytest.raises(BuildError, match="imports its self-checks in a way the build cannot follow"):
        answers_of(chapter_one("from cnn_course import checks", "checks.chapter01."))
