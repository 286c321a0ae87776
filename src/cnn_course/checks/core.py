"""Self-checks for learners: instant feedback without a grader (learntools-style).

Each exercise in a notebook has an :class:`Exercise` with ``check(answer)``, ``hint()`` and
``solution()``. ``check`` runs the learner's function on a few cases and says one of three
things: *not attempted yet* (the stub still raises ``NotImplementedError``), *not quite* with
what was expected and what came back, or *correct*. ``solution()`` shows the reference answer
where the course ships it (``answers/chapterNN.json``, written by ``cnn-course build``); a
graded class's published tree leaves those files out, and ``solution()`` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnn_course.checks.shortcuts import (
    BLANK,
    BLANKS_LEFT,
    SHORTCUT,
    ShortcutFlagged,
    has_blanks,
    helper_shortcut,
    uses_checking_code,
)
from cnn_course.checks.solutions import SOLUTIONS_OFF, Solution, load_answers
from cnn_course.checks.verdict import Mismatch, Result, Status, show


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
    ``ideas``: what the learner has to decide, one short phrase each; the course's estimate of
    an exercise's time weighs them (``cnn_course.authoring.effort``) and the instructor guide
    lists them.
    """

    def __init__(
        self,
        name: str,
        checker: Callable[[Any], None],
        hints: Sequence[str],
        helpers: Sequence[Callable[..., Any]] = (),
        chapter: str | None = None,
        ideas: Sequence[str] = (),
    ):
        if not hints:
            raise ValueError(f"exercise {name!r} needs at least one hint")
        self.ideas = tuple(ideas)
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
            if uses_checking_code(answer, self._helpers):  # one walk; a second only to name which shortcut
                reason = SHORTCUT if not self._helpers or uses_checking_code(answer) else helper_shortcut(self._helpers)
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
