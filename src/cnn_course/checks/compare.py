"""Comparing what a learner's function gave with what it should give, in a sentence."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnn_course.checks.verdict import Mismatch

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


def compare_arrays(
    got: Any, expected: np.ndarray, what: str, atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL
) -> None:
    """Raise :class:`Mismatch` unless ``got`` matches ``expected`` in shape and values."""
    if got is None:
        raise Mismatch(f"{what} is None. Did the function end without a `return`?")
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mismatch(f"{what} should be a NumPy array of numbers, got {type(got).__name__}.") from None
    expected = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected.shape:
        raise Mismatch(f"{what} should have shape {expected.shape}, got shape {got_array.shape}.")
    close = np.isclose(got_array, expected, atol=atol, rtol=rtol)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        where = f" at index {index}" if index else ""
        raise Mismatch(
            f"{what} differs{where}: expected {expected[index]:.6g}, got {got_array[index]:.6g} "
            f"({int((~close).sum())} of {close.size} values differ; tolerance atol={atol:g}, rtol={rtol:g})."
        )


def compare_numbers(got: Any, expected: float, what: str, rtol: float = 0.0) -> None:
    """Raise :class:`Mismatch` unless ``got`` is a number equal to ``expected`` (within ``rtol``)."""
    if got is None:
        raise Mismatch(f"{what} is None. Did the function end without a `return`?")
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        raise Mismatch(f"{what} should be a number, got {type(got).__name__} {got!r}.")
    if not np.isclose(float(got), float(expected), rtol=rtol, atol=0.0):
        tolerance = f" (relative tolerance {rtol:g})" if rtol else ""
        raise Mismatch(f"{what} should be {expected:,}, got {got:,}{tolerance}.")
