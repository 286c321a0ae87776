"""``cnn-course benchmark NN``: measure a chapter's training on this machine.

One module per chapter (``chapter02``, ...) declares its command-line options once
(``add_arguments``) and runs (``run``); this registry finds it by chapter number or by its
older name (``cifar10``, ``catsdogs``, ``vgg16``). Instructor tools: they read the chapter's
source, so they need the ``instructor`` extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from cnn_course.errors import CourseError

MODULES = ("chapter02", "chapter03", "chapter04", "pipeline")


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"cnn_course.benchmarks.{name}") for name in MODULES]


def names(module: ModuleType) -> tuple[str, ...]:
    """What the command line accepts for a benchmark: its chapter number, then its aliases."""
    return ((module.CHAPTER,) if module.CHAPTER else ()) + tuple(module.ALIASES)


def find(name: str) -> ModuleType:
    wanted = name.zfill(2) if name.isdigit() else name
    for module in modules():
        if wanted in names(module):
            return module
    known = ", ".join("/".join(names(module)) for module in modules())
    raise CourseError(f"no benchmark {name!r}; there are: {known}")
