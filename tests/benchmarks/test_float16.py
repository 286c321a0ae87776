"""The GPU's mixed_float16 path, taken on a CPU: the chapters' better recipes train in float16 as in
float32 (a short version of ``cnn-course benchmark float16``; the full run is in docs/benchmarks.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnn_course.benchmarks.float16 import PrecisionRun, compare_precisions, verdict
from cnn_course.course.namespace import chapter_namespace
from tests.helpers import COURSE

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

STEPS = 8


def learnable_images(count: int, size: int, classes: int, seed: int = 0):
    """Images whose class is their brightness, so a few steps can lower the loss."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, count)
    images = rng.uniform(0, 0.3, (count, size, size, 3)) + (labels / classes)[:, None, None, None]
    return images.astype("float32"), labels


@pytest.mark.parametrize(
    ("number", "options", "size", "batch_size"),
    [("02", {"widths": (4, 8, 8)}, 32, 16), ("03", {"input_shape": (32, 32, 3), "working_size": (24, 24)}, 32, 8)],
    ids=["chapter02", "chapter03"],
)
def test_the_better_recipe_trains_in_float16_with_loss_scaling_as_in_float32(number, options, size, batch_size):
    code = chapter_namespace(COURSE, number, (), tags=("benchmark",))
    classes = 10 if number == "02" else 2
    images, labels = learnable_images(batch_size * 4, size, classes)
    targets = np.eye(classes, dtype="float32")[labels] if number == "02" else labels.astype("float32")[:, None]
    runs = compare_precisions(
        lambda precision: code["build_better_cnn"](precision=precision, **options),
        code["compile_better_cnn"],
        images if number == "02" else images * 255,  # Chapter 3's model rescales 0..255 photos itself
        targets,
        STEPS,
        batch_size,
        log=lambda message: None,
    )
    float32, float16 = runs
    assert float16.loss_scales, "compile wrapped the optimizer in a LossScaleOptimizer"
    assert all(math.isfinite(loss) for run in runs for loss in run.losses)
    # The same weights: before training, the outputs differ only by float16 rounding.
    np.testing.assert_allclose(float16.initial_outputs, float32.initial_outputs, atol=0.01)
    # Dynamic loss scaling starts high (2**15) and halves on an overflow, skipping that step:
    # a skip or two while it settles is the design; more, or any later on, is a problem.
    assert float16.skipped_steps <= 2, f"the gradients kept overflowing: loss scales {float16.loss_scales}"
    assert float16.loss_scales[STEPS // 2] == float16.loss_scales[-1], "the scale settled in the first steps"
    for run in runs:
        assert np.mean(run.losses[-2:]) < np.mean(run.losses[:2]), f"{run.precision}: the loss fell"
    assert np.mean(float16.losses[-2:]) < 1.25 * np.mean(float32.losses[-2:]), "as low as in float32"


def test_the_verdict_names_an_overflow_a_loss_that_did_not_fall_and_a_curve_that_left_float32s():
    falling = [2.0 - 0.1 * step for step in range(10)]
    assert verdict([PrecisionRun("float32", 1, falling), PrecisionRun("mixed_float16", 1, falling)]) == []
    broken = verdict([PrecisionRun("float32", 1, falling), PrecisionRun("mixed_float16", 1, [*falling[:9], math.nan])])
    assert any("not finite" in problem for problem in broken)
    flat = verdict([PrecisionRun("float32", 1, falling), PrecisionRun("mixed_float16", 1, [2.0] * 10)])
    assert any("did not fall" in problem for problem in flat) and any("against" in problem for problem in flat)


def test_a_skipped_step_is_a_halved_loss_scale():
    run = PrecisionRun("mixed_float16", 1, [1.0] * 4, loss_scales=[32768.0, 16384.0, 16384.0, 8192.0])
    assert run.skipped_steps == 2
