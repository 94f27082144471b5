"""The FEM capability matrix: every (element, domain kind, p, boundary kind) posed on a smooth
manufactured solution, with the L2 rate in h where the solver declares it supported and the
one-line refusal where it does not. Shared by the test suite (a sample at small sizes) and
``benchmarks/fem_capabilities.py`` (the whole matrix)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..metrics import measure_errors
from ..problems.tables import problem_from_table

EXACT = {2: "exp(x)*sin(y + 1) + x", 3: "exp(x)*sin(y + 1)*cos(z/2) + x"}
"""Smooth solutions with |grad u| >= 1 on the domains below (no degenerate p-Laplacian)."""

DOMAINS = {
    "box": {2: None, 3: None},
    "disk/ball": {2: {"kind": "disk", "center": [0.5, 0.5], "radius": 0.5},
                  3: {"kind": "ball", "center": [0.5, 0.5, 0.5], "radius": 0.5}},
    "L-shape": {2: {"kind": "lshape"}},
    "holes": {2: {"kind": "difference", "base": {"kind": "box", "bounds": [[0, 1], [0, 1]]},
                  "remove": [{"kind": "disk", "center": [0.3, 0.3], "radius": 0.1},
                             {"kind": "disk", "center": [0.7, 0.6], "radius": 0.15}]}},
    "mesh file": {2: {"mesh": str(Path(__file__).resolve().parents[2] / "cases/meshes/plate.msh")}},
}
"""Domain tables by kind and dimension (the mesh file's: cases/meshes/plate.msh)."""

BOUNDARIES = ("dirichlet", "neumann+robin", "reaction")


def problem_table(domain: str, dim: int, p: float, boundary: str, parts) -> dict:
    """The problem table of one combination; ``parts`` are the domain's boundary part names
    (Neumann on the first and Robin, alpha = 2, on the second; Robin alone on a one-part
    boundary)."""
    table = {"exact": EXACT[dim], "dim": dim, "p": p}
    if DOMAINS[domain][dim] is not None:
        table["domain"] = DOMAINS[domain][dim]
    if boundary == "reaction":
        table["reaction"] = "1 + x^2"
    elif boundary == "neumann+robin":
        robin = {"kind": "robin", "alpha": "2"}
        table["boundary"] = ({parts[0]: robin} if len(parts) == 1
                             else {parts[0]: "neumann", parts[1]: robin})
    return table


@dataclass
class Outcome:
    """A combination's refusal (one line) or its errors at the sizes tried and fitted rate."""

    refused: str | None = None
    sizes: tuple = ()
    errors: tuple = ()
    rate: float | None = None


def run(domain: str, dim: int, p: float, boundary: str, element: str, sizes) -> Outcome:
    """Pose, validate (``configure``) and solve one combination at each size n; the L2 rate
    is the slope of log error against log h, h = 1/n the target cell size (gmsh's cells at
    size L/n and L/2n are not nested, so their rates scatter more than on nested meshes)."""
    from ..solvers import configure

    parts = [part.name for part in problem_from_table(
        problem_table(domain, dim, p, "dirichlet", [])).domain.parts]
    problem = problem_from_table(problem_table(domain, dim, p, boundary, parts))
    errors = []
    for n in sizes:
        try:
            module, options = configure(problem, "fem", {"element": element, "n": n})
        except ConfigError as exc:
            return Outcome(refused=str(exc))
        if reason := module.supports(problem):
            return Outcome(refused=reason)
        result = module.solve(problem, options)
        errors.append(measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                                     domain=problem.domain).l2_rel)
    rate = float(np.polyfit(-np.log(sizes), np.log(errors), 1)[0])
    return Outcome(sizes=tuple(sizes), errors=tuple(errors), rate=rate)
