"""Every chapter's solution notebook, graded as a submission, gets full marks, and its untouched
release gets zero with the check's sentence for every exercise (Chapter 1's are graded in
test_batch.py's class). A file of its own, so that the test workers share the
grading batches evenly (pytest-xdist hands out whole files)."""

from __future__ import annotations

import csv
import importlib
import shutil

import pytest

from cnn_course.authoring.course import chapters
from cnn_course.cli import main
from tests.helpers import ROOT, points_of

CHAPTER = "01_convolution_maths"


@pytest.mark.parametrize("chapter", [c.name for c in chapters(ROOT) if c.name != CHAPTER])
def test_every_other_chapter_s_solutions_get_full_marks_and_its_release_zero(chapter, tmp_path):
    (tmp_path / "subs").mkdir()
    shutil.copy(ROOT / "solutions" / f"{chapter}.ipynb", tmp_path / "subs" / "solver.ipynb")
    shutil.copy(ROOT / "notebooks" / f"{chapter}.ipynb", tmp_path / "subs" / "untouched.ipynb")
    out = tmp_path / "grades.csv"
    assert main(["--root", str(ROOT), "grade", str(tmp_path / "subs"), "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    total = sum(points_of(chapter).values())
    for student, score in (("solver", total), ("untouched", 0)):
        row = rows[student]
        assert row["chapter"] == chapter and row["status"] == "graded", row["reason"]
        assert float(row["score"]) == score and float(row["max_score"]) == total
    page = (out.parent / rows["untouched"]["feedback"]).read_text(encoding="utf-8")
    for exercise in importlib.import_module(f"cnn_course.checks.chapter{chapter[:2]}").EXERCISES:
        assert f"Not attempted yet ({exercise.name})" in page, f"no sentence for {exercise.name} in the feedback"
