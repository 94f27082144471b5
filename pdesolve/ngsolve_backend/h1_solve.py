"""The NGSolve solve: H1 of order k, the problem's data at NGSolve's quadrature points.

    a(u, v) = int kappa grad u . grad v + c u v dx + sum_Robin int alpha u v ds,
    l(v)    = int f v dx + sum_flux parts int h v ds,        u = g_h on the Dirichlet parts,

with f, kappa, c (and h, alpha on the flux parts) evaluated by the problem's own functions at
the points of NGSolve's rules of degree 2k + 2 (``IntegrationRuleSpace``: a point function is
all NGSolve needs), and g_h the L2 projection of g onto the trace space of the Dirichlet parts.
Static condensation of the cell-interior DOFs, then a sparse Cholesky factorisation of the
condensed matrix or CG preconditioned by BDDC.

For p != 2 that solution (kappa, c, the flux data as above) starts Newton's method on the energy

    J(u) = int kappa |grad u|^p / p + c u^2 / 2 - f u dx + sum_flux parts int alpha u^2 / 2 - h u ds

(NGSolve's ``Variation``: the residual and the Hessian by automatic differentiation, each
step a sparse Cholesky solve), stopped when the residual's norm falls below
``NEWTON_TOL`` times its value at the start.
"""

from __future__ import annotations

import re
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..problems.base import Problem
from ..result import Result
from .geometry import imported_mesh, shape_mesh

DIRECT_MAX_DOFS = {2: 200_000, 3: 30_000}
"""'auto' factorises up to this many unknowns, by dimension (BDDC-CG above)."""

NEWTON_TOL = 1e-10
"""p != 2: Newton stops at this residual norm relative to the p = 2 solution's residual."""

NEWTON_MAXITER = 50

NUDGES = (1e-9, 1e-6, 1e-3, 0.1, 0.5, 1.0)
"""Fractions of the way to the nearest mesh vertex tried for a point outside the mesh."""


class PointData:
    """The points of NGSolve's rules of degree ``order`` on every cell (``boundary=False``) or
    every boundary element, in the order of an integration-rule space's values: point
    functions evaluated there become GridFunctions of that space (:meth:`function`)."""

    def __init__(self, mesh, order: int, boundary: bool = False):
        import ngsolve
        from ngsolve.comp import IntegrationRuleSpace, IntegrationRuleSpaceSurface

        space = IntegrationRuleSpaceSurface if boundary else IntegrationRuleSpace
        self.space = space(mesh, order=order)
        self.rules = self.space.GetIntegrationRules()
        self.points = mesh.MapToAllElements(self.rules, ngsolve.BND if boundary else ngsolve.VOL)
        coordinates = (ngsolve.x, ngsolve.y, ngsolve.z)[: mesh.dim]
        self.x = np.stack([np.asarray(c(self.points)).ravel() for c in coordinates], axis=1)
        self.dim = mesh.dim
        self.elements = mesh.GetNE(ngsolve.BND if boundary else ngsolve.VOL)

    def normals(self, mesh) -> np.ndarray:
        """Outward unit normals at the (boundary) points, (n, d): NGSolve's, turned round on
        the boundary elements where most points have x + eps n inside the mesh and x - eps n
        outside (a hole's boundary in a BREP shape may be oriented into the domain),
        eps = 1e-4 x the mesh's extent."""
        import ngsolve

        n = np.asarray(ngsolve.specialcf.normal(self.dim)(self.points)).reshape(-1, self.dim)
        step = 1e-4 * float(np.ptp(self.x, axis=0).max()) * n
        ahead, behind = (mesh(*(self.x + sign * step).T)["nr"] >= 0 for sign in (1.0, -1.0))
        inward = (ahead & ~behind).reshape(self.elements, -1)
        n[np.repeat(inward.mean(axis=1) > 0.5, inward.shape[1])] *= -1.0
        return n

    def function(self, values):
        """A GridFunction of the space holding ``values`` (one per point, or a constant)."""
        import ngsolve

        gf = ngsolve.GridFunction(self.space)
        gf.vec.FV().NumPy()[:] = np.broadcast_to(np.asarray(values, dtype=float),
                                                 (len(self.x),))
        return gf


def cell_weights(data: PointData) -> np.ndarray:
    """w_q |J_q| of every point of ``data``: the integration-rule space's load of 1."""
    import ngsolve

    weights = ngsolve.LinearForm(data.space.TestFunction()
                                 * ngsolve.dx(intrules=data.rules)).Assemble()
    return weights.vec.FV().NumPy().copy()


class NGSolveCells:
    """The error rule on the solution's own (curved) cells: NGSolve's rule of degree
    ``order`` on every cell, u_h and grad u_h there (no point location: the harness never
    evaluates u_h outside NGSolve's mesh, where the domain's other meshes put some points)."""

    strata = 1
    replicates = 1

    def __init__(self, fn: NGSolveFunction, order: int):
        self.fn, self.order = fn, order

    def samples(self):
        from ..quadrature import Samples

        data = PointData(self.fn.mesh, self.order)
        u = np.asarray(self.fn.gfu(data.points)).ravel()
        grad = np.asarray(self.fn.gradient(data.points)).reshape(len(u), -1)
        yield Samples(data.x, cell_weights(data), np.zeros(len(u), dtype=np.int64), u, grad)

    def describe(self) -> dict:
        return {"kind": "ngsolve cells", "cells": self.fn.mesh.ne, "order": self.order}


class NGSolveFunction:
    """u_h of an NGSolve GridFunction at points x (m, d), with ``grad``: points outside the
    (curved) mesh are moved towards the nearest vertex until the mesh holds them. Its errors
    are measured on its own cells (:meth:`error_rules`)."""

    def __init__(self, gfu, mesh):
        import ngsolve
        from scipy.spatial import cKDTree

        self.gfu, self.mesh = gfu, mesh
        self.gradient = ngsolve.grad(gfu)
        self.vertices = mesh.ngmesh.Coordinates()[:, : mesh.dim]
        self.tree = cKDTree(self.vertices)

    def _points(self, x: np.ndarray):
        x = np.asarray(x, dtype=float)
        points = self.mesh(*x.T)
        lost = np.flatnonzero(points["nr"] < 0)
        target = self.vertices[self.tree.query(x[lost])[1]] if lost.size else None
        for t in NUDGES:
            if not lost.size:
                break
            found = self.mesh(*(x[lost] + t * (target - x[lost])).T)
            ok = found["nr"] >= 0
            points[lost[ok]] = found[ok]
            lost, target = lost[~ok], target[~ok]
        return points

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.gfu(self._points(x))).reshape(len(x))

    def grad(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.gradient(self._points(x))).reshape(len(x), -1)

    def error_rules(self, level: int) -> NGSolveCells | None:
        """Level l: NGSolve's rules of degree 2k + 2 + 2l on the solution's cells (l < 3)."""
        return NGSolveCells(self, 2 * self.gfu.space.globalorder + 2 + 2 * level) \
            if level < 3 else None


def _regions(names) -> str:
    return "|".join(re.escape(name) for name in names)


def _source(problem: Problem, options) -> str:
    """Where the mesh comes from: "netgen", "pdesolve" or "file"."""
    if problem.domain.kind == "mesh":
        return "file"
    if options.mesh == "auto":
        return "pdesolve" if problem.domain.structured else "netgen"
    return options.mesh


def _mesh(problem: Problem, options):
    domain = problem.domain
    if _source(problem, options) != "netgen":
        return imported_mesh(domain.mesh_at(options.n, order=1), domain)
    return shape_mesh(domain, float(np.max(domain.lengths)) / options.n, options.order,
                      options.refinements, options.hp_levels, options.hp_factor)


def _coo(matrix) -> sp.csr_matrix:
    rows, cols, values = matrix.COO()
    n = matrix.height
    return sp.csr_matrix((np.asarray(values), (np.asarray(rows), np.asarray(cols))),
                         shape=(n, n))


def _dirichlet_values(problem: Problem, fes, mesh, order: int) -> np.ndarray:
    """g_h: the L2 projection of g onto the trace of the space on the Dirichlet parts, (N,)."""
    import ngsolve

    values = np.zeros(fes.ndof)
    if not problem.dirichlet_parts:
        return values
    region = mesh.Boundaries(_regions(problem.dirichlet_parts))
    data = PointData(mesh, order, boundary=True)
    u, v = fes.TnT()
    g = data.function(problem.g(data.x))
    mass = ngsolve.BilinearForm(u * v * ngsolve.ds(definedon=region, intrules=data.rules))
    load = ngsolve.LinearForm(g * v * ngsolve.ds(definedon=region, intrules=data.rules))
    mass.Assemble()
    load.Assemble()
    fixed = np.flatnonzero(~np.array(list(fes.FreeDofs()), dtype=bool))
    M = _coo(mass.mat)[fixed][:, fixed].tocsc()
    values[fixed] = spla.spsolve(M, load.vec.FV().NumPy()[fixed])
    return values


def _forms(problem: Problem, fes, mesh, order: int, condense: bool):
    """(a, l), to be assembled: the bilinear and linear forms of the module docstring."""
    import ngsolve

    u, v = fes.TnT()
    cells = PointData(mesh, order)
    dx = ngsolve.dx(intrules=cells.rules)
    kappa = 1.0 if problem.constant_kappa else cells.function(problem.kappa(cells.x))
    a = ngsolve.BilinearForm(fes, condense=condense)
    a += kappa * ngsolve.grad(u) * ngsolve.grad(v) * dx
    if problem.reaction is not None:
        a += cells.function(problem.reaction(cells.x)) * u * v * dx
    load = ngsolve.LinearForm(fes)
    load += cells.function(problem.f(cells.x)) * v * dx
    facets = PointData(mesh, order, boundary=True) if problem.fluxes else None
    for name, condition in problem.fluxes.items():
        ds = ngsolve.ds(definedon=mesh.Boundaries(_regions([name])), intrules=facets.rules)
        load += facets.function(condition.h(facets.x, facets.normals(mesh))) * v * ds
        if condition.alpha is not None:
            a += facets.function(condition.alpha(facets.x)) * u * v * ds
    return a, load


def _newton(problem: Problem, fes, mesh, order: int, gfu) -> dict:
    """Newton on J (module docstring) from ``gfu``, in place: {iterations, converged}."""
    import ngsolve
    from ngsolve.solvers import Newton

    u = fes.TrialFunction()
    cells = PointData(mesh, order)
    dx = ngsolve.dx(intrules=cells.rules)
    kappa = 1.0 if problem.constant_kappa else cells.function(problem.kappa(cells.x))
    grad_u = ngsolve.grad(u)
    density = kappa / problem.p * (grad_u * grad_u) ** (problem.p / 2) \
        - cells.function(problem.f(cells.x)) * u
    if problem.reaction is not None:
        density += cells.function(problem.reaction(cells.x)) / 2 * u * u
    energy = ngsolve.BilinearForm(fes, symmetric=True)
    energy += ngsolve.Variation(density * dx)
    facets = PointData(mesh, order, boundary=True) if problem.fluxes else None
    for name, condition in problem.fluxes.items():
        ds = ngsolve.ds(definedon=mesh.Boundaries(_regions([name])), intrules=facets.rules)
        boundary = -facets.function(condition.h(facets.x, facets.normals(mesh))) * u
        if condition.alpha is not None:
            boundary += facets.function(condition.alpha(facets.x)) / 2 * u * u
        energy += ngsolve.Variation(boundary * ds)
    residual = gfu.vec.CreateVector()
    energy.Apply(gfu.vec, residual)
    free = fes.FreeDofs()
    start = float(np.linalg.norm(residual.FV().NumPy()[np.array(list(free), dtype=bool)]))
    status, iterations = Newton(energy, gfu, freedofs=free, maxit=NEWTON_MAXITER,
                                maxerr=max(NEWTON_TOL * start, 1e-300),
                                inverse="sparsecholesky", printing=False)
    return {"iterations": int(iterations), "converged": status == 0}


def solve_ngsolve(problem: Problem, options) -> Result:
    """Mesh, assemble, solve (see the module docstring); ``seconds`` covers all three."""
    import ngsolve

    start = time.perf_counter()
    k, d = options.order, problem.dim
    mesh = _mesh(problem, options)
    fes = ngsolve.H1(mesh, order=k, dirichlet=_regions(problem.dirichlet_parts))
    free = int(sum(fes.FreeDofs()))
    method = options.linear_solver
    if method == "auto":
        method = "direct" if free <= DIRECT_MAX_DOFS[d] else "bddc"
    meshed = time.perf_counter() - start
    a, load = _forms(problem, fes, mesh, 2 * k + 2, condense=method == "direct")
    pre = ngsolve.Preconditioner(a, "bddc") if method == "bddc" else None
    a.Assemble()
    load.Assemble()
    gfu = ngsolve.GridFunction(fes)
    gfu.vec.FV().NumPy()[:] = _dirichlet_values(problem, fes, mesh, 2 * k + 2)
    residual = load.vec.CreateVector()
    residual.data = load.vec - a.mat * gfu.vec
    assembled = time.perf_counter() - start - meshed
    iterations = 0
    if method == "direct":
        residual.data += a.harmonic_extension_trans * residual
        inverse = a.mat.Inverse(fes.FreeDofs(True), inverse="sparsecholesky")
        gfu.vec.data += inverse * residual
        gfu.vec.data += a.harmonic_extension * gfu.vec
        gfu.vec.data += a.inner_solve * residual
    else:
        solver = ngsolve.krylovspace.CGSolver(a.mat, pre.mat, tol=options.tol, maxiter=2000)
        gfu.vec.data += solver * residual
        iterations = solver.iterations
    newton = _newton(problem, fes, mesh, 2 * k + 2, gfu) if problem.p != 2 else None
    seconds = time.perf_counter() - start
    fn = NGSolveFunction(gfu, mesh)
    source = _source(problem, options)
    info = {"order": k, "n": options.n, "refinements": options.refinements, "mesh": source,
            "hp_levels": options.hp_levels,
            "cells": mesh.ne, "total_dofs": fes.ndof, "linear_solver": method,
            "cg_iterations": iterations, "curved": source == "netgen" and k > 1,
            "timings": {"mesh": meshed, "assemble": assembled,
                        "solve": seconds - meshed - assembled},
            "ngsolve": ngsolve.__version__}
    if newton is not None:
        info["newton"] = newton
    if problem.exact is not None:
        info["ngsolve_l2_rel"] = own_l2_error(problem, gfu, mesh, 2 * k + 4)
    return Result("ngsolve", u=fn, grad=fn.grad, dofs=free, seconds=seconds, info=info)


def own_l2_error(problem: Problem, gfu, mesh, order: int) -> float:
    """The relative L2 error by NGSolve's own rule of degree ``order`` on its (curved) cells:
    sum_q w_q |J_q| (u_h - u)^2 over the integration-rule space's points, the weights
    w_q |J_q| assembled as the space's load of 1 (a cross-check of the harness's value)."""
    cells = PointData(mesh, order)
    w = cell_weights(cells)
    exact = problem.exact(cells.x)
    error = np.asarray(gfu(cells.points)).ravel() - exact
    return float(np.sqrt(np.sum(w * error**2) / np.sum(w * exact**2)))
