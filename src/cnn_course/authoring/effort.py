"""How long a careful learner needs for each exercise: an estimate, computed the same way for
every chapter so that a chapter's stated exercise time can be checked against it.

Thinking, not typing, is what takes the time: a learner reads the task and runs the check
(2 minutes), works out each idea the exercise asks them to decide (3 minutes each: the
``ideas`` its check declares), and types the reference answer's lines (a quarter of a minute
each; an eighth for a line the scaffold already shows with blanks). Nobody has timed a class
yet: it is stated everywhere as an estimate.

``python -m cnn_course.authoring.effort`` prints the table the instructor guide shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jupytext

from cnn_course.cells import SOLUTION_REGION, grade_id, is_answer_cell
from cnn_course.course.settings import Chapter, chapters, find_root

READING_MINUTES = 2.0
MINUTES_PER_IDEA = 3.0
MINUTES_PER_LINE = 0.25
MINUTES_PER_SCAFFOLDED_LINE = 0.125


@dataclass(frozen=True)
class ExerciseEffort:
    name: str
    ideas: tuple[str, ...]  # what the learner decides
    lines: int  # lines of code in the reference answer
    scaffolded: int  # of them, lines the scaffold shows with blanks

    @property
    def minutes(self) -> float:
        written = self.lines - self.scaffolded
        return (
            READING_MINUTES
            + MINUTES_PER_IDEA * len(self.ideas)
            + MINUTES_PER_LINE * written
            + MINUTES_PER_SCAFFOLDED_LINE * self.scaffolded
        )


def effort_of(name: str, answer_cell: str, ideas: tuple[str, ...]) -> ExerciseEffort:
    """The estimate for one answer cell of a chapter's source (with its solution region)."""
    found = SOLUTION_REGION.search(answer_cell)
    body = found.group(1) if found else ""
    stripped = [line.strip() for line in body.splitlines()]
    code = [line for line in stripped if line and not line.startswith("#")]
    scaffold = [line for line in stripped if line.startswith("#:") and not line[2:].strip().startswith("#")]
    return ExerciseEffort(name, tuple(ideas), len(code), min(len(scaffold), len(code)))


def chapter_effort(chapter: Chapter) -> list[ExerciseEffort]:
    """Every exercise of the chapter, in notebook order."""
    checks = chapter.checks()
    ideas = {exercise.name: exercise.ideas for exercise in checks.EXERCISES}
    notebook = jupytext.read(chapter.source)
    return [
        effort_of(grade_id(cell), cell.source, ideas.get(grade_id(cell), ()))
        for cell in notebook.cells
        if is_answer_cell(cell)
    ]


def stated_minutes(chapter: Chapter) -> int | None:
    """The exercise time the chapter's opening states ("take about 90 minutes", "about an hour")."""
    opening = jupytext.read(chapter.source).cells[0].source.replace("\n# ", " ").replace("\n", " ")
    found = re.search(r"exercises take about (an hour|(\d+) minutes)", opening)
    if not found:
        return None
    return 60 if found.group(1) == "an hour" else int(found.group(2))


def table(root: Path) -> str:
    """The Markdown table of every exercise's estimate, chapter by chapter."""
    rows = [
        "| chapter | exercise | what the learner decides | lines (scaffolded) | minutes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for chapter in chapters(root):
        efforts = chapter_effort(chapter)
        for effort in efforts:
            rows.append(
                f"| {chapter.number} | `{effort.name}` | {'; '.join(effort.ideas)} "
                f"| {effort.lines} ({effort.scaffolded}) | {effort.minutes:.0f} |"
            )
        total = sum(effort.minutes for effort in efforts)
        rows.append(
            f"| {chapter.number} | **all {len(efforts)}** | | | **{total:.0f}** (stated: {stated_minutes(chapter)}) |"
        )
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - prints the guide's table
    print(table(find_root()))
