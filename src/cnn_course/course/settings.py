"""The course's settings in ``pyproject.toml``, its root folder and its chapters.

:class:`Course` carries the three together, with each chapter's parsed source read once, so
the build, the runner, the grader, the website and the benchmarks all find a chapter, and
read it, the same way."""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cnn_course.errors import CourseError

CHAPTER_FILE = re.compile(r"^(?P<number>\d{2})_(?P<slug>[a-z0-9_]+)\.py$")


@dataclass(frozen=True)
class CourseConfig:
    repository: str
    branch: str
    # A graded class's public student tree (`cnn-course publish`); None in an open course.
    public_repository: str | None = None
    public_branch: str = "main"

    @property
    def github_path(self) -> str:
        """``owner/name`` of the repository, as Colab's GitHub links want it."""
        prefix = "https://github.com/"
        if not self.repository.startswith(prefix):
            raise CourseError(f"[tool.cnn-course] repository must start with {prefix}, got {self.repository!r}")
        return self.repository[len(prefix) :].rstrip("/")

    def colab_url(self, relative_path: str) -> str:
        return f"https://colab.research.google.com/github/{self.github_path}/blob/{self.branch}/{relative_path}"


@dataclass(frozen=True)
class Chapter:
    number: str
    name: str  # also the nbgrader assignment id and the notebook's name, e.g. 01_convolution_maths
    source: Path

    @property
    def checks_module(self) -> str:
        """The module of the chapter's self-checks, the notebook's ``ex``."""
        return f"cnn_course.checks.chapter{self.number}"

    def checks(self):
        return importlib.import_module(self.checks_module)


def is_course_root(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    return pyproject.is_file() and "[tool.cnn-course]" in pyproject.read_text(encoding="utf-8")


def find_root(start: Path | None = None) -> Path:
    """The course checkout: searched upwards from ``start`` (default: the working folder),
    then from this package's own location (an editable install lives inside the checkout)."""
    candidates = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent]
    for candidate in candidates:
        for folder in (candidate, *candidate.parents):
            if is_course_root(folder):
                return folder
    raise CourseError(
        "Could not find the course folder (a pyproject.toml with a [tool.cnn-course] table). "
        "Run the command inside your clone of the course, or pass --root."
    )


def load_config(root: Path) -> CourseConfig:
    with open(root / "pyproject.toml", "rb") as handle:
        settings = tomllib.load(handle).get("tool", {}).get("cnn-course", {})
    missing = [key for key in ("repository", "branch") if not settings.get(key)]
    if missing:
        raise CourseError(f"{root / 'pyproject.toml'}: [tool.cnn-course] needs {', '.join(missing)}")
    return CourseConfig(
        repository=settings["repository"],
        branch=settings["branch"],
        public_repository=settings.get("public_repository"),
        public_branch=settings.get("public_branch", "main"),
    )


def chapters(root: Path) -> list[Chapter]:
    found = []
    for path in sorted((root / "solutions").glob("*.py")):
        match = CHAPTER_FILE.match(path.name)
        if match:
            found.append(Chapter(number=match["number"], name=path.stem, source=path))
    return found


def find_chapter(root: Path, number: str) -> Chapter:
    wanted = number.zfill(2)
    for chapter in chapters(root):
        if chapter.number == wanted or chapter.name == number:
            return chapter
    known = ", ".join(c.number for c in chapters(root)) or "none"
    raise CourseError(f"No chapter {number!r} in {root / 'solutions'} (chapters: {known}).")
