"""Run code that may crash or hang natively (gmsh, a user's module) in a forked child.

:func:`run_isolated` calls a function in a child process forked from this one (it shares
what this process imported, at the cost of a fork, not of an interpreter) and returns its
result, or raises :class:`Crashed` naming the cause: the child died of a signal (a
segmentation fault, ``os.abort()``), exited, or ran past its time limit and was killed.
Ctrl-C in this process kills the child too. An exception in the child is raised again here.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time

from .errors import PdesolveError


class Crashed(PdesolveError, RuntimeError):
    """Isolated code did not return: it crashed, exited or ran past its time limit."""


def _child(write: int, fn, args) -> None:
    """In the child: send ("ok", result) or ("raise", exception) down the pipe, then exit."""
    try:
        try:
            outcome = ("ok", fn(*args))
        except Exception as exc:
            outcome = ("raise", exc)
        except BaseException as exc:  # noqa: B036 - sys.exit() in a user's module
            outcome = ("exit", f"raised {type(exc).__name__}({exc})")
        try:
            data = pickle.dumps(outcome)
        except Exception as exc:  # an exception or result that cannot be pickled
            data = pickle.dumps(("exit", f"returned what cannot be sent back ({exc})"))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def _read_until(read: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe, or None at the deadline."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read], [], [], left)[0]:
            return None
        chunk = os.read(read, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _cause(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"crashed ({name})"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def run_isolated(fn, *args, seconds: float, what: str):
    """``fn(*args)`` computed in a forked child process, within ``seconds``.

    Raises :class:`Crashed` ("<what> crashed (SIGSEGV)", "... did not finish within N s",
    "... raised SystemExit(3)") when the child returns nothing, and the child's own exception
    when ``fn`` raised one.
    """
    if not hasattr(os, "fork"):  # no fork (Windows): run here, unprotected
        return fn(*args)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _child(write, fn, args)
    os.close(write)
    data = None
    try:
        data = _read_until(read, time.monotonic() + seconds)
    finally:
        os.close(read)
        if data is None:  # past the limit, or interrupted: the child goes too
            os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
    if data is None:
        raise Crashed(f"{what} did not finish within {seconds:g} s (killed)")
    if not data:
        raise Crashed(f"{what} {_cause(status)}")
    kind, value = pickle.loads(data)
    if kind == "raise":
        raise value
    if kind == "exit":
        raise Crashed(f"{what} {value}")
    return value
