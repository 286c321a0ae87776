"""Chapter 1 checkers reject typical mistakes with a helpful message.

The checks every exercise gets are in checks/test_all_chapters.py."""

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from cnn_course.checks import chapter01 as ex
from cnn_course.checks.verdict import Status


def _flipped_convolution(image, kernel, padding=0, stride=1):
    return signal.convolve2d(np.pad(image, padding), kernel, mode="valid")[::stride, ::stride]


def _same_size_convolution(image, kernel, padding=0, stride=1):
    return signal.correlate2d(image, kernel, mode="same")


def _conv_layer_without_bias(image, filters, bias):
    kh, kw = filters.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw), axis=(0, 1))
    return np.einsum("ijcab,abcf->ijf", windows, filters)


def _relu_in_place(x):
    x[x < 0] = 0
    return x


def _relu_without_return(x):
    np.maximum(x, 0)


def _max_pool_stride_one(x, size=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(0, 1))
    return windows.max(axis=(-2, -1))


def _lenet5_forgetting_pooling():
    return {"C1": 156, "C3": 2416, "C5": 48120, "F6": 10164, "output": 850}


def _lenet5_original_c3():
    return {"C1": 156, "S2": 0, "C3": 1516, "S4": 0, "C5": 48120, "F6": 10164, "output": 850}


WRONG_ANSWERS = [
    (ex.conv_output_size, lambda size, kernel_size, padding=0, stride=1: size - kernel_size, "should be 30, got 29"),
    (
        ex.conv_output_size,
        lambda size, kernel_size, padding=0, stride=1: (size - kernel_size) // stride + 1,
        "padding=1",
    ),
    (ex.convolve2d, _flipped_convolution, "differs at index"),
    (ex.convolve2d, _same_size_convolution, "should have shape (3, 3), got shape (4, 4)"),
    (ex.conv_layer, _conv_layer_without_bias, "differs at index"),
    (ex.relu, _relu_in_place, "in place"),
    (ex.relu, _relu_without_return, "without a `return`"),
    (ex.relu, lambda x: np.abs(x), "differs at index"),
    (ex.max_pool, _max_pool_stride_one, "should have shape (2, 2), got shape (3, 3)"),
    (ex.dense_params, lambda n_inputs, units, use_bias=True: n_inputs * units, "should be 196,609,000"),
    (
        ex.conv_params,
        lambda kernel_size, in_channels, filters, use_bias=True: filters * (kernel_size**2 + 1),
        "should be 896, got 320",
    ),
    (ex.memory_gb, lambda n, dtype: n * np.dtype(dtype).itemsize / 1024**3, "should be 0.786432"),
    (ex.lenet5_params, _lenet5_forgetting_pooling, "in that order"),
    (ex.lenet5_params, _lenet5_original_c3, "layer C3 is not right: got 1,516"),
    (ex.lenet5_params, lambda: [156, 0], "should return a dict"),
]


@pytest.mark.parametrize("exercise, answer, fragment", WRONG_ANSWERS)
def test_a_wrong_answer_is_rejected_with_a_helpful_message(exercise, answer, fragment):
    result = exercise.evaluate(answer)
    assert result.status is Status.INCORRECT
    assert fragment in result.message


def test_an_exception_inside_the_learner_s_code_is_reported_with_the_call():
    def crashing(image, kernel, padding=0, stride=1):
        return image[100, 100]

    result = ex.convolve2d.evaluate(crashing)
    assert result.status is Status.INCORRECT
    assert "crashing(<array of shape (4, 4)>, <array of shape (2, 2)>) raised IndexError" in result.message


def test_stored_results_are_current():
    """The results the self-checks compare with are what the tests' own computation gives."""
    from cnn_course.checks import chapter01
    from tests.checks import expected

    assert chapter01.EXPECTED_FILE.read_text(encoding="utf-8") == expected.text(), (
        "rewrite them with: python -m tests.checks.expected"
    )


def test_the_public_helper_holds_no_way_to_compute_an_answer():
    """No reference implementation and no LeNet-5 count in the helper a student can read."""
    from cnn_course.checks import chapter01

    source = Path(chapter01.__file__).read_text(encoding="utf-8")
    for tool in ("correlate2d", "einsum", "block_reduce", "sliding_window_view"):
        assert tool not in source, f"checks/chapter01.py uses {tool}: a working answer is one line away"
    for count in ("2416", "48120", "10164"):
        assert count not in source, "a LeNet-5 count in the open"


def test_the_hidden_tests_use_other_inputs_than_the_self_checks():
    """A learner who sees check()'s inputs (the checks module is public) must not have seen the
    hidden tests' inputs too: the module's docstring promises so."""
    import re

    from tests.helpers import ROOT

    text = (ROOT / "solutions" / "01_convolution_maths.py").read_text(encoding="utf-8")
    hidden = "\n".join(re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S))
    public = {
        "conv_output_size": [(args, kwargs) for args, kwargs in ex.OUTPUT_SIZE_CASES],
        "dense_params": [(args, kwargs) for args, kwargs, _ in ex.DENSE_PARAMS_CASES],
        "conv_params": [(args, kwargs) for args, kwargs, _ in ex.CONV_PARAMS_CASES],
        "memory_gb": [(args, kwargs) for args, kwargs, _ in ex.MEMORY_GB_CASES],
    }
    shared = []
    for name, cases in public.items():
        for call in re.findall(rf"\b{name}\(([^()]*)\)", hidden):
            args, kwargs = eval(f"inputs({call})", {"inputs": lambda *a, **k: (a, k)})
            if (args, kwargs) in cases:
                shared.append(f"{name}({call})")
    assert len(re.findall(r"\b(conv_output_size|dense_params|conv_params|memory_gb)\(", hidden)) >= 10
    assert not shared, f"hidden tests that check()'s own inputs already show: {shared}"
