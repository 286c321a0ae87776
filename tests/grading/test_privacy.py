"""Student data stays out of git: the course's .gitignore covers what grading reads and writes in
the course folder, and grading refuses to write where a commit would pick it up."""

from __future__ import annotations

import json
import subprocess

import pytest

from cnn_course.authoring.build import build
from cnn_course.cli import main
from cnn_course.course.course import Course
from cnn_course.grading.privacy import committable
from tests.helpers import ROOT, answered, mini_course

in_git = pytest.mark.skipif(not (ROOT / ".git").exists(), reason="the course folder is not a git clone here")


@in_git
@pytest.mark.parametrize(
    "name", ["submissions.zip", "roster.csv", "gradebook.csv", "grades.csv", "grades_summary.png", "feedback/1/01.html"]
)
def test_what_the_guide_reads_and_writes_in_the_course_folder_is_ignored_by_git(name):
    assert committable(ROOT / name) is None, f"{name} in the course folder would be committed"


@in_git
def test_the_course_s_own_files_are_still_committed():
    assert committable(ROOT / "solutions" / "01_convolution_maths.py") == ROOT


@pytest.fixture
def course_in_git(tmp_path):
    folder = mini_course(tmp_path / "course")
    build(Course.at(folder), execute=False, log=lambda *_: None)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "alice.ipynb").write_text(json.dumps(answered(folder)))
    return folder, tmp_path / "subs"


def test_grading_into_a_tracked_path_is_refused_and_writes_nothing(course_in_git, capsys):
    course, subs = course_in_git
    out = course / "marks" / "grades.csv"
    assert main(["--root", str(course), "grade", str(subs), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "would land in the git repository" in error and "--allow-in-repository" in error
    assert not (course / "marks").exists()


def test_grading_outside_the_repository_or_when_allowed_goes_ahead(course_in_git, tmp_path):
    course, subs = course_in_git
    outside = tmp_path / "grading" / "grades.csv"
    assert main(["--root", str(course), "grade", str(subs), "--out", str(outside), "--jobs", "1"]) == 0
    inside = course / "marks" / "grades.csv"
    assert main(["--root", str(course), "grade", str(subs), "--out", str(inside), "--allow-in-repository"]) == 0
    assert outside.is_file() and inside.is_file()
