"""The geometry of a finite element function on any mesh (:class:`MeshCells`: point location
and the error rules on the function's own cells, for :class:`pdesolve.fem.evaluate.FEMFunction`).

A point is located in the straight cells (:class:`~pdesolve.domains.locate.SimplexLocator`),
mapped back to the reference cell (the affine inverse, or Newton's method on curved
isoparametric cells) and the element's basis functions are summed there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import skfem
from scipy.spatial import cKDTree

from ..domains.locate import SimplexLocator
from ..quadrature import Samples
from .evaluate import FEMFunction, element_degree
from .mesh_system import NEWTON_STEPS, coordinates

CHUNK = 1 << 15

CANDIDATES = 8
"""Cells tried per point on quadrilateral and hexahedral meshes (those of the nearest centroids)."""


RULE_DEGREES = (2, 4)
"""The own-cell error rules of a degree-k solution have degree 2k + 2, then 2k + 4."""


def _at_quadrature(part: skfem.CellBasis, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u_h (cells, points) and grad u_h (d, cells, points) at a basis' quadrature points:
    sum_j u[dof_j] phi_j (``CellBasis.interpolate`` sorts every DOF of the mesh per call)."""
    fields = [(u[part.element_dofs[j]], part.basis[j][0]) for j in range(part.Nbfun)]
    value = sum(c[:, None] * np.asarray(phi) for c, phi in fields)
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


class MeshCells:
    """The cells of any mesh, the geometry of a :class:`pdesolve.fem.evaluate.FEMFunction` on
    it (``basis``: the space's scikit-fem basis): points located by search. A point outside
    the mesh takes the value at its projection onto the nearest cell (clipped barycentric
    coordinates; on quadrilaterals and hexahedra clipped reference coordinates): the part of a
    curved domain between a straight boundary facet and the boundary, for instance."""

    def __init__(self, basis: skfem.CellBasis):
        self.basis = basis

    @cached_property
    def locator(self) -> SimplexLocator:
        """Point location in the straight cells (built when u_h is first evaluated)."""
        return SimplexLocator(self.basis.mesh.p.T, self.basis.mesh.t.T)

    @cached_property
    def nearest(self) -> cKDTree:
        """The cell centroids, for points outside every cell."""
        mesh = self.basis.mesh
        return cKDTree(mesh.p[:, mesh.t].mean(axis=1).T)

    def error_rules(self, fn, level: int) -> MeshCellRule | None:
        """The rule of degree 2k + 2 (level 0) or 2k + 4 (level 1) on every cell; None after."""
        if level >= len(RULE_DEGREES):
            return None
        degree = element_degree(self.basis.elem)
        return MeshCellRule(self.basis, fn.coefficients, 2 * degree + RULE_DEGREES[level])

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cell (m,), reference coordinates X (d, m), dX/dx (m, d, d)) of the points x (m, d)."""
        if self.basis.mesh.t.shape[0] != self.basis.mesh.dim() + 1:
            cell, X = self._located_in_tensor_cells(x)
        else:
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
            X = self._reference_points(y, cell, lam)[..., 0]
        mapping = self.basis.mapping
        if isinstance(mapping, skfem.MappingAffine):
            inverse = np.moveaxis(mapping.invA[:, :, cell], 2, 0)  # dX_i / dx_j
        else:
            inverse = np.linalg.inv(self._geometry(X, cell)[1])
        return cell, X, inverse

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
        X = self._inverse_map(x, cell, lam[:, 1:].T.copy())[:, :, None]
        first = 1.0 - X.sum(axis=0, keepdims=True)
        if min(float(X.min()), float(first.min())) < -1e-9:
            bary = np.clip(np.concatenate([first, X]), 0.0, None)
            X = bary[1:] / bary.sum(axis=0, keepdims=True)
        return X

    def _inverse_map(self, x: np.ndarray, cell: np.ndarray, X: np.ndarray) -> np.ndarray:
        """X (d, m) with F_cell(X) = x (m, d) by Newton's method from X, each point until its
        own step is below 1e-13 (unclipped; a singular Jacobian far outside a cell gives inf)."""
        active = np.arange(len(x))
        for _ in range(NEWTON_STEPS):
            F, DF = self._geometry(X[:, active], cell[active])
            with np.errstate(all="ignore"):
                singular = ~(np.linalg.cond(DF) < 1e12)
                DF[singular] = np.eye(x.shape[1])
                step = np.linalg.solve(DF, (x[active] - F.T)[:, :, None])[:, :, 0].T
            step[:, singular] = np.inf
            X[:, active] += step
            active = active[np.isfinite(step).all(axis=0) & (np.abs(step).max(axis=0) >= 1e-13)]
            if not active.size:
                break
        return X

    def _located_in_tensor_cells(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell (m,), reference coordinates (d, m)) of x (m, d) on quadrilaterals or
        hexahedra: Newton's inverse map from each cell's centre in the cells of the
        ``CANDIDATES`` nearest centroids, the first cell that holds the point (or the one it
        is nearest to outside, in reference coordinates, clipped onto it)."""
        d, m = x.shape[1], len(x)
        count = min(CANDIDATES, self.basis.mesh.t.shape[1])
        candidates = self.nearest.query(x, k=count)[1].reshape(m, count)
        cell, X, gap = candidates[:, 0].copy(), np.full((d, m), 0.5), np.full(m, np.inf)
        for j in range(count):
            todo = np.flatnonzero(gap > 1e-9)
            if not todo.size:
                break
            trial = self._inverse_map(x[todo], candidates[todo, j], np.full((d, len(todo)), 0.5))
            with np.errstate(invalid="ignore"):
                outside = np.nan_to_num(np.maximum(-trial, trial - 1).max(axis=0), nan=np.inf)
            better = outside < gap[todo]
            chosen = todo[better]
            cell[chosen], X[:, chosen], gap[chosen] = candidates[chosen, j], trial[:, better], \
                outside[better]
        return cell, np.clip(X, 0.0, 1.0)


def mesh_function(basis: skfem.CellBasis, coefficients: np.ndarray) -> FEMFunction:
    """u_h = sum_j c_j phi_j of the space of ``basis`` (any mesh)."""
    return FEMFunction(MeshCells(basis), basis.element_dofs, coefficients, basis.elem)
