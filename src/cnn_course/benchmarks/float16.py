"""``cnn-course benchmark float16``: the GPU's 16-bit path, taken on a CPU before a GPU takes it.

On a GPU, ``fast_precision()`` picks ``mixed_float16``. float16 holds numbers up to 65,504 and
loses small ones below about 6e-8, so Keras multiplies the loss by a large factor before the
gradients are computed and divides them again (a ``LossScaleOptimizer``, added by
``compile``): on an overflow it skips the step and halves the factor. Chapter 2's better
recipe peaks at a learning rate of 1.0, so an overflow is where a workshop would meet it first.

This benchmark trains a chapter's better CNN (the chapter's own ``build_better_cnn`` and
``compile_better_cnn``) twice from the same initial weights on the same batches in the same
order, once in float32 and once in mixed_float16, and compares the loss step by step; it also
records the loss scale, the steps it skipped, and any loss that was not a finite number.

A CPU computes float16 convolutions' weight gradients very slowly (on the course's machine
about 160 times slower than float32), so a few hundred steps of the full-size model would take
days: the presets shrink the network's width, the batch and (Chapter 3) the working image size
and keep everything else (schedule shape, peak learning rate, weight decay, label smoothing,
batch normalisation, augmentation). The table says which sizes ran.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cnn_course.benchmarks.common import add_json_option, start_run, write_json
from cnn_course.course.course import Course
from cnn_course.options import add_option, options

CHAPTER = None
ALIASES = ("float16",)
SUMMARY = "the better CNNs of Chapters 2 and 3 in float32 and mixed_float16, step by step on the same batches"

PRECISIONS = ("float32", "mixed_float16")

# Each chapter's recipe at a size a CPU can run in float16 for a few hundred steps; the
# options go to the chapter's own build function.
# float16 steps take about 3 s (Chapter 2) and 7 s (Chapter 3) here.
PRESETS = {
    "02": {"steps": 300, "batch_size": 64, "build": {"widths": (16, 32, 32)}},
    "03": {"steps": 200, "batch_size": 16, "build": {"working_size": (48, 48)}},
}


@dataclass
class PrecisionRun:
    precision: str
    seconds: float
    losses: list[float]
    loss_scales: list[float] = field(default_factory=list)  # mixed_float16 only
    initial_outputs: list[float] = field(default_factory=list)  # on the first batch, before training

    @property
    def skipped_steps(self) -> int:
        """Steps whose gradients overflowed: the optimizer skipped them and halved the scale."""
        return sum(later < earlier for earlier, later in zip(self.loss_scales, self.loss_scales[1:]))

    @property
    def non_finite(self) -> int:
        return sum(not math.isfinite(loss) for loss in self.losses)


def window_mean(losses: list[float], start: int, stop: int) -> float:
    return float(np.mean(losses[start:stop]))


def compare_precisions(
    build,
    compile_model,
    images: np.ndarray,
    labels: np.ndarray,
    steps: int,
    batch_size: int,
    precisions: tuple[str, ...] = PRECISIONS,
    seed: int = 0,
    log=print,
) -> list[PrecisionRun]:
    """Train ``compile_model(build(precision=p), total_steps=steps)`` for each precision from the
    first model's initial weights, on the same batches in the same order; one loss per step."""
    import keras

    order = np.random.default_rng(seed).permutation(len(images))
    batches = [np.take(order, range(step * batch_size, (step + 1) * batch_size), mode="wrap") for step in range(steps)]
    runs: list[PrecisionRun] = []
    initial_weights = None
    for precision in precisions:
        keras.utils.set_random_seed(seed)  # the augmentation layers draw the same numbers
        model = compile_model(build(precision=precision), total_steps=steps)
        if initial_weights is None:
            initial_weights = model.get_weights()
        else:
            model.set_weights(initial_weights)
        scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        run = PrecisionRun(precision, 0.0, [])
        # The same weights compute the same outputs up to float16 rounding: the runs start level.
        run.initial_outputs = model.predict(images[batches[0]], verbose=0).ravel().astype(float).tolist()
        started = time.perf_counter()
        for step, batch in enumerate(batches):
            model.reset_metrics()  # so the loss reported is this batch's, not a running mean
            logs = model.train_on_batch(images[batch], labels[batch], return_dict=True)
            run.losses.append(float(logs["loss"]))
            if scaled:
                run.loss_scales.append(float(model.optimizer.dynamic_scale.numpy()))
            if (step + 1) % max(1, steps // 10) == 0:
                log(f"  {precision}: step {step + 1}/{steps}, loss {run.losses[-1]:.4f}")
        run.seconds = time.perf_counter() - started
        runs.append(run)
    return runs


def verdict(runs: list[PrecisionRun], tolerance: float = 0.05) -> list[str]:
    """What went wrong, in words (empty when float16 trained as float32 did): every loss finite,
    few overflowed steps, the loss falling, and the last tenth's mean loss within ``tolerance``
    (relative) of float32's."""
    baseline, *others = runs
    tenth = max(1, len(baseline.losses) // 10)
    problems = []
    for run in runs:
        if run.non_finite:
            problems.append(f"{run.precision}: {run.non_finite} losses were not finite numbers")
        # A few skips while the scale settles from 2**15 are the design; many mean steady overflow.
        if run.skipped_steps > max(3, len(run.losses) // 50):
            problems.append(f"{run.precision}: {run.skipped_steps} steps overflowed and were skipped")
        first, last = window_mean(run.losses, 0, tenth), window_mean(run.losses, -tenth, None)
        if not last < first:
            problems.append(f"{run.precision}: the loss did not fall ({first:.4f} -> {last:.4f})")
    reference = window_mean(baseline.losses, -tenth, None)
    for run in others:
        last = window_mean(run.losses, -tenth, None)
        if abs(last - reference) > tolerance * reference:
            problems.append(
                f"{run.precision}: last tenth's loss {last:.4f} against {reference:.4f} in {baseline.precision}"
            )
    return problems


def format_runs(runs: list[PrecisionRun]) -> str:
    tenth = max(1, len(runs[0].losses) // 10)
    lines = [
        f"{'precision':<15} {'seconds':>8} {'first tenth':>12} {'last tenth':>11} "
        f"{'max |diff|':>11} {'start diff':>11} {'skipped':>8} {'scale at end':>13}"
    ]
    for run in runs:
        difference = max(abs(a - b) for a, b in zip(run.losses, runs[0].losses))
        start = max((abs(a - b) for a, b in zip(run.initial_outputs, runs[0].initial_outputs)), default=0.0)
        lines.append(
            f"{run.precision:<15} {run.seconds:>8.0f} {window_mean(run.losses, 0, tenth):>12.4f} "
            f"{window_mean(run.losses, -tenth, None):>11.4f} {difference:>11.4f} {start:>11.4f} {run.skipped_steps:>8} "
            f"{(run.loss_scales[-1] if run.loss_scales else float('nan')):>13.0f}"
        )
    return "\n".join(lines)


def add_arguments(parser) -> None:
    add_option(parser, float16_check, "chapters", "the chapters to check", nargs="+", choices=list(PRESETS))
    add_option(
        parser, float16_check, "steps", "training steps per precision", type=int, unset="300 for Chapter 2, 200 for 3"
    )
    add_option(parser, float16_check, "cifar_source", "the CIFAR-10 archive or folder", unset="download")
    add_option(parser, float16_check, "cats_dogs_source", "the cats-vs-dogs archive or folder", unset="download")
    add_json_option(parser, float16_check)


def run(course: Course, args) -> int:
    problems = float16_check(course, **options(args, float16_check))
    return 1 if problems else 0


def _training_images(chapter: str, source: str | None, seed: int, log) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's training images and labels as the chapter feeds them to its better CNN."""
    if chapter == "02":
        from cnn_course.benchmarks.chapter02 import held_out_arrays

        return held_out_arrays(source, None, seed)[0]
    from cnn_course import pipelines
    from cnn_course.benchmarks.chapter03 import _arrays
    from cnn_course.data import load_cats_vs_dogs

    photo_set = load_cats_vs_dogs(source, log=log)
    images, labels = _arrays(pipelines.folder_datasets(photo_set.root, seed=seed)[0]["train"])
    return images, labels.astype("float32").reshape(-1, 1)


def float16_check(
    course: Course,
    chapters: tuple[str, ...] | list[str] = tuple(PRESETS),
    steps: int | None = None,
    cifar_source: str | None = None,
    cats_dogs_source: str | None = None,
    seed: int = 0,
    json_out: Path | None = None,
    log=print,
) -> list[str]:
    """Train each chapter's better CNN in float32 and in mixed_float16 side by side; return the
    problems found (an empty list when mixed precision trained as float32 did)."""
    from cnn_course.course.namespace import chapter_namespace

    sources = {"02": cifar_source, "03": cats_dogs_source}
    figures = start_run(log, chapters={})
    problems: list[str] = []
    for number in chapters:
        preset = PRESETS[number]
        chapter_steps = steps or preset["steps"]
        code = chapter_namespace(course, number, (), tags=("benchmark",))
        images, labels = _training_images(number, sources.get(number), seed, log)
        log(
            f"--- Chapter {number}: {chapter_steps} steps of batch {preset['batch_size']}, "
            f"build options {preset['build']}"
        )
        runs = compare_precisions(
            lambda precision, code=code, preset=preset: code["build_better_cnn"](
                precision=precision, **preset["build"]
            ),
            code["compile_better_cnn"],
            images,
            labels,
            chapter_steps,
            preset["batch_size"],
            seed=seed,
            log=log,
        )
        log(format_runs(runs))
        found = verdict(runs)
        log("\n".join(found) if found else "mixed_float16 trained as float32 did: every loss finite, the same curve")
        problems += [f"Chapter {number}: {problem}" for problem in found]
        figures["chapters"][number] = {
            "preset": preset,
            "steps": chapter_steps,
            "runs": [asdict(run) for run in runs],
            "problems": found,
        }
    write_json(json_out, figures)
    return problems


# What the command calls; its signature holds every option's default (cnn_course.options.add_option).
MEASURE = float16_check
