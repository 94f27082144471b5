"""Reference solutions for problems without an exact solution.

Errors of a problem given only by f and g are measured against a fine solve:
P2 finite elements for d <= 3, the finite-difference grid solver in any d. The
solve runs once per problem; its solution (the solver's own evaluator, pickled)
is cached on disk under a hash of the problem's description and the reference
settings, so later runs, processes and sessions load it instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from .problems.base import Problem
from .result import Status
from .solvers import solve

log = logging.getLogger(__name__)

FEM_N = {1: 4096, 2: 128, 3: 24}
"""Cells per direction of the P2 reference mesh, by dimension (d <= 3)."""

GRID_UNKNOWNS = 1_000_000
"""Unknowns of the grid reference for d > 3 (points per direction: the d-th root)."""

Evaluator = Callable[[np.ndarray], np.ndarray]

_loaded: dict[str, tuple[Evaluator, Evaluator]] = {}


def reference_settings(problem: Problem) -> tuple[str, dict]:
    """The solver kind and options of the default reference for ``problem``.

    d <= 3: FEM, P2 on a simplex mesh with :data:`FEM_N` cells per direction
    (error O(h^3) in L2). d > 3: the grid solver with about :data:`GRID_UNKNOWNS`
    unknowns (O(h^2)); its accuracy bounds the errors that can be measured.
    """
    if problem.dim <= 3:
        return "fem", {"element": "P2", "n": FEM_N[problem.dim]}
    return "grid", {"n": max(4, int(round(GRID_UNKNOWNS ** (1 / problem.dim))) + 1)}


def reference_key(problem: Problem, kind: str, options: dict) -> str:
    """16 hex digits of SHA-256 over the problem's description and the reference settings."""
    text = json.dumps({"problem": problem.describe(), "kind": kind, "options": options},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reference_solution(problem: Problem, cache_dir: str | Path | None = None, *,
                       kind: str | None = None,
                       options: dict | None = None) -> tuple[Evaluator, Evaluator]:
    """A fine numerical solution of ``problem``: ``(u, grad)``.

    Parameters
    ----------
    problem : any problem (its exact solution, if any, is not used).
    cache_dir : where solutions are cached (``<name>-<key>.pkl``); None keeps them in
        this process only.
    kind, options : the solver and its options; default :func:`reference_settings`.

    Returns
    -------
    u : x (n, d) -> (n,); grad : x (n, d) -> (n, d), both NumPy.

    Raises SolverFailed if the reference solve fails.
    """
    if kind is None:
        kind, default = reference_settings(problem)
        options = default if options is None else options
    options = dict(options or {})
    key = reference_key(problem, kind, options)
    if key in _loaded:
        return _loaded[key]
    path = Path(cache_dir) / f"{problem.name}-{key}.pkl" if cache_dir is not None else None
    if path is not None and path.is_file():
        with path.open("rb") as fh:
            record = pickle.load(fh)  # noqa: S301 - our own cache, written below
        log.info("reference for %s loaded from %s", problem.name, path)
    else:
        record = _solve(problem, kind, options)
        if path is not None:
            _store(record, path)
    _loaded[key] = record["u"], record["grad"]
    return _loaded[key]


def _solve(problem: Problem, kind: str, options: dict) -> dict:
    result = solve(problem, kind, **options)
    if result.status != Status.OK:
        log.warning("reference solve for %s: %s (%s)", problem.name, result.status.value,
                    result.message)
    log.info("reference for %s: %s %s, %d DOFs, %.2f s", problem.name, kind, options,
             result.dofs, result.seconds)
    return {"u": result.u, "grad": result.grad, "kind": kind, "options": options,
            "dofs": result.dofs, "seconds": result.seconds, "status": Status(result.status).value}


def _store(record: dict, path: Path) -> None:
    """Write atomically, so that a concurrent run never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(record, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        os.unlink(tmp)
        log.warning("reference for %s not cached (%s); it is kept in memory only", path.stem, exc)
