"""Warm notebook kernels: start each kernel from a process that has already imported
TensorFlow, instead of a fresh Python that imports it again.

Importing TensorFlow, Keras, scikit-learn and matplotlib takes most of a chapter's first
cell (about 8 s on a 2-core machine), and grading a class or running every chapter starts a
kernel per notebook. Within :func:`warm_kernels`, jupyter_client starts Python kernels
through :class:`WarmKernelProvisioner`: a fork server (:mod:`cnn_course.kernels.forkserver`)
imports the libraries once, and each kernel is a fork of it that then becomes the process
``python -m ipykernel_launcher`` would have been, with the kernel's own environment, folder,
standard streams and process group (docs/benchmarks.md has the times).

Whatever cannot be started warm is started the usual way, so the switch never changes what
runs: on systems without ``fork`` (or where forking after these imports is unsafe, macOS),
for another kernel than Python's, for a folder with its own ``matplotlibrc`` (read at import),
when the libraries fail to import, or with ``CNN_COURSE_WARM_KERNELS=0``. Kernels share a
fork server only when their environments agree on every variable a library could read while
it is imported; only the course's own, nbgrader's, Jupyter's per-kernel ones and pytest's
name of the running test may differ.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cnn_course.kernels.kernel_sockets import UnixSocketProvisioner, started_by

SWITCH_VARIABLE = "CNN_COURSE_WARM_KERNELS"
SERVER_FILE = Path(__file__).with_name("forkserver.py")
#: What the course's chapters import (directly or through the course package) that is slow to import.
COURSE_LIBRARIES = ("numpy", "tensorflow", "keras", "sklearn", "pandas", "matplotlib.pyplot", "PIL.Image")
#: What every Python kernel imports before it runs a cell.
KERNEL_LIBRARIES = ("ipykernel.kernelapp",)
#: Variables read after the fork, never while a library is imported, or by no library at all
#: (pytest's name of the running test); kernels may differ in them.
PER_KERNEL_PREFIXES = ("CNN_COURSE_", "NBGRADER_", "JPY_", "PYTEST_CURRENT_TEST")
READY_TIMEOUT = 180.0  # seconds for the server's imports, on a slow machine with a cold disk
KERNEL_MODULE = "ipykernel_launcher"


def available() -> bool:
    """Whether kernels can be started warm here at all."""
    if os.environ.get(SWITCH_VARIABLE, "1").strip().lower() in {"0", "false", "no", "off"}:
        return False
    # Linux only: macOS forbids much of its system frameworks after fork, Windows has no fork.
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


def environment_key(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in env.items() if not k.startswith(PER_KERNEL_PREFIXES)))


class ServerUnavailable(Exception):
    """The fork server could not start (its imports failed or it died); start kernels cold."""


class ForkServer:
    """One running fork server: a child process of this one, and the socket to it."""

    def __init__(self, python: str, env: Mapping[str, str], cwd: str, modules: Sequence[str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        self.lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                [python, "-P", str(SERVER_FILE), str(theirs.fileno()), *modules],
                env=dict(env),
                cwd=cwd,
                pass_fds=[theirs.fileno()],
                # Its own output is the libraries' import notes, which kernels started cold print
                # too and grading filters out; the caller's streams it must not hold open (a
                # reader waiting for their end would wait for this server). Each kernel gets
                # the caller's streams of its moment instead.
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C meant for the instructor's command is not its business
            )
        finally:
            theirs.close()
        ours.settimeout(READY_TIMEOUT)
        try:
            answer = ours.recv(4096).decode()
        except (TimeoutError, OSError) as problem:
            answer = f"failed: no answer ({problem})"
        ours.settimeout(None)
        if answer != "ready":
            self.close()
            raise ServerUnavailable(answer or "failed: it exited while importing")

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: str, stdio: Sequence[int]) -> ForkedKernel:
        """Fork a kernel that runs ``python -m ipykernel_launcher`` with ``argv`` after it."""
        mine, its = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        request = {"module": KERNEL_MODULE, "argv": [KERNEL_MODULE, *argv], "env": dict(env), "cwd": cwd}
        try:
            with self.lock:
                socket.send_fds(self.control, [json.dumps(request).encode()], [its.fileno(), *stdio])
        except OSError as problem:
            mine.close()
            raise ServerUnavailable(f"failed: the server stopped listening ({problem})") from problem
        finally:
            its.close()
        mine.settimeout(30)
        try:
            answer = mine.recv(64).decode()
        except (TimeoutError, OSError):
            answer = ""
        if not answer.startswith("pid "):
            mine.close()
            raise ServerUnavailable("failed: no kernel came back from the server")
        return ForkedKernel(int(answer.split()[1]), mine)

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.control.close()  # the server stops when its end reads nothing
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ForkedKernel:
    """A kernel forked by the server, looked after as :class:`subprocess.Popen` would be:
    the server is its parent and says on ``status`` when it has ended."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, status: socket.socket) -> None:
        self.pid = pid
        self.status = status
        self.returncode: int | None = None
        status.setblocking(False)

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            message = self.status.recv(64).decode()
        except BlockingIOError:
            return None
        except OSError:
            message = ""
        if message.startswith("exit "):
            self.returncode = int(message.split()[1])
        else:  # the server went away before its kernel: look at the process itself
            try:
                os.kill(self.pid, 0)
                return None
            except ProcessLookupError:
                self.returncode = -1
        self.status.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(KERNEL_MODULE, timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ServerPool:
    """The fork servers of this process, one per (Python, environment, libraries), kept until
    the process ends so that the next run or grading batch with the same environment starts
    warm too; only the two most recently used stay, as each holds about 700 MB (the course's
    libraries, measured on Linux), most of it shared with its kernels until they change it."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.servers: dict[tuple, ForkServer] = {}  # least recently used first
        self.refused: set[tuple] = set()
        self.lock = threading.Lock()
        atexit.register(self.close)

    def server(self, python: str, env: Mapping[str, str], cwd: str, modules: Sequence[str]) -> ForkServer | None:
        key = (python, tuple(modules), environment_key(env))
        with self.lock:
            if key in self.refused:
                return None
            server = self.servers.pop(key, None)
            if server is not None and not server.alive():
                server.close()
                server = None
            if server is None:
                while len(self.servers) >= self.size:
                    self.servers.pop(next(iter(self.servers))).close()
                try:
                    server = ForkServer(python, env, cwd, modules)
                except ServerUnavailable as problem:
                    self.refused.add(key)
                    warnings.warn(f"kernels start cold: the fork server {problem}", RuntimeWarning, stacklevel=2)
                    return None
            self.servers[key] = server
            return server

    def close(self) -> None:
        with self.lock:
            for server in self.servers.values():
                server.close()
            self.servers.clear()
            self.refused.clear()


_pool = ServerPool()
_libraries: tuple[str, ...] = ()


class WarmKernelProvisioner(UnixSocketProvisioner):
    """jupyter_client's local provisioner, except that a Python kernel is forked from a warm
    server when it can be and talks over private Unix sockets (:mod:`.kernel_sockets`);
    everything after the launch (signals, waiting) is the local provisioner's own, acting on
    a :class:`ForkedKernel` instead of a Popen."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        forked = self._launch_warm(cmd, kwargs)
        if forked is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = forked
        self.pid = self.pgid = forked.pid  # the child made itself a process group leader
        self.cwd = kwargs.get("cwd") or os.getcwd()
        return self.connection_info

    def _launch_warm(self, cmd: list[str], kwargs: dict[str, Any]) -> ForkedKernel | None:
        if not available() or len(cmd) < 3 or cmd[1:3] != ["-m", KERNEL_MODULE]:
            return None
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        if (Path(cwd) / "matplotlibrc").exists():
            return None
        # The kernel's output goes where a Popen'd kernel's would; its stdin is closed either way.
        stdout, stderr = _descriptor(kwargs.get("stdout"), 1), _descriptor(kwargs.get("stderr"), 2)
        if stdout is None or stderr is None:
            return None
        server = _pool.server(cmd[0], env, cwd, (*_libraries, *KERNEL_LIBRARIES))
        if server is None:
            return None
        argv = cmd[3:]
        if not kwargs.get("independent"):
            # What jupyter_client's launcher sets to the client's pid. A kernel ends when the
            # process it watches goes, if that process is its parent: for a fork that is the
            # server, which ends with this process. ipykernel read JPY_PARENT_PID in the server,
            # before the fork; the command line comes after it. (Told this process's pid, it
            # would only notice being orphaned to pid 1, which never happens under a sub-reaper
            # such as a container's init or systemd.)
            env["JPY_PARENT_PID"] = str(server.process.pid)
            argv = [*argv, f"--IPKernelApp.parent_handle={server.process.pid}"]
        with open(os.devnull, "rb") as nothing:
            try:
                return server.start(argv, env, cwd, [nothing.fileno(), stdout, stderr])
            except ServerUnavailable:
                return None


def _descriptor(stream: Any, default: int | None) -> int | None:
    """The file descriptor a Popen argument stands for; None for a pipe we would have to read."""
    if stream is None:
        return default
    if isinstance(stream, int):
        return stream if stream >= 0 else None  # subprocess.PIPE and DEVNULL are negative
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def libraries_for(notebooks: Iterable[Mapping]) -> tuple[str, ...]:
    """What is worth importing ahead for kernels that run ``notebooks``: the slow libraries
    their code cells import, all of them when a cell imports the course's package."""
    names: set[str] = set()
    for notebook in notebooks:
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") == "code":
                names |= _imported(cell.get("source", ""))
    if "cnn_course" in names:
        return COURSE_LIBRARIES
    return tuple(library for library in COURSE_LIBRARIES if library.split(".")[0] in names)


def _imported(source: str | list[str]) -> set[str]:
    text = "".join(source) if isinstance(source, list) else source
    # IPython's magics and shell lines are not Python; they import nothing worth knowing here.
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@contextlib.contextmanager
def warm_kernels(libraries: Sequence[str] = COURSE_LIBRARIES) -> Iterator[None]:
    """Within this block, Python kernels that jupyter_client starts in this process come warm
    from a fork server that has imported ``libraries`` (see :func:`libraries_for`); the
    servers stay for the next block until this process ends. Every kernel started in the block,
    warm or cold, talks over Unix sockets where it can (see :mod:`.kernel_sockets`)."""
    global _libraries
    saved = _libraries
    _libraries = tuple(libraries)
    try:
        with started_by(WarmKernelProvisioner):
            yield
    finally:
        _libraries = saved
