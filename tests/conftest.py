"""Shared fixtures. Nothing here touches the network or anything outside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import pytest

from cnn_course.project import chapters, find_root

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = find_root(Path(__file__).parent)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def all_chapters():
    return chapters(ROOT)


def solution_cells(name: str) -> dict[str, str]:
    """grade_id -> source of every solution cell in a chapter's source."""
    notebook = jupytext.read(ROOT / "solutions" / f"{name}.py")
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def points_of(name: str) -> dict[str, float]:
    """grade_id -> points of every graded test cell in a chapter's source."""
    notebook = jupytext.read(ROOT / "solutions" / f"{name}.py")
    return {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution")}


def release_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)

