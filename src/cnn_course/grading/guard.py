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


# One function, complexity 17 (C901 allows 15): the file is copied as it is into each kernel's
# startup folder and must leave nothing behind, so its audit hook's event dispatch stays here whole.
def _cnn_course_guard():  # noqa: C901
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
        raise PermissionError(
            f"{what} {path!s} was blocked by the grading guard: a submission may only change files in its own folder"
        )

    def hook(event, args):
        if logging[0]:
            return
        if event == "open":
            path, mode, flags = (*args, None, None, None)[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & write_flags)
            if writing and not inside(path):
                refuse("writing", path)
        elif event in (
            "os.remove",
            "os.rmdir",
            "shutil.rmtree",
            "os.truncate",
            "os.mkdir",
            "os.chmod",
            "os.link",
            "os.symlink",
            "shutil.copyfile",
            "shutil.copytree",
        ):
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


if __name__ == "__main__":
    _cnn_course_guard()
del _cnn_course_guard
