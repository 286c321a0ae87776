"""Shared fixtures; the helpers themselves live in ``tests/helpers.py``."""

from __future__ import annotations

import os

import pytest

from tests.helpers import ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# With N test workers side by side, each worker (and each notebook kernel and grading process
# it starts, which inherit this) gets its own 1/N of the cores and as many threads, as
# `cnn-course grade --jobs` does: otherwise every TensorFlow and OpenMP pool starts a thread per
# core, and every grading batch starts a worker process per core, and they fight over them.
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _workers > 1:
    _threads = str(max(1, (os.cpu_count() or 1) // _workers))
    for _name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(_name, _threads)
    if hasattr(os, "sched_setaffinity"):  # Linux
        _cores = sorted(os.sched_getaffinity(0))
        _index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])
        if len(_cores) >= _workers:
            os.sched_setaffinity(0, _cores[_index % _workers :: _workers])


@pytest.fixture(scope="session")
def root():
    return ROOT


# With --dist loadfile a worker takes a whole file at a time, and with --no-loadscope-reorder
# (pyproject.toml's addopts) the files go out in the order of collection; xdist would otherwise
# hand out the files with the most tests first. Here the files that take longest go first,
# longest first (seconds of one worker on 2026-12-03 in brackets): each worker takes the next
# file when it is free, so the two finish together, not one waiting on the other's last long file.
SLOWEST_FILES = (
    "tests/grading/test_batch.py",  # (90-110) five real notebooks graded
    "tests/authoring/test_run.py",  # (75) four smoke runs
    "tests/benchmarks/test_benchmarks.py",  # (45-50)
    "tests/benchmarks/test_float16.py",  # (25-40)
    "tests/checks/test_agreement.py",  # (20-25)
    "tests/site/test_site.py",  # (20-30)
    "tests/grading/test_robustness.py",  # (25)
    "tests/grading/test_class_grading.py",  # (20-25)
    "tests/grading/test_plain_nbgrader.py",  # (20-25)
    "tests/benchmarks/test_grading_benchmark.py",  # (10-20)
    "tests/authoring/test_adding_a_chapter.py",  # (16)
    "tests/authoring/test_run_all.py",  # (10)
    "tests/kernels/test_warm_kernels.py",  # (10)
    "tests/authoring/test_publish.py",  # (10)
    "tests/checks/test_fuzz.py",  # (10)
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOWEST_FILES.index(path) if path in SLOWEST_FILES else len(SLOWEST_FILES)

    items.sort(key=rank)  # stable: each file keeps its own order
