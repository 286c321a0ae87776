"""Names of places, in one module: the dataset splits, and where Colab mounts Google Drive."""

from __future__ import annotations

from pathlib import Path

DRIVE_MOUNT = Path("/content/drive")
DRIVE_ROOT = DRIVE_MOUNT / "MyDrive"
# The folders a photo dataset is split into, in the order they are used.
SPLITS = ("train", "validation", "test")


def on_drive(path: Path) -> bool:
    """Whether ``path`` lies on a mounted Google Drive (slow for many small files)."""
    return Path(path).resolve().is_relative_to(DRIVE_MOUNT.resolve())
