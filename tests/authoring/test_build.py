"""cnn-course build: deterministic, matches what is committed, refuses broken sources."""

from __future__ import annotations

import json

import pytest

from cnn_course.authoring.build import build
from cnn_course.course.course import Course
from cnn_course.course.source import BuildError
from tests.helpers import SETUP, SOLUTION, TESTS, mini_course


def test_committed_files_match_a_fresh_build(root, tmp_path):
    result = build(Course.at(root), out=tmp_path, execute=False, log=lambda *_: None)
    for produced in result.written:
        relative = produced.relative_to(tmp_path)
        committed = root / relative
        assert committed.exists(), f"{relative} is not committed: run `cnn-course build` and commit"
        assert committed.read_text(encoding="utf-8") == produced.read_text(encoding="utf-8"), (
            f"{relative} differs from a fresh build: run `cnn-course build` and commit the result"
        )
    produced_release = {p.name for p in (tmp_path / "notebooks").iterdir()}
    committed_release = {p.name for p in (root / "notebooks").iterdir() if p.is_file()}
    assert committed_release == produced_release, "notebooks/ holds files the build does not make"


def test_a_second_build_changes_no_byte(tmp_path):
    course = mini_course(tmp_path)
    first = build(Course.at(course), execute=False, log=lambda *_: None)
    assert first.changed
    snapshot = {p: p.read_bytes() for p in first.written}
    second = build(Course.at(course), execute=False, log=lambda *_: None)
    assert second.changed == []
    assert {p: p.read_bytes() for p in second.written} == snapshot


def test_build_stamps_the_repository_and_makes_a_release_without_answers(tmp_path):
    course = mini_course(tmp_path)
    build(Course.at(course), execute=True, log=lambda *_: None)
    source = (course / "solutions" / "01_doubling.py").read_text()
    assert 'COURSE_REPOSITORY = "https://github.com/example/mini-course"' in source
    assert 'COURSE_BRANCH = "trunk"' in source
    release = json.loads((course / "notebooks" / "01_doubling.ipynb").read_text())
    text = "".join("".join(cell["source"]) for cell in release["cells"])
    assert "raise NotImplementedError()" in text and "return 2 * x" not in text
    assert "double(-3)" not in text and "assert double(2) == 4" in text
    assert "jupytext" not in release["metadata"]
    readme = (course / "README.md").read_text()
    assert "old badges" not in readme
    assert (
        "https://colab.research.google.com/github/example/mini-course/blob/trunk/notebooks/01_doubling.ipynb" in readme
    )
    paired = json.loads((course / "solutions" / "01_doubling.ipynb").read_text())
    assert paired["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"


def test_stale_release_files_are_removed(tmp_path):
    course = mini_course(tmp_path)
    (course / "notebooks").mkdir()
    stale = course / "notebooks" / "09_renamed.ipynb"
    stale.write_text("{}")
    build(Course.at(course), execute=False, log=lambda *_: None)
    assert not stale.exists()


@pytest.mark.parametrize(
    "cells, fragment",
    [
        (
            (SETUP, SOLUTION, TESTS.replace('"double_tests"', '"double"')),
            "cell 3 (grade_id 'double'): grade_id 'double' is used twice (first in cell 2)",
        ),
        (
            (SETUP, "# %%\ndef triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION\n", TESTS),
            "has a solution region but is not marked as a solution cell",
        ),
        (
            (SETUP, SOLUTION, TESTS.replace('"points": 1, ', "")),
            "cell 3 (grade_id 'double_tests'): is graded but has no points",
        ),
        ((SETUP, SOLUTION, TESTS.replace('"points": 1, ', '"points": 0, ')), "is graded but has no points"),
        (
            (SETUP, SOLUTION, "# %%\n### BEGIN HIDDEN TESTS\nassert double(1) == 2\n### END HIDDEN TESTS\n"),
            "has hidden tests but is not a graded test cell",
        ),
        (
            (SETUP, SOLUTION.replace("    ### END SOLUTION\n", ""), TESTS),
            "1 '### BEGIN SOLUTION' but 0 '### END SOLUTION'",
        ),
        ((SOLUTION, TESTS), "needs exactly one setup cell"),
    ],
)
def test_broken_sources_are_refused_naming_file_and_cell(tmp_path, cells, fragment):
    course = mini_course(tmp_path, *cells)
    with pytest.raises(BuildError) as refused:
        build(Course.at(course), execute=False, log=lambda *_: None)
    assert "01_doubling.py" in str(refused.value)
    assert fragment in str(refused.value)
    assert not (course / "notebooks").exists(), "nothing is written when the build refuses"


def test_a_solution_that_fails_its_own_tests_is_refused(tmp_path):
    course = mini_course(tmp_path, SETUP, SOLUTION.replace("return 2 * x", "return 2 + x"), TESTS)
    with pytest.raises(BuildError) as refused:
        build(Course.at(course), execute=True, log=lambda *_: None)
    message = str(refused.value)
    assert "01_doubling.py" in message and "fails its own tests" in message
    assert "grade_id 'double_tests'" in message and "AssertionError" in message


def test_a_new_gradebook_gets_nbgrader_s_schema_version_without_a_subprocess(monkeypatch):
    import os
    import sys

    import nbgrader.api

    from cnn_course.kernels.nbgrader_course import gradebook_schema_version, temporary_course

    asked = nbgrader.api.get_alembic_version
    with temporary_course() as (_root, api):
        assert nbgrader.api.get_alembic_version is gradebook_schema_version
        assert api.gradebook.db.execute(nbgrader.api.text("SELECT version_num FROM alembic_version")).scalar() == (
            gradebook_schema_version()
        )
    assert nbgrader.api.get_alembic_version is asked, "nbgrader's own is back after grading"
    # nbgrader's own runs the `alembic` program found on PATH: the one beside this Python.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert gradebook_schema_version() == asked(), "nbgrader's `alembic heads` gives the same version"
