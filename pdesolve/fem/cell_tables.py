"""Translation-invariant element tables of a uniform box mesh.

Every element of the mesh is a translate of one of the S elements of a single cell
(S = d! Kuhn simplices, or 1 tensor cell), its "slot" s, with the same local DOF
order (vertex numbers grow lexicographically, so translating a cell preserves their
order). With the reference quadrature (X_q, w_q) and the slot's affine map
F_s(X) = b_s + A_s X (relative to the cell's lower corner), everything the assembly
needs is a table over (s, q), computed once from scikit-fem's basis on a one-cell mesh:

    stiffness[s, q, i, j] = w_q |det A_s| grad phi_j(X_q) . grad phi_i(X_q),
    load[s, q, i]         = w_q |det A_s| phi_i(X_q),
    quad_offsets[s, q]    = F_s(X_q),   dof_offsets[s, i] = location of local DOF i.

For element e in cell c with slot s, K_e = sum_q kappa(o_c + F_s(X_q)) stiffness[s, q]
and b_e = sum_q f(o_c + F_s(X_q)) load[s, q], o_c the cell's lower corner: no
per-element Jacobians, basis tables or mappings on the full mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skfem

from ..domains import Box
from .mesh import BoxMesh


@dataclass(frozen=True)
class CellTables:
    """Tables of the S slot elements of one cell (see the module docstring).

    Attributes
    ----------
    elem : the scikit-fem element.
    A, invA : (S, d, d) slot maps and their inverses; b : (S, d) offsets.
    quad_offsets : (S, nq, d); dof_offsets : (S, Nb, d).
    stiffness : (S, nq, Nb, Nb); load : (S, nq, Nb).
    """

    elem: skfem.Element
    A: np.ndarray
    invA: np.ndarray
    b: np.ndarray
    quad_offsets: np.ndarray
    dof_offsets: np.ndarray
    stiffness: np.ndarray
    load: np.ndarray

    @classmethod
    def build(cls, boxmesh: BoxMesh, elem: skfem.Element, intorder: int) -> CellTables:
        """Tables for the cells of ``boxmesh`` (all congruent to [0, h_1] x ... x [0, h_d])."""
        lower = np.asarray(boxmesh.domain.lower)
        cell = BoxMesh.build(Box(tuple(lower), tuple(lower + boxmesh.cell_sizes)), 1, boxmesh.kind)
        order = np.argsort(cell.element_cells[1])  # one-cell mesh element of each slot
        basis = skfem.CellBasis(cell.mesh, elem, intorder=intorder, elements=order)
        d = boxmesh.dim
        phi = np.stack([np.asarray(b[0]) for b in basis.basis], axis=-1)   # (S, nq, Nb)
        dphi = np.stack([b[0].grad for b in basis.basis], axis=-1)        # (d, S, nq, Nb)
        dx = basis.dx[:, :, None]
        stiffness = dx[..., None] * np.einsum("ksqi,ksqj->sqij", dphi, dphi)
        load = dx * phi
        corners = basis.mapping.F(np.hstack([np.zeros((d, 1)), np.eye(d)]), tind=order)
        b = corners[:, :, 0].T - lower
        A = np.moveaxis(corners[:, :, 1:] - corners[:, :, :1], 1, 0)
        quad = np.moveaxis(np.asarray(basis.global_coordinates()), 0, -1) - lower
        dofs = np.moveaxis(basis.doflocs[:, basis.element_dofs], 0, -1).swapaxes(0, 1) - lower
        return cls(elem, A, np.linalg.inv(A), b, quad, dofs, stiffness, load)

    def reference_coordinates(self, x_local: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """X = A_s^{-1} (x - o_c - b_s) for points given relative to their cell corner (m, d)."""
        return np.einsum("mij,mj->mi", self.invA[slot], x_local - self.b[slot])
