"""The results Chapter 1's self-checks compare with, computed here, outside the package.

The public helper (``cnn_course/checks/chapter01.py``) ships only the checks' inputs and these
results, so reading it gives a learner no working answer. They are computed by other means
than the notebook teaches (SciPy, window views and einsum, scikit-image, counting), and
``test_stored_results_are_current`` fails when the file and this computation part.

    python -m tests.checks.expected     # rewrite src/cnn_course/checks/expected/chapter01.json
"""

from __future__ import annotations

import json

import numpy as np
from scipy.signal import correlate2d
from skimage.measure import block_reduce

from cnn_course.checks import chapter01

window_view = np.lib.stride_tricks.sliding_window_view
LENET5 = {"C1": 156, "S2": 0, "C3": 2416, "S4": 0, "C5": 48120, "F6": 10164, "output": 850}


def _output_size(size, kernel_size, padding=0, stride=1):
    return len(range(0, size + 2 * padding - kernel_size + 1, stride))


def _convolve2d(image, kernel, padding=0, stride=1):
    framed = np.pad(np.asarray(image, dtype=np.float64), pad_width=padding)
    return correlate2d(framed, np.asarray(kernel, dtype=np.float64), mode="valid")[::stride, ::stride]


def _conv_layer(image, filters, bias):
    windows = window_view(np.asarray(image, dtype=np.float64), filters.shape[:2], axis=(0, 1))
    return np.einsum("ijcab,abcf->ijf", windows, filters) + bias


def _max_pool(x, size=2):
    rows, columns = (x.shape[0] // size) * size, (x.shape[1] // size) * size
    return block_reduce(x[:rows, :columns], block_size=(size, size) + (1,) * (x.ndim - 2), func=np.max)


def compute() -> dict:
    return {
        "conv_output_size": [_output_size(*args, **kwargs) for args, kwargs in chapter01.OUTPUT_SIZE_CASES],
        "convolve2d": [_convolve2d(*args, **kwargs).tolist() for args, kwargs in chapter01.convolve2d_cases()],
        "conv_layer": [_conv_layer(*args).tolist() for args in chapter01.conv_layer_cases()],
        "relu": [np.where(x > 0, x, 0.0).tolist() for x in chapter01.relu_cases()],
        "max_pool": [_max_pool(x).tolist() for x in chapter01.max_pool_cases()],
        "lenet5_params": {layer: chapter01.layer_hash(layer, count) for layer, count in LENET5.items()},
    }


def text() -> str:
    return json.dumps(compute(), indent=1) + "\n"


if __name__ == "__main__":
    chapter01.EXPECTED_FILE.write_text(text(), encoding="utf-8")
    print(f"wrote {chapter01.EXPECTED_FILE}")
