"""``cnn-course build``: turn ``solutions/*.py`` into everything derived from them.

For each chapter it writes

- ``solutions/NN_name.ipynb``, paired with the ``.py`` by jupytext;
- ``notebooks/NN_name.ipynb``, the student release, made by nbgrader's
  generate_assignment (solution regions replaced by a stub, hidden tests removed, graded
  cells locked), with no jupytext pairing so no answer can be synced back into it;
- ``notebooks/NN_name.py``, the release as plain py:percent text for readable diffs;
- ``src/cnn_course/checks/answers/chapterNN.json``, the reference answers ``solution()``
  shows (see :mod:`cnn_course.authoring.answers`);

and stamps the repository address from ``pyproject.toml`` into every setup cell and into
the README's Colab badges. The output is deterministic: cell ids come from the content's
position and grade ids, never from a random generator, so a second build changes no byte.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import jupytext

from cnn_course.authoring.answers import ANSWERS_FOLDER, answers_file_text, answers_of
from cnn_course.authoring.effort import table
from cnn_course.authoring.readme import badges_block, stamp_block, stamp_readme
from cnn_course.authoring.release import release_chapter
from cnn_course.course.course import Course
from cnn_course.course.source import BuildError

TIMES_BEGIN, TIMES_END = "<!-- exercise-times:begin -->", "<!-- exercise-times:end -->"
INSTRUCTOR_GUIDE = "docs/instructor-guide.md"


@dataclass
class BuildResult:
    written: list[Path]
    changed: list[Path]


class _Writer:
    """Writes files under ``out`` and remembers which changed."""

    def __init__(self, out: Path):
        self.out = out
        self.result = BuildResult(written=[], changed=[])

    def write(self, relative: str, text: str) -> None:
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old != text:
            target.write_text(text, encoding="utf-8")
            self.result.changed.append(target)
        self.result.written.append(target)


def build(course: Course, out: Path | None = None, execute: bool = True, log=print) -> BuildResult:
    """Build every chapter. With ``out``, write there instead of into the course folder (for tests)."""
    root = course.root
    out = Path(out) if out else root
    if not course.chapters:
        raise BuildError(f"no chapters found: expected solutions/NN_name.py files in {root}")
    writer = _Writer(out)
    titles = []
    for chapter in course.chapters:
        log(f"building {chapter.name}")
        released = release_chapter(course, chapter, verify_solution=execute)
        writer.write(f"solutions/{chapter.name}.py", released.source_text)
        writer.write(f"solutions/{chapter.name}.ipynb", jupytext.writes(released.solution, fmt="ipynb") + "\n")
        for path, text in released.student_files().items():
            writer.write(path, text)
        checks_module, answers = answers_of(released.solution)
        if answers:
            writer.write(f"{ANSWERS_FOLDER}/{checks_module}.json", answers_file_text(answers))
        titles.append((chapter, released.title))
    readme = (root / "README.md").read_text(encoding="utf-8")
    writer.write("README.md", stamp_readme(readme, badges_block(titles, course.config)))
    guide = root / INSTRUCTOR_GUIDE
    if guide.is_file():  # the exercise-time table of the workshop plans (section 8)
        times = stamp_block(guide.read_text(encoding="utf-8"), TIMES_BEGIN, TIMES_END, table(root), INSTRUCTOR_GUIDE)
        writer.write(INSTRUCTOR_GUIDE, times)
    expected = {path.resolve() for path in writer.result.written}
    for stale in sorted((out / "notebooks").glob("*")):
        if stale.is_file() and stale.resolve() not in expected:
            log(f"removing {stale.relative_to(out)}: no chapter in solutions/ produces it")
            stale.unlink()
    shutil.rmtree(out / "notebooks" / ".ipynb_checkpoints", ignore_errors=True)
    return writer.result
