"""The README's generated parts: the table of chapters with their Colab badges, and the
marked blocks that the build fills in (the course's README, a graded class's students' README,
the instructor guide's table of exercise times)."""

from __future__ import annotations

import re

from cnn_course.course.settings import Chapter, CourseConfig
from cnn_course.course.source import BuildError

BADGES_BEGIN, BADGES_END = "<!-- colab-badges:begin -->", "<!-- colab-badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def badges_block(rows: list[tuple[Chapter, str]], config: CourseConfig) -> str:
    """The README's table of chapters with their Colab badges (what goes between the markers)."""
    lines = ["| chapter | notebook | open |", "| --- | --- | --- |"]
    for chapter, title in rows:
        path = f"notebooks/{chapter.name}.ipynb"
        badge = f"[![Open In Colab]({COLAB_BADGE})]({config.colab_url(path)})"
        lines.append(f"| {title} | [`{path}`]({path}) | {badge} |")
    return "\n".join(lines)


def stamp_block(text: str, begin: str, end: str, body: str, where: str) -> str:
    """``text`` with what lies between the ``begin`` and ``end`` lines replaced by ``body``."""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise BuildError(f"{where} has no {begin} ... {end} block for the build to fill in")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


def stamp_readme(text: str, badges: str) -> str:
    """The README with the table of Colab badges (:func:`badges_block`) between its markers."""
    return stamp_block(text, BADGES_BEGIN, BADGES_END, badges, "README.md")
