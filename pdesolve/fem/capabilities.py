"""The FEM capability matrix, generated from the solver's declarations: every element of its
``element`` option, on every domain kind, for p in {2, 3} and every boundary kind, posed on a
smooth manufactured solution. A combination the solver accepts (``configure``: its
``supports`` and ``check``) is solved on two nested meshes and reaches the L2 rate k + 1 in
h; one it does not accept is refused in one line at validation. Shared by the test suite
(``tests/test_fem_capabilities.py``) and ``benchmarks/fem_capabilities.py`` (a table).

The two meshes are nested so that the rate is measured, not scattered: on a box (the
structured mesh at n and 2n) and on a mesh file (n = 1, 2) by the solver itself; on domains
gmsh meshes (disk, ball, L-shape, holes) the solver's own mesh at n and that mesh refined
uniformly once with the same geometry (:func:`nested_refinement`), each solved by the
solver's mesh path (:class:`~pdesolve.fem.mesh_system.MeshSystem`). A new gmsh mesh at
h / 2 is not nested: its error constant differs by about 15 %, which moves a two-mesh rate by
0.2.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import skfem

from ..errors import ConfigError
from ..metrics import measure_errors
from ..problems.tables import problem_from_table


def exact(dim: int) -> str:
    """The smooth solution: in 2-D u = 4 x + sin(2 x) cos(4 y), with |grad u| >= 2
    everywhere (du/dx = 2 (2 + cos(2 x) cos(4 y))), so that the p-Laplacian is never
    degenerate and its source stays smooth; in 3-D, where the elements have degree <= 2,
    u = exp(x) sin(y + 1) cos(z / 2) + x (du/dx >= 1 on the box and the ball). (sympy takes
    up to 50 s to simplify the derivatives of other forms, e.g. sin(2 (x + 2 y - z)).)"""
    if dim == 3:
        return "exp(x)*sin(y + 1)*cos(z/2) + x"
    return "4*x + sin(2*x)*cos(4*y)"


DOMAINS = {
    "box": {2: None, 3: None},
    "disk/ball": {2: {"kind": "disk", "center": [0.0, 0.0], "radius": 1.0},
                  3: {"kind": "ball", "center": [0.5, 0.5, 0.5], "radius": 0.5}},
    "L-shape": {2: {"kind": "lshape"}},
    "holes": {2: {"kind": "difference", "base": {"kind": "box", "bounds": [[0, 1], [0, 1]]},
                  "remove": [{"kind": "disk", "center": [0.3, 0.3], "radius": 0.1},
                             {"kind": "disk", "center": [0.7, 0.6], "radius": 0.15}]}},
    "mesh file": {2: {"mesh": str(Path(__file__).resolve().parents[2] / "cases/meshes/plate.msh")}},
}
"""Domain tables by kind and dimension (the mesh file's: cases/meshes/plate.msh)."""

P_VALUES = (2, 3)
BOUNDARIES = ("dirichlet", "neumann+robin", "reaction")


def elements() -> tuple[str, ...]:
    """The element names the FEM solver declares (its ``Options.element``)."""
    from ..solvers import fem

    return typing.get_args(typing.get_type_hints(fem.Options)["element"])


@dataclass(frozen=True)
class Combination:
    """One cell of the matrix."""

    dim: int
    domain: str
    p: int
    boundary: str
    element: str

    @property
    def degree(self) -> int:
        return int(self.element[1:])

    def __str__(self) -> str:
        return f"{self.dim}d-{self.domain}-p{self.p}-{self.boundary}-{self.element}"


def combinations() -> list[Combination]:
    """Every (dimension, domain kind, p, boundary kind, element) of the matrix."""
    return [Combination(dim, domain, p, boundary, element)
            for domain, tables in DOMAINS.items() for dim in tables
            for p in P_VALUES for boundary in BOUNDARIES for element in elements()]


SIZES = {
    (2, "box"): {"P1": 8, "P2": 4, "P3": 4, "P4": 3, "Q1": 8, "Q2": 4, "Q3": 4, "Q4": 3,
                 "Q5": 2, "Q6": 2, "Q7": 2, "Q8": 2},
    (2, "disk/ball"): {"P1": 8, "P2": 4, "P3": 6, "P4": 6, "Q1": 8, "Q2": 4, "Q3": 4, "Q4": 3,
                       "Q5": 2, "Q6": 2, "Q7": 1, "Q8": 1},
    (2, "L-shape"): {"P1": 16, "P2": 8, "P3": 8, "P4": 6, "Q1": 16, "Q2": 8, "Q3": 8, "Q4": 6,
                     "Q5": 4, "Q6": 4, "Q7": 2, "Q8": 2},
    (2, "holes"): {"P1": 8, "P2": 4, "P3": 4, "P4": 3, "Q1": 8, "Q2": 5, "Q3": 2, "Q4": 2,
                   "Q5": 2, "Q6": 2, "Q7": 2, "Q8": 2},
    (3, "box"): {"P1": 4, "P2": 2, "Q1": 4, "Q2": 2},
    (3, "disk/ball"): {"P1": 8, "P2": 4},
}
"""The coarser resolution n of each combination (the finer is 2n; a mesh file: n = 1, 2):
the cheapest at which the p = 2 rate is within 0.15 of k + 1 (measured). gmsh's recombined
quadrilaterals of the holes domain at n = 1, 3 and 4 have non-convex cells on which every
Qk stalls near 6e-3, hence n = 5 for Q2 and 2 above."""


def resolution(c: Combination) -> int:
    """The coarser resolution n of a combination (:data:`SIZES`); 2 for elements not listed
    there (they are refused, and n = 2 is valid on every domain)."""
    if c.domain == "mesh file":
        return 1
    return SIZES[c.dim, c.domain].get(c.element, 2)


def problem_table(domain: str, dim: int, p: float, boundary: str, parts) -> dict:
    """The problem table of one combination; ``parts`` are the domain's boundary part names
    (Neumann on the first and Robin, alpha = 2, on the second; Robin alone on a one-part
    boundary)."""
    table = {"exact": exact(dim), "dim": dim, "p": p}
    if DOMAINS[domain][dim] is not None:
        table["domain"] = DOMAINS[domain][dim]
    if boundary == "reaction":
        table["reaction"] = "1 + x^2"
    elif boundary == "neumann+robin":
        robin = {"kind": "robin", "alpha": "2"}
        table["boundary"] = ({parts[0]: robin} if len(parts) == 1
                             else {parts[0]: "neumann", parts[1]: robin})
    return table


@cache
def _part_names(domain: str, dim: int) -> tuple[str, ...]:
    table = problem_table(domain, dim, 2, "dirichlet", [])
    return tuple(part.name for part in problem_from_table(table).domain.parts)


def pose(c: Combination):
    """The Problem of a combination (every element shares it: posed once)."""
    return _posed(c.domain, c.dim, c.p, c.boundary)


@cache
def _posed(domain: str, dim: int, p: int, boundary: str):
    return problem_from_table(problem_table(domain, dim, p, boundary, _part_names(domain, dim)))


@cache
def refusal(c: Combination, n: int) -> str | None:
    """The solver's one-line ConfigError for ``c`` at resolution n, None if it accepts it."""
    from ..solvers import configure

    try:
        configure(pose(c), "fem", {"element": c.element, "n": n})
    except ConfigError as exc:
        return str(exc)
    return None


@dataclass
class Outcome:
    """A combination's refusal (one line) or its errors on the two meshes and their rate."""

    refused: str | None = None
    sizes: tuple = ()
    errors: tuple = ()
    rate: float | None = None


def run(c: Combination, n: int | None = None) -> Outcome:
    """Validate ``c`` at resolution n (default :func:`resolution`), then solve it on the mesh
    of n and its nested refinement; the L2 rate is log2 of the ratio of the two errors (h
    halves)."""
    from ..solvers import configure

    n = n or resolution(c)
    if (refused := refusal(c, n)) is not None:
        return Outcome(refused=refused)
    problem = pose(c)
    if problem.domain.kind not in ("box", "mesh"):
        pairs = [_mesh_solution(problem, c.element, mesh) for mesh in _meshes(c, n)]
    else:
        pairs = []
        for size in (n, 2 * n):
            module, options = configure(problem, "fem", {"element": c.element, "n": size})
            result = module.solve(problem, options)
            pairs.append((result.u, result.grad))
    errors = tuple(measure_errors(u, problem.exact, grad, problem.exact_grad).l2_rel
                   for u, grad in pairs)
    return Outcome(sizes=(n, 2 * n), errors=errors, rate=float(np.log2(errors[0] / errors[1])))


def _meshes(c: Combination, n: int) -> tuple[skfem.Mesh, skfem.Mesh]:
    """The solver's mesh of ``c`` at n (:func:`pdesolve.fem.on_domain.solve_on_domain` takes
    the same) and its nested refinement (cached per domain, cells and geometry order)."""
    return _domain_meshes(c.domain, c.dim, n, *_mesh_kind(c.element))


def _mesh_kind(element: str) -> tuple[str, int]:
    from .elements import mesh_kind

    cells = mesh_kind(element, "auto")
    return cells, 1 if element in ("P1", "Q1") or cells == "tensor" else 2


@cache
def _domain_meshes(domain: str, dim: int, n: int, cells: str, order: int):
    problem = problem_from_table(problem_table(domain, dim, 2, "dirichlet", []))
    mesh = problem.domain.mesh_at(n, order=order, cells=cells)
    return mesh, nested_refinement(mesh)


def _mesh_solution(problem, element: str, mesh: skfem.Mesh):
    """(u, grad) of the FEM solution on ``mesh`` by the solver's mesh path, its default
    options (direct solver, Newton to 1e-10 for p != 2)."""
    from ..solvers import fem
    from .linear import LinearSolver
    from .mesh_function import mesh_function
    from .mesh_system import MeshSystem
    from .system import solve_system

    options = fem.Options()
    system = MeshSystem.of(problem, mesh, element)
    linear = LinearSolver(options.linear_solver, options.tol, problem.dim, int(element[1:]),
                          ordering="COLAMD")
    solution = solve_system(system, problem.p, linear, newton_tol=options.newton_tol,
                            newton_maxiter=options.newton_maxiter)
    fn = mesh_function(system.basis, solution.u)
    return fn, fn.grad


STRAIGHT = {skfem.MeshTri2: skfem.MeshTri1, skfem.MeshTet2: skfem.MeshTet1}
"""The straight mesh type under each quadratic one."""


def nested_refinement(mesh: skfem.Mesh) -> skfem.Mesh:
    """``mesh`` refined uniformly once over exactly the same domain, its boundary parts kept.

    Straight cells are split as scikit-fem splits them. A quadratic (curved) mesh is split as
    its straight cells are, and every node of a child cell is placed by its parent's map:
    x = F_parent(A_parent^-1 (y - v_0)), y the node on the straight child, A_parent and v_0
    the parent's straight affine map (scikit-fem's own ``refined`` of a quadratic mesh moves
    the nodes off the curved boundary).
    """
    straight_type = STRAIGHT.get(type(mesh))
    corners = mesh.doflocs[:, : mesh.t.max() + 1]  # a quadratic mesh's p has its edge nodes
    straight = replace(straight_type(corners, mesh.t) if straight_type else mesh,
                       _boundaries=mesh.boundaries)
    fine = straight.refined()  # keeps the parts on triangles and quadrilaterals
    parent = straight.element_finder()(*fine.p[:, fine.t].mean(axis=1))
    parts = fine.boundaries or _carried_parts(mesh, straight, fine, parent)
    if straight_type is None:
        return fine.with_boundaries(parts)
    fine = type(mesh).from_mesh(fine)
    local = fine.dofs.element_dofs  # (nodes per cell, cells)
    vertices = corners[:, mesh.t[:, parent]]  # (d, d + 1, cells)
    affine = np.moveaxis(vertices[:, 1:] - vertices[:, :1], 2, 0)
    offset = np.moveaxis(fine.doflocs[:, local] - vertices[:, :1], 2, 0)
    reference = np.moveaxis(np.linalg.solve(affine, offset), 0, 1)  # (d, cells, nodes)
    doflocs = fine.doflocs.copy()
    doflocs[:, local.T] = mesh._mapping().F(reference, tind=parent)
    return replace(fine, doflocs=doflocs, _boundaries=parts)


def _carried_parts(mesh: skfem.Mesh, straight: skfem.Mesh, fine: skfem.Mesh,
                   parent: np.ndarray) -> dict[str, np.ndarray]:
    """The boundary facets of ``fine`` by part of ``mesh``: a child facet belongs to the part
    of the parent cell's boundary facet whose affine hull holds its centre."""
    owner = np.full(straight.facets.shape[1], -1)
    names = list(mesh.boundaries)
    for k, name in enumerate(names):
        owner[mesh.boundaries[name]] = k
    facets = fine.boundary_facets()
    centre = fine.p[:, fine.facets[:, facets]].mean(axis=1)  # (d, m)
    candidates = straight.t2f[:, parent[fine.f2t[0, facets]]]  # (d + 1, m)
    ends = straight.p[:, straight.facets[:, candidates]]  # (d, d, d + 1, m)
    if mesh.dim() == 2:
        edge = ends[:, 1] - ends[:, 0]
        normal = np.stack([edge[1], -edge[0]])
    else:
        normal = np.cross(ends[:, 1] - ends[:, 0], ends[:, 2] - ends[:, 0], axis=0)
    gap = np.abs(np.sum(normal * (centre[:, None] - ends[:, 0]), axis=0))
    gap = np.where(owner[candidates] >= 0, gap / np.linalg.norm(normal, axis=0), np.inf)
    part = owner[candidates[np.argmin(gap, axis=0), np.arange(len(facets))]]
    return {name: facets[part == k] for k, name in enumerate(names)}
