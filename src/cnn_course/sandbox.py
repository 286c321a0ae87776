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
import tempfile
from pathlib import Path
from typing import Iterator

from cnn_course.envvars import temporary_environment

BLOCKED_MARK = "blocked by the grading guard"

GUARD = r'''
import os as _os, sys as _sys

def _cnn_course_guard():
    log = _os.environ.get("CNN_COURSE_BLOCKED_LOG", "")
    logging = [False]
    roots = [_os.path.realpath(_os.getcwd())]
    roots += [_os.path.realpath(p) for p in _os.environ.get("CNN_COURSE_WRITABLE", "").split(_os.pathsep) if p]
    write_flags = _os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC | _os.O_APPEND

    def inside(path):
        if isinstance(path, int) or path is None:
            return True
        real = _os.path.realpath(_os.fsdecode(path))
        return any(real == root or real.startswith(root + _os.sep) for root in roots)

    def refuse(what, path=""):
        # Recorded outside the writable folders, so a submission that catches the error
        # (or deletes its own files) still shows up in the grades.
        if log:
            logging[0] = True
            try:
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(f"{what} {path!s}\n")
            finally:
                logging[0] = False
        raise PermissionError(f"{what} {path!s} was BLOCKED_MARK: a submission may only change files "
                              "in its own folder")

    def hook(event, args):
        if logging[0]:
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & write_flags)
            if writing and not inside(path):
                refuse("writing", path)
        elif event in ("os.remove", "os.rmdir", "shutil.rmtree", "os.truncate", "os.mkdir", "os.chmod",
                       "os.link", "os.symlink", "shutil.copyfile", "shutil.copytree"):
            target = args[1] if event in ("os.link", "os.symlink", "shutil.copyfile", "shutil.copytree") else args[0]
            if not inside(target):
                refuse(event, target)
        elif event == "os.rename":
            if not (inside(args[0]) and inside(args[1])):
                refuse("moving", args[0])
        elif event == "subprocess.Popen":
            # matplotlib lists the system fonts with fc-list when it builds its font cache.
            program = args[1] if len(args) > 1 and args[1] else args[0]
            if isinstance(program, (list, tuple)):
                program = program[0] if program else ""
            if _os.path.basename(_os.fsdecode(program or "")) not in ("fc-list",):
                refuse("starting another program:", program)
        elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn"):
            refuse("starting another program:", args[0] if args else "")

    _sys.addaudithook(hook)

_cnn_course_guard()
del _cnn_course_guard
'''.replace("BLOCKED_MARK", BLOCKED_MARK)


@contextlib.contextmanager
def guarded_kernels() -> Iterator[Path]:
    """Within this block, IPython kernels started by this process run under the guard.

    Yields the log file where kernels record what was blocked (see :func:`take_blocked`)."""
    with tempfile.TemporaryDirectory(prefix="cnn-course-guard-") as folder:
        base = Path(folder)
        startup = base / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-cnn-course-guard.py").write_text(GUARD, encoding="utf-8")
        scratch = base / "scratch"
        scratch.mkdir()
        settings = {"IPYTHONDIR": str(base / "ipython"), "CNN_COURSE_WRITABLE": str(scratch), "TMPDIR": str(scratch),
                    "CNN_COURSE_BLOCKED_LOG": str(base / "blocked.log"),
                    "MPLCONFIGDIR": str(scratch / "matplotlib"), "KERAS_HOME": str(scratch / "keras")}
        with temporary_environment(settings):
            yield base / "blocked.log"


def take_blocked(log: Path) -> list[str]:
    """What kernels were refused since the last call; empties the log."""
    if not log.exists():
        return []
    lines = [line.strip() for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    log.unlink()
    return lines
