"""Grading prints what the instructor needs, not what every notebook kernel says on start-up.

Each kernel that grading starts writes TensorFlow's native start-up log (oneDNN, CUDA probes on
a machine without a GPU, CPU instruction notes) and ipykernel's note about its local TCP
transport straight to the terminal: about eight lines per notebook, for every notebook of a
class. They come from C++ and from child processes, so no Python logging setting reaches them
(TensorFlow 2.20 and later ignore ``TF_CPP_MIN_LOG_LEVEL`` for most of them). While grading
runs, the process's standard error goes through a filter that drops exactly those lines and
passes everything else on, errors of the course and of TensorFlow included.

The filter ends when the last process holding the pipe has let go of it. A process started
inside the block that outlives it would hold it open; multiprocessing's resource tracker, which
the worker pool of ``cnn-course grade --jobs N`` starts and which lives as long as the grading
process, is such a process, so the block starts it first, with the real standard error.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from multiprocessing import resource_tracker

NOISE = re.compile(
    "|".join(
        [
            r"^[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ",  # absl INFO and WARNING lines
            r"^E\d{4} .*(cuInit|cuda|CUDA)",  # "failed call to cuInit" where there is no GPU
            r"^WARNING: All log messages before absl::InitializeLog\(\) is called",
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] ",  # TensorFlow 2.16's INFO and WARNING lines
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: E .*(Unable to register cu|cuInit|CUDA)",
            r"^To enable the following instructions: .* rebuild TensorFlow",
            r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption",
        ]
    )
)


def is_noise(line: str) -> bool:
    return bool(NOISE.search(line))


@contextlib.contextmanager
def quiet_kernel_logs() -> Iterator[None]:
    """Within this block, lines on standard error (this process's and its children's, which
    inherit it) that :func:`is_noise` recognises are dropped; all others pass unchanged."""
    try:
        stderr_fd = sys.__stderr__.fileno() if sys.__stderr__ else 2
        original = os.dup(stderr_fd)
    except (OSError, ValueError):  # no real standard error (e.g. inside some IDEs): nothing to filter
        yield
        return
    if os.name == "posix":  # (Windows has no resource tracker process)
        resource_tracker.ensure_running()
    read_end, write_end = os.pipe()
    sys.stderr.flush()
    os.dup2(write_end, stderr_fd)
    os.close(write_end)

    def forward() -> None:
        with os.fdopen(read_end, "r", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not is_noise(line):
                    os.write(original, line.encode("utf-8", "replace"))

    thread = threading.Thread(target=forward, name="cnn-course-quiet-stderr", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, stderr_fd)  # closes the pipe's last writer here; children have exited
        thread.join(timeout=5)
        os.close(original)
