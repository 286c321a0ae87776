"""The runs the website shows: one executed copy of each chapter's solution in ``site/runs/``.

A page must show what the chapter does today, so a run records the settings it was made with,
and :func:`check_current` refuses a run whose cells no longer match the chapter's source."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnn_course.authoring.run import apply_settings
from cnn_course.course.course import Course
from cnn_course.course.settings import Chapter
from cnn_course.errors import CourseError
from cnn_course.hardware import cpu_description, gpu_names
from cnn_course.kernels.git import git

RUNS_FOLDER = Path("site") / "runs"
RUN_METADATA = "cnn_course_run"


class StaleRunError(CourseError):
    """The kept run was made from an older version of the chapter."""


@dataclass(frozen=True)
class RunRecord:
    """Where and how a kept run was made, as its page states it."""

    date: str
    commit: str
    machine: str
    seconds: float
    settings: dict[str, str]
    note: str
    stopped: bool = False  # the run ended at an error: its page shows the cells before it

    @classmethod
    def from_notebook(cls, notebook: nbformat.NotebookNode, where: Path) -> RunRecord:
        record = notebook.metadata.get(RUN_METADATA)
        if not isinstance(record, dict):
            raise CourseError(f"{where} was not kept by `cnn-course run NN --site`: it has no {RUN_METADATA} metadata")
        return cls(
            date=record["date"],
            commit=record["commit"],
            machine=record["machine"],
            seconds=float(record["seconds"]),
            settings=dict(record.get("settings", {})),
            note=record.get("note", ""),
            stopped=any(
                output.get("output_type") == "error" for cell in notebook.cells for output in cell.get("outputs", [])
            ),
        )


def run_path(root: Path, chapter: Chapter) -> Path:
    return root / RUNS_FOLDER / f"{chapter.name}.ipynb"


def machine_description() -> str:
    gpus = gpu_names()
    accelerator = f", {', '.join(gpus)}" if gpus else ", no GPU"
    return f"{cpu_description()}, {os.cpu_count()} cores{accelerator}"


def commit_of(root: Path) -> str:
    """The commit the run was made from, and whether what a chapter runs had changed since
    (its source, the package, the trained models): new files nobody imports do not count."""
    head = git(root, "rev-parse", "--short", "HEAD")
    if not head or head.returncode:
        return "unknown (not a git checkout)"
    changed = git(root, "status", "--porcelain", "--untracked-files=no", "--", "solutions", "src", "models")
    dirty = bool(changed and changed.stdout.strip())
    return head.stdout.strip() + (" with uncommitted changes" if dirty else "")


def keep_run(
    root: Path,
    chapter: Chapter,
    notebook: nbformat.NotebookNode,
    seconds: float,
    settings: dict[str, str],
    note: str = "",
) -> Path:
    """Write an executed solution to ``site/runs/`` with the record its page quotes."""
    notebook.metadata[RUN_METADATA] = {
        "date": datetime.date.today().isoformat(),
        "commit": commit_of(root),
        "machine": machine_description(),
        "seconds": round(seconds, 1),
        "settings": dict(settings),
        "note": note,
    }
    path = run_path(root, chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def read_run(root: Path, chapter: Chapter) -> tuple[nbformat.NotebookNode, RunRecord]:
    path = run_path(root, chapter)
    if not path.is_file():
        raise CourseError(
            f"{path.relative_to(root)} is missing: the site shows a full run of every chapter. "
            f"Make it with `cnn-course run {chapter.number} --site` on a machine with the chapter's data."
        )
    notebook = nbformat.read(path, as_version=4)
    return notebook, RunRecord.from_notebook(notebook, path)


def check_current(course: Course, chapter: Chapter, run: nbformat.NotebookNode, record: RunRecord) -> None:
    """Raise :class:`StaleRunError` unless the run's cells are the chapter's cells today
    (with the run's settings applied, as they were when it ran)."""
    root = course.root
    _, source = course.source(chapter)
    apply_settings(source, record.settings, str(chapter.source))
    redo = f"run `cnn-course run {chapter.number} --site` again (docs/instructor-guide.md, 'The course website')"
    if len(source.cells) != len(run.cells):
        raise StaleRunError(
            f"{run_path(root, chapter).relative_to(root)} has {len(run.cells)} cells, the chapter now "
            f"{len(source.cells)}: {redo}"
        )
    changed = [index for index, (now, then) in enumerate(zip(source.cells, run.cells)) if now.source != then.source]
    if changed:
        first = (
            source.cells[changed[0]].source.strip().splitlines()[0][:60]
            if source.cells[changed[0]].source.strip()
            else ""
        )
        raise StaleRunError(
            f"{run_path(root, chapter).relative_to(root)} was made from an older {chapter.source.name}: "
            f"{len(changed)} cell(s) changed since, the first is cell {changed[0]} ({first!r}). {redo}"
        )
