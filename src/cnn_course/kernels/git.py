"""Running git in a folder, for the instructor's tools that need it (publish, grading's privacy check)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(folder: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess | None:
    """``git -C folder ARGS`` with its output captured; None where git is not installed or hangs."""
    try:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
