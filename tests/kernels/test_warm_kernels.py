"""Warm kernels: forked from a server that has imported the libraries, and otherwise the same
kernel that ``python -m ipykernel_launcher`` would have started."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from cnn_course.kernels import warm_kernels as warm
from tests.helpers import release_notebook

pytestmark = [pytest.mark.long_running, pytest.mark.skipif(not warm.available(), reason="warm kernels need Linux")]

REPORT = """
import json, os, sys
preloaded = "numpy" in sys.modules
import numpy as np
import matplotlib.pyplot as plt
plt.plot([0, 1], [1, 0])
plt.title("a figure")
plt.show()
print(json.dumps({"pid": os.getpid(), "parent": os.getppid(), "cwd": os.getcwd(),
                  "mine": os.environ.get("CNN_COURSE_MINE"), "jupyter_parent": os.environ.get("JPY_PARENT_PID"),
                  "name": __name__, "preloaded": preloaded, "draw": float(np.random.rand())}))
"""


def run(folder, value: str, libraries=("numpy",), **env: str):
    """Run the report cell in a new kernel in ``folder``; what it printed, and whether it showed a figure."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(REPORT)])
    client = NotebookClient(notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with warm.warm_kernels(libraries):
        client.execute(env={**os.environ, "CNN_COURSE_MINE": value, **env})
    outputs = notebook.cells[0].outputs
    printed = json.loads(next(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout"))
    figure = any("image/png" in o.get("data", {}) for o in outputs if o.output_type == "display_data")
    return printed, figure


def test_kernels_come_from_one_server_each_with_its_own_folder_settings_and_randomness(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    one, one_figure = run(first, "1")
    two, two_figure = run(second, "2")
    assert one["parent"] == two["parent"] != os.getpid(), "both forked by the same warm server"
    assert one["pid"] != two["pid"]
    assert (one["cwd"], two["cwd"]) == (str(first), str(second))
    assert (one["mine"], two["mine"]) == ("1", "2"), "each kernel has its own environment"
    assert one["jupyter_parent"] == str(one["parent"]), "it watches its parent and ends with it, as a Popen'd one does"
    assert one["name"] == "__main__" and one["preloaded"], "numpy was imported before the cell ran"
    assert one["draw"] != two["draw"], "a fork does not share its random state with the next kernel"
    assert one_figure and two_figure, "matplotlib draws inline, as in a kernel started cold"


ORPHANED = """
import ctypes, os, signal, sys, time
from jupyter_client import KernelManager
from cnn_course.kernels import warm_kernels as warm

# Orphans come to this process instead of pid 1, as under a container's init or systemd.
assert ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
with warm.warm_kernels(("numpy",)):
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
kernel = manager.provisioner.pid
(server,) = [server.process.pid for server in warm._pool.servers.values()]
os.kill(server, signal.SIGKILL)  # the grading process and its server killed at once
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    pid, _ = os.waitpid(-1, os.WNOHANG)  # orphans are this process's to reap now
    if pid == kernel:
        print("the kernel ended")
        sys.exit(0)
    time.sleep(0.1)
os.kill(kernel, signal.SIGKILL)
print("the kernel outlived its server")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sub-reapers are Linux's")
def test_a_kernel_ends_with_its_server_under_a_sub_reaper(tmp_path):
    result = subprocess.run([sys.executable, "-c", ORPHANED], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "the kernel ended", result.stdout + result.stderr[-2000:]


def test_another_environment_gets_another_server(tmp_path):
    one, _ = run(tmp_path, "1")
    threads = str(int(os.environ.get("OMP_NUM_THREADS", "1")) + 1)
    other, _ = run(tmp_path, "1", OMP_NUM_THREADS=threads)  # read while numpy is imported
    assert other["parent"] != one["parent"]


@pytest.mark.parametrize("way", ["switched off", "a matplotlibrc in the folder", "a library that fails to import"])
def test_what_cannot_start_warm_starts_cold_and_still_runs(tmp_path, monkeypatch, way):
    libraries = ("numpy",)
    if way == "switched off":
        monkeypatch.setenv(warm.SWITCH_VARIABLE, "0")
    elif way == "a matplotlibrc in the folder":
        (tmp_path / "matplotlibrc").write_text("lines.linewidth: 3\n")
    else:
        libraries = ("numpy", "no_such_library_for_the_test")
    with warm.warnings.catch_warnings(record=True) as caught:
        warm.warnings.simplefilter("always")
        printed, figure = run(tmp_path, "cold", libraries)
    assert printed["parent"] == os.getpid(), "started by this process, the usual way"
    assert printed["mine"] == "cold" and figure and not printed["preloaded"]
    if way == "a library that fails to import":
        assert any("no_such_library_for_the_test" in str(w.message) for w in caught), "says why it starts cold"


def test_the_libraries_imported_ahead_are_the_slow_ones_the_notebooks_import():
    assert warm.libraries_for([release_notebook("02_cifar10_cnn")]) == warm.COURSE_LIBRARIES
    toy = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nfrom os import path"),
            nbformat.v4.new_code_cell("def broken(:\n    import pandas"),  # a learner's syntax error
            nbformat.v4.new_markdown_cell("import tensorflow"),
        ]
    )
    assert warm.libraries_for([toy]) == ("numpy",)
    assert warm.libraries_for([]) == ()


def test_the_server_imports_nothing_of_the_course():
    source = warm.SERVER_FILE.read_text(encoding="utf-8")
    assert "cnn_course" not in source.split('"""', 2)[2], "the course reads its settings when imported"
