"""Every chapter's solution notebook, graded as a submission, gets full marks (Chapter 1's is
graded in test_batch.py's class). A file of its own, so that the test workers share the
grading batches evenly (pytest-xdist hands out whole files)."""

from __future__ import annotations

import csv
import shutil

import pytest

from cnn_course.authoring.course import chapters
from cnn_course.cli import main
from tests.helpers import ROOT, points_of

CHAPTER = "01_convolution_maths"


@pytest.mark.parametrize("chapter", [c.name for c in chapters(ROOT) if c.name != CHAPTER])
def test_every_other_chapter_s_solutions_get_full_marks(chapter, tmp_path):
    (tmp_path / "subs").mkdir()
    shutil.copy(ROOT / "solutions" / f"{chapter}.ipynb", tmp_path / "subs" / "solver.ipynb")
    out = tmp_path / "grades.csv"
    assert main(["--root", str(ROOT), "grade", str(tmp_path / "subs"), "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["chapter"] == chapter and row["status"] == "graded", row["reason"]
    assert float(row["score"]) == float(row["max_score"]) == sum(points_of(chapter).values())
