"""Point evaluation of a finite element function u_h = sum_j c_j phi_j.

For points x (m, d): locate an element K containing each point by arithmetic on the
structured mesh, map to reference coordinates X = F_K^{-1}(x), and sum the local
basis functions: u_h(x) = sum_i c_{dof(K, i)} phi_i(X), grad u_h(x) likewise
(the element's gbasis applies the inverse Jacobian).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skfem

from .mesh import BoxMesh

CHUNK = 1 << 16
"""Points per batch: bounds the (Nbfun, d, chunk) temporaries."""


@dataclass(frozen=True)
class FEMFunction:
    """u_h on a box mesh; callable on points (m, d) -> (m,), with ``grad`` (m, d).

    Keeps only the mesh, the element, its mapping and the DOF numbering (not the
    assembly basis, whose quadrature tables are large).
    """

    boxmesh: BoxMesh
    elem: skfem.Element
    mapping: object
    element_dofs: np.ndarray
    coefficients: np.ndarray

    @classmethod
    def from_basis(cls, boxmesh: BoxMesh, basis: skfem.CellBasis,
                   coefficients: np.ndarray) -> "FEMFunction":
        return cls(boxmesh, basis.elem, basis.mapping, basis.element_dofs, coefficients)

    def _evaluate(self, x: np.ndarray, with_grad: bool) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        m, d = x.shape
        out = np.zeros((m, d) if with_grad else m)
        for start in range(0, m, CHUNK):
            xs = x[start:start + CHUNK]
            cells = self.boxmesh.locate(xs)
            X = self.mapping.invF(xs.T[:, :, None], tind=cells)
            acc = np.zeros((d, len(xs)) if with_grad else len(xs))
            for i in range(self.element_dofs.shape[0]):
                phi = self.elem.gbasis(self.mapping, X, i, tind=cells)[0]
                c = self.coefficients[self.element_dofs[i, cells]]
                acc += c * (phi.grad[..., 0] if with_grad else np.asarray(phi)[:, 0])
            out[start:start + CHUNK] = acc.T if with_grad else acc
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """u_h(x), x (m, d) -> (m,)."""
        return self._evaluate(x, with_grad=False)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """grad u_h(x), x (m, d) -> (m, d)."""
        return self._evaluate(x, with_grad=True)
