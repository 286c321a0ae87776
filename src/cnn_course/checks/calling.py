"""Calling a learner's function inside a check: with a time limit, on copies of the inputs, and
with any error turned into a readable :class:`~cnn_course.checks.verdict.Mismatch`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cnn_course.checks.verdict import Mismatch


def describe_call(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    def short(value: Any) -> str:
        if isinstance(value, np.ndarray):
            return f"<array of shape {value.shape}>"
        return repr(value)

    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


TIME_LIMIT_SECONDS = 30  # for one call of the learner's function inside a check


class _TookTooLong(BaseException):
    """Raised inside the learner's function when its time is up (a BaseException, so that
    a learner's ``except Exception`` cannot swallow it)."""


def _with_time_limit(function: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return function(*args, **kwargs)  # no timer outside the main thread or on Windows

    def stop(signum, frame):
        raise _TookTooLong

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_SECONDS)
    try:
        return function(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's function; an error or an endless loop becomes a Mismatch naming the call.

    ``NotImplementedError`` passes through so the exercise reads as not attempted.
    Arrays are copied first so a function that changes its input cannot spoil later cases.
    """
    return call_in_place(function, *[a.copy() if isinstance(a, np.ndarray) else a for a in args], **kwargs)


def call_in_place(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """:func:`call` on the arrays themselves, not copies: to see whether the function changes its input."""
    name = getattr(function, "__name__", "your function")
    try:
        return _with_time_limit(function, args, kwargs)
    except NotImplementedError:
        raise
    except _TookTooLong:
        raise Mismatch(
            f"{describe_call(name, args, kwargs)} did not finish within {TIME_LIMIT_SECONDS} s. "
            "Is there a loop that never ends (a `while` whose condition never changes)?"
        ) from None
    except Exception as error:
        raise Mismatch(
            f"{describe_call(name, args, kwargs)} raised {type(error).__name__}: {_short_error(error)}"
        ) from error


MESSAGE_LIMIT = 300  # characters of an error's text in a check's message


def _short_error(error: BaseException) -> str:
    """An error's text fit for a learner: its arrays elided (Keras prints whole inputs), its
    first lines only, cut at MESSAGE_LIMIT characters."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # terminal colours
    text = re.sub(r"\[(?:[^\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\])*\]", _elide_array, text)
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1].rstrip() + "…"


def _elide_array(match: re.Match) -> str:
    found = match.group(0)
    return "<array>" if len(found) > 60 else found


def require_callable(answer: Any, name: str) -> Callable[..., Any]:
    if not callable(answer):
        raise Mismatch(
            f"expected the function `{name}`, got {type(answer).__name__}. "
            f"Pass the function itself, without calling it: check({name})."
        )
    return answer
