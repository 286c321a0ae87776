"""``cnn-course benchmark NN``: measure a chapter's training on this machine.

Each benchmark is a module here that declares its command-line options once
(``add_arguments``) and runs (``run``); :data:`REGISTERED` lists them, so the command line
finds one by chapter number or by its name (``cifar10``, ``catsdogs``, ``vgg16``, ``grading``,
...), and a helper module added beside them (like ``common``) is never taken for one.
Instructor tools: they read the chapter's source, so they need the ``instructor`` extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Every benchmark, by module name; a new one is added here (docs/adding-a-chapter.md, section 3).
REGISTERED = (
    "chapter02",
    "chapter03",
    "chapter04",
    "ablation",
    "float16",
    "grading_speed",
    "pipeline_speed",
    "test_time_views",
)


def modules() -> list[ModuleType]:
    """Every registered benchmark module, chapters first."""
    found = [importlib.import_module(f"{__name__}.{name}") for name in REGISTERED]
    return sorted(found, key=lambda module: (module.CHAPTER is None, module.CHAPTER or "", module.__name__))


def names(module: ModuleType) -> tuple[str, ...]:
    """What the command line accepts for a benchmark: its chapter number, then its aliases."""
    return ((module.CHAPTER,) if module.CHAPTER else ()) + tuple(module.ALIASES)
