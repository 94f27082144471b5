"""Weighted Jacobi, frequency by frequency (``kind = "jacobi"``).

The system is the grid solver's, A u = f - A g (:mod:`pdesolve.grid.sweeps`, n interior
points per direction), or with ``system = "fem"`` (d <= 3) the P1 finite-element system on
Kuhn simplices whose vertices are the same grid nodes; on any other 2-D/3-D domain the P1
system of its mesh (:mod:`.jacobi_fem`, ``system = "fem"`` only). One sweep is

    u <- (1 - omega) u + omega D^{-1} (f + (D - A) u).

In 1-D with kappa = 1, A = tridiag(-1, 2, -1) / h^2 and the sine mode sin(i k pi / (n + 1))
of the error is multiplied per sweep by 1 - omega (1 - cos(k pi / (n + 1))): high modes
converge first, the inverse of the frequency principle of networks.

The iterate starts from u = 0 inside (g on the boundary), or from another solver's solution
at the nodes (``initial``, a solver table: the network-then-Jacobi hybrid of arXiv 1901.06523).

Every ``record_every`` sweeps the history gets, against the reference (the exact solution
at the nodes, or the discrete solution A^{-1} b): ``seconds`` (solve time so far, recording
excluded), ``l2_rel`` (relative l2 error over the nodes), ``max_err`` (largest error at a
node), ``residual`` (||b - A u|| / ||b||) and ``freq_err``: in 1-D Delta_F(k) at the peak
frequencies of the reference's DFT (:func:`pdesolve.spectral.dft_errors`), plus ``mode_err``
and ``mode_amp`` for the sine modes in ``modes``; for d > 1 on a box the error by radial band of
the d-D sine transform. On a mesh the errors are over its vertices, without spectra.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .. import spectral
from ..config import opt
from ..errors import ConfigError, SolverFailed
from ..grid.sweeps import GridSystem
from ..problems.base import Problem
from ..result import Result, Status
from .grid import check_size, linear_system, make_grid
from .jacobi_fem import BoxFemSystem, MeshFemSystem

log = logging.getLogger(__name__)

FAMILY = "classical"
DOFS = "unknowns (interior grid nodes, or interior mesh vertices)"


@dataclass
class Options:
    n: int = opt(999, help="interior grid points per direction (999: the paper's 1001 points)",
                 min=2)
    omega: float = opt(1.0, help="weight: 1 plain Jacobi, 2/3 the usual smoother", min=1e-6,
                       max=1.0)
    sweeps: int = opt(10000, help="most sweeps", min=1)
    tol: float | None = opt(None, help="stop when ||b - A u|| <= tol ||b|| (checked when "
                                       "recording); none: no such stop", min=0.0)
    max_err_tol: float | None = opt(None, help="stop when the largest error at a node is <= "
                                               "this (checked when recording); none: no such "
                                               "stop", min=0.0)
    record_every: int = opt(100, help="record errors every this many sweeps", min=1)
    reference: Literal["exact", "discrete"] = opt(
        "exact", help="errors against the exact solution at the nodes or the discrete solution")
    peaks: int | None = opt(None, help="1-D: track the largest DFT peaks of the reference "
                                       "(none: all peaks)", min=1)
    modes: list[int] = opt([], help="1-D: sine modes k (1..n) whose coefficient errors and "
                                    "amplitudes in the error to track")
    bands: int = opt(8, help="d > 1: radial frequency bands", min=1)
    max_seconds: float | None = opt(None, help="wall-clock limit", min=0.0)
    system: Literal["grid", "fem"] = opt(
        "grid", help="the finite-difference system, or P1 FEM on n + 1 cells per direction "
                     "(d <= 3; the only system on domains other than boxes)")
    initial: Literal["zero"] | dict = opt(
        "zero", help="the start: zero (u = 0 inside, g on the boundary), or a solver table "
                     "(kind and options) whose solution at the grid nodes is the start; its "
                     "time is part of the run's")


def supports(problem: Problem) -> str | None:
    """The linear problems (p = 2), on any box or any 2-D/3-D domain."""
    if not problem.domain.structured and problem.dim not in (2, 3):
        return (f"Jacobi on a {problem.domain.kind} iterates on its P1 mesh system, meshed in "
                f"2-D and 3-D; the problem has d = {problem.dim}")
    if problem.p != 2:
        return f"Jacobi iterates on the linear system: needs p = 2, got p = {problem.p}"
    if problem.beyond_dirichlet and problem.dim not in (2, 3):
        return (f"Jacobi with {problem.beyond_dirichlet} iterates on a P1 mesh system, meshed in "
                f"2-D and 3-D; the problem has d = {problem.dim}")
    return None


BYTES_PER_UNKNOWN = 100
"""Peak memory per unknown of the grid system (a few arrays of n^d floats)."""


def check(problem: Problem, options: Options) -> None:
    """ConfigError for options the problem rules out, or a grid too large for this machine."""
    check_size(problem.dim, options.n, BYTES_PER_UNKNOWN)
    if not problem.domain.structured and options.system == "grid":
        raise ConfigError(f"system: 'grid' needs a box; the problem's domain is a "
                          f"{problem.domain.kind}; use system = \"fem\" (its mesh's P1 system)")
    if problem.beyond_dirichlet and options.system == "grid":
        raise ConfigError(f"system: 'grid' poses u = g on the whole boundary; the problem has "
                          f"{problem.beyond_dirichlet}; use system = \"fem\" (a mesh's P1 system)")
    if options.system == "fem" and problem.dim > 3:
        raise ConfigError(f"system: 'fem' needs d <= 3, the problem has d = {problem.dim}; "
                          f"use system = \"grid\"")
    if options.reference == "exact" and not problem.has_exact:
        raise ConfigError(f"reference: problem {problem.name!r} has no exact solution; "
                          f"use reference = \"discrete\"")
    if options.modes and problem.dim > 1:
        raise ConfigError("modes: sine modes are tracked in 1-D only; use bands for d > 1")
    bad = [k for k in options.modes if not 1 <= k <= options.n]
    if bad:
        raise ConfigError(f"modes: {bad[0]} is outside 1..{options.n} (1..n)")
    if isinstance(options.initial, dict):
        _initial_solver(problem, options.initial)


def _initial_solver(problem: Problem, table: dict):
    """(module, options) of the ``initial`` solver table, validated against the problem."""
    from . import configure

    table = dict(table)
    kind = table.pop("kind", None)
    if not isinstance(kind, str):
        raise ConfigError("initial: a solver table needs kind = \"...\" (a solver kind)")
    return configure(problem, kind, table, where="initial")


class _Recorder:
    """Errors of an iterate against the reference (arrays in the system's layout), as one
    history entry; DFT spectra when the nodes are a box's grid."""

    def __init__(self, system, reference: np.ndarray, options: Options, spectra: bool):
        self.inside, self.ref, self.options = system.interior, reference, options
        self.dim = reference.ndim if spectra else 0
        self.ref_norm = float(np.linalg.norm(reference[self.inside]))
        self.peaks = (spectral.peak_frequencies(reference, options.peaks) if self.dim == 1
                      else np.array([], dtype=int))
        self.seconds = 0.0

    def __call__(self, sweep: int, seconds: float, values: np.ndarray, residual: float) -> dict:
        start = time.perf_counter()
        error = float(np.linalg.norm(values[self.inside] - self.ref[self.inside]))
        entry = {"step": sweep, "seconds": seconds, "l2_rel": error / self.ref_norm,
                 "max_err": float(np.max(np.abs(values - self.ref))), "residual": residual}
        if self.dim == 1:
            errs = spectral.dft_errors(values, self.ref, self.peaks)
            entry["freq_err"] = dict(zip(spectral.mode_labels(self.peaks), errs.tolist()))
            if self.options.modes:
                labels = spectral.mode_labels(self.options.modes)
                errs = spectral.sine_mode_errors(values, self.ref, self.options.modes)
                amps = spectral.sine_mode_amplitudes(values, self.ref, self.options.modes)
                entry["mode_err"] = dict(zip(labels, errs.tolist()))
                entry["mode_amp"] = dict(zip(labels, amps.tolist()))
        elif self.dim > 1:
            edges, errs = spectral.radial_band_errors(values, self.ref, self.options.bands)
            entry["freq_err"] = dict(zip(spectral.band_labels(edges), errs.tolist()))
        self.seconds += time.perf_counter() - start
        return entry


def _start(problem: Problem, system, table: dict) -> tuple[np.ndarray, dict]:
    """The ``initial`` solver's solution at the system's nodes, and what to record of it:
    kind, DOFs, seconds (its solve and the evaluation at the nodes), status, history."""
    module, opts = _initial_solver(problem, table)
    result = module.solve(problem, opts, progress=False)
    tic = time.perf_counter()
    values = system.sample(result.u)
    seconds = result.seconds + time.perf_counter() - tic
    return values, {"kind": table["kind"], "dofs": int(result.dofs), "seconds": seconds,
                    "status": Status(result.status).value, "history": result.history}


def _converged(entry: dict, options: Options) -> bool:
    return ((options.tol is not None and entry["residual"] <= options.tol)
            or (options.max_err_tol is not None and entry["max_err"] <= options.max_err_tol))


def _system(problem: Problem, options: Options):
    """The system to iterate on: the grid's, the box's P1 one, or the domain mesh's P1 one."""
    if not problem.domain.structured or problem.beyond_dirichlet:
        return MeshFemSystem(problem, options.n, options.omega)
    grid = make_grid(problem, options.n)
    if options.system == "fem":
        return BoxFemSystem(problem, grid, options.omega)
    return GridSystem(grid, *linear_system(problem, grid), options.omega,
                      problem.constant_kappa)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Run weighted Jacobi from ``options.initial``, recording as it goes.

    ``seconds`` is the solve time: the system's set-up, the initial solver's (with its
    evaluation at the nodes) and the sweeps; the reference and the recording are not counted.
    """
    start = time.perf_counter()
    try:
        check(problem, options)
    except ConfigError as exc:
        raise exc.prefixed("solver 'jacobi'.") from None
    tic = time.perf_counter()
    system = _system(problem, options)
    elapsed = time.perf_counter() - tic
    initial, info = None, {}
    if isinstance(options.initial, dict):
        initial, info["initial"] = _start(problem, system, options.initial)
        elapsed += info["initial"]["seconds"]
        system.start(initial)
    reference = (system.sample(problem.exact) if options.reference == "exact"
                 else system.discrete_solution())
    record = _Recorder(system, reference, options, spectra=not isinstance(system, MeshFemSystem))
    history = [record(0, elapsed, system.nodal(), system.residual())]
    if initial is not None:
        info["initial"]["max_err"] = float(np.max(np.abs(initial - reference)))
    done = 0
    status = Status.OK if options.tol is None and options.max_err_tol is None \
        else Status.NOT_CONVERGED
    stopped = _converged(history[0], options)
    while done < options.sweeps and not stopped:
        batch = min(options.record_every, options.sweeps - done)
        tic = time.perf_counter()
        system.sweep(batch)
        elapsed += time.perf_counter() - tic
        done += batch
        history.append(record(done, elapsed, system.nodal(), system.residual()))
        if not np.isfinite(history[-1]["residual"]):
            raise SolverFailed(f"Jacobi diverged after {done} sweeps", status="diverged",
                               info={"sweeps": done, "dofs": system.unknowns,
                                     "history": history})
        stopped = _converged(history[-1], options)
        if not stopped and options.max_seconds is not None \
                and time.perf_counter() - start > options.max_seconds:
            status = Status.TIME_LIMIT
            break
    if stopped:
        status = Status.OK
    log.info("jacobi (%s) n=%d d=%d omega=%g: %d sweeps in %.3f s, residual %.3e",
             options.system, options.n, problem.dim, options.omega, done, elapsed,
             history[-1]["residual"])
    info.update(sweeps=done, omega=options.omega, n=options.n, unknowns=system.unknowns,
                system="fem (mesh)" if isinstance(system, MeshFemSystem) else options.system,
                peaks=record.peaks.tolist(), reference=options.reference,
                record_seconds=record.seconds)
    if isinstance(system, MeshFemSystem):
        info["cells"] = system.cells
    message = {Status.OK: "", Status.NOT_CONVERGED: f"tolerance not reached in {done} sweeps",
               Status.TIME_LIMIT: f"max_seconds reached after {done} sweeps"}[status]
    u, grad = system.functions()
    return Result(solver="jacobi", u=u, grad=grad, dofs=system.unknowns, seconds=elapsed,
                  history=history, info=info, status=status, message=message)
