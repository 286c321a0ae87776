"""What a check refuses before it runs an answer: blanks left in a scaffold, and shortcuts (the
course's checking code, or the course's own helper for the exercise)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any


class ShortcutFlagged(AssertionError):
    """What a graded cell raises for an answer that calls the course's checking code or the
    course's own helper for the exercise: scored 0, and the grader flags it for a person by
    this type's name (:data:`SHORTCUT_ERROR`), whatever the sentence says."""


SHORTCUT_ERROR = ShortcutFlagged.__name__


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


def uses_checking_code(answer: Any, helpers: Sequence[Callable[..., Any]] = (), seen: set[int] | None = None) -> bool:
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
        if notebook_function and uses_checking_code(value, helpers, seen):
            return True
    return False


def _notebook_module(name: str | None) -> bool:
    """Functions a notebook defines live in ``__main__`` (or a namespace that is no real module)."""
    return name == "__main__" or name not in sys.modules


def helper_shortcut(helpers: Sequence[Callable[..., Any]]) -> str:
    names = " or ".join(f"{helper.__module__.removeprefix('cnn_course.')}.{helper.__name__}" for helper in helpers)
    return (
        f"this answer calls the course's own {names}, which does what this exercise asks you to write. "
        "Write the computation yourself; the hints help. A grader marks such an answer 0 and flags it: "
        "needs manual grading."
    )
