"""cnn-course benchmark grading: one worker against several, on a tiny course."""

from __future__ import annotations

import json

import pytest

from cnn_course.authoring.build import build
from cnn_course.cli import main
from cnn_course.course.course import Course
from tests.helpers import mini_course

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)


def test_the_grading_benchmark_reports_both_runs_and_their_ratio(tmp_path, capsys):
    course = mini_course(tmp_path / "course")
    build(Course.at(course), execute=False, log=lambda *_: None)
    out = tmp_path / "figures.json"
    arguments = ["--root", str(course), "benchmark", "grading", "--students", "2", "--jobs", "2", "--json", str(out)]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "1 worker(s):" in printed and "2 worker(s):" in printed and "s per notebook" in printed
    assert "the same scores both times" in printed and "hardware:" in printed
    figures = json.loads(out.read_text())
    assert figures["students"] == 2 and figures["chapter"] == "01_doubling"
    assert figures["seconds_with_1_jobs"] > 0 and figures["seconds_with_2_jobs"] > 0
    assert figures["speedup"] == round(figures["seconds_with_1_jobs"] / figures["seconds_with_2_jobs"], 2)
