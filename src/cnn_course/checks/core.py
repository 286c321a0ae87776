"""Self-checks for learners: instant feedback without a grader (learntools-style).

Each exercise in a notebook has an :class:`Exercise` with ``check(answer)``, ``hint()`` and
``solution()``. ``check`` runs the learner's function on a few cases and says one of three
things: *not attempted yet* (the stub still raises ``NotImplementedError``), *not quite* with
what was expected and what came back, or *correct*. ``solution()`` shows the reference answer
where the course ships it (``answers/chapterNN.json``, written by ``cnn-course build``); a
graded class's published tree leaves those files out, and ``solution()`` says so.
"""

from __future__ import annotations

import enum
import html
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


class Status(str, enum.Enum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"


_COLOURS = {Status.CORRECT: "#1a7f37", Status.INCORRECT: "#cf222e", Status.NOT_ATTEMPTED: "#0969da"}
_HEADINGS = {Status.CORRECT: "Correct", Status.INCORRECT: "Not quite", Status.NOT_ATTEMPTED: "Not attempted yet"}


@dataclass(frozen=True, repr=False)
class Result:
    exercise: str
    status: Status
    message: str
    shortcut: bool = False  # the answer used the checking code or the course's own helper

    @property
    def passed(self) -> bool:
        return self.status is Status.CORRECT

    def __str__(self) -> str:
        return f"{_HEADINGS[self.status]} ({self.exercise}): {self.message}"

    __repr__ = __str__  # what plain-text front ends (a terminal, some editors) show

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        return (
            f'<p style="color:{colour}"><b>{_HEADINGS[self.status]}</b> ({html.escape(self.exercise)}): '
            f"{html.escape(self.message)}</p>"
        )


class Mismatch(AssertionError):
    """The answer ran but gave something other than what was expected."""


class ShortcutFlagged(AssertionError):
    """What a graded cell raises for an answer that calls the course's checking code or the
    course's own helper for the exercise: scored 0, and the grader flags it for a person by
    this type's name (:data:`SHORTCUT_ERROR`), whatever the sentence says."""


SHORTCUT_ERROR = ShortcutFlagged.__name__


def show(item: Any) -> None:
    """Rich display inside Jupyter/Colab, plain print elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with every notebook kernel
        print(item)
        return
    if get_ipython() is None:
        print(item)
    else:
        display(item)


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


def require_callable(answer: Any, name: str) -> Callable[..., Any]:
    if not callable(answer):
        raise Mismatch(
            f"expected the function `{name}`, got {type(answer).__name__}. "
            f"Pass the function itself, without calling it: check({name})."
        )
    return answer


BLANK = "____"
BLANKS_LEFT = (
    "the answer still has blanks (____). Replace each ____ with what the text asks for, run the cell, "
    "then run this check again."
)
CHECKS_PACKAGE = __package__ or "cnn_course.checks"
SHORTCUT = (
    "this answer uses the course's own checking code (cnn_course.checks), which holds the references "
    "the checks compare with. Write the computation yourself; the hints help. A grader marks such an "
    "answer 0 and flags it: needs manual grading."
)


def _from_checks(value: Any) -> bool:
    """A module of the course's checking package, or an object defined in one."""
    import types

    name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
    return isinstance(name, str) and name.startswith(CHECKS_PACKAGE)


def _names_in_code(answer: Any) -> set[str] | None:
    """The global and attribute names that ``answer``'s code (and the code of everything defined
    inside it) uses, or None when ``answer`` is not a Python function."""
    import types

    function = getattr(answer, "__func__", answer)  # a bound method's function
    code = getattr(function, "__code__", None)
    if not isinstance(code, types.CodeType):
        return None
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
    return names


def has_blanks(answer: Any) -> bool:
    """Whether the answer's code still holds a scaffold's ``____`` anywhere, even in a line the
    checks never reach: ``layers.____()``, ``shape=____``, ``return ____``."""
    names = _names_in_code(answer)
    return names is not None and BLANK in names


def _is_course_helper(value: Any, names: set[str], helpers: Sequence[Callable[..., Any]]) -> bool:
    """``value`` is one of ``helpers``, or the module of one that the code reaches by name
    (``interpret.grad_cam(...)`` uses the module ``interpret`` and the name ``grad_cam``)."""
    import types

    if any(value is helper for helper in helpers):
        return True
    return isinstance(value, types.ModuleType) and any(
        helper.__module__ == value.__name__ and helper.__name__ in names for helper in helpers
    )


def _uses_checking_code(answer: Any, helpers: Sequence[Callable[..., Any]] = (), seen: set[int] | None = None) -> bool:
    """Whether ``answer`` is an object of the course's checking modules, or its code (or the
    code of the notebook functions it calls) reaches one through a name: ``ex._reference(...)``,
    ``from cnn_course.checks.chapter01 import ...``; or reaches one of ``helpers``, the course's
    own version of what the exercise asks for. Library functions are not followed."""
    import types

    seen = set() if seen is None else seen
    if id(answer) in seen:
        return False
    seen.add(id(answer))
    if _from_checks(answer) or any(answer is helper for helper in helpers):
        return True
    names = _names_in_code(answer)
    if names is None:
        return False
    if any(name.startswith(CHECKS_PACKAGE) for name in names) or {"cnn_course", "checks"} <= names:
        return True  # an import of the checking code inside the function
    function = getattr(answer, "__func__", answer)
    scope = getattr(function, "__globals__", {})
    used = [scope[name] for name in names if name in scope]
    for cell in getattr(function, "__closure__", None) or ():
        try:
            used.append(cell.cell_contents)
        except ValueError:  # an empty closure cell
            pass
    for value in used:
        if _from_checks(value) or _is_course_helper(value, names, helpers):
            return True
        # Follow the notebook's own functions (a helper the answer calls), not libraries.
        notebook_function = isinstance(value, types.FunctionType) and _notebook_module(value.__module__)
        if notebook_function and _uses_checking_code(value, helpers, seen):
            return True
    return False


def _notebook_module(name: str | None) -> bool:
    """Functions a notebook defines live in ``__main__`` (or a namespace that is no real module)."""
    return name == "__main__" or name not in sys.modules


SOLUTIONS_OFF = (
    "Solutions are turned off for this course: your instructor keeps them until the "
    "exercises are graded. Try the hints: .hint(1), .hint(2), ..."
)


@dataclass(frozen=True, repr=False)
class Solution:
    """The reference answer of one exercise, shown as code."""

    exercise: str
    code: str
    explanation: str = ""

    def __str__(self) -> str:
        why = f"\n\nWhy it works: {self.explanation}" if self.explanation else ""
        return f"A reference answer for {self.exercise} (yours may differ and still be right):\n\n{self.code}{why}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        why = f"<p><b>Why it works:</b> {html.escape(self.explanation)}</p>" if self.explanation else ""
        return (
            f"<p><b>A reference answer for {html.escape(self.exercise)}</b> (yours may differ and still be "
            f"right; compare them line by line, then run the check again):</p><pre>{html.escape(self.code)}</pre>" + why
        )


def load_answers(module: str) -> dict[str, dict[str, str]] | None:
    """The answers file of a checks module (``cnn_course.checks.chapter01``), or None when absent."""
    chapter = module.rsplit(".", 1)[-1]
    try:
        text = resources.files("cnn_course.checks").joinpath("answers", f"{chapter}.json").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None
    return json.loads(text)


def _helper_shortcut(helpers: Sequence[Callable[..., Any]]) -> str:
    names = " or ".join(f"{helper.__module__.removeprefix('cnn_course.')}.{helper.__name__}" for helper in helpers)
    return (
        f"this answer calls the course's own {names}, which does what this exercise asks you to write. "
        "Write the computation yourself; the hints help. A grader marks such an answer 0 and flags it: "
        "needs manual grading."
    )


def _message_only(error: BaseException) -> BaseException:
    """Let IPython (Jupyter, Colab) show ``error`` as its sentence alone, without a traceback through
    the course's code: IPython asks an exception for ``_render_traceback_`` before it formats one.
    Plain Python and nbgrader see the exception as it is."""
    error._render_traceback_ = lambda: [f"{type(error).__name__}: {error}"]  # type: ignore[attr-defined]
    return error


class Exercise:
    """One exercise's self-check, hints and reference answer.

    ``helpers``: the course's own functions that do what the exercise asks (e.g.
    ``interpret.grad_cam`` for an exercise that writes Grad-CAM); an answer that calls one is
    refused as a shortcut, like one that uses the checking code.
    ``chapter``: the checks module the exercise belongs to (pass ``__name__``); its answers
    file, ``answers/chapterNN.json``, holds what :meth:`solution` shows.
    """

    def __init__(
        self,
        name: str,
        checker: Callable[[Any], None],
        hints: Sequence[str],
        helpers: Sequence[Callable[..., Any]] = (),
        chapter: str | None = None,
    ):
        if not hints:
            raise ValueError(f"exercise {name!r} needs at least one hint")
        self.name = name
        self._checker = checker
        self._hints = list(hints)
        self._helpers = tuple(helpers)
        self._chapter = chapter

    @property
    def hints(self) -> tuple[str, ...]:
        """The hint ladder, gentlest first."""
        return tuple(self._hints)

    def evaluate(self, answer: Any) -> Result:
        """Run the checks and return a :class:`Result` (``check`` shows it)."""
        try:
            if has_blanks(answer):
                return Result(self.name, Status.NOT_ATTEMPTED, BLANKS_LEFT)
            if _uses_checking_code(answer, self._helpers):  # one walk; a second only to name which shortcut
                reason = (
                    SHORTCUT if not self._helpers or _uses_checking_code(answer) else _helper_shortcut(self._helpers)
                )
                return Result(self.name, Status.INCORRECT, reason, shortcut=True)
            self._checker(answer)
        except NotImplementedError:
            return Result(
                self.name,
                Status.NOT_ATTEMPTED,
                "the exercise still raises NotImplementedError. Replace that line with "
                "your code, run the cell, then run this check again.",
            )
        except Mismatch as mismatch:
            if BLANK in str(mismatch.__cause__ or ""):  # a blank inside a helper the answer calls
                return Result(self.name, Status.NOT_ATTEMPTED, BLANKS_LEFT)
            return Result(self.name, Status.INCORRECT, str(mismatch) + " Stuck? Call .hint().")
        except Exception as error:  # a check must answer, whatever it was given
            if BLANK in str(error):
                return Result(self.name, Status.NOT_ATTEMPTED, BLANKS_LEFT)
            return Result(
                self.name,
                Status.INCORRECT,
                f"the check could not use this answer ({type(error).__name__}: {error}). Pass the function "
                f"or value the exercise asks for, as its text describes. Stuck? Call .hint().",
            )
        return Result(self.name, Status.CORRECT, "well done, every case matches.")

    def check(self, answer: Any) -> None:
        """Check ``answer`` and show the verdict."""
        show(self.evaluate(answer))

    def grade(self, answer: Any) -> None:
        """The graded tests' first line: pass quietly when the self-check would say "Correct",
        otherwise stop with the self-check's own sentence, so the grader and ``check()`` agree and
        a learner who runs all cells sees what is wrong. In Jupyter and Colab the sentence shows
        alone; nbgrader and plain Python get an ``AssertionError``."""
        result = self.evaluate(answer)
        if not result.passed:
            error = ShortcutFlagged if result.shortcut else AssertionError
            raise _message_only(error(str(result)))

    def hint(self, number: int = 1) -> None:
        """Show hint ``number`` (1 is the gentlest)."""
        show(self.hint_text(number))

    def solution(self) -> None:
        """Show the reference answer (or say that the instructor has turned solutions off)."""
        show(self.solution_text())

    def solution_text(self) -> Solution | str:
        if self._chapter is None:
            return f"Exercise {self.name} names no chapter (chapter=__name__), so it has no answers file."
        answers = load_answers(self._chapter)
        if answers is None:
            return SOLUTIONS_OFF
        if self.name not in answers:
            return f"There is no reference answer for {self.name} in this course's answers file."
        return Solution(self.name, answers[self.name]["code"], answers[self.name].get("explanation", ""))

    def hint_text(self, number: int = 1) -> str:
        if not 1 <= number <= len(self._hints):
            return f"Exercise {self.name} has hints 1 to {len(self._hints)}."
        more = f" (more: .hint({number + 1}))" if number < len(self._hints) else ""
        return f"Hint {number} for {self.name}: {self._hints[number - 1]}{more}"
