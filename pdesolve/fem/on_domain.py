"""FEM on any 2-D or 3-D Domain: gmsh (or file) meshes, uniform or adaptive refinement.

    -div(kappa grad u) + c u = f in Omega,  u = g on the Dirichlet parts of dOmega,
    kappa du/dn + alpha u = h on the Neumann/Robin parts  (p = 2).

The mesh has cells of size h = (longest edge of the bounding box) / n, straight for P1 and
quadratic (curved boundary) for degree >= 2. ``refine = "adaptive"`` starts from that mesh
and refines ``adapt_steps`` times the cells Doerfler marks by the residual estimator
(:mod:`.adaptive`, P1). The box keeps its structured fast path (:mod:`pdesolve.solvers.fem`).
"""

from __future__ import annotations

import time

import numpy as np

from ..domains.meshing import mesh_size, refine
from ..problems.base import Problem
from ..result import Result
from .adaptive import dorfler_mark, residual_estimator
from .unstructured import MeshFunction, MeshSystem


def solve_on_domain(problem: Problem, degree: int, n: int, refine_mode: str,
                    adapt_steps: int, linear_solver) -> Result:
    """u_h of ``problem`` in the degree-``degree`` Lagrange space of a mesh of its domain."""
    start = time.perf_counter()
    domain = problem.domain
    mesh = domain.mesh(float(np.max(domain.lengths)) / n, order=1 if degree == 1 else 2)
    kappa = None if problem.constant_kappa else problem.kappa
    history = []
    for step in range(adapt_steps + 1 if refine_mode == "adaptive" else 1):
        system = MeshSystem.of(problem, mesh, degree)
        u = system.solve(problem.f, kappa, linear_solver)
        if refine_mode == "adaptive":
            eta = residual_estimator(system, u, problem.f, kappa)
            history.append({"step": step, "dofs": int(system.interior.size),
                            "estimator": float(np.sqrt(eta.sum())),
                            "seconds": time.perf_counter() - start})
            if step < adapt_steps:
                mesh = refine(mesh, domain, dorfler_mark(eta))
    seconds = time.perf_counter() - start
    fn = MeshFunction(system.basis, u, degree)
    info = {"h": mesh_size(mesh) if refine_mode == "uniform" else None, "max_edge":
            mesh_size(mesh), "n": n, "element": f"P{degree}", "mesh": "gmsh" if
            domain.kind != "mesh" else "file", "cells": int(mesh.t.shape[1]),
            "total_dofs": int(system.basis.N), "refine": refine_mode}
    return Result("fem", u=fn, grad=fn.grad, dofs=int(system.interior.size), seconds=seconds,
                  history=history, info=info)
