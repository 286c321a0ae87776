"""Finding submissions and student ids in what learning platforms hand out (no grading runs)."""

from __future__ import annotations

import pytest

from cnn_course.errors import CourseError
from cnn_course.grading.intake import collect, unwrap
from cnn_course.grading.roster import read_roster


def touch(folder, *names):
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    return folder


def ids(found):
    return {(s.student_id, s.late) for s in found}


def test_canvas_file_names_give_the_canvas_user_id_and_the_late_flag(tmp_path):
    touch(
        tmp_path,
        "smithalice_12345_67890_01_convolution_maths.ipynb",
        "jonesbob_LATE_22222_33333_01_convolution_maths-1.ipynb",
        "smithalice2_44444_55555_01_convolution_maths.ipynb",  # a namesake: another user id
    )
    found, strays = collect(tmp_path, "canvas")
    assert ids(found) == {("12345", False), ("22222", True), ("44444", False)}
    assert strays == []


def test_moodle_folders_give_the_participant_id_and_strays_keep_it(tmp_path):
    touch(
        tmp_path,
        "Alice Smith_12345_assignsubmission_file_/01_convolution_maths.ipynb",
        "Alice Smith_12345_assignsubmission_file_/my notes.pdf",
        "Bob Jones_67890_assignsubmission_file_/chapter1.ipynb",
    )
    found, strays = collect(tmp_path, "moodle")
    assert ids(found) == {("12345", False), ("67890", False)}
    assert [(s.student_id, s.name) for s in strays] == [
        ("12345", "Alice Smith_12345_assignsubmission_file_/my notes.pdf")
    ]


def test_one_wrapper_folder_around_the_class_is_looked_through(tmp_path):
    touch(tmp_path, "Submissions/alice.ipynb", "Submissions/bob.ipynb", "Submissions/carol/ch1.ipynb")
    assert unwrap(tmp_path) == tmp_path / "Submissions"
    found, _ = collect(unwrap(tmp_path))
    assert ids(found) == {("alice", False), ("bob", False), ("carol", False)}


def test_a_lone_student_folder_is_not_taken_for_a_wrapper(tmp_path):
    touch(tmp_path, "alice/01_convolution_maths.ipynb")
    assert unwrap(tmp_path) == tmp_path
    found, _ = collect(unwrap(tmp_path))
    assert ids(found) == {("alice", False)}


def test_a_stray_takes_its_id_from_its_folder(tmp_path):
    touch(tmp_path, "alice/ch1.ipynb", "alice/screenshot.png", "bob/readme.txt")
    found, strays = collect(tmp_path)
    assert ids(found) == {("alice", False)}
    assert {(s.student_id, s.why) for s in strays} == {
        ("alice", "not a notebook (.ipynb)"),
        ("bob", "not a notebook (.ipynb)"),
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ("student_id,name\n12345,Alice\n22222,Bob\n", ["12345", "22222"]),
        ("Student,ID,SIS User ID\nSmith Alice,12345,a1\n", ["12345"]),
        ("\ufeffemail\nalice@uni.edu\n", ["alice@uni.edu"]),
        ("learner\nalice\nbob\n\n", ["alice", "bob"]),
    ],
)
def test_a_roster_is_read_from_its_id_column_or_the_first_one(tmp_path, text, expected):
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    assert read_roster(tmp_path / "roster.csv") == expected


@pytest.mark.parametrize("text, fragment", [("", "is empty"), ("student_id\n", "lists no student ids")])
def test_an_unusable_roster_says_what_is_wrong(tmp_path, text, fragment):
    (tmp_path / "roster.csv").write_text(text)
    with pytest.raises(CourseError, match=fragment):
        read_roster(tmp_path / "roster.csv")
    with pytest.raises(CourseError, match="no such file"):
        read_roster(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("pattern, fragment", [("(unclosed", "not a regular expression"), ("^x", "(?P<student>")])
def test_a_bad_id_pattern_is_refused_with_the_fix(tmp_path, pattern, fragment):
    touch(tmp_path, "a.ipynb")
    with pytest.raises(CourseError, match=fragment.replace("(", r"\(").replace("?", r"\?")):
        collect(tmp_path, pattern)


def test_a_deadline_marks_the_files_saved_after_it_late(tmp_path):
    from cnn_course.grading.intake import Submission, mark_late, parse_due

    early = Submission("31", tmp_path / "a.ipynb", "a.ipynb", modified=parse_due("2026-12-01 12:00"))
    late = Submission("32", tmp_path / "b.ipynb", "b.ipynb", modified=parse_due("2026-12-02 08:00"))
    said = []
    mark_late([early, late], "moodle", "2026-12-01 23:59", 10, said.append)
    assert (early.late, late.late) == (False, True)
    assert said == ["--due 2026-12-01 23:59: 1 of 2 notebook(s) were saved after it and count as late"]


def test_a_late_penalty_without_late_information_is_named():
    from cnn_course.grading.intake import mark_late

    said = []
    mark_late([], "moodle", None, 10, said.append)
    assert len(said) == 1 and "applies to nothing" in said[0] and "--due" in said[0]
    said.clear()
    mark_late([], "canvas", None, 10, said.append)  # Canvas's names carry LATE_
    assert said == []


def test_a_deadline_that_is_not_a_date_is_refused_with_the_form_to_use():
    from cnn_course.grading.intake import parse_due

    with pytest.raises(CourseError, match="give the deadline as YYYY-MM-DD HH:MM"):
        parse_due("next friday")
