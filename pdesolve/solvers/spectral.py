"""Tensor-product Legendre spectral method on a box in any dimension (``kind = "spectral"``).

Legendre Galerkin with numerical integration (G-NI, the one-element spectral element method;
:mod:`pdesolve.legendre.gni`): u_N of degree n in each variable, u_N = g at the
Gauss-Lobatto-Legendre nodes of the boundary, the Ritz energy integrated by the tensor GLL
rule. Chosen over Chebyshev collocation because the discrete problem is the minimisation of
the p-Laplacian energy: symmetric positive definite for p = 2 (CG), convex for p > 2 (the
project's Newton loop, :func:`pdesolve.newton.minimise`, with a, b of
:mod:`pdesolve.problems.operator`), kappa and the reaction c enter at the nodes without
assembling products, and the error is exponential in n for analytic data. Matrix-free
operator by 1-D differentiation along each axis, O(d n^(d+1)) per product, preconditioned by
the fast-diagonalised constant-coefficient operator (the W-weighted mean of kappa, or of the
Newton flux weight). p > 2 starts Newton from the p = 2 solution. Where grad u = 0 the source
f of a p-Laplacian (and the flux weight |grad u|^(p-2)) has a cone, which the n + 1 GLL nodes
integrate only algebraically; ``quadrature = M`` then continues Newton on the energy integrated
by the M-point Gauss rule per direction (load and flux), whose error falls with M; split into
``quadrature_cells`` equal cells it converges much faster when the cone lies on a cell corner
(the centre for two cells). u_N and grad u_N evaluate anywhere by Lagrange interpolation along
each axis; errors are measured by a tensor Gauss rule on the box evaluated by sum
factorisation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from ..config import opt
from ..domains import box_only
from ..errors import ConfigError, SolverFailed
from ..legendre.function import TensorFunction
from ..legendre.gni import PLaplaceEnergy, Rule, Space, solve_linear
from ..newton import minimise
from ..problems.base import Problem
from ..resources import require_memory
from ..result import Result, Status

log = logging.getLogger(__name__)

FAMILY = "classical"
DOFS = "unknowns (interior Gauss-Lobatto nodes, (n - 1)^d)"

FLOPS = 2e9
"""Floating-point operations per second assumed for the time estimate (one core)."""


@dataclass
class Options:
    n: int = opt(12, help="polynomial degree per direction (n - 1 interior nodes each)", min=2)
    tol: float = opt(1e-12, help="CG stopping rule ||b - A u|| <= tol ||b||", min=0.0)
    maxiter: int = opt(2000, help="most CG iterations per linear solve", min=1)
    newton_tol: float = opt(1e-10, help="p > 2: stop when ||J'(u)|| <= newton_tol ||J'(u0)||",
                            min=0.0)
    max_newton: int = opt(50, help="p > 2: most Newton iterations", min=1)
    quadrature: int = opt(0, help="p > 2: Gauss points per direction integrating the energy "
                                  "(load and flux) after the G-NI Newton solve; 0 keeps the "
                                  "Gauss-Lobatto nodes (G-NI)", min=0)
    quadrature_cells: int = opt(1, help="p > 2: equal cells per direction of the composite "
                                        "Gauss rule (quadrature / cells points each): put cell "
                                        "corners where f has its cone", min=1)


def flux_refusal(problem: Problem, method: str) -> str | None:
    """The one line a Dirichlet-only tensor method gives for Neumann/Robin parts, or None."""
    if problem.fluxes:
        parts = ", ".join(f"a {c.kind} condition on {name!r}" for name, c in problem.fluxes.items())
        return (f"{method} poses u = g on the whole boundary; the problem has {parts} "
                f"(FEM solves it)")
    return None


def supports(problem: Problem) -> str | None:
    """Any box with p >= 2, kappa and reaction; Dirichlet data on every face."""
    if reason := box_only(problem.domain, "the spectral solver"):
        return reason
    if problem.p < 2:
        return f"the spectral solver needs p >= 2, got p = {problem.p}"
    return flux_refusal(problem, "the spectral solver")


def estimate(dim: int, degrees, p: float, quadrature: int = 0) -> tuple[float, float]:
    """(bytes, seconds) of a solve with these degrees: (2d + 16) arrays of (n + 1)^d nodes
    (3d + 16 for p != 2, on the M^d points of ``quadrature`` = M when more); 10 n CG
    iterations of 4 d (n + 1)^(d + 1) flops (x 8 for Newton; a Gauss rule adds 8 Newton
    solves of 10 n products of 4 d^2 M^d (n + 1) flops)."""
    nodes = float(np.prod([n + 1.0 for n in degrees]))
    points = max(nodes, float(quadrature) ** dim)
    arrays = (3 if p != 2 else 2) * dim + 16
    flops = 10 * max(degrees) * 4 * dim * nodes * (max(degrees) + 1) * (8 if p != 2 else 1)
    if quadrature and p != 2:
        flops += 8 * 10 * max(degrees) * 4 * dim * dim * points * (max(degrees) + 1)
    return 8.0 * arrays * points, flops / FLOPS


def check(problem: Problem, options: Options) -> None:
    """ConfigError ("n: ...") when the solve would not fit in the memory available now (see
    :func:`estimate`); logs the time estimate."""
    d, n = problem.dim, options.n
    if options.quadrature % options.quadrature_cells:
        raise ConfigError(f"quadrature_cells: must divide quadrature = {options.quadrature}, "
                          f"got {options.quadrature_cells}")
    needed, seconds = estimate(d, (n,) * d, problem.p, options.quadrature)
    require_memory(needed, f"n: degree n = {n} in d = {d} ({float(n - 1) ** d:.3g} unknowns)")
    log.info("spectral n=%d d=%d: about %.3g GB and %.3g s", n, d, needed / 1e9, seconds)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Solve on Q_n of the problem's box; see the module docstring for the method."""
    start = time.perf_counter()
    box = problem.domain
    space = Space.on(box.lower, box.upper, (options.n,) * problem.dim)
    kappa = None if problem.constant_kappa else problem.kappa
    full, v, its, converged = solve_linear(space, problem.f, problem.g, kappa, problem.reaction,
                                           rtol=options.tol, maxiter=options.maxiter)
    info = {"n": options.n, "unknowns": space.unknowns, "cg_iterations": [its],
            "method": "Legendre G-NI (Gauss-Lobatto nodes), fast-diagonalisation PCG"}
    history: list[dict] = [{"step": 0, "cg_iterations": its}]
    if problem.p != 2:
        boundary = space.fill(full, np.zeros(space.unknowns))
        rules = [Rule(space)] + ([Rule(space, options.quadrature, options.quadrature_cells)]
                                 if options.quadrature else [])
        history, info["newton_iterations"], scale = [], 0, None
        for rule in rules:
            energy = PLaplaceEnergy(space, problem.p, kappa, problem.f, problem.reaction,
                                    boundary, cg_tol=options.tol, cg_maxiter=options.maxiter,
                                    rule=rule)
            # both rules stop at the same ||J'||: the finer one starts near its minimum
            scale = scale or float(np.linalg.norm(energy.gradient(v)))
            v, report = minimise(energy, v, tol=options.newton_tol, maxiter=options.max_newton,
                                 scale=scale)
            history += [{**h, "quadrature": rule.points or 0} for h in report.history]
            info["newton_iterations"] += report.iterations
            info["cg_iterations"] += energy.cg_iterations
            converged = converged and report.converged
        full = space.fill(boundary, v)
    if not np.all(np.isfinite(full)):
        raise SolverFailed("spectral solver produced non-finite values", status="diverged",
                           info=info)
    seconds = time.perf_counter() - start
    log.info("spectral solve n=%d d=%d: %.3f s, CG iterations %s", options.n, problem.dim,
             seconds, info["cg_iterations"])
    fn = TensorFunction(space, full)
    return Result(solver="spectral", u=fn, grad=fn.grad, dofs=space.unknowns, seconds=seconds,
                  history=history, info=info,
                  status=Status.OK if converged else Status.NOT_CONVERGED,
                  message="" if converged else "iteration limit reached above tolerance")
