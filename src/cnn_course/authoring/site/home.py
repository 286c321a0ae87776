"""The home page: ``site/index.md`` with the table of chapters filled in from the chapters
themselves (titles, the exercise time each opening states, the time of the run on its page)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from cnn_course.authoring.effort import stated_minutes
from cnn_course.authoring.site.pages import COLAB_BADGE, duration
from cnn_course.authoring.site.runs import RunRecord
from cnn_course.course.settings import Chapter, CourseConfig
from cnn_course.errors import CourseError

HOME_SOURCE = Path("site") / "index.md"
CHAPTERS_MARK = "<!-- chapters -->"


def exercise_time(chapter: Chapter) -> str:
    minutes = stated_minutes(chapter)
    if minutes is None:
        return "not stated"
    return "about an hour" if minutes == 60 else f"about {minutes} min"


def run_time(record: RunRecord) -> str:
    return (
        f"{duration(record.seconds)}, then stopped: its page says where and why"
        if record.stopped
        else duration(record.seconds)
    )


def chapters_table(config: CourseConfig, rows: list[tuple[Chapter, str, RunRecord]]) -> str:
    lines = [
        "| chapter | exercises | its run took | open |",
        "| --- | --- | --- | --- |",
    ]
    for chapter, title, record in rows:
        colab = html.escape(config.colab_url(f"notebooks/{chapter.name}.ipynb"))
        badge = f'<a href="{colab}"><img src="{COLAB_BADGE}" alt="Open in Colab" width="117" height="20"></a>'
        lines.append(f"| [{title}]({chapter.name}.ipynb) | {exercise_time(chapter)} | {run_time(record)} | {badge} |")
    return "\n".join(lines)


INSTRUCTORS_SECTION = re.compile(r"^## For instructors\n.*?(?=^## |\Z)", re.M | re.S)


def home_page(
    root: Path, config: CourseConfig, rows: list[tuple[Chapter, str, RunRecord]], own: CourseConfig | None = None
) -> str:
    """The home page for ``config``'s notebooks. For a graded class (``own``, the course's own
    repository, differs) the page leads nowhere near the open course: no instructors' section
    (its guide lives there), links to the students' repository, and solution() said to be off."""
    path = root / HOME_SOURCE
    if not path.is_file():
        raise CourseError(
            f"{HOME_SOURCE} is missing: it is the website's home page, with {CHAPTERS_MARK} for the table"
        )
    text = path.read_text(encoding="utf-8")
    if CHAPTERS_MARK not in text:
        raise CourseError(f"{HOME_SOURCE} has no {CHAPTERS_MARK} line where the table of chapters goes")
    if own is not None and own.repository != config.repository:
        from cnn_course.authoring.publish import for_the_class

        text = for_the_class(INSTRUCTORS_SECTION.sub("", text), own, config)
    toctree = "\n".join(["```{toctree}", ":hidden:", "", *(chapter.name for chapter, _, _ in rows), "```"])
    return text.replace(CHAPTERS_MARK, chapters_table(config, rows)) + "\n\n" + toctree + "\n"
