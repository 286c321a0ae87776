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
# (pyproject.toml's addopts) the files go out in the order of collection. The files marked
# long_running (ten seconds or more: kernels, training, a browser, fuzzing) go first: each worker
# takes the next file when it is free, so the short files fill in at the end and the two
# workers finish together instead of one waiting on the other's last long file.
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)  # stable
