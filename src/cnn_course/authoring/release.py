"""One chapter's release, the step that ``build``, ``publish`` and the website share.

:func:`release_chapter` reads the chapter's source for a course (whose repository address it
stamps into the setup cell), optionally runs the solution against its own tests, and asks
nbgrader for the student version; :meth:`ChapterRelease.student_files` is what every copy
of the student notebooks holds."""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from cnn_course.authoring.answers import with_scaffolds
from cnn_course.course.course import Course
from cnn_course.course.settings import Chapter
from cnn_course.course.source import BuildError, assign_ids, notebook_text
from cnn_course.kernels.execute import execute_notebook
from cnn_course.kernels.nbgrader_course import release_assignment, temporary_course


@dataclass(frozen=True)
class ChapterRelease:
    chapter: Chapter
    source_text: str  # the chapter's source with the course's repository stamped in
    solution: nbformat.NotebookNode
    release: nbformat.NotebookNode

    @property
    def title(self) -> str:
        return chapter_title(self.solution)

    def student_files(self) -> dict[str, str]:
        """The student notebook and its plain-text form, by path inside the course."""
        name = self.chapter.name
        return {
            f"notebooks/{name}.ipynb": notebook_text(self.release),
            f"notebooks/{name}.py": release_text_form(self.release),
        }


def release_chapter(course: Course, chapter: Chapter, verify_solution: bool = False) -> ChapterRelease:
    source_text, solution = course.source(chapter)
    if verify_solution:
        verify(chapter, solution)
    return ChapterRelease(chapter, source_text, solution, generate_release(chapter, solution))


def verify(chapter: Chapter, notebook: nbformat.NotebookNode) -> None:
    """Run the solution notebook in smoke mode; every test of its own must pass."""
    with tempfile.TemporaryDirectory(prefix="cnn-course-verify-") as workdir:
        report = execute_notebook(notebook, Path(workdir), smoke=True)
    if report.errors:
        failures = "; ".join(error.describe() for error in report.errors)
        raise BuildError(f"{chapter.source}: the solution notebook fails its own tests: {failures}")


def generate_release(chapter: Chapter, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version, through nbgrader's own generate_assignment."""
    with temporary_course(prefix="cnn-course-release-") as (course, api):
        released = nbformat.read(release_assignment(api, course, chapter, solution), as_version=4)
    with_scaffolds(solution, released)
    released.metadata.pop("jupytext", None)
    assign_ids(released)
    return released


def release_text_form(release: nbformat.NotebookNode) -> str:
    """The release as py:percent without any metadata: a plain script, nothing to pair."""
    plain = copy.deepcopy(release)
    plain.metadata["jupytext"] = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "-all"}
    return jupytext.writes(plain, fmt="py:percent")


def chapter_title(notebook: nbformat.NotebookNode) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"
