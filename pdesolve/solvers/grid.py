"""Finite differences on a tensor grid in any dimension (``kind = "grid"``).

Second-order central differences (not Q1): n interior nodes per direction,
h_j = (b_j - a_j) / (n + 1), kappa on the edges (the mean of its nodal values at the two
ends), Dirichlet data g at the boundary nodes. p = 2: the SPD system A u = f - A g is
solved by CG preconditioned with geometric multigrid (:mod:`pdesolve.grid.multigrid`).
p > 2: the convex discrete energy of :mod:`pdesolve.grid.plaplace` is minimised by
Newton's method with Armijo line search, starting from the p = 2 solution. u_h and grad u_h at arbitrary points are the
multilinear interpolant of the nodal values and its derivative.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config import opt
from ..domains import box_only
from ..errors import ConfigError, SolverFailed
from ..grid import multigrid, stencil
from ..grid.function import GridFunction
from ..grid.plaplace import PLaplaceEnergy, newton
from ..grid.tensor import TensorGrid
from ..problems import operator
from ..problems.base import Problem
from ..resources import require_memory
from ..result import Result, Status

log = logging.getLogger(__name__)

MAX_NODES = 10**8
"""Largest padded grid, (n + 2)^d nodes (0.8 GB per array)."""

BYTES_PER_UNKNOWN = 450
"""Peak memory per unknown of a solve (measured in 5-D, 1e6-3e6 unknowns)."""


FAMILY = "classical"
DOFS = "unknowns (interior grid nodes)"


@dataclass
class Options:
    n: int = opt(32, help="interior grid points (unknowns) per direction", min=2)
    tol: float = opt(1e-10, help="CG stopping rule ||b - A u|| <= tol ||b||", min=0.0)
    maxiter: int = opt(1000, help="most CG iterations per linear solve", min=1)
    preconditioner: Literal["multigrid", "none"] = opt(
        "multigrid", help="CG preconditioner: geometric multigrid V-cycle, or none")
    newton_tol: float = opt(1e-9, help="p > 2: stop when ||grad J|| <= newton_tol ||grad J(u0)||",
                            min=0.0)
    max_newton: int = opt(50, help="p > 2: most Newton iterations", min=1)


def supports(problem: Problem) -> str | None:
    """Any box (1..MAX_DIM dimensions) with p >= 2."""
    if reason := box_only(problem.domain, "the grid solver"):
        return reason
    if problem.p < 2:
        return f"the grid solver needs p >= 2, got p = {problem.p}"
    if extra := problem.beyond_dirichlet:
        return f"the grid solver poses u = g on the whole boundary; the problem has {extra} (FEM solves it)"
    return None


def check_size(dim: int, n: int, bytes_per_unknown: float = BYTES_PER_UNKNOWN) -> None:
    """ConfigError ("n: ...") when the n^d grid has more than MAX_NODES nodes or would not
    fit in the memory available now."""
    if float(n + 2) ** dim > MAX_NODES:
        raise ConfigError(f"n: n = {n} in d = {dim} gives (n + 2)^d = {float(n + 2) ** dim:.2g} "
                          f"grid nodes; at most {MAX_NODES:.0e}")
    require_memory(bytes_per_unknown * float(n) ** dim,
                   f"n: n = {n} in d = {dim} ({float(n) ** dim:.3g} unknowns)")


def check(problem: Problem, options: Options) -> None:
    """ConfigError when the grid is too large for this machine (see :func:`check_size`)."""
    check_size(problem.dim, options.n)


def make_grid(problem: Problem, n: int) -> TensorGrid:
    """The n^d interior-node grid on the problem's box; ConfigError if it is too large."""
    try:
        check_size(problem.dim, n)
    except ConfigError as exc:
        raise exc.prefixed("solver.") from None
    return TensorGrid(problem.domain, (n,) * problem.dim)


def linear_system(problem: Problem, grid: TensorGrid, full_edges: bool = False):
    """(kappa on the edges, f at the interior nodes, padded boundary values g).

    ``full_edges`` also evaluates kappa on the edges of the boundary faces.
    """
    kappa = stencil.kappa_edges(grid, None if problem.constant_kappa else problem.kappa,
                                full=full_edges)
    f = grid.sample(problem.f, [grid.axis(j)[1:-1] for j in range(grid.dim)])
    return kappa, f, grid.boundary_values(problem.g)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Solve the problem on the n^d grid; see the module docstring for the method."""
    start = time.perf_counter()
    grid = make_grid(problem, options.n)
    nonlinear = problem.p != 2
    kappa, f, boundary = linear_system(problem, grid, full_edges=nonlinear)
    energy = PLaplaceEnergy(grid, problem.p, kappa, f, boundary) if nonlinear else None
    # the stencil of the p = 2 bilinear form (the start of Newton's iteration for p != 2)
    coeffs = [operator.flux_weight(k, None, 2.0)
              for k in (energy.interior_edges(kappa) if nonlinear else kappa)]
    rhs = stencil.right_hand_side(grid, coeffs, f, boundary)
    u, its, converged, levels = multigrid.solve(
        grid, coeffs, rhs, rtol=options.tol, maxiter=options.maxiter,
        multigrid=options.preconditioner == "multigrid")
    info = {"n": options.n, "h": grid.h.tolist(), "unknowns": grid.unknowns,
            "method": "finite differences (2d+1-point stencil)", "levels": levels,
            "cg_iterations": [its], "preconditioner": options.preconditioner}
    history: list[dict] = [{"step": 0, "cg_iterations": its}]
    if nonlinear:
        u, report = newton(energy, u, tol=options.newton_tol, max_iter=options.max_newton,
                           cg_tol=options.tol, cg_maxiter=options.maxiter,
                           multigrid=options.preconditioner == "multigrid")
        history, newton_ok = report.history, report.converged
        info["newton_iterations"] = report.iterations
        info["cg_iterations"] += [h["cg_iterations"] for h in history if "cg_iterations" in h]
        info["line_search_steps"] = [h["step_length"] for h in history if "step_length" in h]
        converged = converged and newton_ok
    if not np.all(np.isfinite(u)):
        raise SolverFailed("grid solver produced non-finite values", status="diverged", info=info)
    values = grid.fill(boundary, u)
    seconds = time.perf_counter() - start
    log.info("grid solve n=%d d=%d: %.3f s, CG iterations %s", options.n, grid.dim, seconds,
             info["cg_iterations"])
    fn = GridFunction(grid, values)
    return Result(
        solver="grid", u=fn, grad=fn.grad, dofs=grid.unknowns,
        seconds=seconds, history=history, info=info,
        status=Status.OK if converged else Status.NOT_CONVERGED,
        message="" if converged else "iteration limit reached above tolerance",
    )
