"""Sparse grids by the combination technique (``kind = "sparse_grid"``).

u_c = sum_q (-1)^q binom(d-1, q) sum_(|l|_1 = d + level - q) u_l (:mod:`pdesolve.combination`),
u_l the solution on an anisotropic tensor grid: by default the Legendre spectral method of
``kind = "spectral"`` with degree n_k = m 2^(l_k - 1) (growth "doubling") or m + 2 (l_k - 1)
("linear") in direction k, m = ``min_degree``, or (``component = "grid"``) the
finite-difference grid with 2^l_k - 1 interior nodes. Each u_l takes g at its own boundary
nodes, so the combined function uses g on the boundary only; it evaluates at any point as the
same sum of the components' interpolants (spectral components: summed once into Legendre
blocks, :mod:`pdesolve.legendre.sparse`, so a point costs the union of their index sets).
Where g is not zero, a component's faces carry g interpolated while its interior carries the
1-D Galerkin error of its coarse directions; the mismatch spreads inside, depends on all
degrees at once and does not cancel in the combination, so the error stalls near the 1-D
error of degree m: m sets the floor, the level the rest.
The components are independent: they run in a pool of ``workers`` threads (NumPy releases
the GIL in its array operations, so large components overlap; small ones gain little).
p = 2 only (the combination of p = 2 solves; the spectral kind solves p != 2).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..combination import CombinedFunction, components
from ..config import opt
from ..domains import box_only
from ..errors import ConfigError
from ..grid import multigrid, stencil
from ..grid.function import GridFunction
from ..grid.tensor import TensorGrid
from ..legendre.function import TensorFunction
from ..legendre.gni import Space, solve_linear
from ..legendre.sparse import SparseLegendre
from ..problems.base import Problem
from ..resources import require_memory
from ..result import Result, Status
from . import grid as grid_solver
from .spectral import estimate, flux_refusal

log = logging.getLogger(__name__)

FAMILY = "classical"
DOFS = "unknowns summed over the component grids"


@dataclass
class Options:
    level: int = opt(3, help="combination level L: finest 1-D level 1 + L", min=0)
    component: Literal["spectral", "grid"] = opt(
        "spectral", help="component solver: Legendre spectral (degree by growth) or "
                         "finite differences (2^l - 1 interior nodes)")
    growth: Literal["doubling", "linear"] = opt(
        "doubling", help="spectral degree of 1-D level l: doubling m 2^(l-1), linear m + 2 (l-1), "
                         "m = min_degree")
    min_degree: int = opt(2, help="spectral degree m of 1-D level 1 (the coarsest direction)",
                          min=2)
    tol: float = opt(1e-12, help="CG stopping rule of each component", min=0.0)
    maxiter: int = opt(2000, help="most CG iterations per component", min=1)
    workers: int = opt(1, help="threads solving components at once", min=1)


def supports(problem: Problem) -> str | None:
    """Boxes with p = 2 and Dirichlet data on every face."""
    if reason := box_only(problem.domain, "the sparse grid"):
        return reason
    if problem.p != 2:
        return f"the sparse grid combines p = 2 solves, got p = {problem.p} (spectral solves it)"
    return flux_refusal(problem, "the sparse grid")


def sizes(dim: int, options: Options) -> list[tuple[int, tuple[int, ...]]]:
    """(coefficient, degrees (spectral) or interior nodes (grid) per direction) per component."""
    if options.component == "grid":
        size = lambda l: 2**l - 1
    else:
        m = options.min_degree
        size = (lambda l: m * 2 ** (l - 1)) if options.growth == "doubling" else (
            lambda l: m + 2 * (l - 1))
    return [(c, tuple(size(lk) for lk in l)) for c, l in components(dim, options.level)]


def check(problem: Problem, options: Options) -> None:
    """ConfigError for a grid component with a reaction term, or when the components' nodal
    values (kept for evaluation) and the largest solve exceed the memory available now."""
    if options.component == "grid" and problem.reaction is not None:
        raise ConfigError("component: the grid component has no reaction term; use 'spectral'")
    parts = sizes(problem.dim, options)
    pad = 2 if options.component == "grid" else 1
    kept = sum(8.0 * np.prod([m + pad for m in s]) for _, s in parts)
    largest = max(estimate(problem.dim, s, 2.0)[0] for _, s in parts)
    require_memory(kept + largest, f"level: level {options.level} in d = {problem.dim} "
                                   f"({len(parts)} component grids)")


def _solve_one(problem: Problem, options: Options, size: tuple[int, ...]):
    """(solution function, unknowns, CG iterations, converged) on one component grid."""
    box = problem.domain
    if options.component == "grid":
        grid = TensorGrid(box, size)
        kappa, f, boundary = grid_solver.linear_system(problem, grid)
        rhs = stencil.right_hand_side(grid, kappa, f, boundary)
        u, its, ok, _ = multigrid.solve(grid, kappa, rhs, rtol=options.tol,
                                        maxiter=options.maxiter)
        return GridFunction(grid, grid.fill(boundary, u)), grid.unknowns, its, ok
    space = Space.on(box.lower, box.upper, size)
    full, _, its, ok = solve_linear(space, problem.f, problem.g,
                                    None if problem.constant_kappa else problem.kappa,
                                    problem.reaction, rtol=options.tol, maxiter=options.maxiter)
    return TensorFunction(space, full), space.unknowns, its, ok


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Solve on every component grid and combine; see the module docstring."""
    start = time.perf_counter()
    parts = sizes(problem.dim, options)
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        solved = list(pool.map(lambda part: _solve_one(problem, options, part[1]), parts))
    functions, unknowns, its, ok = zip(*solved)
    converged = all(ok)
    seconds = time.perf_counter() - start
    info = {"level": options.level, "components": len(parts), "component": options.component,
            "largest_component": max(unknowns), "cg_iterations_max": max(its),
            "cg_iterations_total": sum(its), "workers": options.workers}
    log.info("sparse grid level %d d=%d: %d components, %d unknowns, %.3f s", options.level,
             problem.dim, len(parts), sum(unknowns), seconds)
    weights = tuple(float(c) for c, _ in parts)
    fn = (CombinedFunction(weights, functions) if options.component == "grid"
          else SparseLegendre.combine(weights, functions))
    return Result(solver="sparse_grid", u=fn, grad=fn.grad, dofs=int(sum(unknowns)),
                  seconds=seconds, info=info,
                  status=Status.OK if converged else Status.NOT_CONVERGED,
                  message="" if converged else "a component stopped above its CG tolerance")
