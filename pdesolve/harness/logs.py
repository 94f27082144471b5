"""Log lines and warnings of every process of a sweep go through the command's handler,
which prints them above the progress bar (one line each, never inside the bar)."""

from __future__ import annotations

import contextlib
import logging
import warnings
from logging.handlers import QueueHandler, QueueListener
from typing import Iterator

log = logging.getLogger("pdesolve")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    prefix = "" if category is UserWarning else f"{category.__name__}: "
    log.warning("%s%s", prefix, message)


def warnings_to_logging() -> None:
    """Show ``warnings.warn`` messages as one WARNING log line each (no source line)."""
    warnings.showwarning = _show_warning


def forward_to(queue) -> None:
    """In a worker process: send its WARNING-and-above records (warnings included) to
    ``queue``, for :func:`relay` in the parent to print."""
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(queue)]
    root.setLevel(logging.WARNING)
    warnings_to_logging()


class _Relay(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)


@contextlib.contextmanager
def relay(queue) -> Iterator[None]:
    """In the parent: handle the records arriving on ``queue`` as if logged here."""
    listener = QueueListener(queue, _Relay())
    listener.start()
    try:
        yield
    finally:
        listener.stop()
