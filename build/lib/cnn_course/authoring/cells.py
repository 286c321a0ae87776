"""Reading nbgrader's marks on notebook cells, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def nbgrader_meta(cell: Mapping[str, Any]) -> dict:
    """The cell's nbgrader metadata, or {} (also when a submission mangled it)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The cell's nbgrader grade_id, or None for a cell nbgrader does not track."""
    return nbgrader_meta(cell).get("grade_id")
