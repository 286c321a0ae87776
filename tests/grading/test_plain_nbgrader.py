"""The instructor guide's plain-nbgrader route, followed as written, gives the scores that
``cnn-course grade`` gives on the same Canvas zip."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cnn_course.authoring.build import build
from cnn_course.cli import main
from cnn_course.course.course import Course
from tests.helpers import ROOT, SETUP, SOLUTION, SQUARE, TESTS, answered, mini_course

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)


def guide_steps() -> str:
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    section = guide.split("## 9. Plain nbgrader", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def test_the_guide_s_plain_nbgrader_steps_grade_as_cnn_course_grade_does(tmp_path):
    course = mini_course(tmp_path / "course", SETUP, SOLUTION, TESTS, SQUARE)
    build(Course.at(course), execute=False, log=lambda *_: None)
    (course / "docs").mkdir()
    shutil.copyfile(ROOT / "docs" / "nbgrader_config.py", course / "docs" / "nbgrader_config.py")
    home = tmp_path / "home"
    (home / "grading" / "ch01").mkdir(parents=True)
    archive = home / "grading" / "ch01" / "submissions.zip"
    wrong = answered(course, square="def square(x):\n    return 2 * x\n")
    without_a_test = answered(course)
    without_a_test["cells"] = [
        cell
        for cell in without_a_test["cells"]
        if cell["metadata"].get("nbgrader", {}).get("grade_id") != "double_tests"
    ]
    with zipfile.ZipFile(archive, "w") as bundle:
        # Alice uploaded twice: the half-done file first, the complete one later (a larger file id, "-1").
        bundle.writestr("smithalice_12345_67890_01_doubling.ipynb", json.dumps(wrong))
        bundle.writestr("smithalice_12345_67990_01_doubling-1.ipynb", json.dumps(answered(course)))
        bundle.writestr("jonesbob_LATE_22222_33333_01_doubling.ipynb", json.dumps(wrong))
        # Carol deleted a test cell: every answer right.
        bundle.writestr("leecarol_44444_55555_01_doubling.ipynb", json.dumps(without_a_test))

    steps = guide_steps().replace("01_convolution_maths", "01_doubling")
    environment = {**os.environ, "HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", steps], cwd=course, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(home / "nbgrader-ch01" / "grades.csv", newline="") as handle:
        plain = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}

    out = tmp_path / "grades.csv"
    assert main(["--root", str(course), "grade", str(archive), "--out", str(out), "--id-pattern", "canvas"]) == 0
    with open(out, newline="") as handle:
        ours = {
            row["student_id"]: float(row["score"]) for row in csv.DictReader(handle) if row["status"] != "not counted"
        }
    # The latest upload counts both ways. A deleted test cell scores 0 in plain nbgrader, silently;
    # cnn-course grade puts the handed-out cell back (the guide says so).
    assert plain == {"12345": 2.0, "22222": 1.0, "44444": 1.0}
    assert ours == {"12345": 2.0, "22222": 1.0, "44444": 2.0}
