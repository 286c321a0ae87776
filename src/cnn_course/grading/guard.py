"""The grading guard, run at the start of every grading kernel (an IPython startup file).

It installs a Python audit hook that refuses, with ``PermissionError``, writing outside the
submission's folder and the scratch folders named in ``CNN_COURSE_WRITABLE``, and starting
other programs (except ``fc-list``, which matplotlib runs to find fonts). Each refusal is
also logged to ``CNN_COURSE_BLOCKED_LOG``, outside the writable folders, so a submission
that catches the error still shows up in the grades. See :mod:`cnn_course.grading.sandbox`.

This file is copied as it is into the kernel's startup folder, so it imports nothing from
the course. IPython runs startup files as ``__main__``; importing this module installs nothing.
"""

import os as _os
import sys as _sys


class _CnnCourseGuard:
    """The audit hook. The class is deleted from the kernel's namespace once the hook holds an
    instance (IPython runs startup files in the learner's namespace), so it leaves no name behind."""

    WRITE_FLAGS = _os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC | _os.O_APPEND
    STARTS_PROGRAM = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn")

    def __init__(self, log, roots):
        self.log = log
        self.roots = tuple(roots)
        self.logging = False
        # The file events checked, and which of their arguments is the path they change.
        self.changed_path = {
            **dict.fromkeys(("os.remove", "os.rmdir", "shutil.rmtree", "os.truncate", "os.mkdir", "os.chmod"), 0),
            **dict.fromkeys(("os.link", "os.symlink", "shutil.copyfile", "shutil.copytree"), 1),
        }

    def is_cell_log(self, path):
        # The grader's own record of the cells that ran (01-cnn-course-cell-log.py appends to it).
        cell_log = _os.environ.get("CNN_COURSE_CELL_LOG")
        return (
            bool(cell_log)
            and isinstance(path, (str, bytes, _os.PathLike))
            and (_os.path.realpath(_os.fsdecode(path)) == _os.path.realpath(cell_log))
        )

    def inside(self, path):
        if isinstance(path, int) or path is None:
            return True
        real = _os.path.realpath(_os.fsdecode(path))
        return any(real == root or real.startswith(root + _os.sep) for root in self.roots)

    def refuse(self, what, path=""):
        # Recorded outside the writable folders, so a submission that catches the error
        # (or deletes its own files) still shows up in the grades.
        if self.log:
            self.logging = True
            try:
                with open(self.log, "a", encoding="utf-8") as handle:
                    handle.write(f"{what} {path!s}\n")
            finally:
                self.logging = False
        raise PermissionError(
            f"{what} {path!s} was blocked by the grading guard: a submission may only change files in its own folder"
        )

    def check_open(self, path, mode=None, flags=None, *_):
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & self.WRITE_FLAGS)
        if writing and not self.inside(path) and not self.is_cell_log(path):
            self.refuse("writing", path)

    def check_program(self, args):
        # matplotlib lists the system fonts with fc-list when it builds its font cache.
        program = args[1] if len(args) > 1 and args[1] else args[0]
        if isinstance(program, (list, tuple)):
            program = program[0] if program else ""
        if _os.path.basename(_os.fsdecode(program or "")) not in ("fc-list",):
            self.refuse("starting another program:", program)

    def __call__(self, event, args):
        if self.logging:
            return
        if event == "open":
            self.check_open(*args)
        elif event in self.changed_path:
            target = args[self.changed_path[event]]
            if not self.inside(target):
                self.refuse(event, target)
        elif event == "os.rename":
            if not (self.inside(args[0]) and self.inside(args[1])):
                self.refuse("moving", args[0])
        elif event == "subprocess.Popen":
            self.check_program(args)
        elif event in self.STARTS_PROGRAM:
            self.refuse("starting another program:", args[0] if args else "")


if __name__ == "__main__":
    _writable = _os.environ.get("CNN_COURSE_WRITABLE", "").split(_os.pathsep)
    _sys.addaudithook(
        _CnnCourseGuard(
            _os.environ.get("CNN_COURSE_BLOCKED_LOG", ""),
            [_os.path.realpath(_os.getcwd())] + [_os.path.realpath(p) for p in _writable if p],
        )
    )
    del _writable
del _CnnCourseGuard
