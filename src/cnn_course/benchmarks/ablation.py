"""``cnn-course benchmark ablation``: what each ingredient of Chapter 2's better CNN adds.

The chapter's recipe is trained once as it is and once without each ingredient (the
chapter's own ``build_better_cnn`` and ``compile_better_cnn`` with one option changed), on
the same images, for the same epochs, one after the other on the same machine. Every row
reports the held-out accuracy plain and with the chapter's test-time flips and shifts, the
training time, and the difference from the full recipe.

A full-length ablation costs one 45-minute run per row on a 2-core CPU, so ``--limit`` and
``--epochs`` shrink every row alike; the table says which budget it was measured at. The
differences at a small budget show the direction and rough size of each effect, not the
exact points it is worth in the full run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from cnn_course.benchmarks.common import add_json_option, command, start_run, write_json
from cnn_course.course.course import Course
from cnn_course.options import add_option

CHAPTER = None
ALIASES = ("ablation",)
SUMMARY = "Chapter 2's better CNN without each of its ingredients, side by side"

# Each row: what is left out, and the options of the chapter's functions that leave it out.
VARIANTS: dict[str, dict] = {
    "full recipe": {},
    "no flip or shift augmentation": {"build": {"flip": False, "max_shift": 0}},
    "no batch normalisation": {"build": {"batch_norm": False}},
    "no label smoothing": {"compile": {"label_smoothing": 0.0}},
    "no weight decay": {"compile": {"weight_decay": 0.0}},
    "no warm-up": {"compile": {"warmup_fraction": 0.0}},
    "float32 (no mixed precision)": {"precision": "float32"},
}


@dataclass
class AblationRow:
    variant: str
    seconds: float
    test_accuracy: float
    with_flips_and_shifts: float


def add_arguments(parser) -> None:
    add_option(parser, ablation, "source", "the CIFAR-10 archive or a folder of class subfolders", unset="download")
    add_option(parser, ablation, "limit", "training images per row, stratified", type=int)
    add_option(parser, ablation, "epochs", "epochs per row", type=int)
    add_option(parser, ablation, "variants", "which rows to train", nargs="+", choices=list(VARIANTS))
    add_json_option(parser, ablation)


def format_rows(rows: list[AblationRow]) -> str:
    """The table, each row's difference taken from the full recipe's row (the first)."""
    base = rows[0]
    lines = [f"{'variant':<30} {'seconds':>8} {'x time':>7} {'test acc.':>10} {'change':>7} {'+TTA':>7} {'change':>7}"]
    for row in rows:
        lines.append(
            f"{row.variant:<30} {row.seconds:>8.0f} {row.seconds / base.seconds:>7.2f} {row.test_accuracy:>10.2%} "
            f"{(row.test_accuracy - base.test_accuracy) * 100:>+7.2f} {row.with_flips_and_shifts:>7.2%} "
            f"{(row.with_flips_and_shifts - base.with_flips_and_shifts) * 100:>+7.2f}"
        )
    return "\n".join(lines)


def ablation(
    course: Course,
    source: str | None = None,
    limit: int | None = 12_500,
    epochs: int = 6,
    variants: list[str] | tuple[str, ...] = tuple(VARIANTS),
    seed: int = 0,
    json_out: Path | None = None,
    log=print,
) -> list[AblationRow]:
    from cnn_course import seeding
    from cnn_course.benchmarks.chapter02 import CHAPTER as CIFAR_CHAPTER
    from cnn_course.benchmarks.chapter02 import held_out_arrays, train_better
    from cnn_course.course.namespace import chapter_namespace

    chosen = ["full recipe", *[name for name in variants if name != "full recipe"]]  # the baseline comes first
    train, test = held_out_arrays(source, limit, seed)
    chapter = chapter_namespace(course, CIFAR_CHAPTER, (), tags=("benchmark",))
    log(f"ablation of Chapter 2's better CNN: {len(train[0]):,} training images, {epochs} epochs per row")
    figures = start_run(log, train_images=len(train[0]), epochs=epochs)
    rows = []
    for name in chosen:
        variant = VARIANTS[name]
        log(f"--- {name}")
        seeding.set_seed(seed)
        result = train_better(
            chapter,
            train,
            test,
            epochs,
            build_options=variant.get("build"),
            compile_options=variant.get("compile"),
            precision=variant.get("precision"),
            log=log,
        )
        rows.append(AblationRow(name, round(result.fit.seconds, 1), round(result.plain, 4), round(result.shifted, 4)))
    log(f"ablation at {len(train[0]):,} images x {epochs} epochs; change in points from the full recipe:")
    log(format_rows(rows))
    write_json(json_out, {**figures, "rows": [asdict(row) for row in rows]})
    return rows


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = ablation
run = command(MEASURE)
