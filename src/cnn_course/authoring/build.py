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

import copy
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from cnn_course.authoring.answers import ANSWERS_FOLDER, answers_file_text, answers_of, with_scaffolds
from cnn_course.authoring.course import Chapter, CourseConfig, chapters, load_config
from cnn_course.authoring.execute import execute_notebook
from cnn_course.authoring.nbgrader_course import release_assignment, temporary_course
from cnn_course.authoring.source import BuildError, assign_ids, notebook_text, read_source

BADGES_BEGIN, BADGES_END = "<!-- colab-badges:begin -->", "<!-- colab-badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


@dataclass
class BuildResult:
    written: list[Path]
    changed: list[Path]


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


def badges_block(rows: list[tuple[Chapter, str]], config: CourseConfig) -> str:
    lines = [BADGES_BEGIN, "| chapter | notebook | open |", "| --- | --- | --- |"]
    for chapter, title in rows:
        path = f"notebooks/{chapter.name}.ipynb"
        badge = f"[![Open In Colab]({COLAB_BADGE})]({config.colab_url(path)})"
        lines.append(f"| {title} | [`{path}`]({path}) | {badge} |")
    lines.append(BADGES_END)
    return "\n".join(lines)


def stamp_readme(text: str, block: str) -> str:
    pattern = re.compile(re.escape(BADGES_BEGIN) + ".*?" + re.escape(BADGES_END), re.S)
    if not pattern.search(text):
        raise BuildError(f"README.md has no {BADGES_BEGIN} ... {BADGES_END} block for the Colab badges")
    return pattern.sub(lambda _: block, text)


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


def build(root: Path, out: Path | None = None, execute: bool = True, log=print) -> BuildResult:
    """Build every chapter. With ``out``, write there instead of into ``root`` (for tests)."""
    root = Path(root)
    out = Path(out) if out else root
    config = load_config(root)
    found = chapters(root)
    if not found:
        raise BuildError(f"no chapters found: expected solutions/NN_name.py files in {root}")
    writer = _Writer(out)
    titles = []
    for chapter in found:
        log(f"building {chapter.name}")
        source_text, solution = read_source(chapter, config)
        if execute:
            verify(chapter, solution)
        release = generate_release(chapter, solution)
        writer.write(f"solutions/{chapter.name}.py", source_text)
        writer.write(f"solutions/{chapter.name}.ipynb", jupytext.writes(solution, fmt="ipynb") + "\n")
        writer.write(f"notebooks/{chapter.name}.ipynb", notebook_text(release))
        writer.write(f"notebooks/{chapter.name}.py", release_text_form(release))
        checks_module, answers = answers_of(solution)
        if answers:
            writer.write(f"{ANSWERS_FOLDER}/{checks_module}.json", answers_file_text(answers))
        titles.append((chapter, chapter_title(solution)))
    readme = (root / "README.md").read_text(encoding="utf-8")
    writer.write("README.md", stamp_readme(readme, badges_block(titles, config)))
    expected = {path.resolve() for path in writer.result.written}
    for stale in sorted((out / "notebooks").glob("*")):
        if stale.is_file() and stale.resolve() not in expected:
            log(f"removing {stale.relative_to(out)}: no chapter in solutions/ produces it")
            stale.unlink()
    shutil.rmtree(out / "notebooks" / ".ipynb_checkpoints", ignore_errors=True)
    return writer.result
