"""``cnn-course build``: turn ``solutions/*.py`` into everything derived from them.

For each chapter it writes

- ``solutions/NN_name.ipynb``, paired with the ``.py`` by jupytext;
- ``notebooks/NN_name.ipynb``, the student release, made by nbgrader's
  generate_assignment (solution regions replaced by a stub, hidden tests removed, graded
  cells locked), with no jupytext pairing so no answer can be synced back into it;
- ``notebooks/NN_name.py``, the release as plain py:percent text for readable diffs;

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

from cnn_course.cells import grade_id
from cnn_course.execute import execute_notebook
from cnn_course.nbgrader_course import log_of, temporary_course
from cnn_course.project import Chapter, CourseConfig, CourseError, chapters, load_config

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
NBGRADER_KEYS = ("grade", "grade_id", "locked", "schema_version", "solution")
BADGES_BEGIN, BADGES_END = "<!-- colab-badges:begin -->", "<!-- colab-badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BuildError(CourseError):
    """The solutions cannot be built; the message names the file and the cell."""


@dataclass
class BuildResult:
    written: list[Path]
    changed: list[Path]


# --- reading and checking the source ----------------------------------------------------

def stamp_repository(text: str, config: CourseConfig) -> str:
    """Put the configured repository and branch into a setup cell's two settings lines."""
    text = re.sub(r'^COURSE_REPOSITORY = ".*"$', f'COURSE_REPOSITORY = "{config.repository}"', text, flags=re.M)
    return re.sub(r'^COURSE_BRANCH = ".*"$', f'COURSE_BRANCH = "{config.branch}"', text, flags=re.M)


def describe_cell(source: Path, index: int, cell: nbformat.NotebookNode) -> str:
    name_id = grade_id(cell)
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    name = f"grade_id {name_id!r}" if name_id else repr(first[:50])
    return f"{source}: cell {index} ({name})"


def validate(notebook: nbformat.NotebookNode, source: Path) -> None:
    """Refuse what nbgrader would silently mishandle, naming the file and the cell."""
    seen: dict[str, int] = {}
    setup_cells = 0
    for index, cell in enumerate(notebook.cells):
        where = describe_cell(source, index, cell)
        meta = cell.metadata.get("nbgrader")
        text = cell.source
        if "COURSE_REPOSITORY = " in text:
            setup_cells += 1
        for begin, end in ((SOLUTION_BEGIN, SOLUTION_END), (HIDDEN_BEGIN, HIDDEN_END)):
            if text.count(begin) != text.count(end):
                raise BuildError(f"{where}: {text.count(begin)} '{begin}' but {text.count(end)} '{end}'")
        if meta is None:
            if SOLUTION_BEGIN in text:
                raise BuildError(f"{where}: has a solution region but is not marked as a solution cell "
                                 '(add nbgrader={"solution": true, ...} to its "# %%" line)')
            if HIDDEN_BEGIN in text:
                raise BuildError(f"{where}: has hidden tests but is not a graded test cell")
            continue
        missing = [key for key in NBGRADER_KEYS if key not in meta]
        if missing:
            raise BuildError(f"{where}: nbgrader metadata lacks {', '.join(missing)}")
        grade_id = meta["grade_id"]
        if not GRADE_ID.match(str(grade_id)):
            raise BuildError(f"{where}: grade_id {grade_id!r} must be 1-64 letters, digits, '_' or '-'")
        if grade_id in seen:
            raise BuildError(f"{where}: grade_id {grade_id!r} is used twice (first in cell {seen[grade_id]})")
        seen[grade_id] = index
        if SOLUTION_BEGIN in text and not meta.get("solution"):
            raise BuildError(f"{where}: has a solution region but its nbgrader metadata says solution: false")
        graded_test = meta.get("grade") and not meta.get("solution")
        if HIDDEN_BEGIN in text and not graded_test:
            raise BuildError(f"{where}: has hidden tests but is not a graded test cell")
        if meta.get("grade") and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
            raise BuildError(f"{where}: is graded but has no points (add \"points\": N with N > 0)")
    if setup_cells != 1:
        raise BuildError(f"{source}: needs exactly one setup cell defining COURSE_REPOSITORY, found {setup_cells}")


def assign_ids(notebook: nbformat.NotebookNode) -> None:
    """Stable cell ids: the grade_id for graded cells, the position for the others."""
    for index, cell in enumerate(notebook.cells):
        cell["id"] = grade_id(cell) or f"cell-{index:03d}"


def read_source(chapter: Chapter, config: CourseConfig) -> tuple[str, nbformat.NotebookNode]:
    text = stamp_repository(chapter.source.read_text(encoding="utf-8"), config)
    notebook = jupytext.reads(text, fmt="py:percent")
    validate(notebook, chapter.source)
    notebook.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    notebook.metadata["jupytext"].pop("text_representation", None)
    assign_ids(notebook)
    return text, notebook


def verify(chapter: Chapter, notebook: nbformat.NotebookNode) -> None:
    """Run the solution notebook in smoke mode; every test of its own must pass."""
    with tempfile.TemporaryDirectory(prefix="cnn-course-verify-") as workdir:
        report = execute_notebook(notebook, Path(workdir), smoke=True)
    if report.errors:
        failures = "; ".join(error.describe() for error in report.errors)
        raise BuildError(f"{chapter.source}: the solution notebook fails its own tests: {failures}")


# --- writing ----------------------------------------------------------------------------

def notebook_text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook, version=4) + "\n"


def generate_release(chapter: Chapter, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version, through nbgrader's own generate_assignment."""
    with temporary_course(prefix="cnn-course-release-") as (course, api):
        source_dir = course / "source" / chapter.assignment
        source_dir.mkdir(parents=True)
        (source_dir / f"{chapter.name}.ipynb").write_text(notebook_text(solution), encoding="utf-8")
        result = api.generate_assignment(chapter.assignment)
        if not result.get("success"):
            raise BuildError(f"{chapter.source}: nbgrader generate_assignment failed:\n{log_of(result)}")
        released = nbformat.read(course / "release" / chapter.assignment / f"{chapter.name}.ipynb", as_version=4)
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
