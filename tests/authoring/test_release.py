"""The student release never carries a solution or a hidden test."""

from __future__ import annotations

import json
import re

import pytest

from cnn_course.cells import HIDDEN_REGION, SOLUTION_REGION
from cnn_course.course.settings import chapters, load_config
from tests.helpers import ROOT

CHAPTERS = chapters(ROOT)
REGIONS = (SOLUTION_REGION, HIDDEN_REGION)


def secret_lines() -> set[str]:
    lines = set()
    for chapter in CHAPTERS:
        text = chapter.source.read_text(encoding="utf-8")
        for match in (match for region in REGIONS for match in region.finditer(text)):
            # A scaffold (``#: ...`` lines) hands out its lines with blanks; a line of the
            # answer that the scaffold hands out whole is a leak all the same.
            for stripped in (line.strip() for line in match.group(0).splitlines()):
                if len(stripped) >= 8 and not stripped.startswith("#"):  # marker lines are comments
                    lines.add(stripped)
    return lines


def release_files():
    return sorted(p for p in (ROOT / "notebooks").rglob("*") if p.is_file())


def test_there_is_a_release_for_every_chapter():
    names = {p.name for p in release_files()}
    for chapter in CHAPTERS:
        assert {f"{chapter.name}.ipynb", f"{chapter.name}.py"} <= names


def test_no_release_file_contains_a_line_of_a_solution_or_a_hidden_test():
    secrets = secret_lines()
    assert len(secrets) > 20, "the scan found too few secret lines to mean anything"
    leaks = []  # every leak of every file, reported at once: one suite run finds them all
    for path in release_files():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        leaks += [f"{path.name}: {line}" for line in sorted(secrets) if line in text]
        leaks += [f"{path.name}: {marker!r}" for marker in ("BEGIN SOLUTION", "HIDDEN TESTS") if marker in text]
    assert not leaks, "the release holds lines of the answers:\n" + "\n".join(leaks)


def test_no_solutions_file_is_copied_into_the_release():
    solution_texts = {p.read_text(encoding="utf-8") for p in (ROOT / "solutions").iterdir() if p.is_file()}
    for path in release_files():
        assert path.read_text(encoding="utf-8") not in solution_texts, f"{path.name} is a copy of a solutions file"
    assert {p.suffix for p in release_files()} <= {".ipynb", ".py"}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_release_notebook_has_no_pairing_metadata(chapter):
    notebook = json.loads((ROOT / "notebooks" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    assert "jupytext" not in notebook["metadata"]
    for cell in notebook["cells"]:
        assert "jupytext" not in cell["metadata"]
    text_form = (ROOT / "notebooks" / f"{chapter.name}.py").read_text(encoding="utf-8")
    assert "jupytext:" not in text_form and "formats:" not in text_form


NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_every_exercise_is_a_stub_and_graded_cells_are_locked(chapter):
    notebook = json.loads((ROOT / "notebooks" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    solutions = tests = 0
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if not meta:
            continue
        source = "".join(cell["source"])
        if meta["solution"]:
            solutions += 1
            handed_out = "raise NotImplementedError()" in source or "____" in source  # a stub or a scaffold
            assert "# YOUR CODE HERE\n" in source and handed_out, meta["grade_id"]
            assert "# Why:" not in source and "#: " not in source, f"{meta['grade_id']}: author notes in the release"
        if meta["grade"]:
            tests += 1
            assert cell["metadata"]["editable"] is False and cell["metadata"]["deletable"] is False
    assert solutions == tests and solutions >= 1, f"chapter {chapter.number}: each exercise has one graded cell"
    # The chapter's opening says how many exercises there are and how long they take: it counts right.
    stated = re.search(r"The (\w+)\s+exercises take about", "".join(notebook["cells"][0]["source"]).replace("\n", " "))
    assert stated, f"chapter {chapter.number}: the opening does not say how long the exercises take"
    assert NUMBERS.get(stated.group(1).lower()) == solutions, (
        f"chapter {chapter.number}: the opening says {stated.group(1)} exercises, the notebook has {solutions}"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_setup_cell_and_badge_carry_the_configured_repository(chapter):
    config = load_config(ROOT)
    notebook = json.loads((ROOT / "notebooks" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    first_code = next("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert f'COURSE_REPOSITORY = "{config.repository}"' in first_code
    assert "prepare(" in first_code and '"google.colab" in sys.modules' in first_code
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.colab_url(f"notebooks/{chapter.name}.ipynb") in readme
