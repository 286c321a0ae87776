"""``cnn-course benchmark NN``: measure a chapter's training on this machine.

One module per chapter (``chapter02``, ...) declares its command-line options once
(``add_arguments``) and runs (``run``); this registry finds it by chapter number or by its
older name (``cifar10``, ``catsdogs``, ``vgg16``). Instructor tools: they read the chapter's
source, so they need the ``instructor`` extra.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

NOT_BENCHMARKS = {"common"}


def modules() -> list[ModuleType]:
    """Every benchmark module in this package, chapters first: a new chapter's module is found
    without editing anything here."""
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name not in NOT_BENCHMARKS
    ]
    return sorted(found, key=lambda module: (module.CHAPTER is None, module.CHAPTER or "", module.__name__))


def names(module: ModuleType) -> tuple[str, ...]:
    """What the command line accepts for a benchmark: its chapter number, then its aliases."""
    return ((module.CHAPTER,) if module.CHAPTER else ()) + tuple(module.ALIASES)
