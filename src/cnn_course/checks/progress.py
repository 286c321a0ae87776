"""Where a learner stands in a chapter: every exercise with its status, and what to do next.

``ex.progress()`` (the last cell of every chapter) runs each exercise's own check on the
learner's answer and shows a table: correct, not quite, or not attempted. It needs no cell
to run again. An answer the kernel does not hold (after a restart, say) is read from the
saved notebook: its answer cells, which only define functions, run in a fresh namespace
after the notebook's import cell and the cells tagged ``exercise-helper``; nothing that
trains or downloads runs. The saved notebook is found the way the front end offers it
(Jupyter's ``JPY_SESSION_NAME``, Colab's own request for the open notebook), or passed as a
path: ``ex.progress("02_cifar10_cnn.ipynb")``.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnn_course.cells import cell_source, cells_answers_need
from cnn_course.checks.core import Exercise
from cnn_course.checks.verdict import VERDICT_COLOURS, Result, Status, show

_SYMBOLS = {Status.CORRECT: "✓ correct", Status.INCORRECT: "✗ not quite", Status.NOT_ATTEMPTED: "· not attempted"}


@dataclass(frozen=True)
class Row:
    number: int
    handle: str  # how the notebook reaches the exercise: ex.<handle>
    result: Result

    @property
    def status(self) -> Status:
        return self.result.status


@dataclass(frozen=True, repr=False)
class Progress:
    """The table ``progress()`` shows; ``str()`` gives it as plain text."""

    rows: tuple[Row, ...]
    source: str  # where the answers came from, in words

    @property
    def done(self) -> int:
        return sum(row.status is Status.CORRECT for row in self.rows)

    def next_step(self) -> str:
        pending = next((row for row in self.rows if row.status is not Status.CORRECT), None)
        if pending is None:
            return f"All {len(self.rows)} exercises are correct: well done. The summary above recaps the chapter."
        name = pending.result.exercise
        return (
            f"Next: exercise {pending.number}, {name}. Run its cell, then ex.{pending.handle}.check({name}); "
            f"stuck? ex.{pending.handle}.hint()."
        )

    def __str__(self) -> str:
        width = max(len(row.result.exercise) for row in self.rows)
        lines = [f"{self.done} of {len(self.rows)} exercises correct ({self.source})"]
        for row in self.rows:
            lines.append(f"  {row.number}. {row.result.exercise:<{width}}  {_SYMBOLS[row.status]}")
        return "\n".join([*lines, self.next_step()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{row.number}</td><td><code>{html.escape(row.result.exercise)}</code></td>"
            f'<td style="color:{VERDICT_COLOURS[row.status]}">{html.escape(_SYMBOLS[row.status])}</td>'
            f"<td>{html.escape(_short(row.result))}</td></tr>"
            for row in self.rows
        )
        return (
            f"<p><b>{self.done} of {len(self.rows)} exercises correct</b> ({html.escape(self.source)})</p>"
            "<table><thead><tr><th>#</th><th>exercise</th><th>status</th><th>what the check says</th></tr></thead>"
            f"<tbody>{body}</tbody></table><p>{html.escape(self.next_step())}</p>"
        )


def _short(result: Result, limit: int = 140) -> str:
    message = result.message.replace(" Stuck? Call .hint().", "")
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _saved_notebook() -> dict | None:
    """The open notebook as saved, where the front end says which it is (else None)."""
    if "google.colab" in sys.modules:
        try:  # Colab's own request for the open notebook (imported by name: it exists only in Colab)
            message = importlib.import_module("google.colab._message")
            reply = message.blocking_request("get_ipynb", timeout_sec=20)
            return reply.get("ipynb") if isinstance(reply, dict) else None
        except Exception:  # an older or newer Colab: fall back to the kernel's answers
            return None
    session = os.environ.get("JPY_SESSION_NAME")  # set by jupyter_server for the kernel's notebook
    return _read(Path(session)) if session else None


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def answers_from(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """The namespace the notebook's answer cells make, run after its import cell and its
    ``exercise-helper`` cells. A cell that fails (a blank at the top level, say) is skipped:
    its exercise reads as not attempted or not quite, like in the notebook."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):  # the import cell's messages were shown when it ran
        for cell in cells_answers_need(notebook.get("cells", [])):
            try:
                exec(compile(cell_source(cell), "<notebook cell>", "exec"), namespace)
            except Exception:  # a broken cell is the learner's to fix; its check will say so
                pass
    return namespace


def progress_of(
    exercises: Sequence[Exercise],
    handles: Mapping[str, str],
    namespace: Mapping[str, Any],
    notebook: Mapping[str, Any] | None,
) -> Progress:
    """Each exercise checked against the kernel's answer, or the saved notebook's where the kernel has none."""
    missing = [exercise.name for exercise in exercises if exercise.name not in namespace]
    saved = answers_from(notebook) if missing and notebook is not None else {}
    rows = []
    for number, exercise in enumerate(exercises, start=1):
        answer = namespace.get(exercise.name, saved.get(exercise.name))
        if answer is None:
            result = Result(
                exercise.name,
                Status.NOT_ATTEMPTED,
                "its cell has not run in this session (and no saved notebook was found): run it.",
            )
        else:
            result = exercise.evaluate(answer)
        rows.append(Row(number, handles.get(exercise.name, exercise.name), result))
    if not missing:
        source = "your answers as the kernel holds them"
    elif notebook is None:
        source = "answers the kernel holds; cells not run in this session count as not attempted"
    elif len(missing) == len(exercises):
        source = "answers read from the saved notebook: save it to count your latest edits"
    else:
        source = "answers the kernel holds, the others read from the saved notebook: save it to count your latest edits"
    return Progress(tuple(rows), source)


class ProgressView:
    """``ex.progress()``: the chapter's table of exercises. Give a notebook path to read a
    saved notebook instead of the front end's."""

    def __init__(self, exercises: Sequence[Exercise], module_globals: Mapping[str, Any]):
        self._exercises = tuple(exercises)
        self._handles = {value.name: key for key, value in module_globals.items() if isinstance(value, Exercise)}

    def report(self, notebook: str | Path | None = None, namespace: Mapping[str, Any] | None = None) -> Progress:
        if namespace is None:
            namespace = sys._getframe(1).f_globals  # the notebook that called it
        saved = _read(Path(notebook)) if notebook is not None else _saved_notebook()
        return progress_of(self._exercises, self._handles, namespace, saved)

    def __call__(self, notebook: str | Path | None = None) -> None:
        show(self.report(notebook, sys._getframe(1).f_globals))
