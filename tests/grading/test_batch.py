"""cnn-course grade on one class with every chapter in it: each chapter's solutions, and
Chapter 1 half done with one answer taken through the checking code, a broken file and a
stray. One batch for all of it, so that each real notebook runs once (they are the slowest
thing the suite does)."""

from __future__ import annotations

import csv
import html
import json
import shutil

import pytest

from cnn_course.cli import main
from cnn_course.course.settings import chapters
from tests.helpers import ROOT, hidden_test_lines, points_of, release_notebook, solution_cells

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

CHAPTER = "01_convolution_maths"
SHORTCUT = "conv_output_size"  # answered through the course's checking code
HONEST = ["convolve2d", "conv_layer"]  # answered as a learner would; every other exercise untouched
OTHER_CHAPTERS = [c.name for c in chapters(ROOT) if c.name != CHAPTER]

SHORTCUT_ANSWER = (
    "from cnn_course.checks import chapter01\n"
    "def conv_output_size(size, kernel_size, padding=0, stride=1):\n"
    "    return chapter01.expected()['conv_output_size'][0]\n"
)


def half_done_notebook():
    """The release with two exercises answered honestly, one through the checking code, and
    the rest left as handed out, as a learner might save it."""
    notebook = release_notebook(CHAPTER)
    answers = solution_cells(CHAPTER)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in HONEST:
            cell.source = "\n".join(line for line in answers[grade_id].splitlines() if "### " not in line)
        elif grade_id == SHORTCUT:
            cell.source = SHORTCUT_ANSWER
    return notebook


def solver(chapter: str) -> str:
    return f"solver-{chapter[:2]}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grading")
    submissions = folder / "submissions"
    (submissions / "alice").mkdir(parents=True)  # a folder per student, as some platforms hand them in
    shutil.copy(ROOT / "solutions" / f"{CHAPTER}.ipynb", submissions / "alice" / f"{CHAPTER}.ipynb")
    (submissions / "carol.ipynb").write_text(json.dumps(half_done_notebook()))
    (submissions / "dave.ipynb").write_text("{ this is not json")
    for chapter in OTHER_CHAPTERS:
        shutil.copy(ROOT / "solutions" / f"{chapter}.ipynb", submissions / f"{solver(chapter)}.ipynb")
    (submissions / "notes.txt").write_text("not a submission")
    out = folder / "grades.csv"
    exit_code = main(["--root", str(ROOT), "grade", str(submissions), "--out", str(out), "--timeout", "60"])
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return exit_code, rows, folder


def total_points():
    return sum(points_of(CHAPTER).values())


def test_the_batch_finishes_with_a_row_per_student(graded):
    exit_code, rows, _ = graded
    assert exit_code == 0
    assert set(rows) == {"alice", "carol", "dave", "notes", *map(solver, OTHER_CHAPTERS)}
    assert rows["notes"]["status"] == "needs manual grading" and "not a notebook" in rows["notes"]["reason"]


def test_the_solutions_get_full_marks(graded):
    row = graded[1]["alice"]
    assert row["status"] == "graded" and row["chapter"] == CHAPTER
    assert float(row["score"]) == float(row["max_score"]) == total_points()
    assert row["percent"] == "100"


@pytest.mark.parametrize("chapter", OTHER_CHAPTERS)
def test_every_other_chapter_s_solutions_get_full_marks(graded, chapter):
    row = graded[1][solver(chapter)]
    assert row["chapter"] == chapter and row["status"] == "graded", row["reason"]
    assert float(row["score"]) == float(row["max_score"]) == sum(points_of(chapter).values())


def test_a_half_done_notebook_gets_the_honest_answers_points_and_zero_for_the_untouched_ones(graded):
    points = points_of(CHAPTER)
    expected = sum(points[f"{name}_tests"] for name in HONEST)
    assert 0 < expected < total_points() - points[f"{SHORTCUT}_tests"]
    row = graded[1]["carol"]
    assert float(row["score"]) == expected and float(row["max_score"]) == total_points()


def test_an_answer_through_the_checking_code_scores_zero_and_is_flagged(graded):
    row = graded[1]["carol"]
    assert row["status"] == "needs manual grading"
    assert f"{SHORTCUT}_tests used the course's checking code" in row["reason"]


def test_a_broken_file_needs_manual_grading_with_the_reason(graded):
    row = graded[1]["dave"]
    assert row["status"] == "needs manual grading" and row["score"] == ""
    assert "not valid notebook JSON" in row["reason"]


def test_every_graded_student_gets_html_feedback(graded):
    rows, folder = graded[1], graded[2]
    for student in ("alice", "carol"):
        page = rows[student]["feedback"]
        assert page == f"feedback/{student}/{CHAPTER}.html", "paths in the CSV are relative to it"
        with open(folder / page, encoding="utf-8") as handle:
            assert "<html" in handle.read(2000).lower()


def test_feedback_never_shows_the_hidden_tests(graded):
    hidden = hidden_test_lines(CHAPTER)
    assert len(hidden) > 10
    for student in ("alice", "carol"):
        page = (graded[2] / graded[1][student]["feedback"]).read_text(encoding="utf-8")
        assert len(page) < 1_000_000
        leaked = [line for line in hidden if html.escape(line, quote=False) in page or line in page]
        assert not leaked, f"hidden test lines in {student}'s feedback: {leaked[:3]}"


def test_the_table_is_printed_and_strays_are_listed(graded, capsys):
    # The fixture ran before capsys; run a tiny batch again to see the output.
    folder = graded[2] / "again"
    folder.mkdir()
    (folder / "readme.md").write_text("hello")
    (folder / "erin.ipynb").write_text("")
    main(["--root", str(ROOT), "grade", str(folder), "--out", str(graded[2] / "again.csv")])
    out = capsys.readouterr().out
    assert "not graded: readme.md: not a notebook" in out
    assert "erin" in out and "needs manual grading" in out


def test_an_empty_folder_is_refused_with_a_message(tmp_path, capsys):
    assert main(["--root", str(ROOT), "grade", str(tmp_path), "--out", str(tmp_path / "g.csv")]) == 2
    assert "no submissions" in capsys.readouterr().err


def test_the_same_notebooks_graded_cold_get_the_same_rows(graded, monkeypatch):
    """Warm kernels (a fork server with the libraries already imported) only save time: with the
    switch off every kernel starts as nbgrader starts it, and the grades are the same."""
    from cnn_course.kernels import warm_kernels

    monkeypatch.setenv(warm_kernels.SWITCH_VARIABLE, "0")
    assert not warm_kernels.available()
    submissions = graded[2] / "cold" / "submissions"
    submissions.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{CHAPTER}.ipynb", submissions / "alice.ipynb")
    (submissions / "carol.ipynb").write_text(json.dumps(half_done_notebook()))
    out = submissions.parent / "grades.csv"
    assert main(["--root", str(ROOT), "grade", str(submissions), "--out", str(out), "--timeout", "60"]) == 0
    with open(out, newline="", encoding="utf-8") as handle:
        cold = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in ("alice", "carol"):
        for column in ("chapter", "status", "score", "max_score", "percent", "reason"):
            assert cold[student].get(column) == graded[1][student].get(column), (student, column)
