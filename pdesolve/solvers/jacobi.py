"""Weighted Jacobi, frequency by frequency (``kind = "jacobi"``).

The system is the grid solver's, A u = f - A g (:mod:`pdesolve.grid.stencil`,
n interior points per direction), or with ``system = "fem"`` (d <= 3) the P1 finite-element
system on Kuhn simplices whose vertices are the same grid nodes. One sweep is

    u <- (1 - omega) u + omega D^{-1} (f + (D - A) u),

a few whole-array operations on the padded grid (boundary values fixed to g). In 1-D
with kappa = 1, A = tridiag(-1, 2, -1) / h^2 and the sine mode sin(i k pi / (n + 1)) of
the error is multiplied per sweep by 1 - omega (1 - cos(k pi / (n + 1))): high modes
converge first, the inverse of the frequency principle of networks.

Every ``record_every`` sweeps the history gets, against the reference (the exact solution
at the nodes, or the discrete solution A^{-1} b):
``l2_rel`` (relative l2 error over the nodes), ``residual`` (||b - A u|| / ||b||) and
``freq_err``: in 1-D Delta_F(k) at the peak frequencies of the reference's DFT
(:func:`pdesolve.spectral.dft_errors`), plus ``mode_err`` for the sine modes in
``modes``; for d > 1 the error by radial band of the d-D sine transform.
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
from ..grid import stencil
from ..grid.function import GridFunction
from ..grid.tensor import TensorGrid
from ..problems.base import Problem
from ..result import Result, Status
from .grid import Options as GridOptions
from .grid import check_size, linear_system, make_grid, solve_linear

log = logging.getLogger(__name__)


@dataclass
class Options:
    n: int = opt(999, help="interior grid points per direction (999: the paper's 1001 points)",
                 min=2)
    omega: float = opt(1.0, help="weight: 1 plain Jacobi, 2/3 the usual smoother", min=1e-6,
                       max=1.0)
    sweeps: int = opt(10000, help="most sweeps", min=1)
    tol: float | None = opt(None, help="stop when ||b - A u|| <= tol ||b|| (checked when "
                                       "recording); none: run all sweeps", min=0.0)
    record_every: int = opt(100, help="record errors every this many sweeps", min=1)
    reference: Literal["exact", "discrete"] = opt(
        "exact", help="errors against the exact solution at the nodes or the discrete solution")
    peaks: int | None = opt(None, help="1-D: track the largest DFT peaks of the reference "
                                       "(none: all peaks)", min=1)
    modes: list[int] = opt([], help="1-D: sine modes k (1..n) whose coefficient errors to track")
    bands: int = opt(8, help="d > 1: radial frequency bands", min=1)
    max_seconds: float | None = opt(None, help="wall-clock limit", min=0.0)
    system: Literal["grid", "fem"] = opt(
        "grid", help="the finite-difference system, or P1 FEM on n + 1 cells per direction "
                     "(d <= 3)")


def supports(problem: Problem) -> str | None:
    """The linear problems (p = 2) on a box in 1..10 dimensions."""
    if problem.p != 2:
        return f"Jacobi iterates on the linear system: needs p = 2, got p = {problem.p}"
    if not 1 <= problem.dim <= 10:
        return f"Jacobi on the grid needs 1 <= d <= 10, got d = {problem.dim}"
    return None


BYTES_PER_UNKNOWN = 100
"""Peak memory per unknown of the grid system (a few arrays of n^d floats)."""


def check(problem: Problem, options: Options) -> None:
    """ConfigError for options the problem rules out, or a grid too large for this machine."""
    check_size(problem.dim, options.n, BYTES_PER_UNKNOWN)
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


class JacobiSweeps:
    """Weighted Jacobi on a padded array, updated in place.

    Parameters
    ----------
    grid : the tensor grid; coeffs : edge coefficients (scalars per direction are used when
        ``constant``: kappa = 1); f : the source at the interior nodes (shape n);
    padded : the initial iterate with the Dirichlet data on the boundary (modified in place).
    """

    def __init__(self, grid: TensorGrid, coeffs: stencil.EdgeField, f: np.ndarray,
                 padded: np.ndarray, omega: float, constant: bool):
        self.grid, self.omega, self.values = grid, omega, padded
        diag = stencil.diagonal(grid, coeffs)
        scale = omega / (float(np.sum(2 / grid.h**2)) if constant else diag)
        self.source = f * scale
        self.inside = padded[grid.interior]
        self.neighbours, self.weights = [], []
        for j, c in enumerate(coeffs):
            lo, hi = list(grid.interior), list(grid.interior)
            lo[j], hi[j] = slice(None, -2), slice(2, None)
            self.neighbours.append((padded[tuple(lo)], padded[tuple(hi)]))
            if constant:
                self.weights.append(scale / grid.h[j] ** 2)
            else:
                self.weights.append(tuple(e * scale / grid.h[j] ** 2
                                          for e in stencil.edge_sides(c, j)))
        self._sum = np.empty(grid.n)
        self._term = np.empty(grid.n)

    def sweep(self, count: int = 1) -> None:
        """``count`` sweeps u <- (1 - omega) u + omega D^{-1} (f + (D - A) u)."""
        acc, term = self._sum, self._term
        for _ in range(count):
            np.copyto(acc, self.source)
            for (lo, hi), w in zip(self.neighbours, self.weights):
                if isinstance(w, tuple):
                    np.multiply(lo, w[0], out=term)
                    acc += term
                    np.multiply(hi, w[1], out=term)
                else:
                    np.add(lo, hi, out=term)
                    term *= w
                acc += term
            if self.omega != 1.0:
                self.inside *= 1.0 - self.omega
                self.inside += acc
            else:
                self.inside[...] = acc


class GridSystem:
    """The grid solver's system A u = f - A g; the iterate is the padded nodal array."""

    def __init__(self, problem: Problem, grid: TensorGrid, omega: float):
        self.grid = grid
        self.coeffs, self.f, self.boundary = linear_system(problem, grid)
        self.rhs = stencil.right_hand_side(grid, self.coeffs, self.f, self.boundary)
        self.values = self.boundary.copy()
        self.sweep = JacobiSweeps(grid, self.coeffs, self.f, self.values, omega,
                                  problem.constant_kappa).sweep

    def padded(self) -> np.ndarray:
        return self.values

    def residual(self) -> float:
        """||b - A u|| / ||b||; b - A u = f - (A applied to the padded u, g included)."""
        r = self.f - stencil.apply(self.grid, self.coeffs, self.values)
        return float(np.linalg.norm(r) / max(np.linalg.norm(self.rhs), np.finfo(float).tiny))

    def discrete_solution(self) -> np.ndarray:
        """A^{-1} b as a padded array (multigrid CG to rtol 1e-13)."""
        u, *_ = solve_linear(self.grid, self.coeffs, self.rhs,
                             GridOptions(n=self.grid.n[0], tol=1e-13))
        return self.grid.fill(self.boundary, u)

    def functions(self):
        """(u, grad) of the current iterate: the multilinear interpolant."""
        fn = GridFunction(self.grid, self.values.copy())
        return fn, fn.grad


class FemSystem:
    """The P1 FEM system (Kuhn simplices, n + 1 cells per direction, d <= 3): its vertices
    are the grid nodes, so the iterate maps onto the padded grid array for the spectra."""

    def __init__(self, problem: Problem, grid: TensorGrid, omega: float):
        from ..fem.assembly import Discretisation

        self.grid, self.dim = grid, problem.dim
        self.disc = Discretisation.build(problem, "P1", grid.n[0] + 1, "simplex")
        self.matrix, self.rhs = self.disc.condense(self.disc.stiffness(), self.disc.load())
        self.matrix = self.matrix.tocsr()
        self.scaled = omega / self.matrix.diagonal()
        self.x = np.zeros(len(self.rhs))
        nodes = self.disc.boxmesh.mesh.p[:, self.disc.interior].T
        index = np.rint((nodes - np.asarray(grid.domain.lower)) / grid.h).astype(int)
        self.order = np.ravel_multi_index(index.T, grid.shape)
        self.boundary = grid.boundary_values(problem.g)

    def sweep(self, count: int = 1) -> None:
        """``count`` sweeps x <- x + omega D^{-1} (b - A x)."""
        for _ in range(count):
            self.x += self.scaled * (self.rhs - self.matrix @ self.x)

    def padded(self) -> np.ndarray:
        values = self.boundary.copy()
        values.flat[self.order] = self.x
        return values

    def residual(self) -> float:
        r = self.rhs - self.matrix @ self.x
        return float(np.linalg.norm(r) / max(np.linalg.norm(self.rhs), np.finfo(float).tiny))

    def discrete_solution(self) -> np.ndarray:
        from ..fem.linear import LinearSolver

        x, _ = LinearSolver("auto", 1e-13, self.dim)(self.matrix, self.rhs)
        values = self.boundary.copy()
        values.flat[self.order] = x
        return values

    def functions(self):
        from ..fem.evaluate import FEMFunction

        disc = self.disc
        fn = FEMFunction(disc.boxmesh, disc.tables, disc.element_dofs, disc.expand(self.x.copy()))
        return fn, fn.grad


def _reference(problem: Problem, grid: TensorGrid, options: Options, system) -> np.ndarray:
    """The padded reference values: exact at the nodes, or the discrete solution."""
    if options.reference == "exact":
        return grid.sample(problem.exact, [grid.axis(j) for j in range(grid.dim)])
    return system.discrete_solution()


class _Recorder:
    """Errors of an iterate against the reference, as one history entry."""

    def __init__(self, grid: TensorGrid, reference: np.ndarray, options: Options):
        self.grid, self.ref, self.options = grid, reference, options
        self.ref_norm = float(np.linalg.norm(reference[grid.interior]))
        self.peaks = (spectral.peak_frequencies(reference, options.peaks) if grid.dim == 1
                      else np.array([], dtype=int))

    def __call__(self, sweep: int, values: np.ndarray, residual: float) -> dict:
        inner = values[self.grid.interior]
        error = float(np.linalg.norm(inner - self.ref[self.grid.interior]))
        entry = {"step": sweep, "l2_rel": error / self.ref_norm, "residual": residual}
        if self.grid.dim == 1:
            errs = spectral.dft_errors(values, self.ref, self.peaks)
            entry["freq_err"] = dict(zip(spectral.mode_labels(self.peaks), errs.tolist()))
            if self.options.modes:
                errs = spectral.sine_mode_errors(values, self.ref, self.options.modes)
                entry["mode_err"] = dict(zip(spectral.mode_labels(self.options.modes),
                                             errs.tolist()))
        else:
            edges, errs = spectral.radial_band_errors(values, self.ref, self.options.bands)
            entry["freq_err"] = dict(zip(spectral.band_labels(edges), errs.tolist()))
        return entry


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Run weighted Jacobi from u = 0 inside (u = g on the boundary), recording as it goes."""
    start = time.perf_counter()
    try:
        check(problem, options)
    except ConfigError as exc:
        raise exc.prefixed("solver 'jacobi'.") from None
    grid = make_grid(problem, options.n)
    system = (FemSystem if options.system == "fem" else GridSystem)(problem, grid, options.omega)
    record = _Recorder(grid, _reference(problem, grid, options, system), options)
    history = [record(0, system.padded(), system.residual())]
    done, status = 0, Status.OK if options.tol is None else Status.NOT_CONVERGED
    while done < options.sweeps:
        batch = min(options.record_every, options.sweeps - done)
        system.sweep(batch)
        done += batch
        history.append(record(done, system.padded(), system.residual()))
        if not np.isfinite(history[-1]["residual"]):
            raise SolverFailed(f"Jacobi diverged after {done} sweeps", status="diverged",
                               info={"sweeps": done, "dofs": grid.unknowns, "history": history})
        if options.tol is not None and history[-1]["residual"] <= options.tol:
            status = Status.OK
            break
        if options.max_seconds is not None and time.perf_counter() - start > options.max_seconds:
            status = Status.TIME_LIMIT
            break
    seconds = time.perf_counter() - start
    log.info("jacobi (%s) n=%d d=%d omega=%g: %d sweeps in %.3f s, residual %.3e",
             options.system, options.n, grid.dim, options.omega, done, seconds,
             history[-1]["residual"])
    info = {"sweeps": done, "omega": options.omega, "n": options.n, "unknowns": grid.unknowns,
            "system": options.system, "peaks": record.peaks.tolist(),
            "reference": options.reference}
    message = {Status.OK: "", Status.NOT_CONVERGED: f"tol not reached in {done} sweeps",
               Status.TIME_LIMIT: f"max_seconds reached after {done} sweeps"}[status]
    u, grad = system.functions()
    return Result(solver="jacobi", u=u, grad=grad, dofs=grid.unknowns, seconds=seconds,
                  history=history, info=info, status=status, message=message)
