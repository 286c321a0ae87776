"""*Run all* on an untouched release, as a learner does: it stops at the first exercise with the
check's sentence alone, no traceback through the course's own code."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cnn_course.kernels.execute import kernel_environment
from cnn_course.kernels.kernel_sockets import unix_socket_kernels
from tests.helpers import ROOT

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)


def test_run_all_stops_at_the_first_exercise_with_the_check_s_sentence_alone(tmp_path, monkeypatch):
    notebook = nbformat.read(ROOT / "notebooks" / "01_convolution_maths.ipynb", as_version=4)
    for name, value in kernel_environment(smoke=True).items():
        monkeypatch.setenv(name, value)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with unix_socket_kernels(), pytest.raises(CellExecutionError):  # started as Jupyter would, minus TCP's port race
        client.execute()
    errors = [
        (cell, output)
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert len(errors) == 1, "Run all stops at the first failing cell"
    cell, error = errors[0]
    assert cell.metadata["nbgrader"]["grade_id"] == "conv_output_size_tests"
    assert error["ename"] == "AssertionError", "nbgrader still sees an AssertionError"
    assert error["traceback"] == [f"AssertionError: {error['evalue']}"], "the sentence alone, no traceback"
    assert error["evalue"].startswith("Not attempted yet (conv_output_size):")
    assert "cnn_course" not in "\n".join(error["traceback"])
