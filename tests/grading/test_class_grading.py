"""A graded class end to end on a tiny course: LMS downloads, roster, gradebook CSV, parallel
workers, and feedback that keeps the hidden tests hidden."""

from __future__ import annotations

import csv
import json
import os
import shlex
import zipfile
from pathlib import Path

import pytest

from cnn_course.authoring.build import build
from cnn_course.cli import main
from cnn_course.course.course import Course
from tests.helpers import ROOT, SETUP, SOLUTION, SQUARE, TESTS, answered, mini_course

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

HIDDEN_LINES = ["assert double(-3) == -6", "assert square(-4) == 16"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = mini_course(tmp_path_factory.mktemp("course"), SETUP, SOLUTION, TESTS, SQUARE)
    build(Course.at(folder), execute=False, log=lambda *_: None)
    return folder


def read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def canvas_class(course, tmp_path_factory):
    """A Canvas download in a wrapper folder, graded with a roster, a wide CSV and two workers."""
    folder = tmp_path_factory.mktemp("canvas")
    good = json.dumps(answered(course))
    wrong_square = json.dumps(answered(course, square="def square(x):\n    return x * abs(x)\n"))
    broken_setup = answered(course)
    broken_setup["cells"].insert(1, {"cell_type": "code", "metadata": {}, "outputs": [], "source": "1 / 0"})
    archive = folder / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("Submissions/smithalice_12345_67890_01_doubling.ipynb", good)
        bundle.writestr("Submissions/jonesbob_LATE_22222_33333_01_doubling.ipynb", wrong_square)
        bundle.writestr("Submissions/smithalice_44444_55555_01_doubling.ipynb", json.dumps(broken_setup))
        bundle.writestr("Submissions/leeerin_66666_77777_notes.pdf", "%PDF")
    (folder / "roster.csv").write_text(
        "Student,ID\nSmith Alice,12345\nJones Bob,22222\nSmith Alice,44444\nPark Dan,88888\n"
    )
    out = folder / "out" / "grades.csv"
    code = main(
        [
            "--root",
            str(course),
            "grade",
            str(archive),
            "--out",
            str(out),
            "--id-pattern",
            "canvas",
            "--roster",
            str(folder / "roster.csv"),
            "--wide",
            str(folder / "out" / "gradebook.csv"),
            "--jobs",
            "2",
        ]
    )
    return code, {row["student_id"]: row for row in read(out)}, folder / "out"


def test_canvas_ids_late_flags_and_the_roster_give_every_student_a_row(canvas_class):
    code, rows, _ = canvas_class
    assert code == 0
    assert set(rows) == {"12345", "22222", "44444", "66666", "88888"}
    assert rows["12345"]["score"] == "2" and rows["12345"]["late"] == ""
    assert rows["22222"]["score"] == "1" and rows["22222"]["late"] == "yes"
    assert rows["88888"]["status"] == "missing" and "nothing was handed in" in rows["88888"]["reason"]
    assert rows["66666"]["status"] == "needs manual grading" and "not on the roster" in rows["66666"]["reason"]


def test_an_error_in_an_ungraded_cell_is_noted_while_the_score_stands(canvas_class):
    row = canvas_class[1]["44444"]
    assert row["score"] == "2" and row["status"] == "graded"
    assert "1 ungraded cell raised errors" in row["reason"] and "ZeroDivisionError" in row["reason"]


def test_paths_in_the_csv_are_relative_to_it(canvas_class):
    _, rows, out = canvas_class
    for row in rows.values():
        for column in ("feedback", "file"):
            assert not Path(row[column]).is_absolute()
    assert (out / rows["12345"]["feedback"]).is_file()


def test_the_wide_csv_has_one_row_per_student_and_a_column_per_graded_cell(canvas_class):
    rows = read(canvas_class[2] / "gradebook.csv")
    assert list(rows[0]) == ["student_id", "double_tests", "square_tests", "total", "late", "status"]
    by_id = {row["student_id"]: row for row in rows}
    assert (by_id["22222"]["double_tests"], by_id["22222"]["square_tests"], by_id["22222"]["total"]) == ("1", "0", "1")
    assert by_id["88888"]["status"] == "missing" and by_id["88888"]["total"] == ""


def test_feedback_shows_the_failed_check_but_not_the_hidden_test(canvas_class):
    _, rows, out = canvas_class
    page = (out / rows["22222"]["feedback"]).read_text(encoding="utf-8")
    assert "square_tests</b>: 0 / 1" in page and "AssertionError" in page
    assert "assert square(3) == 9" in page, "the visible test is shown"
    for line in HIDDEN_LINES:
        assert line not in page
    assert "BEGIN HIDDEN" not in page and "Traceback" not in page


def test_hidden_tests_can_be_shown_on_request(course, tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "bob.ipynb").write_text(json.dumps(answered(course, square="def square(x):\n    return 0\n")))
    out = tmp_path / "grades.csv"
    main(["--root", str(course), "grade", str(tmp_path / "subs"), "--out", str(out), "--show-hidden-tests"])
    page = (tmp_path / read(out)[0]["feedback"]).read_text(encoding="utf-8")
    assert "assert square(-4) == 16" in page


def test_the_time_per_notebook_is_printed_and_no_kernel_noise(course, tmp_path, capfd):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "alice.ipynb").write_text(json.dumps(answered(course)))
    main(["--root", str(course), "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv"), "--jobs", "1"])
    printed = capfd.readouterr()
    assert "s per notebook" in printed.out
    # What the kernels print on start-up (fd level, from child processes) is filtered out.
    for noise in ("Kernel is running over TCP", "absl::InitializeLog", "cuInit"):
        assert noise not in printed.out + printed.err


@pytest.fixture(scope="module")
def duplicates_class(course, tmp_path_factory):
    """Three students who each handed in Chapter 1 twice: Canvas numbering, file times, a tie."""
    folder = tmp_path_factory.mktemp("duplicates")
    complete = json.dumps(answered(course))
    half_done = json.dumps(answered(course, square="def square(x):\n    return 0\n"))
    archive = folder / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        # Canvas: the same file uploaded again comes back as ...-1 with a larger file id. The
        # half-done first upload sorts first by name; the complete second one must count.
        bundle.writestr("smithalice_12345_67890_01_doubling.ipynb", half_done)
        bundle.writestr("smithalice_12345_67990_01_doubling-1.ipynb", complete)
        bundle.writestr("jonesbob_LATE_22222_33333_01_doubling.ipynb", complete)
    # Canvas's gradebook export as the roster: a Points Possible row, an assignment column, a
    # student who handed in nothing.
    (folder / "canvas_export.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Chapter 1: Doubling (4711),Quiz (4712)\n"
        "    Points Possible,,,,,,10\n"
        '"Smith, Alice",12345,s1,alice,A,,7\n'
        '"Jones, Bob",22222,s2,bob,A,,8\n'
        '"Park, Dan",88888,s4,dan,A,,9\n'
    )
    canvas_out = folder / "canvas" / "grades.csv"
    main(["--root", str(course), "grade", str(archive), "--out", str(canvas_out), "--id-pattern", "canvas",
          "--wide", str(folder / "canvas" / "gradebook.csv"), "--roster", str(folder / "canvas_export.csv"),
          "--gradebook", str(folder / "canvas" / "import.csv"), "--gradebook-column", "Chapter 1",
          "--late-penalty", "10", "--missing-zero"])  # fmt: skip
    # Not a platform's numbering: the newest file counts, and two of the same time tie.
    plain = folder / "plain"
    for student, files in {"carol": [("a.ipynb", complete, 1_000), ("b.ipynb", half_done, 2_000)],
                           "dan": [("a.ipynb", complete, 1_000), ("b.ipynb", half_done, 1_000)]}.items():  # fmt: skip
        (plain / student).mkdir(parents=True)
        for name, text, stamp in files:
            (plain / student / name).write_text(text)
            os.utime(plain / student / name, (stamp, stamp))
    plain_out = folder / "plain-out" / "grades.csv"
    main(["--root", str(course), "grade", str(plain), "--out", str(plain_out),
          "--wide", str(folder / "plain-out" / "gradebook.csv")])  # fmt: skip
    # Moodle: one folder per participant, and the assignment's grading worksheet as the roster.
    moodle = folder / "moodle"
    (moodle / "Erin Lee_31_assignsubmission_file_").mkdir(parents=True)
    (moodle / "Erin Lee_31_assignsubmission_file_" / "01_doubling.ipynb").write_text(half_done)
    (folder / "worksheet.csv").write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed\n"
        "Participant 31,Erin Lee,erin@example.org,Submitted for grading,,2.00,Yes\n"
        "Participant 32,Finn Ray,finn@example.org,No submission,,2.00,Yes\n"
    )
    main(["--root", str(course), "grade", str(moodle), "--out", str(folder / "moodle-out" / "grades.csv"),
          "--id-pattern", "moodle", "--roster", str(folder / "worksheet.csv"),
          "--gradebook", str(folder / "moodle-out" / "import.csv"), "--missing-zero"])  # fmt: skip
    return folder, read(canvas_out), read(plain_out)


def test_every_duplicate_is_graded_and_the_latest_canvas_upload_counts(duplicates_class):
    folder, rows, _ = duplicates_class
    alice = {row["file"]: row for row in rows if row["student_id"] == "12345"}
    first, second = (
        alice["smithalice_12345_67890_01_doubling.ipynb"],
        alice["smithalice_12345_67990_01_doubling-1.ipynb"],
    )
    assert (first["score"], second["score"]) == ("1", "2"), "each file keeps its own score"
    assert first["status"] == "not counted" and "67990_01_doubling-1.ipynb counts instead" in first["reason"]
    assert second["status"] == "graded" and "counts: the latest upload of 2 notebooks" in second["reason"]
    gradebook = {row["student_id"]: row for row in read(folder / "canvas" / "gradebook.csv")}
    assert gradebook["12345"]["total"] == "2" and gradebook["22222"]["total"] == "1.8"
    # Each file has its own feedback page, and the page names the file it grades.
    pages = {row["file"]: (folder / "canvas" / row["feedback"]).read_text(encoding="utf-8") for row in alice.values()}
    assert len({row["feedback"] for row in alice.values()}) == 2
    for name, page in pages.items():
        assert f"Graded file: <code>{name}</code>" in page
    # The page the guide says to send is the one that counts, and each page says which it is.
    assert second["feedback"].endswith("12345/01_doubling.html")
    assert first["feedback"].endswith("12345/01_doubling-not-counted-1.html")
    assert "This notebook counts: it is the latest upload of the 2 you handed in" in pages[second["file"]]
    assert (
        "This notebook does not count: smithalice_12345_67990_01_doubling-1.ipynb counts instead"
        in (pages[first["file"]])
    )


def test_without_a_platform_s_numbering_the_newest_file_counts_and_a_tie_asks_a_person(duplicates_class):
    folder, _, rows = duplicates_class
    carol = {row["file"]: row for row in rows if row["student_id"] == "carol"}
    assert carol["carol/b.ipynb"]["status"] == "graded" and "the newest file" in carol["carol/b.ipynb"]["reason"]
    assert carol["carol/a.ipynb"]["status"] == "not counted"
    dan = [row for row in rows if row["student_id"] == "dan"]
    assert len(dan) == 2 and all(row["status"] == "needs manual grading" for row in dan)
    names = sorted(Path(row["feedback"]).name for row in dan)
    assert names == ["01_doubling-choose-one-1.html", "01_doubling-choose-one-2.html"], "neither takes the plain name"
    assert all("choose one" in row["reason"] for row in dan) and {row["score"] for row in dan} == {"1", "2"}
    gradebook = {row["student_id"]: row for row in read(folder / "plain-out" / "gradebook.csv")}
    assert gradebook["carol"]["total"] == "1", "the newest file counts even when it scores less"
    assert gradebook["dan"]["total"] == "" and gradebook["dan"]["status"] == "needs manual grading"


def test_the_canvas_export_comes_back_filled_in_its_own_order_with_names_and_the_late_penalty(duplicates_class):
    folder, rows, _ = duplicates_class
    with open(folder / "canvas" / "import.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Chapter 1: Doubling (4711)",
        "Quiz (4712)",
    ]
    by_name = {row[0].strip(): row for row in table[1:]}
    assert list(by_name) == ["Points Possible", "Smith, Alice", "Jones, Bob", "Park, Dan"], "the export's order"
    assert by_name["Points Possible"][5] == "2"
    assert by_name["Smith, Alice"][5] == "2", "the latest upload counts"
    assert by_name["Jones, Bob"][5] == "1.8", "late: 10% off 2 points"
    assert by_name["Park, Dan"][5] == "0", "nothing handed in"
    assert [row[6] for row in table[2:]] == ["7", "8", "9"], "other assignments untouched"
    bob = next(row for row in rows if row["student_id"] == "22222")
    assert (bob["score"], bob["score_before_penalty"], bob["late"]) == ("1.8", "2", "yes")
    page = (folder / "canvas" / bob["feedback"]).read_text(encoding="utf-8")
    assert "late: 10% deducted (2 before)" in page and ": 1.8 / 2" in page


def test_the_moodle_worksheet_comes_back_with_its_grade_column_filled(duplicates_class):
    folder = duplicates_class[0]
    with open(folder / "moodle-out" / "import.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [(row["Identifier"], row["Grade"]) for row in table] == [("Participant 31", "1"), ("Participant 32", "0")]
    assert table[0]["Full name"] == "Erin Lee" and table[0]["Maximum Grade"] == "2.00"


def test_a_re_grade_over_the_filled_export_changes_only_the_re_graded_student(duplicates_class, course, capsys):
    """The guide's re-grade: one student's fixed file alone, the export that already has the
    class's grades as --roster and --gradebook. Nobody else's grade may move."""
    folder = duplicates_class[0]
    (folder / "regrade").mkdir()
    (folder / "regrade" / "jonesbob_22222_34444_01_doubling.ipynb").write_text(json.dumps(answered(course)))
    capsys.readouterr()
    # The guide's own command, its paths put here: the export that holds the grades, a new file to import.
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    command = next(
        line for line in guide.splitlines() if line.startswith(".venv/bin/cnn-course grade") and "regrade" in line
    )
    places = {
        "~/grading/ch01/regrade/grades.csv": folder / "regrade-out" / "grades.csv",
        "~/grading/ch01/regrade/import.csv": folder / "regrade-out" / "import.csv",
        "~/grading/ch01/regrade/": folder / "regrade",
        "~/grading/ch01/export-now.csv": folder / "canvas" / "import.csv",
    }
    arguments = [str(places.get(word, word)) for word in shlex.split(command)[1:]]
    assert main(["--root", str(course), *arguments]) == 0
    printed = capsys.readouterr().out
    with open(folder / "regrade-out" / "import.csv", newline="") as handle:
        table = {row[0].strip(): row[5] for row in csv.reader(handle)}
    assert table == {
        "Student": "Chapter 1: Doubling (4711)",
        "Points Possible": "2",
        "Smith, Alice": "2",
        "Jones, Bob": "2",
        "Park, Dan": "0",
    }
    assert "it changes 1 grade(s) the export already held" in printed and "Jones, Bob (22222): 1.8 -> 2" in printed
    assert "2 student(s) on the roster handed in nothing in this batch: their cells are left as they were" in printed


def test_a_moodle_class_with_a_deadline_gets_its_late_penalty(duplicates_class, course, tmp_path, capsys):
    """Moodle's names carry no late flag: the deadline, compared with the files' times, does."""
    moodle = duplicates_class[0] / "moodle"
    for path in moodle.rglob("*.ipynb"):
        os.utime(path, (2_000_000_000, 2_000_000_000))  # 2033: after the deadline
    out = tmp_path / "grades.csv"
    main(["--root", str(course), "grade", str(moodle), "--out", str(out), "--id-pattern", "moodle",
          "--late-penalty", "10", "--due", "2030-01-01 00:00"])  # fmt: skip
    row = read(out)[0]
    assert (row["late"], row["score"], row["score_before_penalty"]) == ("yes", "0.9", "1")
    assert "1 of 1 notebook(s) were saved after it and count as late" in capsys.readouterr().out
