"""docs/adding-a-chapter.md, followed once: its example chapter (numbered 99, which no real
chapter takes), renumbered to the next free number as a maintainer would (05 today), added to a
copy of the course builds and grades, with no existing file edited. (Its smoke run, and every
other test with the new chapter in the course, is `.ci/new-chapter`'s job: the whole suite in
such a copy.)"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course.course.settings import chapters
from tests.helpers import ROOT

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

GUIDE = ROOT / "docs" / "adding-a-chapter.md"
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```python\n(?P<body>.*?)```", re.S)


EXAMPLE_NUMBER = "99"


def guide_files(number: str = EXAMPLE_NUMBER) -> dict[str, str]:
    """The guide's files, path -> text, with the example chapter renumbered to ``number``: in
    its file names, its checks module, its title and the commands that name it."""
    renamed = [
        (f"{EXAMPLE_NUMBER}_image_flips", f"{number}_image_flips"),
        (f"chapter{EXAMPLE_NUMBER}", f"chapter{number}"),
        (f"Chapter {int(EXAMPLE_NUMBER)}", f"Chapter {int(number)}"),
        (f'"{EXAMPLE_NUMBER}"', f'"{number}"'),
    ]

    def renumbered(text: str) -> str:
        for old, new in renamed:
            text = text.replace(old, new)
        return text

    blocks = FILE_BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))
    return {renumbered(match["path"]): renumbered(match["body"]) for match in blocks}


def next_free_number() -> str:
    """The number a real new chapter would take: the first after the course's chapters."""
    taken = {chapter.number for chapter in chapters(ROOT)}
    return f"{max(map(int, taken)) + 1:02d}"


NEW = next_free_number()


def test_the_guide_names_the_files_it_adds_and_only_new_ones():
    files = guide_files()
    assert set(files) == {
        "solutions/99_image_flips.py",
        "src/cnn_course/checks/chapter99.py",
        "tests/checks/test_chapter99.py",
    }
    taken = [path for path in files if (ROOT / path).exists()]
    assert not taken, f"the course now has {taken}: the guide's example must keep a number no real chapter takes"
    assert "cnn-course build" in GUIDE.read_text() and "cnn-course grade" in GUIDE.read_text()


def test_renumbered_the_example_names_its_new_number_everywhere():
    files = guide_files("05")
    assert set(files) == {
        "solutions/05_image_flips.py",
        "src/cnn_course/checks/chapter05.py",
        "tests/checks/test_chapter05.py",
    }
    leftovers = [path for path, body in files.items() if re.search(r"\b99\b|chapter99", body)]
    assert not leftovers, f"the example's number 99 is left in {leftovers}: the renumbering must reach it"
    assert "# # Chapter 5: Image flips" in files["solutions/05_image_flips.py"]


@pytest.fixture(scope="module")
def course_with_chapter_5(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("course")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (copy / "solutions").mkdir()
    # One existing chapter beside the new one shows they live together; the others only cost time.
    shutil.copy(ROOT / "solutions" / "01_convolution_maths.py", copy / "solutions")
    before = {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()}
    for relative, body in guide_files(NEW).items():
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        (copy / relative).write_text(body, encoding="utf-8")
    changed = [str(path) for path, data in before.items() if path.read_bytes() != data]
    assert not changed, f"following the guide edited existing files: {changed}"
    return copy


def cnn_course(course: Path, *args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it, with the copy's own package first on the path."""
    env = {**os.environ, "PYTHONPATH": str(course / "src"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "cnn_course.cli", "--root", str(course), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_new_chapter_builds_and_grades(course_with_chapter_5, tmp_path):
    course = course_with_chapter_5
    built = cnn_course(course, "build", "--no-execute")  # grading below executes it
    assert built.returncode == 0, built.stderr[-3000:]
    release = (course / "notebooks" / f"{NEW}_image_flips.ipynb").read_text(encoding="utf-8")
    assert "flip_horizontal" in release and "BEGIN HIDDEN TESTS" not in release and "[:, ::-1]" not in release
    assert "build_arrow_classifier" in release and 'RandomFlip("vertical")' not in release  # the model exercise
    assert f"notebooks/{NEW}_image_flips.ipynb" in (course / "README.md").read_text(encoding="utf-8")

    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(course / "solutions" / f"{NEW}_image_flips.ipynb", submissions / "ada.ipynb")
    graded = cnn_course(course, "grade", str(submissions), "--chapter", NEW, "--out", str(tmp_path / "grades.csv"))
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["student_id"], row["chapter"], row["score"], row["max_score"]) == (
        "ada",
        f"{NEW}_image_flips",
        "3",
        "3",
    )
