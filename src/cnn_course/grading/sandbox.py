"""A guard for grading kernels: a submission may write only inside its own folder.

While ``cnn-course grade`` runs, every notebook kernel starts with a Python audit hook
(installed through an IPython startup file) that refuses, with ``PermissionError``:

- writing, deleting, renaming or truncating files outside the submission's working folder
  and a private scratch folder (where TMPDIR, MPLCONFIGDIR and KERAS_HOME point);
- starting other programs (``os.system``, ``subprocess``, ``os.exec*``, ``os.spawn*``),
  except ``fc-list``, which matplotlib runs to find fonts.

It stops the accidents and the obvious mischief seen in classrooms (a cleanup cell that
deletes ``..``, a ``!rm -rf``). It is not a security boundary: code that reaches for
``ctypes`` can get past any in-process hook. For submissions you do not trust at all, run
the grader inside a container or a throw-away virtual machine.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cnn_course.kernels.envvars import temporary_environment

GUARD_FILE = Path(__file__).with_name("guard.py")
CELL_LOG_FILE = Path(__file__).with_name("cell_log.py")


@contextlib.contextmanager
def guarded_kernels() -> Iterator[Path]:
    """Within this block, IPython kernels started by this process run under the guard.

    Yields the log file where kernels record what was blocked (see :func:`take_blocked`); beside
    it, ``cells.log`` records each cell a kernel ran (see :func:`take_cells`)."""
    with tempfile.TemporaryDirectory(prefix="cnn-course-guard-") as folder:
        base = Path(folder)
        startup = base / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        shutil.copyfile(GUARD_FILE, startup / "00-cnn-course-guard.py")
        shutil.copyfile(CELL_LOG_FILE, startup / "01-cnn-course-cell-log.py")
        scratch = base / "scratch"
        scratch.mkdir()
        settings = {
            "IPYTHONDIR": str(base / "ipython"),
            "CNN_COURSE_WRITABLE": str(scratch),
            "TMPDIR": str(scratch),
            "CNN_COURSE_BLOCKED_LOG": str(base / "blocked.log"),
            "CNN_COURSE_CELL_LOG": str(base / "cells.log"),
            "MPLCONFIGDIR": str(scratch / "matplotlib"),
            "KERAS_HOME": str(scratch / "keras"),
        }
        with temporary_environment(settings):
            yield base / "blocked.log"


def take_blocked(log: Path) -> list[str]:
    """What kernels were refused since the last call; empties the log."""
    if not log.exists():
        return []
    lines = [line.strip() for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    log.unlink()
    return lines


def take_cells(blocked_log: Path) -> list[dict]:
    """The cells the last kernel ran, as the cell log wrote them ({"event": "start", "source"}
    then {"event": "end", "ok", "error"}); empties the log."""
    import json

    log = blocked_log.with_name("cells.log")
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    log.unlink()
    return entries
