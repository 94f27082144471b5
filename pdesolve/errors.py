"""Exceptions that carry a message meant for the user, not a traceback."""


class PdesolveError(Exception):
    """Base class of every error pdesolve raises on purpose."""


class ConfigError(PdesolveError, ValueError):
    """A user input (case file, option, parameter) is invalid.

    The message names the field and what is allowed; the CLI prints it as one
    sentence and exits non-zero.
    """


class SolverFailed(PdesolveError, RuntimeError):
    """A solve stopped without a usable result (divergence, time limit, ...)."""

    def __init__(self, message: str, status: str = "failed", info: dict | None = None):
        super().__init__(message)
        self.status = status
        self.info = info or {}
