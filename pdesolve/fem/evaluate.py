"""Point evaluation of a finite element function u_h = sum_j c_j phi_j, and its error rules.

For points x (m, d): find the cell and slot of each point by arithmetic on the
structured mesh (hence the element K), map to reference coordinates
X = A_s^{-1} (x - o_c - b_s), and sum the reference basis functions:

    u_h(x) = sum_i c_{dof(K, i)} phi_i(X),
    grad u_h(x) = A_s^{-T} sum_i c_{dof(K, i)} grad phi_i(X).

On the quadrature points of its own cells no search is needed: every element of a slot
sees the same reference points X_q, so phi_i(X_q) is one table (see :meth:`error_rules`).
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
class FEMFunction:
    """u_h on a box mesh; callable on points (m, d) -> (m,), with ``grad`` (m, d).

    Holds the mesh, the cell tables, the DOF numbering (Nb, nel) and the
    coefficients (N,); no quadrature tables or per-element mappings.
    """

    boxmesh: BoxMesh
    tables: CellTables
    element_dofs: np.ndarray
    coefficients: np.ndarray

    def _evaluate(self, x: np.ndarray, with_grad: bool) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        m, d = x.shape
        out = np.zeros((m, d) if with_grad else m)
        for start in range(0, m, CHUNK):
            xs = x[start:start + CHUNK]
            element, cell, slot = self.boxmesh.locate(xs)
            X = self.tables.reference_coordinates(xs - self.boxmesh.cell_origin(cell), slot).T
            acc = np.zeros((d, len(xs)) if with_grad else len(xs))
            for i in range(self.element_dofs.shape[0]):
                phi, dphi = self.tables.elem.lbasis(X, i)
                coefficient = self.coefficients[self.element_dofs[i, element]]
                acc += coefficient * (dphi if with_grad else phi)
            if with_grad:  # grad_x = A^{-T} grad_X, applied once to the sum
                out[start:start + CHUNK] = np.einsum("mji,jm->mi", self.tables.invA[slot], acc)
            else:
                out[start:start + CHUNK] = acc
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """u_h(x), x (m, d) -> (m,)."""
        return self._evaluate(x, with_grad=False)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """grad u_h(x), x (m, d) -> (m, d)."""
        return self._evaluate(x, with_grad=True)

    def error_rules(self, level: int) -> CellRule | None:
        """The rule of ``level`` on this function's own cells (see :func:`rule_degree`).

        On every box cell, the reference rule of that degree mapped to each slot element:
        points o_c + b_s + A_s X_q, weights |det A_s| w_q; u_h and grad u_h there come from
        the tables phi_i(X_q), grad phi_i(X_q) without point location.
        """
        elem, tables = self.tables.elem, self.tables
        degree = rule_degree(elem.refdom, element_degree(elem), level)
        if degree is None:
            return None
        X, w = get_quadrature(elem.refdom, degree)
        nb = self.element_dofs.shape[0]
        phi = np.stack([elem.lbasis(X, i)[0] for i in range(nb)])          # (Nb, nq)
        dphi = np.stack([elem.lbasis(X, i)[1].T for i in range(nb)])       # (Nb, nq, d)
        offsets = np.concatenate([tables.b[s] + (tables.A[s] @ X).T for s in range(len(tables.A))])
        weights = np.concatenate([w * abs(np.linalg.det(A)) for A in tables.A])

        def values(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            elements = self.boxmesh.cell_elements(cells)                    # (m, S)
            coeff = self.coefficients[self.element_dofs[:, elements]]       # (Nb, m, S)
            u = np.einsum("ims,iq->msq", coeff, phi)
            g = np.einsum("ims,iqk->msqk", coeff, dphi) @ tables.invA[None]  # A_s^{-T} grad_X
            m = len(cells)
            return u.reshape(m, -1), g.reshape(m, -1, g.shape[-1])

        n_slots = len(tables.A)
        name = f"{elem.refdom.__name__[3:].lower()} degree {degree}" + (
            f" x {n_slots} per cell" if n_slots > 1 else "")
        return CellRule(self.boxmesh.domain, (self.boxmesh.n,) * self.boxmesh.dim, offsets,
                        weights, name, values=values)
