"""Finite elements (scikit-fem): Lagrange Pk/Qk on structured box meshes, d <= 3, and
Lagrange Pk on gmsh or file meshes of any 2-D/3-D domain (:mod:`pdesolve.fem.on_domain`).

    -div(kappa |grad u|^(p-2) grad u) = f in Omega, u = g on dOmega.

p = 2: one linear solve of the condensed system A_II u_I = b_I - A_ID g_D.
p > 2: Newton's method with a line search on the Ritz energy, started from the
p = 2 solution (pdesolve.fem.newton). Parts live in :mod:`pdesolve.fem`. Any other domain
(and ``refine = "adaptive"``, also on a box) takes the general path: p = 2, a mesh of cell
size (longest edge of the bounding box) / n, uniform or adaptive refinement.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config import opt
from ..domains import Box
from ..errors import ConfigError, SolverFailed
from ..fem.assembly import Discretisation
from ..fem.evaluate import FEMFunction, element_degree
from ..fem.linear import LinearSolver
from ..fem.newton import PLaplaceEnergy, solve_newton
from ..fem.on_domain import solve_on_domain
from ..fem.unstructured import LAGRANGE
from ..problems.base import Problem
from ..resources import require_memory
from ..result import Result, Status

logger = logging.getLogger(__name__)


FAMILY = "classical"
DOFS = "unknowns solved for (the free DOFs)"


@dataclass
class Options:
    """Options of the FEM solver (case-file keys of a ``kind = "fem"`` table)."""

    element: Literal["P1", "P2", "P3", "P4", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"] = opt(
        "P1", help="Lagrange element: Pk (Qk on a tensor mesh) or the tensor-product Qk; "
        "P1-P4 on triangles, P1-P2 on tetrahedra, Q1-Q8 on quadrilaterals and intervals, "
        "Q1-Q2 on hexahedra")
    n: int = opt(16, min=1, help="cells per direction (d! simplices each on simplex meshes)")
    mesh: Literal["auto", "simplex", "tensor"] = opt(
        "auto", help="interval/triangle/tetrahedron or interval/quadrilateral/hexahedron; "
        "auto: tensor for Qk, simplex for Pk")
    linear_solver: Literal["auto", "direct", "amg"] = opt(
        "auto", help="sparse direct, pyamg-preconditioned CG, or chosen by size")
    tol: float = opt(1e-10, min=1e-16, max=1.0, help="CG relative residual tolerance")
    newton_tol: float = opt(1e-10, min=1e-16, max=1.0,
                            help="Newton stops at ||J'(u)|| <= newton_tol ||load||")
    newton_maxiter: int = opt(50, min=1, help="Newton iteration limit (p != 2)")
    refine: Literal["uniform", "adaptive"] = opt(
        "uniform", help="adaptive: Doerfler marking (theta = 0.5) by the residual estimator, P1, "
        "on a mesh of the domain (boxes: a structured simplex mesh)")
    adapt_steps: int = opt(8, min=0, max=60, help="adaptive refinements after the first mesh")


def supports(problem: Problem) -> str | None:
    """None if FEM applies, else why not (box meshes exist for d <= 3; Newton needs p >= 2;
    meshes of other domains for d = 2, 3 and p = 2)."""
    if problem.dim > 3:
        return f"FEM needs d <= 3, the problem has d = {problem.dim}"
    if problem.p < 2:
        return f"FEM's Newton iteration needs p >= 2, the problem has p = {problem.p}"
    if not isinstance(problem.domain, Box):
        if problem.dim == 1:
            return "FEM on a 1-D domain other than an interval: give a box"
        if problem.p != 2:
            return (f"FEM on a {problem.domain.kind} domain solves p = 2 (Newton for p > 2 "
                    f"runs on boxes), the problem has p = {problem.p}")
    if extra := problem.beyond_dirichlet:
        if problem.dim == 1 or problem.p != 2:
            return (f"FEM with {extra} solves p = 2 in 2-D and 3-D; the problem has "
                    f"d = {problem.dim}, p = {problem.p}")
        if not problem.dirichlet_parts and problem.reaction is None and all(
                c.alpha is None for c in problem.fluxes.values()):
            return ("FEM: Neumann conditions on the whole boundary without a reaction term "
                    "determine u only up to a constant; make a part Dirichlet or Robin")
    return None


def _general(problem: Problem, options: Options) -> bool:
    """Whether the run takes the general (gmsh, file or structured simplex mesh) path: other
    domains, adaptive refinement, a reaction term or Neumann/Robin parts."""
    return (not isinstance(problem.domain, Box) or options.refine == "adaptive"
            or problem.beyond_dirichlet is not None)


ADAPT_GROWTH = 1.9
"""Factor by which an adaptive step multiplies the DOFs (Doerfler marking with theta = 0.5 on
the L-shape from n = 4: 9 -> 81,228 DOFs in 14 steps, 2.0x per step at first, 1.85x later)."""

BYTES_PER_DOF = {1: 700, 2: 1200, 3: 3100}
"""Peak memory per DOF of a solve, by dimension (measured for P1/P2 with 2e5-1e6 DOFs, AMG;
the sparse direct solver below 2e5 DOFs takes up to 3x more per DOF, under 1 GB in all)."""


def check(problem: Problem, options: Options) -> None:
    """ConfigError for options the general path cannot do, or a mesh that would not fit in
    the memory available now (estimated on the bounding box; adaptive refinement counted as
    :data:`ADAPT_GROWTH` times the DOFs per step)."""
    degree = int(options.element[1:])
    adaptive = options.refine == "adaptive"
    if _general(problem, options):
        dims = sorted({d for d, _ in LAGRANGE})
        if adaptive and problem.dim not in dims:  # (supports() refuses the other cases)
            raise ConfigError(f"refine: 'adaptive' refines gmsh meshes of d = "
                              f"{' or '.join(map(str, dims))}, the problem has d = "
                              f"{problem.dim}; use refine = \"uniform\"")
        if adaptive and options.element != "P1":
            raise ConfigError(f"element: {options.element!r} cannot refine adaptively (the P1 "
                              f"residual estimator); allowed with refine = 'adaptive': 'P1'")
        if options.element.startswith("Q") or (problem.dim, degree) not in LAGRANGE:
            allowed = ", ".join(f"P{k}" for d, k in LAGRANGE if d == problem.dim)
            raise ConfigError(f"element: {options.element!r} is not available on a "
                              f"{problem.dim}-D gmsh mesh; allowed: {allowed}")
        if adaptive and problem.p != 2:
            raise ConfigError(f"refine: 'adaptive' solves p = 2, the problem has p = {problem.p}")
        if adaptive and problem.beyond_dirichlet:
            raise ConfigError(f"refine: 'adaptive' estimates -div(kappa grad u) = f with u = g; "
                              f"the problem has {problem.beyond_dirichlet}; use refine = "
                              f"\"uniform\"")
    dofs = float(degree * options.n + 1) ** problem.dim
    what = f"n: n = {options.n} ({options.element}, d = {problem.dim}, {dofs:.3g} DOFs)"
    if adaptive:
        dofs *= float(ADAPT_GROWTH) ** options.adapt_steps
        what = (f"adapt_steps: {options.adapt_steps} steps from n = {options.n} (up to "
                f"{dofs:.3g} DOFs at {ADAPT_GROWTH}x per step)")
    require_memory(BYTES_PER_DOF[problem.dim] * dofs, what)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Discretise, solve, and return u_h with its gradient.

    ``seconds`` covers mesh, basis, assembly, Dirichlet elimination and solves, with
    ``info["timings"]`` splitting it (discretise: mesh, tables, DOFs, f and kappa at
    quadrature points; assemble: matrix, load, elimination; linear_solve; newton);
    ``dofs`` counts the interior (free) DOFs.
    """
    if _general(problem, options):
        linear = LinearSolver(options.linear_solver, options.tol, problem.dim,
                              int(options.element[1:]), ordering="COLAMD")
        return solve_on_domain(problem, int(options.element[1:]), options.n, options.refine,
                               options.adapt_steps, lambda A, b: linear(A, b)[0])
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return clock[-1] - clock[-2]

    disc = Discretisation.build(problem, options.element, options.n, options.mesh)
    timings = {"discretise": lap()}
    linear = LinearSolver(options.linear_solver, options.tol, problem.dim,
                          element_degree(disc.tables.elem))
    A_II, b_I = disc.condense(disc.stiffness(), disc.load())
    timings["assemble"] = lap()
    u_I, stats = linear(A_II, b_I)
    del A_II
    u = disc.expand(u_I)
    timings["linear_solve"] = lap()
    info = {"h": disc.boxmesh.h, "n": options.n, "element": options.element,
            "mesh": disc.boxmesh.kind, "cell": type(disc.boxmesh.mesh).__name__,
            "basis": type(disc.tables.elem).__name__, "total_dofs": int(disc.N),
            "intorder": disc.intorder, **stats}
    history, status, message = [], Status.OK, ""
    if not stats["converged"]:
        status = Status.NOT_CONVERGED
        message = f"CG stopped at its iteration limit above tol={options.tol:g}"
    if not problem.is_linear:
        u, report = solve_newton(PLaplaceEnergy(problem, disc), u, linear,
                                 tol=options.newton_tol, maxiter=options.newton_maxiter)
        info.update(newton_iterations=report.iterations, newton_residual=report.residual,
                    cg_iterations=info["cg_iterations"] + report.cg_iterations)
        history = report.history
        timings["newton"] = lap()
        if not report.converged:
            status = Status.NOT_CONVERGED
            message = (f"Newton reached newton_maxiter={options.newton_maxiter} at relative "
                       f"residual {report.residual:.2e} > newton_tol={options.newton_tol:g}")
    seconds = time.perf_counter() - clock[0]
    info["timings"] = timings
    if not np.all(np.isfinite(u)):
        raise SolverFailed("the FEM solution has NaN/inf values", status="diverged", info=info)
    fn = FEMFunction(disc.boxmesh, disc.tables, disc.element_dofs, u)
    logger.info("fem %s n=%d: %d dofs in %.2f s", options.element, options.n,
                disc.interior.size, seconds)
    return Result("fem", u=fn, grad=fn.grad, dofs=int(disc.interior.size), seconds=seconds,
                  history=history, info=info, status=status, message=message)
