"""Finite elements (scikit-fem), one pipeline on every mesh, d <= 3:

    -div(kappa |grad u|^(p-2) grad u) + c u = f in Omega, u = g on the Dirichlet parts,
    kappa |grad u|^(p-2) du/dn + alpha u = h on the Neumann/Robin parts.

p = 2: one linear solve of the condensed system A_II u_I = b_I - A_ID g_D.
p > 2: Newton's method with a line search on the Ritz energy, started from the
p = 2 solution (:mod:`pdesolve.fem.system`, :mod:`pdesolve.fem.energy`). The space is built
on ``domain.mesh_at(n)`` (cells of size (longest edge of the bounding box) / n; Lagrange Pk
on triangles/tetrahedra, uniform or adaptive refinement, :mod:`pdesolve.fem.on_domain`); a
box with u = g on all of its boundary takes the structured accelerator (cell tables, Qk on
quadrilaterals/hexahedra too, :mod:`pdesolve.fem.assembly`); there Qk with kappa = 1 and p = 2
in 2-D/3-D, solved directly, takes the tensor-product system (Kronecker sums of 1-D
hierarchical matrices, fast diagonalisation, :mod:`pdesolve.fem.tensor_system`). Parts live in
:mod:`pdesolve.fem`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config import opt
from ..errors import ConfigError, SolverFailed
from ..fem.assembly import Discretisation
from ..fem.elements import check_element, mesh_kind
from ..fem.evaluate import structured_function
from ..fem.linear import LinearSolver
from ..fem.mesh import MESH_TYPES
from ..fem.mesh_function import mesh_function
from ..fem.mesh_system import mesh_elements
from ..fem.on_domain import solve_on_domain
from ..fem.system import solve_system
from ..fem.tensor_function import TensorFunction
from ..fem.tensor_system import TensorSystem
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
    n: int = opt(16, min=1, help="cells per direction (d! simplices each on simplex meshes); "
                 "on other domains cells of size (longest side of the bounding box) / n; on a "
                 "mesh file n = 2^k refines the file's cells k times (n = 1: the file's mesh)")
    mesh: Literal["auto", "simplex", "tensor"] = opt(
        "auto", help="interval/triangle/tetrahedron or interval/quadrilateral/hexahedron; "
        "auto: tensor for Qk, simplex for Pk")
    linear_solver: Literal["auto", "direct", "amg", "gmg"] = opt(
        "auto", help="sparse direct, CG preconditioned by smoothed-aggregation AMG (pyamg) or "
        "by geometric multigrid (P1/Q1 on a box's structured mesh), or chosen by size (gmg "
        "where it applies)")
    tol: float = opt(1e-10, min=1e-16, max=1.0, help="CG relative residual tolerance")
    newton_tol: float = opt(1e-10, min=1e-16, max=1.0,
                            help="Newton stops at ||J'(u)|| <= newton_tol ||load||")
    newton_maxiter: int = opt(50, min=1, help="Newton iteration limit (p != 2)")
    refine: Literal["uniform", "adaptive"] = opt(
        "uniform", help="adaptive: Doerfler marking (theta = 0.5) by the residual estimator, "
        "Pk, any p, on a mesh of the domain (boxes: a structured simplex mesh)")
    adapt_steps: int = opt(8, min=0, max=60, help="adaptive refinements after the first mesh")


def supports(problem: Problem) -> str | None:
    """None if FEM applies, else why not (meshes exist for d <= 3; Newton needs p >= 2)."""
    if problem.dim > 3:
        return f"FEM needs d <= 3, the problem has d = {problem.dim}"
    if problem.p < 2:
        return f"FEM's Newton iteration needs p >= 2, the problem has p = {problem.p}"
    if problem.dim == 1 and not problem.domain.structured:
        return "FEM on a 1-D domain other than an interval: give a box"
    if problem.beyond_dirichlet and not problem.dirichlet_parts and problem.reaction is None \
            and all(c.alpha is None for c in problem.fluxes.values()):
        return ("FEM: Neumann conditions on the whole boundary without a reaction term "
                "determine u only up to a constant; make a part Dirichlet or Robin")
    return None


def _structured(problem: Problem, options: Options) -> bool:
    """Whether the run takes the structured fast path (a box's uniform mesh with cell tables,
    u = g on all of dOmega) rather than the mesh path (any mesh, reaction, Neumann/Robin
    parts, adaptive refinement): one solve either way (:mod:`pdesolve.fem.system`)."""
    return (problem.domain.structured and options.refine == "uniform"
            and problem.beyond_dirichlet is None)


MAX_AXIS_NODES = 1025
"""Most nodes per direction (n k + 1) of the tensor-product path: its dense 1-D
eigendecompositions cost O(N_a^3) and its transforms O(N N_a); beyond it the cell tables.
At this size (1e6 unknowns in 2-D) it still beats AMG-CG end to end (Q1 n = 1000: 4.6 s
against 7.9 s; Q2 n = 500: 2.3 s against 22 s; one thread, load 6)."""


def _tensor_product(problem: Problem, options: Options) -> bool:
    """Whether a structured run takes the tensor-product system: Qk on tensor cells in
    2-D/3-D, kappa = 1, p = 2, a direct solve ("auto" or "direct"; fast diagonalisation is
    exact like it) and at most :data:`MAX_AXIS_NODES` nodes per direction."""
    return (mesh_kind(options.element, options.mesh) == "tensor" and problem.dim >= 2
            and problem.constant_kappa and problem.p == 2 and options.linear_solver != "amg"
            and int(options.element[1:]) * options.n + 1 <= MAX_AXIS_NODES)


def _box_function(problem: Problem, system, coefficients: np.ndarray):
    """u_h of a structured run's system (a TensorSystem or the cell tables' Discretisation)."""
    if isinstance(system, TensorSystem):
        return TensorFunction(problem.domain, system.axes, coefficients)
    return structured_function(system, coefficients)


def structured_solution(problem: Problem, options: Options, coefficients: np.ndarray):
    """u_h of a structured run (:func:`solve` on a box) from its coefficients (N,), on the
    system :func:`solve` builds for these options: a stored solution rebuilt. ValueError
    when their number is not the space's."""
    system = (TensorSystem.build(problem, int(options.element[1:]), options.n)
              if _tensor_product(problem, options)
              else Discretisation.build(problem, options.element, options.n, options.mesh))
    if coefficients.shape != (system.N,):
        raise ValueError(f"{coefficients.shape[0]} coefficients for {system.N} DOFs")
    return _box_function(problem, system, coefficients)


ADAPT_GROWTH = 1.9
"""Factor by which an adaptive step multiplies the DOFs (Doerfler marking with theta = 0.5 on
the L-shape from n = 4: 9 -> 81,228 DOFs in 14 steps, 2.0x per step at first, 1.85x later)."""

BYTES_PER_DOF = {1: 700, 2: 1200, 3: 3100}
"""Peak memory per DOF of a solve, by dimension (measured for P1/P2 with 2e5-1e6 DOFs, AMG;
the sparse direct solver below 2e5 DOFs takes up to 3x more per DOF, under 1 GB in all)."""


def check(problem: Problem, options: Options) -> None:
    """ConfigError for an element the structured mesh does not carry, options the mesh path
    cannot do, or a mesh that would not fit in the memory available now (estimated on the
    bounding box; adaptive refinement counted as :data:`ADAPT_GROWTH` times the DOFs per
    step)."""
    degree = int(options.element[1:])
    adaptive = options.refine == "adaptive"
    cells = mesh_kind(options.element, options.mesh)
    if _structured(problem, options):
        check_element(problem.dim, cells, options.element)  # ConfigError listing those there
    else:
        _check_mesh_path(problem, options, cells)
    if options.linear_solver == "gmg" and not (_structured(problem, options) and degree == 1):
        raise ConfigError("linear_solver: 'gmg' needs P1 or Q1 on the structured mesh of a box "
                          "with u = g on its whole boundary and uniform refinement; allowed "
                          "here: 'auto', 'direct', 'amg'")
    dofs = float(degree * options.n + 1) ** problem.dim
    what = f"n: n = {options.n} ({options.element}, d = {problem.dim}, {dofs:.3g} DOFs)"
    if adaptive:
        dofs *= float(ADAPT_GROWTH) ** options.adapt_steps
        what = (f"adapt_steps: {options.adapt_steps} steps from n = {options.n} (up to "
                f"{dofs:.3g} DOFs at {ADAPT_GROWTH}x per step)")
    require_memory(BYTES_PER_DOF[problem.dim] * dofs, what)


def _check_mesh_path(problem: Problem, options: Options, cells: str) -> None:
    """ConfigError ("<option>: ...") for what the mesh path cannot do: adaptive refinement in
    1-D or on tensor cells, tensor cells on a mesh file or on a 3-D domain other than the box,
    an element the cells do not carry."""
    domain = problem.domain
    adaptive = options.refine == "adaptive"
    if adaptive and problem.dim == 1:
        raise ConfigError("refine: 'adaptive' needs a 2-D or 3-D domain; allowed for "
                          "d = 1: 'uniform'")
    if cells == "tensor":
        where = ("refine: 'adaptive' bisects simplices" if adaptive
                 else "element: a mesh file's cells are simplices" if domain.kind == "mesh"
                 else "element: hexahedral meshes exist for the box only"
                 if problem.dim == 3 and not domain.structured else None)
        if where:
            raise ConfigError(f"{where}; {options.element} needs tensor cells; allowed: "
                              f"{', '.join(mesh_elements(problem.dim, 'simplex'))}")
    allowed = mesh_elements(problem.dim, cells)
    if options.element not in allowed:
        why = ("adaptive refinement" if adaptive else
               problem.beyond_dirichlet or f"a {domain.kind} domain")
        raise ConfigError(f"element: {options.element!r} is not available with {why} "
                          f"({problem.dim}-D {cells} mesh); allowed: {', '.join(allowed)}")
    domain.check_resolution(options.n)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Discretise, solve, and return u_h with its gradient.

    ``seconds`` covers mesh, basis, assembly, Dirichlet elimination and solves, with
    ``info["timings"]`` splitting it (discretise: mesh, tables, DOFs, f and kappa at
    quadrature points; assemble: matrix, load, elimination; linear_solve; newton);
    ``dofs`` counts the interior (free) DOFs.
    """
    start = time.perf_counter()
    degree = int(options.element[1:])
    structured = _structured(problem, options)
    linear = LinearSolver(options.linear_solver, options.tol, problem.dim, degree,
                          ordering="MMD_AT_PLUS_A" if structured else "COLAMD")
    solve_options = {"linear": linear, "newton_tol": options.newton_tol,
                     "newton_maxiter": options.newton_maxiter}
    if structured:
        tensor = _tensor_product(problem, options)
        disc = (TensorSystem.build(problem, degree, options.n) if tensor
                else Discretisation.build(problem, options.element, options.n, options.mesh))
        discretised = time.perf_counter() - start
        solution = solve_system(disc, problem.p, **solve_options)
        system, history = disc, []
        fn = _box_function(problem, disc, solution.u)
        if tensor:
            info = {"h": max(axis.h for axis in disc.axes), "mesh": "tensor",
                    "cell": MESH_TYPES[problem.dim, "tensor"].__name__,
                    "basis": f"integrated Legendre Q{degree} (tensor product)",
                    "total_dofs": disc.N, "intorder": 2 * degree}
        else:
            info = {"h": disc.boxmesh.h, "mesh": disc.boxmesh.kind,
                    "cell": type(disc.boxmesh.mesh).__name__,
                    "basis": type(disc.tables.elem).__name__, "total_dofs": int(disc.N),
                    "intorder": disc.intorder}
        info.update(n=options.n, element=options.element,
                    timings={"discretise": discretised, **solution.timings})
    else:
        system, solution, history, info = solve_on_domain(
            problem, options.element, mesh_kind(options.element, options.mesh), options.n,
            options.refine, options.adapt_steps, solve_options)
        fn = mesh_function(system.basis, solution.u)
    seconds = time.perf_counter() - start
    info.update(solution.stats)
    status, message = Status.OK, ""
    if not solution.stats["converged"]:
        status = Status.NOT_CONVERGED
        message = f"CG stopped at its iteration limit above tol={options.tol:g}"
    if (report := solution.newton) is not None:
        info.update(newton_iterations=report.iterations, newton_residual=report.residual,
                    cg_iterations=info["cg_iterations"] + report.cg_iterations)
        history = history or report.history
        if not report.converged:
            status = Status.NOT_CONVERGED
            message = (f"Newton reached newton_maxiter={options.newton_maxiter} at relative "
                       f"residual {report.residual:.2e} > newton_tol={options.newton_tol:g}")
    if not np.all(np.isfinite(solution.u)):
        raise SolverFailed("the FEM solution has NaN/inf values", status="diverged", info=info)
    dofs = int(system.interior.size)
    logger.info("fem %s n=%d: %d dofs in %.2f s", options.element, options.n, dofs, seconds)
    return Result("fem", u=fn, grad=fn.grad, dofs=dofs, seconds=seconds, history=history,
                  info=info, status=status, message=message)
