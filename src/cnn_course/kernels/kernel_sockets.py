"""Kernels that talk to the course's tools over Unix sockets in a private folder, not TCP ports.

jupyter_client picks a kernel's five TCP ports by asking the system for free ones, writes them
into the connection file and starts the kernel, which binds them a moment later. The system
hands out the same range of ports to every outgoing connection on the machine, so whatever
connects in that moment (another kernel's client, a browser, a download) can take one of them.
The kernel then cannot start (``ZMQError: Address already in use``) and its client waits a
minute for an answer that never comes. The more kernels start side by side, the likelier it
gets: ``cnn-course grade --jobs N`` and the test suite start hundreds.

A Unix socket is a file: in a folder that only this process names, no other program can take
it. :class:`UnixSocketProvisioner` gives each kernel its own socket paths there before its
connection file is written.

jupyter_client's own setting (``KernelManager.transport = "ipc"``) is not enough on its own, which
is why this module exists (checked with jupyter_client 8.10): a manager without a connection
file, as nbclient and nbgrader create them, names every kernel's sockets ``kernel-ipc-1`` to
``-5`` in the kernel's working folder (a student's submission folder, when grading) and picks the
numbers by looking for files that do not exist yet, so kernels started together in one folder
race for the same paths as TCP kernels race for ports.

Where ZeroMQ has no Unix sockets (Windows), where the path would be too long for one, or where
the kernel's address was set by hand, kernels keep TCP.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.localinterfaces import localhost
from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner

#: The longest socket path the systems take: 108 bytes on Linux and 104 on macOS, with a NUL.
LONGEST_SOCKET_PATH = 103
#: What jupyter_client appends to a kernel's address for each of its five sockets ("-1" .. "-5").
SOCKET_SUFFIX = "-5"
#: The addresses a kernel manager has when nobody set one: this machine, over TCP.
LOOPBACK_ADDRESSES = {"", "localhost", "127.0.0.1", "::1"}

_folder: tuple[int, Path] | None = None  # (the process that made it, the folder)
_numbers = itertools.count(1)


def socket_folder() -> Path:
    """This process's folder for kernel sockets, made on first use and removed when it ends.

    A process forked from this one (a grading worker) makes its own: the parent removes its
    folder when the parent ends, whatever its children still use. So does a process whose
    folder has gone (a temporary folder it was made in, cleaned up)."""
    global _folder
    if _folder is None or _folder[0] != os.getpid() or not _folder[1].is_dir():
        _folder = (os.getpid(), Path(tempfile.mkdtemp(prefix="cnn-course-kernels-")))
        atexit.register(_remove_folder, *_folder)
    return _folder[1]


def _remove_folder(owner: int, folder: Path) -> None:
    if os.getpid() == owner:  # not in a forked child, which inherits the parent's exit handlers
        shutil.rmtree(folder, ignore_errors=True)


def private_address() -> str | None:
    """A new address for one kernel's Unix sockets, or None where kernels must keep TCP."""
    if os.name != "posix" or not zmq.has("ipc"):
        return None
    address = str(socket_folder() / f"kernel-{next(_numbers)}")
    if len(os.fsencode(address + SOCKET_SUFFIX)) > LONGEST_SOCKET_PATH:  # a very long TMPDIR
        return None
    return address


def use_unix_sockets(manager: Any) -> bool:
    """Move a kernel manager that would use TCP on this machine to Unix sockets of its own.

    Only a manager that would listen on this machine's loopback address on ports jupyter_client
    picks: not one set to another address or to ports of its own, and not again on a restart
    (the first start chose its ports). Returns whether it moved."""
    configured_ports = any(
        getattr(manager, name, 0) for name in ("shell_port", "iopub_port", "stdin_port", "hb_port", "control_port")
    )
    loopback = manager.ip in LOOPBACK_ADDRESSES or manager.ip == localhost()  # localhost(): what jupyter_client picks
    if manager.transport != "tcp" or not loopback or configured_ports:
        return False
    address = private_address()
    if address is None:
        return False
    manager.transport = "ipc"
    manager.ip = address
    # Port caching picks TCP ports; it must be off before jupyter_client reads it.
    manager.cache_ports = False
    return True


class UnixSocketProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel's sockets moved to a private folder
    (see :func:`use_unix_sockets`) before the connection file is written."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        if self.parent is not None:
            use_unix_sockets(self.parent)
        return await super().pre_launch(**kwargs)


@contextlib.contextmanager
def started_by(provisioner: type[LocalProvisioner]) -> Iterator[None]:
    """Within this block, the kernels that jupyter_client starts in this process (those whose
    kernel spec names no provisioner of its own) are started by ``provisioner``."""
    factory = KernelProvisionerFactory.instance()
    name = f"cnn-course-{provisioner.__name__}"
    factory.provisioners[name] = EntryPoint(
        name, f"{provisioner.__module__}:{provisioner.__qualname__}", KernelProvisionerFactory.GROUP_NAME
    )
    saved = factory.default_provisioner_name
    factory.default_provisioner_name = name
    try:
        yield
    finally:
        factory.default_provisioner_name = saved


def unix_socket_kernels() -> contextlib.AbstractContextManager[None]:
    """Within this block, kernels started in this process talk over private Unix sockets where
    they can, and start as usual otherwise (:func:`cnn_course.kernels.warm_kernels.warm_kernels`
    does this too, and starts them warm)."""
    return started_by(UnixSocketProvisioner)
