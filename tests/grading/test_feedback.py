"""A feedback page shows the student's notebook, not the grading machine's noise."""

from __future__ import annotations

from cnn_course.grading.feedback import feedback_page
from cnn_course.grading.report import GradeRow

CUDA_LINE = (
    "E0000 00:00:1796614262.260724    3919 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
    "Failed call to cuInit: UNKNOWN ERROR (303)\n"
)


def test_tensorflow_s_start_up_log_stays_off_the_page():
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "import tensorflow", "outputs": [
                {"output_type": "stream", "name": "stderr", "text": CUDA_LINE},
                {"output_type": "stream", "name": "stdout", "text": CUDA_LINE + "TensorFlow 2.21.0\n"},
            ]},
        ]
    }  # fmt: skip
    page = feedback_page(notebook, GradeRow(student_id="alice", chapter="01_doubling"), {})
    assert "cuInit" not in page and "TensorFlow 2.21.0" in page
    assert page.count("<pre class='out'>") == 1, "an output that was only noise leaves no empty box"


def test_the_class_summary_ranks_the_check_sentences_students_met_most():
    from cnn_course.grading.summary import misconceptions

    def row(student, relu_failure=None):
        graded = GradeRow(student_id=student, chapter="01_x", score=1.0, max_score=2.0)
        graded.exercises = {"relu_tests": (0.0 if relu_failure else 1.0, 1.0), "pool_tests": (1.0, 1.0)}
        if relu_failure:
            graded.failures = {"relu_tests": f"AssertionError: Not quite (relu): {relu_failure} Stuck? Call .hint()."}
        return graded

    rows = [
        row("a", "relu([-2.0]) should be [0.], got [-2.]. Negative values become 0."),
        row("b", "relu([-3.5]) should be [0.], got [-3.5]. Negative values become 0."),
        row("c", "relu changed the array it was given: return a new array."),
        row("d"),
    ]
    found = misconceptions(rows)
    assert list(found) == [("01_x", "relu_tests")], "a cell everyone passed has nothing to re-teach"
    (count, scored, sentence), (count_2, _, sentence_2) = found[("01_x", "relu_tests")]
    assert (count, scored) == (2, 4) and sentence.startswith("relu([-2.0]) should be") and "Stuck" not in sentence
    assert count_2 == 1 and sentence_2.startswith("relu changed the array")


def test_one_cutter_keeps_the_first_characters_and_says_how_many_were_cut():
    from cnn_course.kernels.nbgrader_course import MAX_OUTPUT_CHARS, cut_text

    text = "x" * (MAX_OUTPUT_CHARS + 1234)
    cut = cut_text(text)
    assert cut.startswith("x" * MAX_OUTPUT_CHARS) and "[1,234 more characters cut by the grader]" in cut
    assert cut_text("short") == "short"
