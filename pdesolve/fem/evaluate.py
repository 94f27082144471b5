"""Point evaluation of a finite element function u_h = sum_j c_j phi_j.

For points x (m, d): find the cell and slot of each point by arithmetic on the
structured mesh (hence the element K), map to reference coordinates
X = A_s^{-1} (x - o_c - b_s), and sum the reference basis functions:

    u_h(x) = sum_i c_{dof(K, i)} phi_i(X),
    grad u_h(x) = A_s^{-T} sum_i c_{dof(K, i)} grad phi_i(X).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mesh import BoxMesh
from .reference import CellTables

CHUNK = 1 << 16
"""Points per batch: bounds the (d, d, chunk) temporaries."""


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
