"""The course on disk: :class:`Course` carries the root folder, the settings and the chapters
together, with each chapter's parsed source read once, so the build, the runner, the grader, the
website and the benchmarks all find a chapter, and read it, the same way."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cnn_course.course.settings import Chapter, CourseConfig, chapters, find_chapter, find_root, load_config

if TYPE_CHECKING:
    import nbformat


@dataclass(frozen=True)
class Course:
    """A course checkout: ``Course.at()`` finds it from the working folder (or ``start``)."""

    root: Path
    config: CourseConfig
    _sources: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def at(cls, start: Path | None = None) -> Course:
        root = find_root(start)
        return cls(root, load_config(root))

    @property
    def chapters(self) -> list[Chapter]:
        return chapters(self.root)

    def chapter(self, number: str) -> Chapter:
        return find_chapter(self.root, number)

    def source(self, chapter: Chapter) -> tuple[str, nbformat.NotebookNode]:
        """The chapter's source text (with this course's repository stamped in) and notebook,
        validated; parsed once, and a fresh copy each call, so a caller may change it."""
        from cnn_course.course.source import read_source  # nbformat and jupytext: read when needed

        if chapter.name not in self._sources:
            self._sources[chapter.name] = read_source(chapter, self.config)
        text, notebook = self._sources[chapter.name]
        return text, copy.deepcopy(notebook)

    def with_repository(self, config: CourseConfig) -> Course:
        """The same course published under another repository (a graded class's student tree):
        sources are stamped with that repository's address."""
        return replace(self, config=config, _sources={})
