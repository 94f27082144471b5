"""Finite elements on any simplicial mesh of a Domain (scikit-fem's general basis path).

The box keeps its structured fast path (:mod:`.assembly`); every other domain is meshed by
gmsh or read from a file (:mod:`pdesolve.domains.meshing`) and assembled here with
scikit-fem forms on the whole mesh:

    a(u, v) = int kappa grad u . grad v + c u v + sum_Robin int_part alpha u v,
    l(v) = int f v + sum_flux parts int_part h v,

the facet terms by a FacetBasis on each Neumann/Robin part, Dirichlet values g interpolated
at the DOFs of the other parts. Coefficients are evaluated at each cell's own quadrature
points, so a coefficient that jumps across cell boundaries (a mesh that follows the
interface) is integrated exactly cell by cell. The solution is
evaluated anywhere by locating the cell (:class:`~pdesolve.domains.locate.SimplexLocator`),
mapping back to the reference cell and summing the element's basis functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import skfem
from scipy.spatial import cKDTree
from skfem.helpers import dot, grad

from ..domains.locate import SimplexLocator
from ..quadrature import Samples

LAGRANGE = {
    (2, 1): skfem.ElementTriP1, (2, 2): skfem.ElementTriP2, (2, 3): skfem.ElementTriP3,
    (2, 4): skfem.ElementTriP4, (3, 1): skfem.ElementTetP1, (3, 2): skfem.ElementTetP2,
}
"""(dimension, degree) -> Lagrange element on triangles / tetrahedra."""

CHUNK = 1 << 15

NEWTON_STEPS = 20
"""Newton iterations of the isoparametric inverse map (quadratic cells converge in 3-4)."""


@skfem.BilinearForm
def laplace(u, v, _):
    """grad u . grad v (kappa = 1: no coefficient array, one temporary fewer per pair)."""
    return dot(grad(u), grad(v))


@skfem.BilinearForm
def weighted_laplace(u, v, w):
    """kappa grad u . grad v."""
    return w.kappa * dot(grad(u), grad(v))


@skfem.LinearForm
def weighted_load(v, w):
    """f v."""
    return w.f * v


@skfem.BilinearForm
def weighted_mass(u, v, w):
    """c u v (the reaction term in cells, alpha u v on Robin facets)."""
    return w.c * u * v


class StraightStartMapping(skfem.MappingIsoparametric):
    """The isoparametric map of a curved mesh whose inverse runs Newton from the straight
    cell's affine inverse, unclipped (scikit-fem's starts every point at 1/2 and clips to the
    unit cube, which fails for facet points of coarse curved tetrahedra)."""

    def invF(self, x, tind=None, newton_max_iters=NEWTON_STEPS, newton_tol=1e-12):
        mesh = self.mesh
        cells = np.arange(mesh.t.shape[1]) if tind is None else tind
        corners = mesh.p[:, mesh.t[: mesh.dim() + 1, cells]]  # (d, d + 1, m)
        edges = np.moveaxis(corners[:, 1:] - corners[:, :1], 2, 0)  # (m, d, d)
        offset = np.moveaxis(x - corners[:, 0][:, :, None], 0, 1)  # (m, d, q)
        X = np.moveaxis(np.linalg.solve(edges, offset), 1, 0)  # (d, m, q)
        for _ in range(newton_max_iters):
            step = np.einsum("ijkl,jkl->ikl", self.invDF(X, tind), x - self.F(X, tind))
            X = X + step
            if np.abs(step).max() < newton_tol:
                break
        return X


def curved_facet_basis(mesh: skfem.Mesh, elem, facets, intorder: int) -> skfem.FacetBasis:
    """A FacetBasis on ``facets``, on curved meshes through :class:`StraightStartMapping`."""
    mapping = None if mesh.affine else StraightStartMapping(mesh, mesh.elem(), mesh.bndelem)
    return skfem.FacetBasis(mesh, elem, mapping=mapping, facets=facets, intorder=intorder)


def coordinates(basis: skfem.AbstractBasis) -> np.ndarray:
    """Global quadrature points of a basis (cells or facets) as (n, d) rows (for the problem's
    functions), in the order of ``basis.dx``."""
    x = np.asarray(basis.global_coordinates().value)
    return x.reshape(x.shape[0], -1).T


def at_quadrature(fn, basis: skfem.AbstractBasis) -> np.ndarray:
    """fn evaluated at the quadrature points of ``basis``, shape (nelems, nqp)."""
    return np.asarray(fn(coordinates(basis)), dtype=float).reshape(basis.dx.shape)


@dataclass
class MeshSystem:
    """The linear system of one problem on one mesh: ``basis`` and Dirichlet DOFs by part.

    ``dirichlet`` maps the boundary part names where u = g to the function g of each;
    ``reaction`` is c(x) or None; ``fluxes`` maps part names to their
    :class:`pdesolve.problems.base.FluxCondition`.
    """

    mesh: skfem.Mesh
    degree: int
    dirichlet: dict
    intorder: int | None = None
    reaction: object = None
    fluxes: dict = field(default_factory=dict)

    @classmethod
    def of(cls, problem, mesh: skfem.Mesh, degree: int) -> MeshSystem:
        """The system of ``problem`` (its Dirichlet parts, reaction and flux parts) on ``mesh``."""
        return cls(mesh, degree, {name: problem.g for name in problem.dirichlet_parts},
                   reaction=problem.reaction, fluxes=dict(problem.fluxes))

    @property
    def quadrature_order(self) -> int:
        """Degree of the cell rules (default 2 k for degree k: exact for the stiffness with
        constant kappa on straight cells and for the mass of degree-k functions; the L2 rate
        k + 1 needs 2 k - 1, Ciarlet's quadrature condition)."""
        return self.intorder or 2 * self.degree

    @cached_property
    def basis(self) -> skfem.CellBasis:
        element = LAGRANGE[self.mesh.dim(), self.degree]()
        return skfem.CellBasis(self.mesh, element, intorder=self.quadrature_order)

    @cached_property
    def boundary_dofs(self) -> dict[str, np.ndarray]:
        """DOF indices of each Dirichlet part."""
        return {name: self.basis.get_dofs(name).all() for name in self.dirichlet}

    @cached_property
    def fixed(self) -> np.ndarray:
        return np.unique(np.concatenate([*self.boundary_dofs.values(), np.zeros(0, int)]))

    @cached_property
    def interior(self) -> np.ndarray:
        return np.setdiff1d(np.arange(self.basis.N), self.fixed)

    def boundary_values(self) -> np.ndarray:
        """u with g interpolated at the DOFs of each Dirichlet part (0 elsewhere), (N,)."""
        u = np.zeros(self.basis.N)
        for name, dofs in self.boundary_dofs.items():
            u[dofs] = self.dirichlet[name](self.basis.doflocs[:, dofs].T)
        return u

    def condensed(self, f, kappa=None):
        """(A_II, b_I, u): the system for the interior DOFs, b_I = l_I - A_IB g_B, and u with
        g at the Dirichlet DOFs (the interior values to be filled in)."""
        b = self.basis
        A = (laplace.assemble(b) if kappa is None
             else weighted_laplace.assemble(b, kappa=at_quadrature(kappa, b)))
        rhs = weighted_load.assemble(b, f=at_quadrature(f, b))
        if self.reaction is not None:
            A = A + weighted_mass.assemble(b, c=at_quadrature(self.reaction, b))
        for name, condition in self.fluxes.items():
            facet = curved_facet_basis(self.mesh, b.elem, self.mesh.boundaries[name],
                                       self.quadrature_order)
            x = coordinates(facet)
            normal = np.asarray(facet.normals).reshape(x.shape[1], -1).T
            h = np.asarray(condition.h(x, normal), dtype=float).reshape(facet.dx.shape)
            rhs = rhs + weighted_load.assemble(facet, f=h)
            if condition.alpha is not None:
                A = A + weighted_mass.assemble(facet, c=at_quadrature(condition.alpha, facet))
        u = self.boundary_values()
        I = self.interior
        return A[I][:, I].tocsr(), rhs[I] - A[I] @ u, u

    def solve(self, f, kappa=None, linear_solver=None) -> np.ndarray:
        """The discrete solution (N,) of -div(kappa grad u) = f with u = g on the parts."""
        A_II, b_I, u = self.condensed(f, kappa)
        u[self.interior] = (linear_solver or _direct)(A_II, b_I)
        return u


def _direct(A, b):
    import scipy.sparse.linalg as spla

    return spla.spsolve(A.tocsc(), b)


RULE_DEGREES = (2, 4)
"""The own-cell error rules of a degree-k solution have degree 2k + 2, then 2k + 4."""


def _at_quadrature(part: skfem.CellBasis, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u_h (cells, points) and grad u_h (d, cells, points) at a basis' quadrature points:
    sum_j u[dof_j] phi_j (``CellBasis.interpolate`` sorts every DOF of the mesh per call)."""
    fields = [(u[part.element_dofs[j]], part.basis[j][0]) for j in range(part.Nbfun)]
    value = sum(c[:, None] * phi.value for c, phi in fields)
    gradient = sum(c[None, :, None] * phi.grad for c, phi in fields)
    return value, gradient


@dataclass(frozen=True)
class MeshCellRule:
    """A degree-``intorder`` rule on every cell of a mesh, carrying u_h and grad u_h at its
    points (a :class:`pdesolve.quadrature.MeasurementRule` of one stratum)."""

    basis: skfem.CellBasis
    u: np.ndarray
    intorder: int
    strata: int = 1
    replicates: int = 1

    def samples(self) -> Iterator[Samples]:
        b, cells = self.basis, self.basis.mesh.t.shape[1]
        step = max(1, CHUNK // self.points_per_cell)
        if isinstance(b.mapping, skfem.MappingAffine):
            yield from self._affine_samples(step)
            return
        for start in range(0, cells, step):
            # the solution's own mapping and DOFs, no DOF locations: O(chunk), not O(mesh)
            part = skfem.CellBasis(b.mesh, b.elem, mapping=b.mapping, intorder=self.intorder,
                                   dofs=b.dofs, disable_doflocs=True,
                                   elements=np.arange(start, min(start + step, cells)))
            value, gradient = _at_quadrature(part, self.u)
            x = coordinates(part)
            yield Samples(x, np.asarray(part.dx).ravel(), np.zeros(len(x), dtype=np.int64),
                          value.ravel(), gradient.reshape(x.shape[1], -1).T)

    def _affine_samples(self, step: int) -> Iterator[Samples]:
        """Straight cells x = A_c X + b_c: u_h = sum_j u_j phi_j(X_q) and
        grad u_h = A_c^{-T} sum_j u_j grad phi_j(X_q) from one table of the reference basis
        at the rule's points X_q, weights |det A_c| w_q (no basis built per chunk)."""
        b, mapping = self.basis, self.basis.mapping
        X, w = skfem.quadrature.get_quadrature(b.elem.refdom, self.intorder)
        tables = [b.elem.lbasis(X, j) for j in range(b.Nbfun)]
        phi = np.stack([t[0] for t in tables])   # (Nb, nq)
        dphi = np.stack([t[1] for t in tables])  # (Nb, d, nq)
        d = X.shape[0]
        for start in range(0, b.mesh.t.shape[1], step):
            c = slice(start, min(start + step, b.mesh.t.shape[1]))
            coeff = self.u[b.element_dofs[:, c]].T                         # (m, Nb)
            reference = [coeff @ dphi[:, k] for k in range(d)]             # d x (m, nq)
            A, invA = mapping.A[:, :, c], mapping.invA[:, :, c]
            # grad_i = sum_k (A^{-1})_ki d/dX_k;  x_i = sum_k A_ik X_k + b_i
            gradient = np.stack([sum(invA[k, i][:, None] * reference[k] for k in range(d))
                                 for i in range(d)], axis=-1)
            x = np.stack([sum(A[i, k][:, None] * X[k] for k in range(d)) + mapping.b[i, c][:, None]
                          for i in range(d)], axis=-1)
            yield Samples(x.reshape(-1, d), (np.abs(mapping.detA[c])[:, None] * w).ravel(),
                          np.zeros(x.shape[0] * x.shape[1], dtype=np.int64),
                          (coeff @ phi).ravel(), gradient.reshape(-1, d))

    @property
    def points_per_cell(self) -> int:
        return len(skfem.quadrature.get_quadrature(self.basis.mesh.elem.refdom,
                                                   self.intorder)[1])

    def describe(self) -> dict:
        cells = self.basis.mesh.t.shape[1]
        return {"kind": "cells", "rule": f"degree {self.intorder} per cell", "cells": cells,
                "sampled_cells": None, "points": cells * self.points_per_cell}


class MeshFunction:
    """u_h = sum_j u_j phi_j on a scikit-fem basis, at arbitrary points x (n, d): values and
    gradients. A point outside the mesh takes the value at its projection onto the nearest
    cell (clipped barycentric coordinates): the part of a curved domain between a straight
    boundary facet and the boundary, for instance."""

    def __init__(self, basis: skfem.CellBasis, u: np.ndarray, degree: int):
        self.basis, self.u, self.degree = basis, np.asarray(u, dtype=float), degree

    @cached_property
    def locator(self) -> SimplexLocator:
        """Point location in the straight cells (built when u_h is first evaluated)."""
        return SimplexLocator(self.basis.mesh.p.T, self.basis.mesh.t.T)

    @cached_property
    def nearest(self) -> cKDTree:
        """The cell centroids, for points outside every cell."""
        mesh = self.basis.mesh
        return cKDTree(mesh.p[:, mesh.t].mean(axis=1).T)

    def error_rules(self, level: int) -> MeshCellRule | None:
        """The rule of degree 2k + 2 (level 0) or 2k + 4 (level 1) on every cell; None after."""
        if level >= len(RULE_DEGREES):
            return None
        return MeshCellRule(self.basis, self.u, 2 * self.degree + RULE_DEGREES[level])

    def _located(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell (m,), reference coordinates (d, m, 1)) of the points x (m, d); the last
        answer is kept, so that u_h and grad u_h at the same points locate them once (a copy
        of the points is compared, not the array's identity: callers may reuse a buffer)."""
        last = self.__dict__.get("_last")
        if last is not None and last[0].shape == x.shape and np.array_equal(last[0], x):
            return last[1], last[2]
        cell, lam = self.locator(x)
        y = x
        outside = cell < 0
        if outside.any():
            y = x.copy()
            near = self.nearest.query(y[outside])[1]
            moved = np.clip(self.locator.barycentric(y[outside], near), 0.0, None)
            moved /= moved.sum(axis=1, keepdims=True)
            corners = self.basis.mesh.p[:, self.basis.mesh.t[:, near]]  # (d, d + 1, m)
            y[outside] = np.einsum("dkm,mk->md", corners, moved)
            cell[outside], lam[outside] = near, moved
        X = self._reference_points(y, cell, lam)
        self._last = (x.copy(), cell, X)
        return cell, X

    def _fields(self, x: np.ndarray, gradient: bool) -> np.ndarray:
        """sum_j u_j phi_j(X) or its gradient A^{-T} sum_j u_j grad_X phi_j(X) (the inverse
        Jacobian applied once to the sum), X the reference coordinates of each point."""
        b = self.basis
        cell, X = self._located(x)
        coeff = self.u[b.element_dofs[:, cell]]  # (Nb, m)
        k = 1 if gradient else 0
        out = sum(coeff[j] * b.elem.lbasis(X, j)[k][..., 0] for j in range(b.Nbfun))
        if not gradient:
            return out
        if isinstance(b.mapping, skfem.MappingAffine):
            invDF = b.mapping.invA[:, :, cell]  # (d, d, m): dX_i / dx_j
        else:
            invDF = np.moveaxis(np.linalg.inv(self._geometry(X[..., 0], cell)[1]), 0, 2)
        return np.einsum("ijm,im->mj", invDF, out)

    def _geometry(self, X: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The isoparametric map of curved cells, F(X) = sum_k x_k phi_k(X) over the cells'
        nodes x_k, (d, m), and its Jacobian DF_ij = sum_k (x_k)_i d phi_k / d X_j, (m, d, d),
        at reference points X (d, m) of ``cell`` (m,): one table per node, in place of
        scikit-fem's per-entry sums, which hash X to cache them (10x slower)."""
        mesh = self.basis.mesh
        elem, dofs = self.basis.mapping.elem, mesh.dofs.element_dofs
        nodes = mesh.doflocs[:, dofs[:, cell]]  # (d, nodes, m)
        tables = [elem.lbasis(X, k) for k in range(dofs.shape[0])]
        phi, dphi = np.stack([t[0] for t in tables]), np.stack([t[1] for t in tables])
        return (np.einsum("dkm,km->dm", nodes, phi),
                np.einsum("ikm,kjm->mij", nodes, dphi))

    def _reference_points(self, x: np.ndarray, cell: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """Reference coordinates (d, m, 1) of x (m, d) in ``cell``: the affine inverse, or on
        curved (isoparametric) cells Newton's method from the straight cell's barycentric
        coordinates ``lam`` (m, d + 1), unclipped, so that a point a little outside its curved
        cell (a coarser mesh's point near a curved boundary) converges too; the result is then
        clipped to the reference cell (u_h at the nearest point of the curved cell, in
        barycentric coordinates), so that a point well outside a coarse curved cell (a fine
        mesh's point beside a hole the coarse cells miss) is not extrapolated: quadratic cells
        extrapolated there gave errors of 300 on PINNacle's 3d-CG at n = 5."""
        mapping = self.basis.mapping
        if isinstance(mapping, skfem.MappingAffine):
            return mapping.invF(x.T[:, :, None], tind=cell)
        X, active = lam[:, 1:].T.copy(), np.arange(len(x))
        for _ in range(NEWTON_STEPS):  # each point until its own step is below 1e-13
            F, DF = self._geometry(X[:, active], cell[active])
            step = np.linalg.solve(DF, (x[active] - F.T)[:, :, None])[:, :, 0].T
            X[:, active] += step
            active = active[np.abs(step).max(axis=0) >= 1e-13]
            if not active.size:
                break
        X = X[:, :, None]
        first = 1.0 - X.sum(axis=0, keepdims=True)
        if min(float(X.min()), float(first.min())) < -1e-9:
            bary = np.clip(np.concatenate([first, X]), 0.0, None)
            X = bary[1:] / bary.sum(axis=0, keepdims=True)
        return X

    def _chunked(self, x, gradient):
        x = np.asarray(x, dtype=float)
        if len(x) <= CHUNK:  # the same array for u_h and grad u_h: located once
            return self._fields(x, gradient)
        parts = [self._fields(x[i:i + CHUNK], gradient) for i in range(0, len(x), CHUNK)]
        return np.concatenate(parts) if parts else np.zeros((0, x.shape[1]) if gradient else 0)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """u_h(x), shape (n,)."""
        return self._chunked(x, False)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """grad u_h(x), shape (n, d)."""
        return self._chunked(x, True)
