"""Reference solutions for problems without an exact solution.

Errors of a problem given only by f and g are measured against a fine solve:
P2 finite elements for d <= 3, the finite-difference grid solver in any d. The
solve runs once per problem; its solution (the FEM coefficients or the grid's nodal
values, in a NumPy ``.npz`` file: no pickle) is cached on disk under a hash of the
problem's description and the reference settings, so later runs, processes and
sessions rebuild the evaluator from it instead of solving again. A cache file that
cannot be read (truncated, damaged, of another layout) is recomputed with a warning;
one process computes a reference while the others wait for it (a file lock).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from ..files import file_lock, write_bytes_atomic
from ..problems.base import Problem
from ..result import Status
from ..solvers import solve

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


def reference_key(problem: Problem, kind: str, options: dict, inputs: dict | None = None) -> str:
    """16 hex digits of SHA-256 over the problem's description, the reference settings and
    the hashes of the files the problem is read from (``inputs``, if any)."""
    content = {"problem": problem.describe(), "kind": kind, "options": options}
    text = json.dumps({**content, "inputs": inputs} if inputs else content, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reference_solution(problem: Problem, cache_dir: str | Path | None = None, *,
                       kind: str | None = None, options: dict | None = None,
                       inputs: dict | None = None) -> tuple[Evaluator, Evaluator]:
    """A fine numerical solution of ``problem``: ``(u, grad)``.

    Parameters
    ----------
    problem : any problem (its exact solution, if any, is not used).
    cache_dir : where solutions are cached (``<name>-<key>.npz``); None keeps them in
        this process only.
    kind, options : the solver and its options; default :func:`reference_settings`.
    inputs : hashes of the files the problem is read from (a cached solution of an earlier
        version of them is not used).

    Returns
    -------
    u : x (n, d) -> (n,); grad : x (n, d) -> (n, d), both NumPy.

    Raises SolverFailed if the reference solve fails.
    """
    if kind is None:
        kind, default = reference_settings(problem)
        options = default if options is None else options
    options = dict(options or {})
    key = reference_key(problem, kind, options, inputs)
    if key not in _loaded:
        if cache_dir is None:
            _loaded[key] = _evaluators(_solve(problem, kind, options))
        else:
            path = Path(cache_dir) / f"{problem.name}-{key}.npz"
            _loaded[key] = _cached(problem, kind, options, path)
    return _loaded[key]


def _cached(problem: Problem, kind: str, options: dict, path: Path):
    """The reference from the cache file ``path``, solved and stored there if it is missing
    or unreadable; the solve happens under a lock so that concurrent runs solve once."""
    with file_lock(path.with_suffix(".lock")):
        if path.is_file():
            try:
                evaluators = _load(problem, kind, options, path)
                log.info("reference for %s loaded from %s", problem.name, path)
                return evaluators
            except Exception as exc:  # any damage: a truncated zip, a missing array, ...
                log.warning("reference cache %s is unreadable (%s: %s); recomputing it",
                            path, type(exc).__name__, exc)
        result = _solve(problem, kind, options)
        _store(result, kind, options, path)
        return _evaluators(result)


def _solve(problem: Problem, kind: str, options: dict):
    result = solve(problem, kind, **options)
    if result.status != Status.OK:
        log.warning("reference solve for %s: %s (%s)", problem.name, result.status.value,
                    result.message)
    log.info("reference for %s: %s %s, %d DOFs, %.2f s", problem.name, kind, options,
             result.dofs, result.seconds)
    return result


def _evaluators(result) -> tuple[Evaluator, Evaluator]:
    return result.u, result.grad


def _arrays(result) -> dict[str, np.ndarray] | None:
    """The arrays the solution is rebuilt from: FEM coefficients or padded grid values."""
    from ..fem.evaluate import FEMFunction, StructuredCells
    from ..fem.tensor_function import TensorFunction
    from ..grid.tensor import interpolate

    if isinstance(result.u, FEMFunction) and isinstance(result.u.cells, StructuredCells):
        return {"coefficients": result.u.coefficients}
    if isinstance(result.u, TensorFunction):
        return {"coefficients": result.u.U.ravel()}
    if isinstance(result.u, partial) and result.u.func is interpolate:
        return {"values": result.u.args[1]}
    return None


def _rebuild(problem: Problem, kind: str, options: dict, arrays) -> tuple[Evaluator, Evaluator]:
    """(u, grad) of the solution with the stored arrays, on the solver's own mesh or grid."""
    from ..config import build_options
    from ..solvers import solver_module

    opts = build_options(solver_module(kind).Options, options)
    if kind == "fem":
        from ..solvers.fem import structured_solution

        fn = structured_solution(problem, opts, arrays["coefficients"])
        return fn, fn.grad
    from ..grid.tensor import interpolate
    from ..solvers.grid import make_grid

    grid, values = make_grid(problem, opts.n), arrays["values"]
    if values.shape != grid.shape:
        raise ValueError(f"values of shape {values.shape} for a grid of shape {grid.shape}")
    return partial(interpolate, grid, values), partial(interpolate, grid, values, gradient=True)


def _load(problem: Problem, kind: str, options: dict, path: Path):
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta != {"kind": kind, "options": options}:
            raise ValueError(f"it holds {meta}, not {kind} {options}")
        arrays = {k: data[k] for k in data.files if k != "meta"}
    return _rebuild(problem, kind, options, arrays)


def _store(result, kind: str, options: dict, path: Path) -> None:
    """Write the arrays atomically: readers never see half a file."""
    arrays = _arrays(result)
    if arrays is None:
        log.warning("reference for %s not cached (%s solutions cannot be stored); it is kept "
                    "in memory only", path.stem, kind)
        return
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps({"kind": kind, "options": options})), **arrays)
    write_bytes_atomic(path, buffer.getvalue())
