"""Self-checks for Chapter 1, convolution maths.

The expected answers are computed differently from the way the notebook teaches (window
views and einsum instead of loops, counting positions instead of a formula), so reading
this file gives a learner no shortcut through the exercises.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import correlate2d
from skimage.measure import block_reduce

from cnn_course.checks.core import (
    Exercise,
    Mismatch,
    call,
    call_in_place,
    compare_arrays,
    compare_numbers,
    describe_call,
    require_callable,
)

_rng = np.random.default_rng(20240101)


def _random(*shape: int) -> np.ndarray:
    return _rng.normal(size=shape).astype(np.float32)


# --- reference answers ------------------------------------------------------------------


def _output_size_by_formula(size: int, kernel_size: int, padding: int = 0, stride: int = 1) -> int:
    return len(range(0, size + 2 * padding - kernel_size + 1, stride))


def _convolve2d_by_scipy(image: np.ndarray, kernel: np.ndarray, padding: int = 0, stride: int = 1) -> np.ndarray:
    # SciPy's cross-correlation (what deep learning calls convolution), then every stride-th position.
    framed = np.pad(np.asarray(image, dtype=np.float64), pad_width=padding, mode="constant")
    return correlate2d(framed, np.asarray(kernel, dtype=np.float64), mode="valid")[::stride, ::stride]


def _conv_layer_by_einsum(image: np.ndarray, filters: np.ndarray, bias: np.ndarray) -> np.ndarray:
    kh, kw = filters.shape[:2]
    windows = sliding_window_view(np.asarray(image, dtype=np.float64), (kh, kw), axis=(0, 1))
    return np.einsum("ijcab,abcf->ijf", windows, filters) + bias


def _relu_by_numpy(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 0.0)


def _max_pool_by_skimage(x: np.ndarray, size: int = 2) -> np.ndarray:
    # scikit-image's block reduction over whole windows; a partial window at the edge is dropped.
    rows, columns = (x.shape[0] // size) * size, (x.shape[1] // size) * size
    window = (size, size) + (1,) * (x.ndim - 2)
    return block_reduce(x[:rows, :columns], block_size=window, func=np.max)


LENET5_EXPECTED = {"C1": 156, "S2": 0, "C3": 2416, "S4": 0, "C5": 48120, "F6": 10164, "output": 850}


# --- checkers ---------------------------------------------------------------------------


def _number_cases(name: str, cases: list[tuple[tuple, dict, float]], rtol: float = 0.0):
    """A checker that calls the learner's function on each case and compares one number."""

    def checker(answer: Any) -> None:
        function = require_callable(answer, name)
        for args, kwargs, expected in cases:
            compare_numbers(call(function, *args, **kwargs), expected, describe_call(name, args, kwargs), rtol=rtol)

    return checker


_OUTPUT_SIZE_CASES = [
    ((32, 3), {}),
    ((5, 3), {"padding": 1}),
    ((7, 3), {"stride": 2}),
    ((224, 7), {"padding": 3, "stride": 2}),
    ((150, 3), {}),
    ((6, 2), {"stride": 2}),
    ((10, 4), {"padding": 1, "stride": 3}),
]
_check_output_size = _number_cases(
    "conv_output_size",
    [(args, kwargs, _output_size_by_formula(*args, **kwargs)) for args, kwargs in _OUTPUT_SIZE_CASES],
)


def _check_convolve2d(answer: Any) -> None:
    function = require_callable(answer, "convolve2d")
    asymmetric = np.array([[1.0, 0.0], [0.0, -1.0]])
    cases = [
        ((np.arange(16, dtype=np.float32).reshape(4, 4), asymmetric), {}),
        ((_random(7, 9), _random(3, 3)), {}),
        ((_random(6, 5), _random(2, 3)), {}),
        ((_random(8, 8), _random(3, 3)), {"stride": 2}),
        ((_random(5, 5), _random(3, 3)), {"padding": 1}),
        ((_random(9, 7), _random(3, 3)), {"padding": 2, "stride": 3}),
    ]
    for args, kwargs in cases:
        got = call(function, *args, **kwargs)
        compare_arrays(got, _convolve2d_by_scipy(*args, **kwargs), describe_call("convolve2d", args, kwargs))


def _check_conv_layer(answer: Any) -> None:
    function = require_callable(answer, "conv_layer")
    cases = [
        (_random(32, 32, 3), _random(3, 3, 3, 1), _random(1)),
        (_random(8, 10, 3), _random(3, 3, 3, 4), _random(4)),
        (_random(6, 6, 2), _random(2, 3, 2, 5), np.zeros(5, np.float32)),
    ]
    for args in cases:
        got = call(function, *args)
        compare_arrays(got, _conv_layer_by_einsum(*args), describe_call("conv_layer", args, {}), atol=1e-4, rtol=1e-4)


def _check_relu(answer: Any) -> None:
    function = require_callable(answer, "relu")
    for x in (np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), _random(4, 5), _random(3, 3, 2)):
        original = x.copy()
        got = call(function, x)
        compare_arrays(got, _relu_by_numpy(original), describe_call("relu", (x,), {}))
    sample = np.array([-1.0, 2.0])
    call_in_place(function, sample)
    if not np.array_equal(sample, [-1.0, 2.0]):
        raise Mismatch(
            "relu changed its input array in place. Return a new array instead, e.g. build it with "
            "NumPy functions that do not modify their argument."
        )


def _check_max_pool(answer: Any) -> None:
    function = require_callable(answer, "max_pool")
    cases = [
        (np.arange(16, dtype=np.float32).reshape(4, 4),),
        (_random(6, 8),),
        (_random(5, 7),),
        (_random(4, 6, 3),),
        (_random(9, 9),),
    ]
    for args in cases:
        got = call(function, *args)
        compare_arrays(got, _max_pool_by_skimage(*args), describe_call("max_pool", args, {}))
    got = call(function, _random(9, 9), size=3)
    if got is None or np.shape(got) != (3, 3):
        raise Mismatch(f"max_pool(<array of shape (9, 9)>, size=3) should have shape (3, 3), got {np.shape(got)}.")


_check_dense_params = _number_cases(
    "dense_params",
    [
        ((256 * 256 * 3, 1000), {"use_bias": False}, 196_608_000),
        ((256 * 256 * 3, 1000), {}, 196_609_000),
        ((120, 84), {}, 10_164),
        ((84, 10), {}, 850),
        ((4, 3), {"use_bias": False}, 12),
    ],
)
_check_conv_params = _number_cases(
    "conv_params",
    [
        ((3, 3, 32), {}, 896),
        ((3, 3, 32), {"use_bias": False}, 864),
        ((5, 1, 6), {}, 156),
        ((5, 6, 16), {}, 2416),
        ((3, 64, 128), {}, 73_856),
    ],
)
_check_memory_gb = _number_cases(
    "memory_gb",
    [
        ((196_608_000, "float32"), {}, 0.786432),
        ((196_608_000, "float64"), {}, 1.572864),
        ((1_000_000_000, "float16"), {}, 2.0),
        ((896, "float32"), {}, 3.584e-6),
    ],
    rtol=1e-6,
)


def _check_lenet5(answer: Any) -> None:
    function = require_callable(answer, "lenet5_params")
    got = call(function)
    if not isinstance(got, dict):
        raise Mismatch(f"lenet5_params() should return a dict of layer name -> count, got {type(got).__name__}.")
    if list(got) != list(LENET5_EXPECTED):
        raise Mismatch(
            f"lenet5_params() should have the layers {list(LENET5_EXPECTED)} in that order, got {list(got)}."
        )
    for layer, expected in LENET5_EXPECTED.items():
        compare_numbers(got[layer], expected, f"the parameter count of layer {layer}")


output_size = Exercise(
    "conv_output_size",
    _check_output_size,
    [
        "Count how many positions the window can take along one side: it starts at 0 and its last "
        "position must still fit inside the padded input of size `size + 2 * padding`.",
        "Without stride there are `padded - kernel_size + 1` positions; with a stride you keep every "
        "stride-th one. Integer division `//` rounds down the way the layers do.",
    ],
)
convolve2d = Exercise(
    "convolve2d",
    _check_convolve2d,
    [
        "Pad first with `np.pad(image, padding)`, then work out the output shape with the formula "
        "from the previous exercise.",
        "For output position (i, j) the window starts at row `i * stride` and column `j * stride`; "
        "multiply it element-wise by the kernel and sum. Deep-learning 'convolution' does not flip "
        "the kernel.",
    ],
)
conv_layer = Exercise(
    "conv_layer",
    _check_conv_layer,
    [
        "Each filter `filters[:, :, :, f]` has the full depth of the input, so one window "
        "`image[i:i+kh, j:j+kw, :]` times one filter, summed over all three axes, gives one number.",
        "Loop over output rows, columns and filters (or use `np.tensordot`), then add `bias[f]`.",
    ],
)
relu = Exercise(
    "relu",
    _check_relu,
    [
        "ReLU keeps positive values and replaces everything else by 0, element by element.",
        "`np.maximum` compares element by element and returns a new array.",
    ],
)
max_pool = Exercise(
    "max_pool",
    _check_max_pool,
    [
        "Drop the rows and columns that do not fill a whole window, then take the maximum of each "
        "size x size block. Channels (a third axis) are pooled separately.",
        "Reshape (H, W, ...) to (H // size, size, W // size, size, ...) and take `.max` over axes 1 and 3.",
    ],
)
dense_params = Exercise(
    "dense_params",
    _check_dense_params,
    [
        "Every input connects to every unit: one weight per (input, unit) pair.",
        "Add one bias per unit when `use_bias` is true.",
    ],
)
conv_params = Exercise(
    "conv_params",
    _check_conv_params,
    [
        "One filter has kernel_size x kernel_size x in_channels weights, whatever the size of the image.",
        "Multiply by the number of filters and add one bias per filter when `use_bias` is true.",
    ],
)
memory_gb = Exercise(
    "memory_gb",
    _check_memory_gb,
    [
        "`np.dtype(dtype).itemsize` gives the bytes per number (4 for float32, 8 for float64).",
        "Use decimal gigabytes, as disk and memory makers do: 1 GB = 10**9 bytes.",
    ],
)
lenet5 = Exercise(
    "lenet5_params",
    _check_lenet5,
    [
        "Use `conv_params` for C1, C3 and C5 and `dense_params` for F6 and the output; pooling layers learn nothing.",
        "C1 sees 1 channel, C3 sees C1's 6 maps, C5 sees C3's 16 maps; F6 has 120 inputs and the output 84.",
    ],
)

EXERCISES = (output_size, convolve2d, conv_layer, relu, max_pool, dense_params, conv_params, memory_gb, lenet5)
