"""Real classrooms: every kind of broken submission gets a row, and the batch finishes.

A tiny two-exercise course (no TensorFlow) keeps this fast; the behaviour under test is the
grader's, not the chapter's.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import random
import string
import zipfile
from pathlib import Path

import pytest

from cnn_course.authoring.build import build
from cnn_course.cli import main
from cnn_course.course.course import Course
from tests.helpers import SETUP, SOLUTION, SQUARE, TESTS, TRIPLE, answered, mini_course

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

TIMEOUT = 8


def _grade_id(cell):
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = mini_course(tmp_path_factory.mktemp("course"), SETUP, SOLUTION, TESTS, SQUARE)
    (folder / "solutions" / "02_tripling.py").write_text(
        "# %% [markdown]\n# # Chapter 2: Tripling\n\n" + SETUP + "\n" + TRIPLE
    )
    build(Course.at(folder), execute=False, log=lambda *_: None)
    return folder


def without(notebook: dict, name: str) -> dict:
    notebook = copy.deepcopy(notebook)
    notebook["cells"] = [cell for cell in notebook["cells"] if _grade_id(cell) != name]
    return notebook


def duplicated(notebook: dict, name: str) -> dict:
    notebook = copy.deepcopy(notebook)
    index = [_grade_id(cell) for cell in notebook["cells"]].index(name)
    notebook["cells"].insert(index, copy.deepcopy(notebook["cells"][index]))
    return notebook


def retyped(notebook: dict, name: str) -> dict:
    notebook = copy.deepcopy(notebook)
    cell = next(cell for cell in notebook["cells"] if _grade_id(cell) == name)
    cell["cell_type"] = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    return notebook


def reordered(notebook: dict) -> dict:
    """The square exercise dragged above the double tests, and the tests above their answer."""
    notebook = copy.deepcopy(notebook)
    cells = notebook["cells"]
    names = [_grade_id(cell) for cell in cells]
    square_tests = cells.pop(names.index("square_tests"))
    cells.insert(names.index("double"), square_tests)
    return notebook


def as_colab_saves_it(notebook: dict) -> dict:
    notebook = copy.deepcopy(notebook)
    rng = random.Random(3)
    for cell in notebook["cells"]:
        cell["id"] = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))
        cell["metadata"]["id"] = cell["id"]
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
            cell["metadata"]["outputId"] = "9f1c2e"
    notebook["metadata"] = {
        "colab": {"provenance": [], "name": "01_doubling.ipynb"},
        "accelerator": "GPU",
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
    }
    return notebook


def test_cell_rewritten_to_pass(notebook: dict) -> dict:
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if _grade_id(cell) == "double_tests":
            cell["source"] = "assert True  # all good!\n"
    return notebook


test_cell_rewritten_to_pass.__test__ = False


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outside")
    (folder / "precious.txt").write_text("do not delete")
    (folder / "keep").mkdir()
    (folder / "keep" / "notes.txt").write_text("keep me too")
    return folder


@pytest.fixture(scope="module")
def graded(course, outside, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    good = answered(course)

    def save(student, content):
        path = folder / f"{student}.ipynb"
        path.write_text(content if isinstance(content, str) else json.dumps(content))

    save("ok", good)
    save("not_json", '{"cells": [ {"cell_type": "code", "sou')
    save("empty", "")
    save("wrong_chapter", answered(course, "02_tripling"))
    save("deleted_test", without(good, "double_tests"))
    save("deleted_answer", without(good, "square"))
    save("duplicated", duplicated(good, "double"))
    save("retyped", retyped(good, "square"))
    save("reordered", reordered(good))
    save("colab", as_colab_saves_it(good))
    save("cheater", test_cell_rewritten_to_pass(answered(course, double="def double(x):\n    return x\n")))
    save("syntax_error", answered(course, double="def double(x)\n    return 2 * x\n"))
    save("exception", answered(course, double="def double(x):\n    raise ValueError('nope')\n"))
    save("infinite_loop", answered(course, double="while True:\n    pass\n"))
    save("crash", answered(course, square="import os\nos._exit(1)\n"))
    save(
        "printer",
        answered(
            course,
            double="print('x' * 3_000_000)\nfor i in range(5000):\n    print(i)\ndef double(x):\n    return 2 * x\n",
        ),
    )
    save(
        "vandal",
        answered(
            course,
            double=(
                "import os, shutil, subprocess\n"
                f"for attempt in (lambda: os.remove({str(outside / 'precious.txt')!r}),\n"
                f"                lambda: shutil.rmtree({str(outside / 'keep')!r}),\n"
                f"                lambda: open({str(outside / 'new.txt')!r}, 'w'),\n"
                f"                lambda: subprocess.run(['rm', '-rf', {str(outside)!r}]),\n"
                f"                lambda: os.system('rm -rf {outside}')):\n"
                "    try:\n        attempt()\n    except PermissionError as error:\n        print(error)\n"
                "open('scratch.txt', 'w').write('allowed: inside my own folder')\n"
                "def double(x):\n    return 2 * x\n"
            ),
        ),
    )
    out = folder.parent / "grades.csv"
    code = main(
        ["--root", str(course), "grade", str(folder), "--out", str(out), "--chapter", "01", "--timeout", str(TIMEOUT)]
    )
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return code, rows, out


def row_of(graded, student):
    return graded[1][student]


def test_the_batch_finishes_with_one_row_per_student(graded):
    code, rows, _ = graded
    assert code == 0
    assert len(rows) == 17


@pytest.mark.parametrize(
    "student, fragment",
    [
        ("not_json", "not valid notebook JSON"),
        ("empty", "the file is empty"),
        ("wrong_chapter", "this is the notebook of 02_tripling, not of 01_doubling"),
        ("duplicated", "graded cells appear more than once ('double' in cells"),
    ],
)
def test_unfit_submissions_need_manual_grading_with_the_reason(graded, student, fragment):
    row = row_of(graded, student)
    assert row["status"] == "needs manual grading"
    assert row["score"] == ""
    assert fragment in row["reason"]


@pytest.mark.parametrize(
    "student, score, fragment",
    [
        ("ok", 2, ""),
        ("colab", 2, ""),
        ("deleted_test", 2, "restored deleted cell(s) from the handout: double_tests"),
        ("deleted_answer", 1, "answer cell(s) deleted: square"),
        ("retyped", 2, "cell 'square' was turned into markdown; graded as code"),
        ("cheater", 1, "test cell 'double_tests' was edited; the original test was run"),
        ("syntax_error", 1, "1 ungraded cell raised errors: double (SyntaxError)"),
        ("exception", 1, ""),
        ("infinite_loop", 1, f"stopped after {TIMEOUT} s (infinite loop?): double"),
        ("printer", 2, ""),
    ],
)
def test_damaged_submissions_are_scored_with_notes(graded, student, score, fragment):
    row = row_of(graded, student)
    assert row["status"] == "graded", row["reason"]
    assert float(row["score"]) == score and float(row["max_score"]) == 2
    assert fragment in row["reason"]
    if not fragment:
        assert row["reason"] == ""


def test_reordered_cells_give_a_provisional_score_for_a_person_to_check(graded):
    row = row_of(graded, "reordered")
    assert row["status"] == "needs manual grading"
    assert row["score"] != "" and "provisional" in row["reason"]


def test_a_submission_cannot_touch_files_outside_its_folder(graded, outside):
    row = row_of(graded, "vandal")
    assert (outside / "precious.txt").read_text() == "do not delete"
    assert (outside / "keep" / "notes.txt").exists()
    assert not (outside / "new.txt").exists()
    assert row["status"] == "needs manual grading" and "was blocked" in row["reason"]
    assert float(row["score"]) == 2, "its answers still count; a person decides what else to do"


def test_huge_output_is_cut_in_the_feedback(graded):
    feedback = graded[2].parent / row_of(graded, "printer")["feedback"]
    assert feedback.stat().st_size < 1_000_000
    assert "more characters cut by the grader" in feedback.read_text(encoding="utf-8")


def test_feedback_shows_each_failed_check_with_its_message(graded):
    page = (graded[2].parent / row_of(graded, "exception")["feedback"]).read_text(encoding="utf-8")
    assert "double_tests</b>: 0 / 1" in page and "ValueError: nope" in page
    assert "square_tests</b>: 1 / 1" in page


def test_class_summary_has_a_plot_and_pass_rates(graded):
    out = graded[2]
    assert (out.parent / "grades_summary.png").stat().st_size > 10_000
    with open(out.parent / "grades_exercises.csv", newline="") as handle:
        rates = {row["graded_cell"]: float(row["pass_rate"]) for row in csv.DictReader(handle)}
    assert set(rates) == {"double_tests", "square_tests"}
    assert 0 < rates["double_tests"] < rates["square_tests"] <= 1


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in members.items():
            bundle.writestr(name, text)
    return path


def test_a_platform_zip_grades_in_one_command_and_lists_what_it_skips(course, tmp_path, capsys):
    good = json.dumps(answered(course))
    archive = _zip(
        tmp_path / "downloaded.zip",
        {
            "smithalice_12345_67890_01_doubling.ipynb": good,
            "jonesbob_LATE_22222_01_doubling.ipynb": json.dumps(
                answered(course, square="def square(x):\n    return 0\n")
            ),
            "carol/01_doubling.ipynb": good,
            "dave/02_tripling.ipynb": json.dumps(answered(course, "02_tripling")),
            "12345_no_name.ipynb": good,
            "instructions.pdf": "%PDF",
            "__MACOSX/._smithalice_12345_67890_01_doubling.ipynb": "junk",
        },
    )
    out = tmp_path / "grades.csv"
    assert (
        main(
            [
                "--root",
                str(course),
                "grade",
                str(archive),
                "--out",
                str(out),
                "--id-pattern",
                r"^(?P<student>[a-z]+)(_|$)",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    with open(out, newline="") as handle:
        rows = {(row["student_id"], row["chapter"]): row for row in csv.DictReader(handle)}
    assert rows[("smithalice", "01_doubling")]["score"] == "2"
    assert rows[("jonesbob", "01_doubling")]["score"] == "1"
    assert rows[("carol", "01_doubling")]["score"] == "2"
    assert rows[("dave", "02_tripling")]["score"] == "1"
    # One notebook of another chapter in a batch of Chapter 1: graded as its own chapter, and flagged.
    assert "a notebook of 02_tripling in a batch of 01_doubling" in rows[("dave", "02_tripling")]["reason"]
    strays = {row["file"]: row for row in rows.values() if row["status"] == "needs manual grading"}
    assert set(strays) == {"12345_no_name.ipynb", "instructions.pdf", "dave/02_tripling.ipynb"}
    assert "no student id in '12345_no_name'" in strays["12345_no_name.ipynb"]["reason"]
    assert "not graded: instructions.pdf: not a notebook" in printed


def test_a_zip_member_escaping_the_folder_is_refused(course, tmp_path, capsys):
    archive = _zip(tmp_path / "evil.zip", {"../../escaped.ipynb": "{}"})
    assert main(["--root", str(course), "grade", str(archive), "--out", str(tmp_path / "g.csv")]) == 2
    assert "points outside the archive" in capsys.readouterr().err
    assert not (tmp_path.parent / "escaped.ipynb").exists()


def test_a_second_notebook_of_the_same_chapter_is_graded_too_and_the_newest_counts(course, tmp_path):
    folder = tmp_path / "subs"
    (folder / "erin").mkdir(parents=True)
    for name, stamp in (("01_doubling.ipynb", 2_000), ("01_doubling_final.ipynb", 1_000)):
        (folder / "erin" / name).write_text(json.dumps(answered(course)))
        os.utime(folder / "erin" / name, (stamp, stamp))
    out = tmp_path / "g.csv"
    main(["--root", str(course), "grade", str(folder), "--out", str(out)])
    with open(out, newline="") as handle:
        statuses = {row["file"]: (row["status"], row["score"]) for row in csv.DictReader(handle)}
    assert statuses == {"erin/01_doubling.ipynb": ("graded", "2"), "erin/01_doubling_final.ipynb": ("not counted", "2")}


def test_an_id_pattern_without_a_student_group_is_refused(course, tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text("{}")
    assert main(["--root", str(course), "grade", str(tmp_path), "--id-pattern", "^[a-z]+"]) == 2
    assert "(?P<student>...)" in capsys.readouterr().err


def test_a_notebook_with_only_the_shared_setup_cell_is_not_taken_for_a_chapter(course, tmp_path):
    notebook = answered(course)
    notebook["cells"] = [cell for cell in notebook["cells"] if _grade_id(cell) in (None, "setup")]
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "frank.ipynb").write_text(json.dumps(notebook))
    out = tmp_path / "g.csv"
    main(["--root", str(course), "grade", str(tmp_path / "subs"), "--out", str(out)])
    with open(out, newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["status"] == "needs manual grading" and "none of the course's graded cells" in row["reason"]


def test_a_kernel_that_dies_is_named_with_its_cell_and_the_checks_before_it(graded):
    """nbgrader says only "Kernel died" and scores nothing; the row names the cell, scores the
    checks that ran before it (provisionally) and the page shows them."""
    _, _, out = graded
    row = row_of(graded, "crash")
    assert row["status"] == "needs manual grading"
    assert "the kernel died in the cell square" in row["reason"], row["reason"]
    assert "give 1 of 2 (provisional)" in row["reason"] and "grade the copy alone" in row["reason"]
    page = (out.parent / row["feedback"]).read_text(encoding="utf-8")
    assert "double_tests</b>: 1 / 1" in page and "square_tests</b>: 0 / 1" in page
    assert "did not run: the kernel died before it" in page
