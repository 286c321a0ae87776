"""The chapters read as lessons, not as a log of the course's machine; the README is a front page."""

from __future__ import annotations

import json
import re

import pytest

from cnn_course.course.settings import chapters
from tests.helpers import ROOT

# Words about the development machine's CPU, and dates: they belong in docs/benchmarks.md.
DIARY = re.compile(r"AVX|bfloat16|\b20\d\d-\d\d-\d\d\b|\b\d{1,2} (?:Nov|Dec|Jan)[a-z]* 20\d\d\b")


def markdown_of(chapter) -> list[str]:
    notebook = json.loads((ROOT / "notebooks" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_no_chapter_talks_about_the_course_machine_or_dates(chapter):
    found = sorted({match.group(0) for text in markdown_of(chapter) for match in DIARY.finditer(text)})
    assert not found, f"{chapter.name} says {found}: move such details to docs/benchmarks.md"


@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_every_chapter_opening_says_how_long_it_takes_and_links_the_measurements(chapter):
    opening = markdown_of(chapter)[0]
    assert "**How long it takes.**" in opening
    assert "docs/benchmarks.md" in opening
    assert "{" not in opening, "a figure was left unfilled"


def test_the_diary_pattern_finds_what_it_must():
    assert DIARY.search("on a 2-core CPU with AVX-512 (2026-11-22)")
    assert DIARY.search("computes in mixed_bfloat16")
    assert not DIARY.search("about 3 minutes on a 2-core CPU")


def test_the_readme_is_a_front_page_that_links_the_measurements():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert "docs/benchmarks.md" in readme and "{" not in readme.replace("{badges}", "")
    assert (ROOT / "docs" / "benchmarks.md").is_file()
    assert not DIARY.search(readme), "dates and CPU details live in docs/benchmarks.md"


def outputs_of_site_run(chapter) -> list[str]:
    """What the chapter's full run printed and displayed, as its website page shows it."""
    run = json.loads((ROOT / "site" / "runs" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    return [
        "".join(output.get(kind, "") if kind == "text" else output.get("data", {}).get(kind, ""))
        for cell in run["cells"]
        for output in cell.get("outputs", [])
        for kind in ("text/html", "text/plain", "text")
    ]


@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_no_table_a_learner_reads_shows_nan(chapter):
    """Chapter 2's results table showed `nan%` where a model was not measured: a cell says so
    instead. Checked on the output of the chapter's full run, which its website page shows."""
    shown = [text for text in outputs_of_site_run(chapter) if re.search(r"\bnan%|>nan<|\bNaN\b", text)]
    assert not shown, f"{chapter.name} shows NaN in an output: {shown[0][:300]}"


# The course's own machinery: smoke runs, its tests, its benchmark command. A learner reads
# none of it; a link to docs/benchmarks.md (the measurements) is fine.
MACHINERY = re.compile(r"smoke|\bbenchmarks?\b(?!\.md)|the course's tests|test suite", re.IGNORECASE)
SIZES_HELPER = "full_or_quick("


def code_of(chapter) -> list[str]:
    notebook = json.loads((ROOT / "notebooks" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_lessons_never_speak_of_the_course_s_own_machinery(chapter):
    texts = markdown_of(chapter) + code_of(chapter) + outputs_of_site_run(chapter)
    found = [match.group(0) for text in texts for match in MACHINERY.finditer(text)]
    assert not found, f"{chapter.name} speaks of {sorted(set(found))} to learners"


@pytest.mark.parametrize("chapter", chapters(ROOT), ids=lambda c: c.name)
def test_quick_run_sizes_are_resolved_in_one_settings_cell(chapter):
    cells = [text for text in code_of(chapter) if SIZES_HELPER in text]
    assert len(cells) <= 1, f"{chapter.name}: {len(cells)} cells pick quick-run sizes; keep them in one settings cell"


def test_the_machinery_pattern_finds_what_it_must():
    assert MACHINERY.search("In smoke mode (the course's tests) the photos are generated")
    assert MACHINERY.search("the course's benchmark run trained it")
    assert not MACHINERY.search("[measurements](https://example.org/docs/benchmarks.md)")


def test_the_front_pages_say_which_chapter_s_run_stops_early():
    # A page that stops at an error is no "full run": the README and the site's home say so.
    stopped = [
        chapter
        for chapter in chapters(ROOT)
        if any(output.get("output_type") == "error" for output in _run_outputs(chapter))
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## The chapters")[0]
    home = (ROOT / "site" / "index.md").read_text(encoding="utf-8").split("<!-- chapters -->")[0]
    for chapter in stopped:
        said = f"Chapter {int(chapter.number)}'s run stops"
        assert said in readme.replace("\n", " ") and said in home.replace("\n", " "), said
    if not stopped:
        assert "run stops" not in readme + home, "the front pages speak of a run that stops; none does"


def _run_outputs(chapter) -> list[dict]:
    run = json.loads((ROOT / "site" / "runs" / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    return [output for cell in run["cells"] for output in cell.get("outputs", [])]
