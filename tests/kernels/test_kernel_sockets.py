"""Kernels the course starts talk over Unix sockets in a private folder, so a TCP port that
something else takes between jupyter_client's pick and the kernel's bind cannot stop them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.localinterfaces import localhost
from jupyter_client.provisioning.local_provisioner import LocalPortCache
from nbclient import NotebookClient

from cnn_course.kernels import kernel_sockets, warm_kernels

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Windows kernels keep TCP")

REPORT = "import ipykernel.connect\nprint(ipykernel.connect.get_connection_info())"


@pytest.fixture
def taken_port(monkeypatch):
    """A port another program holds, which jupyter_client's port picker hands out anyway:
    what happens when a connection takes the port between the pick and the kernel's bind."""
    holder = socket.socket()
    holder.bind((localhost(), 0))
    holder.listen()
    monkeypatch.setattr(LocalPortCache, "find_available_port", lambda self, ip: holder.getsockname()[1])
    yield holder.getsockname()[1]
    holder.close()


@pytest.mark.parametrize("start", ["warm", "cold"])
def test_a_taken_port_does_not_stop_the_kernel(tmp_path, monkeypatch, taken_port, start):
    monkeypatch.setenv(warm_kernels.SWITCH_VARIABLE, "1" if start == "warm" else "0")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(REPORT)])
    client = NotebookClient(
        notebook, timeout=30, startup_timeout=20, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with warm_kernels.warm_kernels(("numpy",)):
        client.execute()
    connection = json.loads(notebook.cells[0].outputs[0]["text"])
    assert connection["transport"] == "ipc"
    assert Path(connection["ip"]).parent == kernel_sockets.socket_folder(), "in the process's own folder"
    assert list(tmp_path.iterdir()) == [], "nothing is left in the notebook's folder"
    assert list(kernel_sockets.socket_folder().iterdir()) == [], "the sockets go when the kernel ends"


def test_unix_socket_kernels_start_cold_kernels_over_unix_sockets(tmp_path, taken_port):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(REPORT)])
    client = NotebookClient(notebook, timeout=30, startup_timeout=20, kernel_name="python3")
    with kernel_sockets.unix_socket_kernels():
        client.execute()
    assert json.loads(notebook.cells[0].outputs[0]["text"])["transport"] == "ipc"


def test_each_kernel_gets_its_own_address():
    first, second = KernelManager(kernel_name="python3"), KernelManager(kernel_name="python3")
    assert kernel_sockets.use_unix_sockets(first) and kernel_sockets.use_unix_sockets(second)
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip
    assert not first.cache_ports, "port caching would bind a TCP port at the socket path"


@pytest.mark.parametrize(
    "setting",
    [{"ip": "0.0.0.0"}, {"shell_port": 50123}, {"transport": "ipc", "ip": "/somewhere/kernel"}],
    ids=["an address set by hand", "a port set by hand", "sockets set by hand"],
)
def test_a_kernel_set_up_by_hand_keeps_its_settings(setting):
    manager = KernelManager(kernel_name="python3", **setting)
    assert not kernel_sockets.use_unix_sockets(manager)
    for name, value in setting.items():
        assert getattr(manager, name) == value


def test_kernels_keep_tcp_where_zeromq_has_no_unix_sockets(monkeypatch):
    monkeypatch.setattr(kernel_sockets.zmq, "has", lambda capability: capability != "ipc")
    manager = KernelManager(kernel_name="python3")
    assert not kernel_sockets.use_unix_sockets(manager)
    assert manager.transport == "tcp"


def test_kernels_keep_tcp_where_the_socket_path_would_be_too_long(monkeypatch, tmp_path):
    deep = tmp_path / ("d" * 100)
    monkeypatch.setattr(kernel_sockets, "socket_folder", lambda: deep)
    assert kernel_sockets.private_address() is None


def test_the_folder_is_the_process_s_own_and_goes_when_it_ends(monkeypatch):
    mine = kernel_sockets.socket_folder()
    assert kernel_sockets.socket_folder() == mine
    assert mine.stat().st_mode & 0o077 == 0, "no other user can put a socket there"
    kernel_sockets._remove_folder(os.getpid() + 1, mine)  # as a forked child's exit would call it
    assert mine.is_dir(), "a forked child leaves its parent's folder alone"
    code = "from cnn_course.kernels import kernel_sockets; print(kernel_sockets.socket_folder())"
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    other = Path(printed.strip())
    assert other != mine and not other.exists(), "another process's folder, removed when it ended"


def test_a_folder_that_has_gone_is_made_again():
    gone = kernel_sockets.socket_folder()
    shutil.rmtree(gone)
    again = kernel_sockets.socket_folder()
    assert again != gone and again.is_dir()
