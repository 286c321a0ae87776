"""Self-checks for the notebooks' exercises: ``from cnn_course.checks import chapter01 as ex``."""

from cnn_course.checks.core import Exercise
from cnn_course.checks.verdict import Mismatch, Result, Status

__all__ = ["Exercise", "Mismatch", "Result", "Status"]
