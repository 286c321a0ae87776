"""A throw-away nbgrader course folder, driven through nbgrader's Python API.

The build and the grader both need one: nbgrader keeps its gradebook in a database inside
the course folder, and autograde reads the release's cells back from there. Working in a
temporary folder keeps nbgrader's state out of the checkout, so no JupyterHub, no
``nbgrader_config.py`` and no leftovers are needed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

from cnn_course.cells import gradebook_url
from cnn_course.course.settings import Chapter
from cnn_course.course.source import notebook_text
from cnn_course.errors import CourseError
from cnn_course.kernels.envvars import temporary_environment


@functools.cache
def gradebook_schema_version() -> str:
    """The version (alembic head) of nbgrader's gradebook schema, read from nbgrader's own
    migration scripts in this process. nbgrader asks a new process (``alembic heads``) every
    time it creates a gradebook, which took 5 of the 15 seconds of grading a class of three."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


@contextlib.contextmanager
def _nbgrader_process_settings() -> Iterator[None]:
    import nbgrader.api

    # nbgrader runs the `alembic` executable by name when nothing else answers; it sits
    # beside this Python, which is not on PATH when the console script is called by its full
    # path (as in CI). TensorFlow's start-up chatter would drown the grading table; kernels
    # inherit this.
    values = {
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    }
    asked = nbgrader.api.get_alembic_version
    nbgrader.api.get_alembic_version = gradebook_schema_version
    try:
        with temporary_environment(values), warnings.catch_warnings():
            # nbgrader's gradebook triggers harmless SQLAlchemy session warnings on every autograde.
            warnings.filterwarnings("ignore", module="nbgrader")
            warnings.filterwarnings("ignore", message=".*not in session.*")
            yield
    finally:
        nbgrader.api.get_alembic_version = asked


#: Characters kept of one text output, in the graded notebook and on the feedback page alike.
MAX_OUTPUT_CHARS = 5_000


def cut_text(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text``, or its first ``limit`` characters and a line saying how many were cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [{len(text) - limit:,} more characters cut by the grader]\n"


class TrimOutput(Preprocessor):
    """Cut each text output of an executed cell to a fixed size.

    nbgrader's own LimitOutput counts lines, so one cell printing a few megabytes on a
    single line would still bloat the graded notebook and the feedback page.
    """

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)
    max_chars = Integer(MAX_OUTPUT_CHARS, help="characters kept of each text output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = cut_text(output.get("text", ""), self.max_chars)
        return cell, resources


@contextlib.contextmanager
def temporary_course(cell_timeout: int | None = None, prefix: str = "cnn-course-") -> Iterator[tuple[Path, object]]:
    """Yield ``(course_root, api)``; ``cell_timeout`` bounds each cell when autograding."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.converters import Autograde
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix=prefix) as folder, _nbgrader_process_settings():
        root = Path(folder)
        config = Config()
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = gradebook_url(root)
        config.Exchange.root = str(root / "exchange")
        if cell_timeout is not None:
            config.Execute.timeout = cell_timeout
            config.Execute.interrupt_on_timeout = True
        defaults = list(Autograde.class_traits()["autograde_preprocessors"].default())
        config.Autograde.autograde_preprocessors = [*defaults[:1], TrimOutput, *defaults[1:]]
        yield root, NbGraderAPI(config=config)


def log_of(result: dict) -> str:
    """nbgrader's captured log and traceback, for an error message."""
    return "\n".join(part for part in (result.get("log", ""), result.get("error", "")) if part).strip()


def release_assignment(api, course: Path, chapter: Chapter, source: nbformat.NotebookNode) -> Path:
    """Put a chapter's source into the course and run nbgrader's generate_assignment on it.

    The one release step: the build keeps the student version it writes, and the grader
    needs the assignment in the gradebook before it can autograde. Returns the release file."""
    source_dir = course / "source" / chapter.name
    source_dir.mkdir(parents=True, exist_ok=True)
    (source_dir / f"{chapter.name}.ipynb").write_text(notebook_text(source), encoding="utf-8")
    result = api.generate_assignment(chapter.name)
    if not result.get("success"):
        raise CourseError(f"{chapter.source}: nbgrader generate_assignment failed:\n{log_of(result)}")
    return course / "release" / chapter.name / f"{chapter.name}.ipynb"
