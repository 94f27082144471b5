"""NGSolve as an optional, independent high-order reference: ``kind = "ngsolve"``.

Registered through pdesolve's own solver plug-in entry point (``pdesolve.solvers``), so the
core never imports NGSolve; without the extra (``pip install "pdesolve[ngsolve]"``) the kind
refuses in one line. NGSolve's H1 space of order k (hierarchical, any k) on

- a box, a disk/ball, an annulus, a polygon, the L-shape and their CSG combinations: the
  same OpenCASCADE shape pdesolve gives gmsh, handed to Netgen as a BREP file, meshed at
  size (longest side of the bounding box) / n, optionally refined uniformly (nested meshes
  for clean rates), and curved to the element order (:mod:`.geometry`);
- a box (``mesh = "auto"``), a mesh file, or ``mesh = "pdesolve"``: pdesolve's own mesh of
  the domain (the box's structured simplices, gmsh's cells), straight, read into Netgen: the
  same mesh as pdesolve's FEM, for comparisons on one mesh.

It solves -div(kappa grad u) + c u = f with u = g on the Dirichlet parts and
kappa du/dn + alpha u = h on the flux parts (p = 2; p != 2 by Newton on the energy), the data evaluated at NGSolve's own
quadrature points (an integration-rule space) and g projected in L2 onto the trace space of
the Dirichlet parts; static condensation of the cell-interior DOFs and a sparse Cholesky
factorisation, or CG preconditioned by NGSolve's BDDC for large systems
(:mod:`.h1_solve`). Errors are measured by pdesolve's harness at its own points, from the
GridFunction and its gradient (:class:`.h1_solve.NGSolveFunction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..config import opt
from ..errors import ConfigError
from ..problems.base import Problem
from ..result import Result

FAMILY = "classical"
DOFS = "unknowns solved for (free DOFs of the H1 space, cell-interior ones included)"

INSTALL = 'pip install "pdesolve[ngsolve]"'


@dataclass
class Options:
    """Options of the NGSolve solver (case-file keys of a ``kind = "ngsolve"`` table)."""

    order: int = opt(2, min=1, max=20, help="polynomial order k of the H1 space")
    n: int = opt(8, min=1, help="cells of size (longest side of the bounding box) / n; on a "
                 "mesh file n = 2^k refines the file's cells k times")
    refinements: int = opt(0, min=0, max=6, help="uniform refinements of Netgen's mesh "
                           "(nested meshes, new boundary nodes on the curved geometry)")
    hp_levels: int = opt(0, min=0, max=30, help="geometric refinement toward the domain's "
                         "re-entrant corners (Netgen's RefineHP, factor hp_factor): with a high "
                         "order, hp-FEM, exponential convergence at corner singularities; 2-D "
                         "Netgen meshes")
    hp_factor: float = opt(0.2, min=0.01, max=0.5, help="grading of hp_levels: each layer "
                           "toward a corner is this fraction of the one before")
    mesh: Literal["auto", "netgen", "pdesolve"] = opt(
        "auto", help="netgen: Netgen meshes the domain's shape, curved to the order; "
        "pdesolve: the mesh pdesolve's FEM uses (straight; a mesh file's always); auto: "
        "pdesolve's structured mesh on a box, Netgen's elsewhere")
    linear_solver: Literal["auto", "direct", "bddc"] = opt(
        "auto", help="sparse Cholesky of the condensed system, BDDC-preconditioned CG, or "
        "chosen by size (direct below 2e5 unknowns in 2-D, 3e4 in 3-D)")
    tol: float = opt(1e-12, min=1e-16, max=1.0, help="CG relative residual tolerance (bddc)")


def load_ngsolve():
    """``import ngsolve``, torch first. NGSolve's wheel brings its own OpenBLAS and loads it
    globally: imported before torch, it takes over the LAPACK symbols torch binds later, and
    the first Gauss-Newton step of a network trained in the same process (a sweep with an
    ngsolve run before a network run) ends in a segfault. Imported after torch, each keeps
    its own."""
    import torch  # noqa: F401 - see the docstring
    import ngsolve

    return ngsolve


def available() -> bool:
    """Whether NGSolve imports (torch first, :func:`load_ngsolve`)."""
    try:
        load_ngsolve()
    except ImportError:
        return False
    return True


def supports(problem: Problem) -> str | None:
    """None if NGSolve is installed and the problem is in its scope (d = 2, 3)."""
    if not available():
        return f"kind 'ngsolve' needs the optional extra: {INSTALL}"
    if problem.dim not in (2, 3):
        return f"ngsolve solves d = 2 and 3, the problem has d = {problem.dim}"
    return None


def check(problem: Problem, options: Options) -> None:
    """ConfigError for a resolution the domain has no mesh for (a mesh file's n), or
    hp refinement where there is no corner to grade toward or no Netgen mesh."""
    domain = problem.domain
    domain.check_resolution(options.n)
    if options.hp_levels and (domain.dim != 2 or options.mesh == "pdesolve" or domain.structured
                              or domain.kind == "mesh"):
        raise ConfigError("hp_levels: geometric refinement runs on Netgen's meshes of 2-D "
                          f"shapes, not on {domain.kind} domains or mesh = 'pdesolve'")
    if options.hp_levels and not len(domain.reentrant_corners()):
        raise ConfigError(f"hp_levels: the {domain.kind} domain has no re-entrant corner to "
                          "refine toward; use hp_levels = 0")


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """u_h in NGSolve's H1 space of order ``options.order`` (see :mod:`.h1_solve`)."""
    load_ngsolve()
    from .h1_solve import solve_ngsolve

    return solve_ngsolve(problem, options)
