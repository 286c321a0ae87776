"""Filling a platform's export, as a table: no kernels, just rows in and cells out.

The end-to-end runs are in test_class_grading.py; here each rule of the filling has its case,
above all the re-grade: a batch of one student (or of latecomers) over an export that already
holds the class's grades must change only what it computed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cnn_course.errors import CourseError
from cnn_course.grading.gradebooks import write_gradebook
from cnn_course.grading.report import MANUAL, MISSING, GradeRow, roster_rows

CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Chapter 1: Doubling (4711),Quiz (4712)\n"
    "    Points Possible,,,,,12,10\n"
    '"Smith, Alice",12345,s1,alice,A,5,7\n'
    '"Jones, Bob",22222,s2,bob,A,11,8\n'
    '"Park, Dan",88888,s4,dan,A,9.5,9\n'
    '"Lee, Erin",31313,s5,erin,A,,6\n'
    '"Ray, Finn",42424,s6,finn,A,,5\n'
)
MOODLE_WORKSHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed\n"
    "Participant 31,Erin Lee,erin@example.org,Submitted for grading,7.00,12.00,Yes\n"
    "Participant 32,Finn Ray,finn@example.org,No submission,-,12.00,Yes\n"
    "Participant 33,Gia Hu,gia@example.org,Submitted for grading,10.00,12.00,Yes\n"
)


def batch(scores: dict[str, float], roster: list[str]) -> list[GradeRow]:
    """The rows `cnn-course grade --roster` makes for a batch with these students' notebooks."""
    rows = [GradeRow(student_id=s, chapter="01_doubling", score=v, max_score=12.0) for s, v in scores.items()]
    return rows + roster_rows(rows, roster, "01_doubling")


def fill(tmp_path: Path, export: str, rows: list[GradeRow], **options):
    roster = tmp_path / "export.csv"
    roster.write_text(export)
    out = tmp_path / "import.csv"
    column = options.pop("column", "Chapter 1")
    filled = write_gradebook(roster, rows, out, column, "01_doubling", **options)
    with open(out, newline="") as handle:
        return filled, list(csv.reader(handle))


def canvas_column(table: list[list[str]], index: int = 5) -> dict[str, str]:
    return {row[1]: row[index] for row in table[2:]}


CANVAS_ROSTER = ["12345", "22222", "88888", "31313", "42424"]


def test_a_re_grade_of_one_student_changes_only_that_student_s_grade(tmp_path):
    filled, table = fill(tmp_path, CANVAS_EXPORT, batch({"12345": 12.0}, CANVAS_ROSTER))
    assert canvas_column(table) == {"12345": "12", "22222": "11", "88888": "9.5", "31313": "", "42424": ""}
    assert filled.changed == ["Smith, Alice (12345): 5 -> 12"]
    assert (filled.filled, filled.not_handed_in, filled.zeroed) == (0, 4, 0)
    assert canvas_column(table, 6) == {"12345": "7", "22222": "8", "88888": "9", "31313": "6", "42424": "5"}


def test_latecomers_in_a_second_batch_fill_their_cells_and_nobody_else_s(tmp_path):
    filled, table = fill(tmp_path, CANVAS_EXPORT, batch({"31313": 10.0}, CANVAS_ROSTER))
    assert canvas_column(table) == {"12345": "5", "22222": "11", "88888": "9.5", "31313": "10", "42424": ""}
    assert filled.changed == [] and filled.filled == 1


def test_missing_zero_fills_only_empty_cells(tmp_path):
    filled, table = fill(tmp_path, CANVAS_EXPORT, batch({"31313": 10.0}, CANVAS_ROSTER), missing_zero=True)
    assert canvas_column(table) == {"12345": "5", "22222": "11", "88888": "9.5", "31313": "10", "42424": "0"}
    assert filled.changed == [] and filled.zeroed == 1


def test_a_row_that_needs_a_person_keeps_the_grade_the_export_holds(tmp_path):
    rows = [GradeRow(student_id="22222", chapter="01_doubling", score=3.0, max_score=12.0, status=MANUAL)]
    filled, table = fill(tmp_path, CANVAS_EXPORT, rows)
    assert canvas_column(table)["22222"] == "11" and filled.changed == []


def test_the_same_score_again_is_not_a_change(tmp_path):
    filled, table = fill(tmp_path, CANVAS_EXPORT, batch({"88888": 9.5}, CANVAS_ROSTER))
    assert canvas_column(table)["88888"] == "9.5" and filled.changed == [] and filled.filled == 0


def test_a_moodle_re_grade_keeps_the_others_and_treats_a_dash_as_no_grade(tmp_path):
    rows = batch({"33": 12.0}, ["31", "32", "33"])
    filled, table = fill(tmp_path, MOODLE_WORKSHEET, rows, column=None, missing_zero=True)
    assert [(row[0], row[4]) for row in table[1:]] == [
        ("Participant 31", "7.00"),
        ("Participant 32", "0"),
        ("Participant 33", "12"),
    ]
    assert filled.changed == ["Gia Hu (33): 10.00 -> 12"] and filled.zeroed == 1


def test_a_missing_row_means_nothing_in_this_batch():
    rows = batch({"12345": 12.0}, CANVAS_ROSTER)
    assert [row.student_id for row in rows if row.status == MISSING] == ["22222", "88888", "31313", "42424"]


def test_without_a_column_name_the_chapter_s_assignment_column_is_found(tmp_path):
    export = CANVAS_EXPORT.replace("Chapter 1: Doubling (4711)", "Ch. 1 - Doubling (4711)")
    filled, table = fill(tmp_path, export, batch({"31313": 10.0}, CANVAS_ROSTER), column=None)
    assert filled.column == "Ch. 1 - Doubling (4711)" and len(table[0]) == 7, "no new column"
    assert canvas_column(table)["31313"] == "10"


def test_an_export_without_or_with_two_chapter_columns_is_refused_by_name(tmp_path):
    without = CANVAS_EXPORT.replace("Chapter 1: Doubling (4711)", "Essay (4711)")
    with pytest.raises(CourseError, match=r"no column of .* names 01_doubling .*'Essay \(4711\)', 'Quiz \(4712\)'"):
        fill(tmp_path, without, batch({"31313": 10.0}, CANVAS_ROSTER), column=None)
    two = CANVAS_EXPORT.replace("Quiz (4712)", "Chapter 1 retake (4712)")
    with pytest.raises(CourseError, match=r"2 columns .* could be 01_doubling's assignment"):
        fill(tmp_path, two, batch({"31313": 10.0}, CANVAS_ROSTER), column=None)


def test_a_hundred_point_assignment_gets_the_score_scaled(tmp_path):
    export = CANVAS_EXPORT.replace("    Points Possible,,,,,12,10", "    Points Possible,,,,,100,10")
    rows = [GradeRow(student_id="31313", chapter="01_doubling", score=10.8, max_score=12.0)]
    filled, table = fill(tmp_path, export, rows)
    assert canvas_column(table)["31313"] == "90", "10.8 of 12 is 90 of 100, never 10.8 of 100"
    assert filled.scaled_from == (12.0, 100.0)


def test_a_moodle_maximum_grade_scales_the_score_too(tmp_path):
    worksheet = MOODLE_WORKSHEET.replace("12.00,Yes", "100.00,Yes")
    rows = [GradeRow(student_id="32", chapter="01_doubling", score=6.0, max_score=12.0)]
    _, table = fill(tmp_path, worksheet, rows, column=None)
    assert [row[4] for row in table[1:]] == ["7.00", "50", "10.00"]


def test_canvas_s_test_student_is_not_a_student_of_the_class(tmp_path):
    from cnn_course.grading.gradebooks import roster_ids

    export = tmp_path / "export.csv"
    export.write_text(CANVAS_EXPORT + '"Student, Test",99999,,,A,,\n')
    assert "99999" not in roster_ids(export) and len(roster_ids(export)) == 5
