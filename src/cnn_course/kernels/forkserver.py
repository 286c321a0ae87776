"""A fork server for notebook kernels: import the heavy libraries once, then fork a kernel
per request (see :mod:`cnn_course.kernels.warm_kernels`, which starts and talks to it).

Run as a script, never imported: ``python -P forkserver.py CONTROL_FD MODULE...`` (``-P``:
this folder's modules must not shadow a library while it is imported). It imports
nothing of the course, because the course reads its settings from the environment and each
kernel's environment is only applied after the fork. It uses only the standard library
before the modules it is asked to import.

Protocol on the control socket (AF_UNIX, SOCK_SEQPACKET, one message per request):
the server says ``ready`` (or ``failed: why``) once its imports are done; each request is a
JSON object ``{"module", "argv", "env", "cwd"}`` with four descriptors attached: a socket for this
kernel's status, then the kernel's stdin, stdout and stderr. The server forks, answers the
kernel's pid on the status socket, and later ``exit CODE`` when the kernel has ended.
Closing the control socket (the client exiting) stops the server.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import random
import runpy
import selectors
import socket
import sys
import traceback

MESSAGE_SIZE = 1 << 20  # an environment of a few hundred variables fits many times over


def run_kernel(request: dict, stdio: list[int]) -> None:
    """In the forked child: become the process ``python -m ipykernel_launcher ...`` would
    have started, as far as Python can tell, and never return to the server's loop."""
    code = 1
    try:
        os.setsid()  # its own process group, as the client's Popen would give it
        for target, descriptor in zip((0, 1, 2), stdio):
            os.dup2(descriptor, target)
            os.close(descriptor)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # Fresh random state: a forked child would otherwise share the server's with every
        # other kernel, which a new interpreter never does.
        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        sys.argv = list(request["argv"])
        sys.path.insert(0, request["cwd"])  # what 'python -m' puts first; the launcher takes it out
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # what interpreter exit would run: history, temp files
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def reap(children: dict[int, socket.socket]) -> None:
    """Reap every kernel that has ended and tell its client how it ended."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        answer = children.pop(pid, None)
        if answer is None:
            continue
        try:
            answer.send(f"exit {os.waitstatus_to_exitcode(status)}".encode())
        except OSError:
            pass  # the client has stopped listening
        answer.close()


def start_kernel(control: socket.socket, selector, children: dict[int, socket.socket], message, descriptors) -> None:
    """Fork one kernel for a request (its answer socket and its stdin, stdout and stderr)."""
    answer = socket.socket(fileno=descriptors[0])
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        selector.close()
        control.close()
        for other in children.values():
            other.close()
        answer.close()
        run_kernel(request, descriptors[1:])
    for descriptor in descriptors[1:]:
        os.close(descriptor)
    try:
        answer.send(f"pid {pid}".encode())
        children[pid] = answer
    except OSError:
        answer.close()


def serve(control: socket.socket) -> None:
    children: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    while True:
        ready = selector.select(timeout=0.1)
        reap(children)
        if not ready:
            continue
        message, descriptors, _, _ = socket.recv_fds(control, MESSAGE_SIZE, 4)
        if not message:
            return  # the client closed its end: it is done, or gone
        if len(descriptors) != 4:
            for descriptor in descriptors:
                os.close(descriptor)
            continue
        start_kernel(control, selector, children, message, descriptors)


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    # The one setting ipykernel makes before any cell runs that a library reads at import:
    # matplotlib takes its backend from here when it is imported, which is now.
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        for name in sys.argv[2:]:
            importlib.import_module(name)
    except BaseException as problem:
        control.send(f"failed: importing {name}: {type(problem).__name__}: {problem}".encode())
        return
    control.send(b"ready")
    serve(control)


if __name__ == "__main__":
    main()
