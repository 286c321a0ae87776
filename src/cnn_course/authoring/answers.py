"""The reference answers that ``solution()`` shows, taken from the chapters' answer cells.

``cnn-course build`` writes them as package data (``cnn_course/checks/answers/chapterNN.json``),
one entry per exercise: the answer cell's code without nbgrader's markers. An exercise is
matched to its answer cell through the notebook itself: the ``ex.NAME.check(...)`` call that
follows an answer cell checks that cell. ``cnn-course publish`` leaves these files out, so in
a graded class's student tree ``solution()`` says that solutions are turned off.
"""

from __future__ import annotations

import importlib
import json
import re

import nbformat

from cnn_course.authoring.cells import grade_id, nbgrader_meta

ANSWERS_FOLDER = "src/cnn_course/checks/answers"
_CHECKS_IMPORT = re.compile(r"^from cnn_course\.checks import (\w+) as (\w+)", re.M)
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def answer_code(source: str) -> str:
    """An answer cell's code as a learner would write it: nbgrader's markers removed."""
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line)).strip() + "\n"


def answers_of(notebook: nbformat.NotebookNode) -> tuple[str | None, dict[str, dict[str, str]]]:
    """``(checks module, {exercise name: {"cell": grade id, "code": answer}})`` for one chapter."""
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    found = _CHECKS_IMPORT.search(text)
    if not found:
        return None, {}
    module_name, alias = found.groups()
    checks = importlib.import_module(f"cnn_course.checks.{module_name}")
    call = re.compile(rf"\b{re.escape(alias)}\.(\w+)\.check\(")
    answers: dict[str, dict[str, str]] = {}
    last_answer = None
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if nbgrader_meta(cell).get("solution"):
            last_answer = cell
            continue
        for attribute in call.findall(cell.source):
            exercise = getattr(checks, attribute, None)
            if last_answer is not None and exercise is not None:
                answers[exercise.name] = {"cell": grade_id(last_answer), "code": answer_code(last_answer.source)}
    return module_name, answers


def answers_file_text(answers: dict[str, dict[str, str]]) -> str:
    return json.dumps(answers, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
