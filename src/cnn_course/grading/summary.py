"""The class at a glance after grading: score distribution and per-exercise pass rates."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure  # no pyplot: works the same on a server without a display
from matplotlib.ticker import MaxNLocator

from cnn_course.grading.report import MANUAL


@dataclass
class ClassSummary:
    text: str
    plot: Path
    exercises_csv: Path
    pass_rates: dict[tuple[str, str], float]
    misconceptions_csv: Path | None = None


def check_sentence(failure: str) -> str:
    """What a student read under a failed graded cell, without the wrapping: the check's sentence."""
    text = re.sub(r"^\w+(Error|Exception): ", "", failure.strip())
    text = re.sub(r"^(Not quite|Not attempted yet) \([^)]*\): ", "", text)
    return re.sub(r"\s*Stuck\? Call \.hint\(\)\.?$", "", text).strip()


def _sentence_key(sentence: str) -> str:
    """Sentences that differ only in the numbers a student's answer gave are one mistake."""
    return re.sub(r"<array[^>]*>|-?\d+\.?\d*(e-?\d+)?", "#", sentence)


def misconceptions(rows: Sequence, top: int = 3) -> dict[tuple[str, str], list[tuple[int, int, str]]]:
    """(chapter, graded cell) -> the check sentences met most often on the notebooks that count,
    as (students, notebooks scored, an example sentence), most frequent first: what to teach again."""
    met: dict[tuple[str, str], Counter] = defaultdict(Counter)
    examples: dict[tuple[str, str, str], str] = {}
    scored: Counter = Counter()
    for row in rows:
        for name, (score, max_score) in row.exercises.items():
            scored[(row.chapter, name)] += 1
            if score < max_score and row.failures.get(name):
                sentence = check_sentence(row.failures[name])
                key = _sentence_key(sentence)
                met[(row.chapter, name)][key] += 1
                examples.setdefault((row.chapter, name, key), sentence)
    return {
        cell: [(count, scored[cell], examples[(*cell, key)]) for key, count in counts.most_common(top)]
        for cell, counts in met.items()
    }


def pass_rates(rows: Sequence) -> dict[tuple[str, str], float]:
    """(chapter, graded cell) -> share of scored notebooks that got full points on it."""
    passed, attempts = defaultdict(int), defaultdict(int)
    for row in rows:
        for name, (score, max_score) in row.exercises.items():
            attempts[(row.chapter, name)] += 1
            passed[(row.chapter, name)] += int(score == max_score)
    return {key: passed[key] / attempts[key] for key in attempts}  # in the notebook's order


def write_summary(rows: Sequence, folder: Path, stem: str = "grades") -> ClassSummary:
    folder.mkdir(parents=True, exist_ok=True)
    rates = pass_rates(rows)
    percents = [row.percent for row in rows if row.percent is not None]
    manual = sum(1 for row in rows if row.status == MANUAL)

    exercises_csv = folder / f"{stem}_exercises.csv"
    with open(exercises_csv, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["chapter", "graded_cell", "pass_rate"])
        writer.writerows([chapter, name, round(rate, 3)] for (chapter, name), rate in rates.items())

    figure = Figure(figsize=(12, 4.5), layout="constrained")
    scores, exercises = figure.subplots(1, 2)
    scores.hist(percents, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.01], color="tab:blue", edgecolor="white")
    scores.set_title(f"Score distribution ({len(percents)} scored, {manual} need a person)")
    scores.set_xlabel("score (% of the points)")
    scores.set_ylabel("notebooks")
    scores.yaxis.set_major_locator(MaxNLocator(integer=True))
    labels = [name for (_, name) in rates]
    exercises.barh(labels, [100 * rate for rate in rates.values()], color="tab:green")
    exercises.set_xlim(0, 100)
    exercises.invert_yaxis()
    exercises.set_title("Pass rate per graded cell")
    exercises.set_xlabel("notebooks with full points (%)")
    exercises.set_ylabel("graded cell")
    plot = folder / f"{stem}_summary.png"
    figure.savefig(plot, dpi=100)

    lines = ["pass rate per graded cell:"]
    lines += [f"  {100 * rate:5.0f}%  {chapter} / {name}" for (chapter, name), rate in rates.items()]
    mistakes = misconceptions(rows)
    misconceptions_csv = folder / f"{stem}_misconceptions.csv"
    with open(misconceptions_csv, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["chapter", "graded_cell", "students", "scored", "check_sentence"])
        for (chapter, name), found in mistakes.items():
            writer.writerows([chapter, name, count, scored, sentence] for count, scored, sentence in found)
    if mistakes:
        lines.append("what to teach again: the check's sentence students met most often, per graded cell:")
        for (chapter, name), found in mistakes.items():
            count, scored, sentence = found[0]
            shown = sentence if len(sentence) <= 150 else sentence[:149] + "…"
            lines.append(f"  {chapter} / {name}: {count} of {scored}: {shown}")
    if percents:
        mean = sum(percents) / len(percents)
        lines.append(f"mean score {mean:.1f}% over {len(percents)} scored notebook(s); {manual} need manual grading")
    return ClassSummary("\n".join(lines), plot, exercises_csv, rates, misconceptions_csv)
