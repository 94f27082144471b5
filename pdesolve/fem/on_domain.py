"""FEM on a mesh of any 2-D or 3-D Domain: gmsh, file or structured simplex meshes, uniform
or adaptive refinement, for the whole family

    -div(kappa |grad u|^(p-2) grad u) + c u = f in Omega,  u = g on the Dirichlet parts,
    kappa |grad u|^(p-2) du/dn + alpha u = h on the Neumann/Robin parts.

The mesh is ``domain.mesh_at(n)``: cells of size h = (longest edge of the bounding box) / n,
straight for P1 and quadratic (curved boundary) for degree >= 2, or straight quadrilaterals
for Qk (gmsh's recombined triangles, or the box's squares; a mesh file: its own cells refined
log2 n times). ``refine = "adaptive"`` starts from that mesh and refines
``adapt_steps`` times the cells Doerfler marks by the residual estimator (:mod:`.adaptive`).
Each mesh is solved by :func:`pdesolve.fem.system.solve_system` (Newton for p != 2).
"""

from __future__ import annotations

import time

from ..domains.meshing import mesh_size, refine
from ..problems.base import Problem
from .adaptive import dorfler_mark, residual_estimator
from .mesh_system import MeshSystem
from .system import Solution, solve_system


def solve_on_domain(problem: Problem, element: str, cells: str, n: int, refine_mode: str,
                    adapt_steps: int, solve_options: dict
                    ) -> tuple[MeshSystem, Solution, list[dict], dict]:
    """(system, solution, history, info) of ``problem`` in the Lagrange space ``element``
    ("Pk"/"Qk") on a mesh of its domain with ``cells`` "simplex" or "tensor" (quadrilaterals,
    straight); ``solve_options`` go to :func:`solve_system`."""
    start = time.perf_counter()
    domain = problem.domain
    straight = element in ("P1", "Q1") or cells == "tensor"
    mesh = domain.mesh_at(n, order=1 if straight else 2, cells=cells)
    history = []
    for step in range(adapt_steps + 1 if refine_mode == "adaptive" else 1):
        system = MeshSystem.of(problem, mesh, element)
        solution = solve_system(system, problem.p, **solve_options)
        if refine_mode == "adaptive":
            eta = residual_estimator(system, solution.u, problem.p)
            history.append({"step": step, "dofs": int(system.interior.size),
                            "estimator": float(eta.sum() ** 0.5),
                            "seconds": time.perf_counter() - start})
            if step < adapt_steps:
                mesh = refine(mesh, domain, dorfler_mark(eta))
    info = {"h": mesh_size(mesh) if refine_mode == "uniform" else None,
            "max_edge": mesh_size(mesh), "n": n, "element": element,
            "mesh": {"box": "structured", "mesh": "file"}.get(domain.kind, "gmsh"),
            "cells": int(mesh.t.shape[1]), "total_dofs": int(system.basis.N),
            "refine": refine_mode}
    return system, solution, history, info
