"""Exceptions that carry a message meant for the user, not a traceback."""

from __future__ import annotations

import contextlib
from typing import Iterator


ECHO_CHARACTERS = 80
"""Longest user input a message repeats whole."""


def shortened(text: str, limit: int = ECHO_CHARACTERS) -> str:
    """``text``, or its start and end around '...' when longer than ``limit`` characters."""
    text = str(text)
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"


class PdesolveError(Exception):
    """Base class of every error pdesolve raises on purpose."""


class ConfigError(PdesolveError, ValueError):
    """A user input (case file, option, parameter) is invalid.

    The message names the field and what is allowed; the CLI prints it as one
    sentence and exits non-zero. ``messages`` lists one sentence per mistake
    (several when a whole case file was checked, see :class:`ErrorCollector`).
    """

    def __init__(self, message: str = "", messages: list[str] | None = None):
        self.messages = list(messages) if messages else [message]
        super().__init__("\n".join(self.messages))

    def prefixed(self, prefix: str) -> ConfigError:
        """The same error with ``prefix`` before every message (e.g. the file name)."""
        return ConfigError(messages=[prefix + m for m in self.messages])


class ErrorCollector:
    """Collects the ConfigErrors of many independent checks, to report them all at once.

    >>> errors = ErrorCollector()
    >>> with errors.check():
    ...     raise ConfigError("a: bad")
    >>> with errors.check():
    ...     raise ConfigError("b: bad")
    >>> errors.messages
    ['a: bad', 'b: bad']
    """

    def __init__(self):
        self.messages: list[str] = []

    @contextlib.contextmanager
    def check(self, prefix: str = "") -> Iterator[None]:
        """Run the block; a ConfigError it raises is recorded (with ``prefix``), not raised."""
        try:
            yield
        except ConfigError as exc:
            self.messages += [prefix + m for m in exc.messages]

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_any(self) -> None:
        """Raise one ConfigError holding every message collected so far, if any."""
        if self.messages:
            raise ConfigError(messages=list(dict.fromkeys(self.messages)))


class SolverFailed(PdesolveError, RuntimeError):
    """A solve stopped without a usable result (divergence, time limit, ...).

    ``info`` may hold ``dofs`` and ``history`` (up to the failure); the harness
    records them with the failure.
    """

    def __init__(self, message: str, status: str = "failed", info: dict | None = None):
        super().__init__(message)
        self.status = status
        self.info = info or {}
