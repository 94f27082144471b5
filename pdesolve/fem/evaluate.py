"""A finite element function u_h = sum_j c_j phi_j at any points, and its error rules: one
class (:class:`FEMFunction`) on every mesh.

For points x (m, d): find the element K of each point and its reference coordinates X
(the mesh's business: :class:`StructuredCells` by arithmetic on a box's structured mesh,
:class:`pdesolve.fem.mesh_function.MeshCells` by search on any other), and sum the
reference basis functions:

    u_h(x) = sum_i c_{dof(K, i)} phi_i(X),
    grad u_h(x) = DF_K(X)^{-T} sum_i c_{dof(K, i)} grad phi_i(X).

On the quadrature points of its own cells no search is needed: on the structured mesh every
element of a slot sees the same reference points X_q, so phi_i(X_q) is one table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skfem.quadrature import get_quadrature
from skfem.refdom import RefHex, RefQuad, RefTet, RefTri

from ..quadrature import CellRule
from .mesh import BoxMesh
from .cell_tables import CellTables

CHUNK = 1 << 16
"""Points per batch: bounds the (d, d, chunk) temporaries."""

MAX_RULE_DEGREE = {RefTri: 19, RefTet: 9}
"""Highest degree of scikit-fem's simplex rules (tensor cells: Gauss rules of any degree)."""


def element_degree(elem) -> int:
    """Polynomial degree k per direction: Pk on simplices, Qk on quadrilaterals/hexahedra."""
    tensor = elem.refdom in (RefQuad, RefHex)
    return elem.maxdeg // elem.refdom.dim() if tensor else elem.maxdeg


def rule_degree(refdom, k: int, level: int) -> int | None:
    """Degree of the cell rule of ``level``: 2k + 2 + 2 level, capped by what exists.

    2k + 2 integrates exactly the leading part of e^2 on a cell (the square of a degree
    k + 1 polynomial, the local interpolation error) and of |grad e|^2; each level adds 2.
    None once the cap has been reached at a lower level.
    """
    cap = MAX_RULE_DEGREE.get(refdom, 60)
    want = 2 * k + 2 + 2 * level
    if want <= cap:
        return want
    return cap if 2 * k + 2 * level < cap else None


@dataclass(frozen=True)
class StructuredCells:
    """The cells of a box's structured mesh (:class:`FEMFunction`'s geometry): points located
    by arithmetic, every element of a slot a translate of one reference map."""

    boxmesh: BoxMesh
    tables: CellTables

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(element (m,), reference coordinates X (d, m), dX/dx (m, d, d)) of x (m, d)."""
        element, cell, slot = self.boxmesh.locate(x)
        X = self.tables.reference_coordinates(x - self.boxmesh.cell_origin(cell), slot).T
        return element, X, self.tables.invA[slot]

    def error_rules(self, fn: FEMFunction, level: int) -> CellRule | None:
        """The rule of ``level`` on the function's own cells (see :func:`rule_degree`).

        On every box cell, the reference rule of that degree mapped to each slot element:
        points o_c + b_s + A_s X_q, weights |det A_s| w_q; u_h and grad u_h there come from
        the tables phi_i(X_q), grad phi_i(X_q) without point location.
        """
        elem, tables = fn.elem, self.tables
        degree = rule_degree(elem.refdom, element_degree(elem), level)
        if degree is None:
            return None
        X, w = get_quadrature(elem.refdom, degree)
        nb = fn.element_dofs.shape[0]
        phi = np.stack([elem.lbasis(X, i)[0] for i in range(nb)])          # (Nb, nq)
        dphi = np.stack([elem.lbasis(X, i)[1].T for i in range(nb)])       # (Nb, nq, d)
        offsets = np.concatenate([tables.b[s] + (tables.A[s] @ X).T for s in range(len(tables.A))])
        weights = np.concatenate([w * abs(np.linalg.det(A)) for A in tables.A])

        def values(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            elements = self.boxmesh.cell_elements(cells)                    # (m, S)
            coeff = fn.coefficients[fn.element_dofs[:, elements]]           # (Nb, m, S)
            u = np.einsum("ims,iq->msq", coeff, phi)
            g = np.einsum("ims,iqk->msqk", coeff, dphi) @ tables.invA[None]  # A_s^{-T} grad_X
            m = len(cells)
            return u.reshape(m, -1), g.reshape(m, -1, g.shape[-1])

        n_slots = len(tables.A)
        name = f"{elem.refdom.__name__[3:].lower()} degree {degree}" + (
            f" x {n_slots} per cell" if n_slots > 1 else "")
        return CellRule(self.boxmesh.domain, (self.boxmesh.n,) * self.boxmesh.dim, offsets,
                        weights, name, values=values)


class FEMFunction:
    """u_h = sum_j c_j phi_j of a finite element space, on any mesh: callable on points
    (m, d) -> (m,), with ``grad`` (m, d) and ``error_rules`` (its own cells).

    ``cells`` is the mesh's geometry (:class:`StructuredCells`, or
    :class:`pdesolve.fem.mesh_function.MeshCells` for any mesh): ``locate(x)`` gives each
    point's element, reference coordinates and dX/dx, ``error_rules(fn, level)`` the rules;
    ``element_dofs`` (Nb, nel) numbers the DOFs, ``coefficients`` (N,) are the c_j and
    ``elem`` is the scikit-fem element. The last points located are kept, so u_h and
    grad u_h at the same points locate them once (a copy is compared, not the identity).
    """

    def __init__(self, cells, element_dofs: np.ndarray, coefficients: np.ndarray, elem):
        self.cells, self.element_dofs, self.elem = cells, element_dofs, elem
        self.coefficients = np.asarray(coefficients, dtype=float)
        self._last = None

    def _located(self, x: np.ndarray):
        last = self._last
        if last is not None and last[0].shape == x.shape and np.array_equal(last[0], x):
            return last[1]
        found = self.cells.locate(x)
        self._last = (x.copy(), found)
        return found

    def _evaluate(self, x: np.ndarray, with_grad: bool) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        m, d = x.shape
        out = np.zeros((m, d) if with_grad else m)
        for start in range(0, m, CHUNK):
            xs = x if m <= CHUNK else x[start:start + CHUNK]
            element, X, inverse = self._located(xs)
            acc = np.zeros((d, len(xs)) if with_grad else len(xs))
            for i in range(self.element_dofs.shape[0]):
                coefficient = self.coefficients[self.element_dofs[i, element]]
                acc += coefficient * self.elem.lbasis(X, i)[1 if with_grad else 0]
            if with_grad:  # grad_x = (dX/dx)^T grad_X, applied once to the sum
                out[start:start + CHUNK] = np.einsum("mji,jm->mi", inverse, acc)
            else:
                out[start:start + CHUNK] = acc
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """u_h(x), x (m, d) -> (m,)."""
        return self._evaluate(x, with_grad=False)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """grad u_h(x), x (m, d) -> (m, d)."""
        return self._evaluate(x, with_grad=True)

    def error_rules(self, level: int):
        """Rules of increasing accuracy on the function's own cells (None when exhausted)."""
        return self.cells.error_rules(self, level)


def structured_function(disc, coefficients: np.ndarray) -> FEMFunction:
    """u_h of a box :class:`~pdesolve.fem.assembly.Discretisation` with these coefficients."""
    return FEMFunction(StructuredCells(disc.boxmesh, disc.tables), disc.element_dofs,
                       coefficients, disc.tables.elem)
