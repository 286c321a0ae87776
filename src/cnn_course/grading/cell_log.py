"""The cell log, run at the start of every grading kernel (an IPython startup file).

It writes one JSON line per executed cell to ``CNN_COURSE_CELL_LOG``: when the cell starts
(its source) and when it ends (whether it raised, and what). When a kernel dies (``os._exit``,
a crash in a library, memory), nbgrader reports only "Kernel died"; this log then tells the
grader which cell it died in and how the cells before it ended. See
:mod:`cnn_course.grading.sandbox`.

Like the guard, this file is copied as it is into the kernel's startup folder, imports
nothing from the course, and leaves no name behind in the learner's namespace.
"""


def _cnn_course_log_cells():
    import json
    import os

    path = os.environ.get("CNN_COURSE_CELL_LOG")
    shell = get_ipython()  # noqa: F821 - IPython defines it in the namespace of startup files
    if not path or shell is None:
        return

    def write(entry):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())  # the kernel may die in the very next line

    def started(info):
        write({"event": "start", "source": info.raw_cell})

    def ended(result):
        error = result.error_in_exec or result.error_before_exec
        text = f"{type(error).__name__}: {error}" if error is not None else ""
        write({"event": "end", "ok": error is None, "error": text[:500]})

    shell.events.register("pre_run_cell", started)
    shell.events.register("post_run_cell", ended)


_cnn_course_log_cells()
del _cnn_course_log_cells
