"""What every solver returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class Status(str, enum.Enum):
    """Outcome of a run; anything but OK is reported, never written as a result."""

    OK = "ok"
    NOT_CONVERGED = "not_converged"  # iteration budget spent above tolerance: result usable
    DIVERGED = "diverged"            # NaN/inf or blow-up: no result
    TIME_LIMIT = "time_limit"        # max_seconds reached
    FAILED = "failed"                # an exception
    NOT_APPLICABLE = "not_applicable"  # the solver does not support the problem


FINISHED = (Status.OK.value, Status.NOT_CONVERGED.value, Status.TIME_LIMIT.value,
            Status.NOT_APPLICABLE.value)
"""Statuses a rerun keeps; the others (failed, diverged) are retried. A run that reached its
``max_seconds`` is finished: its result (and history) up to the limit is what was asked for."""


@dataclass
class Result:
    """An approximate solution and how it was obtained.

    Attributes
    ----------
    solver : the solver kind ("fem", "grid", ...).
    u : x (n, d) NumPy -> (n,) NumPy, the approximate solution at arbitrary points.
    grad : x (n, d) -> (n, d), its gradient (None if the method cannot provide one).
    dofs : unknowns solved for (classical) or trainable parameters (networks).
    seconds : wall time of the solve or training, setup included, evaluation excluded.
    history : one dict per recorded iteration/step (e.g. step, loss, l2_rel, ...).
    info : anything else worth recording (iterations, residuals, threads, ...).
    status : a Status; NOT_CONVERGED results are still evaluated.
    """

    solver: str
    u: Callable[[np.ndarray], np.ndarray]
    dofs: int
    seconds: float
    grad: Callable[[np.ndarray], np.ndarray] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    status: Status = Status.OK
    message: str = ""
