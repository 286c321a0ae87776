"""Self-checks for Chapter 1, convolution maths.

What this file can reveal: the inputs of each check (fixed arrays, built from their own seeds)
and, in ``expected/chapter01.json``, the results a right answer gives on exactly those
inputs, plus hashes of the LeNet-5 counts. What it cannot: a way to compute any answer.
It holds no reference implementation; the results were computed by the course's tests
(``tests/checks/expected.py``, which checks that they are current), and the hidden tests
that grade a class use other inputs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from cnn_course.checks.calling import call, call_in_place, describe_call, require_callable
from cnn_course.checks.compare import compare_arrays, compare_numbers
from cnn_course.checks.core import Exercise
from cnn_course.checks.progress import ProgressView
from cnn_course.checks.verdict import Mismatch

EXPECTED_FILE = Path(__file__).with_name("expected") / "chapter01.json"


def fixed_array(seed: int, *shape: int) -> np.ndarray:
    """The same array every time: the inputs whose results are stored."""
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@functools.cache
def expected() -> dict[str, Any]:
    with open(EXPECTED_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def layer_hash(layer: str, count: Any) -> str:
    return hashlib.sha256(f"{layer}={count}".encode()).hexdigest()


# --- the inputs of every check (their results: expected/chapter01.json) ----------------

OUTPUT_SIZE_CASES = [
    ((32, 3), {}),
    ((5, 3), {"padding": 1}),
    ((7, 3), {"stride": 2}),
    ((224, 7), {"padding": 3, "stride": 2}),
    ((150, 3), {}),
    ((6, 2), {"stride": 2}),
    ((10, 4), {"padding": 1, "stride": 3}),
]


def convolve2d_cases() -> list[tuple[tuple, dict]]:
    return [
        ((np.arange(16, dtype=np.float32).reshape(4, 4), np.array([[1.0, 0.0], [0.0, -1.0]])), {}),
        ((fixed_array(101, 7, 9), fixed_array(102, 3, 3)), {}),
        ((fixed_array(103, 6, 5), fixed_array(104, 2, 3)), {}),
        ((fixed_array(105, 8, 8), fixed_array(106, 3, 3)), {"stride": 2}),
        ((fixed_array(107, 5, 5), fixed_array(108, 3, 3)), {"padding": 1}),
        ((fixed_array(109, 9, 7), fixed_array(110, 3, 3)), {"padding": 2, "stride": 3}),
    ]


def conv_layer_cases() -> list[tuple]:
    return [
        (fixed_array(201, 32, 32, 3), fixed_array(202, 3, 3, 3, 1), fixed_array(203, 1)),
        (fixed_array(204, 8, 10, 3), fixed_array(205, 3, 3, 3, 4), fixed_array(206, 4)),
        (fixed_array(207, 6, 6, 2), fixed_array(208, 2, 3, 2, 5), np.zeros(5, np.float32)),
    ]


def relu_cases() -> list[np.ndarray]:
    return [np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), fixed_array(301, 4, 5), fixed_array(302, 3, 3, 2)]


def max_pool_cases() -> list[np.ndarray]:
    return [
        np.arange(16, dtype=np.float32).reshape(4, 4),
        fixed_array(401, 6, 8),
        fixed_array(402, 5, 7),
        fixed_array(403, 4, 6, 3),
        fixed_array(404, 9, 9),
    ]


LENET5_LAYERS = ["C1", "S2", "C3", "S4", "C5", "F6", "output"]


# --- checkers ---------------------------------------------------------------------------


def _number_cases(name: str, cases: list[tuple[tuple, dict, float]], rtol: float = 0.0):
    """A checker that calls the learner's function on each case and compares one number."""

    def checker(answer: Any) -> None:
        function = require_callable(answer, name)
        for args, kwargs, result in cases:
            compare_numbers(call(function, *args, **kwargs), result, describe_call(name, args, kwargs), rtol=rtol)

    return checker


def _check_output_size(answer: Any) -> None:
    results = expected()["conv_output_size"]
    cases = [(args, kwargs, result) for (args, kwargs), result in zip(OUTPUT_SIZE_CASES, results)]
    _number_cases("conv_output_size", cases)(answer)


def _check_convolve2d(answer: Any) -> None:
    function = require_callable(answer, "convolve2d")
    for (args, kwargs), result in zip(convolve2d_cases(), expected()["convolve2d"]):
        got = call(function, *args, **kwargs)
        compare_arrays(got, np.array(result), describe_call("convolve2d", args, kwargs))


def _check_conv_layer(answer: Any) -> None:
    function = require_callable(answer, "conv_layer")
    for args, result in zip(conv_layer_cases(), expected()["conv_layer"]):
        got = call(function, *args)
        compare_arrays(got, np.array(result), describe_call("conv_layer", args, {}), atol=1e-4, rtol=1e-4)


def _check_relu(answer: Any) -> None:
    function = require_callable(answer, "relu")
    for x, result in zip(relu_cases(), expected()["relu"]):
        got = call(function, x)
        compare_arrays(got, np.array(result), describe_call("relu", (x,), {}))
    sample = np.array([-1.0, 2.0])
    call_in_place(function, sample)
    if not np.array_equal(sample, [-1.0, 2.0]):
        raise Mismatch(
            "relu changed its input array in place. Return a new array instead, e.g. build it with "
            "NumPy functions that do not modify their argument."
        )


def _check_max_pool(answer: Any) -> None:
    function = require_callable(answer, "max_pool")
    for x, result in zip(max_pool_cases(), expected()["max_pool"]):
        got = call(function, x)
        compare_arrays(got, np.array(result), describe_call("max_pool", (x,), {}))
    got = call(function, fixed_array(405, 9, 9), size=3)
    if got is None or np.shape(got) != (3, 3):
        raise Mismatch(f"max_pool(<array of shape (9, 9)>, size=3) should have shape (3, 3), got {np.shape(got)}.")


# (args, kwargs, right result) of the self-checks; the hidden tests use other inputs (a test says so).
DENSE_PARAMS_CASES = [
    ((256 * 256 * 3, 1000), {"use_bias": False}, 196_608_000),
    ((256 * 256 * 3, 1000), {}, 196_609_000),
    ((120, 60), {}, 7_260),
    ((84, 12), {}, 1_020),
    ((4, 3), {"use_bias": False}, 12),
]
CONV_PARAMS_CASES = [
    ((3, 3, 32), {}, 896),
    ((3, 3, 32), {"use_bias": False}, 864),
    ((5, 1, 8), {}, 208),
    ((5, 6, 12), {}, 1_812),
    ((3, 64, 128), {}, 73_856),
]
MEMORY_GB_CASES = [
    ((196_608_000, "float32"), {}, 0.786432),
    ((196_608_000, "float64"), {}, 1.572864),
    ((1_000_000_000, "float16"), {}, 2.0),
    ((896, "float32"), {}, 3.584e-6),
]
_check_dense_params = _number_cases("dense_params", DENSE_PARAMS_CASES)
_check_conv_params = _number_cases("conv_params", CONV_PARAMS_CASES)
_check_memory_gb = _number_cases("memory_gb", MEMORY_GB_CASES, rtol=1e-6)


def _check_lenet5(answer: Any) -> None:
    function = require_callable(answer, "lenet5_params")
    got = call(function)
    if not isinstance(got, dict):
        raise Mismatch(f"lenet5_params() should return a dict of layer name -> count, got {type(got).__name__}.")
    if list(got) != LENET5_LAYERS:
        raise Mismatch(f"lenet5_params() should have the layers {LENET5_LAYERS} in that order, got {list(got)}.")
    hashes = expected()["lenet5_params"]
    for layer in LENET5_LAYERS:
        count = got[layer]
        if isinstance(count, bool) or not isinstance(count, (int, np.integer, float, np.floating)):
            raise Mismatch(f"the parameter count of layer {layer} should be a number, got {type(count).__name__}.")
        exact = int(count) if float(count).is_integer() else count
        if layer_hash(layer, exact) != hashes[layer]:
            raise Mismatch(f"the parameter count of layer {layer} is not right: got {count:,}.")


conv_output_size = Exercise(
    "conv_output_size",
    _check_output_size,
    [
        "Try it on paper first: an input 5 wide, a window 3 wide, stride 1. Where can the window's left "
        "edge sit? Then the same with stride 2.",
        "Count how many positions the window can take along one side: it starts at 0 and its last "
        "position must still fit inside the padded input of size `size + 2 * padding`.",
        "Without stride there are `padded - kernel_size + 1` positions; with a stride you keep every "
        "stride-th one. Integer division `//` rounds down the way the layers do.",
    ],
    ideas=[
        "how padding, kernel size and stride set the number of window positions",
    ],
    chapter=__name__,
)
convolve2d = Exercise(
    "convolve2d",
    _check_convolve2d,
    [
        "On paper: a 4x4 image and a 3x3 kernel. Which pixels does the first output value use, and which the one to "
        "its right?",
        "Pad the image with zeros first, then compute the output's size with the formula of the previous exercise; "
        "each output value is one window of the padded image times the kernel, added up.",
        "The window of output (i, j) starts stride times further along than output (0, 0) does, in rows and in "
        "columns. Deep-learning 'convolution' does not flip the kernel.",
    ],
    ideas=[
        "pad with zeros before sliding",
        "where the window of output (i, j) starts, with a stride",
        "one output value: a window times the kernel, added up",
    ],
    chapter=__name__,
)
conv_layer = Exercise(
    "conv_layer",
    _check_conv_layer,
    [
        "Start from your convolve2d: what changes when the image has channels and there are several filters? Each "
        "filter makes one output channel.",
        "Each filter has the full depth of the input, so one window through all the channels, multiplied by one "
        "filter and added up over its three axes, gives one number.",
        "Loop over output rows, output columns and filters (or let NumPy's tensordot do the window-times-filter sum),"
        " then add that filter's bias.",
    ],
    ideas=[
        "a filter spans every input channel and gives one output channel",
        "one bias per filter",
    ],
    chapter=__name__,
)
relu = Exercise(
    "relu",
    _check_relu,
    [
        "What should ReLU give for -3, for 0 and for 2.5? Decide for one number, then think of the whole array at "
        "once.",
        "ReLU keeps positive values and replaces everything else by 0, element by element, without changing the array"
        " it is given.",
        "NumPy has a function that compares two arrays (or an array and a number) element by element and keeps the "
        "larger value.",
    ],
    ideas=[
        "keep positives, zero the rest, element by element",
    ],
    chapter=__name__,
)
max_pool = Exercise(
    "max_pool",
    _check_max_pool,
    [
        "Draw a 4x4 array and its 2x2 blocks: each block becomes one number. What happens to a fifth row "
        "that fills no block?",
        "Drop the rows and columns that do not fill a whole window, then take the maximum of each "
        "size x size block. Channels (a third axis) are pooled separately.",
        "Reshape (H, W, ...) to (H // size, size, W // size, size, ...) and take `.max` over axes 1 and 3.",
    ],
    ideas=[
        "drop the rows and columns that fill no block",
        "the maximum of each block, channel by channel",
    ],
    chapter=__name__,
)
dense_params = Exercise(
    "dense_params",
    _check_dense_params,
    [
        "Draw a layer of 3 inputs and 2 units and count the arrows; then count what each unit adds on its own.",
        "Every input connects to every unit: one weight per (input, unit) pair.",
        "Add one bias per unit when `use_bias` is true.",
    ],
    ideas=[
        "one weight per (input, unit) pair, one bias per unit",
    ],
    chapter=__name__,
)
conv_params = Exercise(
    "conv_params",
    _check_conv_params,
    [
        "Does a filter's size depend on the image it slides over? Count the weights of one filter first.",
        "One filter has kernel_size x kernel_size x in_channels weights, whatever the size of the image.",
        "Every filter has its own weights and, when use_bias is true, its own single bias.",
    ],
    ideas=[
        "a filter's weights do not depend on the image size",
    ],
    chapter=__name__,
)
memory_gb = Exercise(
    "memory_gb",
    _check_memory_gb,
    [
        "How many bytes does one float32 number take, and one float64? NumPy can tell you for any dtype.",
        "Bytes in all are the count of numbers times the bytes per number; NumPy's dtype objects know their itemsize.",
        "Use decimal gigabytes, as disk and memory makers do: one GB is a thousand million bytes.",
    ],
    ideas=[
        "bytes per number depend on the dtype",
    ],
    chapter=__name__,
)
lenet5_params = Exercise(
    "lenet5_params",
    _check_lenet5,
    [
        "Which of LeNet-5's layers learn weights at all? Pooling only picks and averages.",
        "Use your conv_params for C1, C3 and C5 and your dense_params for F6 and the output, then add them up.",
        "C1 sees 1 channel, C3 sees C1's 6 maps, C5 sees C3's 16 maps; F6 has 120 inputs and the output 84.",
    ],
    ideas=[
        "which layers learn weights",
        "how many channels each layer sees",
    ],
    chapter=__name__,
)

EXERCISES = (
    conv_output_size,
    convolve2d,
    conv_layer,
    relu,
    max_pool,
    dense_params,
    conv_params,
    memory_gb,
    lenet5_params,
)
progress = ProgressView(EXERCISES, globals())
