"""The reference answers that ``solution()`` shows, taken from the chapters' answer cells.

``cnn-course build`` writes them as package data (``cnn_course/checks/answers/chapterNN.json``),
one entry per exercise: the answer cell's code without nbgrader's markers, and the
explanation its author wrote in it (``# Why: ...``). An exercise is
matched to its answer cell through the notebook itself: the ``ex.NAME.check(...)`` call that
follows an answer cell checks that cell. ``cnn-course publish`` leaves these files out, so in
a graded class's student tree ``solution()`` says that solutions are turned off.
"""

from __future__ import annotations

import importlib
import json
import re

import nbformat

from cnn_course.cells import SOLUTION_MARKER_LINE, grade_id, is_answer_cell
from cnn_course.course.source import BuildError

ANSWERS_FOLDER = "src/cnn_course/checks/answers"
# The ways a chapter can import its checks module: the module's name, then the name it is
# used by ("ex" in every chapter so far; the module's own name when there is no alias).
_CHECKS_IMPORTS = (
    re.compile(r"^from cnn_course\.checks import (?P<module>\w+)(?: as (?P<alias>\w+))?\s*$", re.M),
    re.compile(r"^import cnn_course\.checks\.(?P<module>\w+) as (?P<alias>\w+)\s*$", re.M),
)


_WHY = re.compile(r"^\s*# Why: ?(.*)$")
_COMMENT = re.compile(r"^\s*# ?(.*)$")
_SCAFFOLD = re.compile(r"^(\s*)#: ?(.*)$")


def split_answer(source: str) -> tuple[str, str, str]:
    """``(code, explanation, scaffold)`` of an answer cell.

    Inside the solution region an author may write, as comments, an explanation (``# Why: ...``
    and the comment lines that follow it) and a scaffold (lines starting ``#: ``: the code the
    release shows instead of the bare stub, with ``____`` for the blanks). The code is what a
    learner would write: markers, explanation and scaffold removed."""
    code, why, scaffold = [], [], []
    in_why = False
    for line in source.splitlines():
        if SOLUTION_MARKER_LINE.match(line):
            in_why = False
            continue
        if match := _WHY.match(line):
            why.append(match.group(1))
            in_why = True
            continue
        if in_why and (match := _COMMENT.match(line)) and not _SCAFFOLD.match(line):
            why.append(match.group(1))
            continue
        in_why = False
        if match := _SCAFFOLD.match(line):
            scaffold.append(match.group(1) + match.group(2))
            continue
        code.append(line)
    return "\n".join(code).strip() + "\n", " ".join(part.strip() for part in why).strip(), "\n".join(scaffold)


def answers_of(notebook: nbformat.NotebookNode) -> tuple[str | None, dict[str, dict[str, str]]]:
    """``(checks module, {exercise name: {"cell": grade id, "code": answer}})`` for one chapter."""
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    found = next((match for pattern in _CHECKS_IMPORTS if (match := pattern.search(text))), None)
    if not found:
        if re.search(r"cnn_course\.checks|from cnn_course import .*\bchecks\b", text):
            raise BuildError(
                "the chapter imports its self-checks in a way the build cannot follow, so solution() "
                "would have no answers: write `from cnn_course.checks import chapterNN as ex` "
                "(or `import cnn_course.checks.chapterNN as ex`) in its import cell"
            )
        return None, {}  # a chapter without self-checks
    module_name, alias = found["module"], found["alias"] or found["module"]
    checks = importlib.import_module(f"cnn_course.checks.{module_name}")
    call = re.compile(rf"\b{re.escape(alias)}\.(\w+)\.check\(")
    answers: dict[str, dict[str, str]] = {}
    last_answer = None
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if is_answer_cell(cell):
            last_answer = cell
            continue
        for attribute in call.findall(cell.source):
            exercise = getattr(checks, attribute, None)
            if last_answer is not None and exercise is not None:
                code, explanation, _ = split_answer(last_answer.source)
                answers[exercise.name] = {"cell": grade_id(last_answer), "code": code, "explanation": explanation}
    return module_name, answers


def with_scaffolds(solution: nbformat.NotebookNode, release: nbformat.NotebookNode) -> None:
    """Put each answer cell's scaffold (if it has one) in the release where nbgrader left the stub."""
    scaffolds = {
        grade_id(cell): split_answer(cell.source)[2]
        for cell in solution.cells
        if cell.cell_type == "code" and is_answer_cell(cell)
    }
    for cell in release.cells:
        scaffold = scaffolds.get(grade_id(cell)) if cell.cell_type == "code" else None
        if scaffold:
            stub = re.compile(r"^[ \t]*raise NotImplementedError\(\)[ \t]*$", re.M)
            if len(stub.findall(cell.source)) != 1:
                raise ValueError(f"answer cell {grade_id(cell)!r}: expected one stub to replace with its scaffold")
            cell.source = stub.sub(lambda _, text=scaffold: text, cell.source)


def answers_file_text(answers: dict[str, dict[str, str]]) -> str:
    return json.dumps(answers, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
