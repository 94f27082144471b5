"""Discretisation of the PDE on a uniform box mesh: coefficients at quadrature
points, stiffness matrix, load vector and Dirichlet elimination.

Weak form (p = 2): find u_h = g_h on dOmega with

    a(u_h, v) = int kappa grad u_h . grad v dx = int f v dx = l(v)   for all v in V_h^0,

(the bilinear form of the density of :mod:`pdesolve.problems.operator` at p = 2),

where g_h interpolates g at the boundary DOFs (Lagrange DOFs are point values, so
interpolation is evaluation at the DOF locations: vertices, and the edge and interior
nodes of higher degrees).
The element matrices come from the translation-invariant tables of
:mod:`pdesolve.fem.cell_tables`; a scikit-fem ``CellBasis`` on the whole mesh is built
only on demand (the Newton iteration's nonlinear forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import skfem

from ..problems import operator
from ..problems.base import Problem
from .cell_tables import CellTables
from .elements import make_element, mesh_kind
from .evaluate import element_degree
from .mesh import BoxMesh
from .multigrid import NodeGrid


def quadrature_order(degree: int, kind: str) -> int:
    """Degree of polynomials integrated exactly on each element, for Lagrange degree k.

    P1 on simplices: 1 (the centroid rule: exact for the constant gradients of the
    stiffness and for linear f v, which keeps the optimal L2 rate). Otherwise 2k
    (Qk: k + 1 Gauss points per direction), exact for the stiffness with constant kappa.
    """
    return 1 if (degree, kind) == (1, "simplex") else 2 * degree


def at_points(fn, x_q: np.ndarray) -> np.ndarray:
    """Evaluate a point function on quadrature points x_q (nel, nq, d) -> (nel, nq)."""
    nel, nq, d = x_q.shape
    return np.asarray(fn(x_q.reshape(-1, d))).reshape(nel, nq)


def _dof_locations(boxmesh: BoxMesh, tables: CellTables, element_dofs: np.ndarray, count: int,
                   origin: np.ndarray | None = None) -> np.ndarray:
    """Coordinates (d, N) of the DOFs: the vertices, and for degree >= 2 the edge and interior
    nodes (cell origin plus the slot's DOF offset); ``origin`` (nel, d): each element's cell
    origin, if already at hand."""
    if element_degree(tables.elem) == 1:  # the DOFs are the vertices
        return boxmesh.mesh.p
    cell, slot = boxmesh.element_cells
    origin = boxmesh.cell_origin(cell) if origin is None else origin
    doflocs = np.empty((boxmesh.dim, count))
    for i, row in enumerate(element_dofs):
        doflocs[:, row] = (origin + tables.dof_offsets[slot, i]).T
    return doflocs


@dataclass
class Discretisation:
    """A Lagrange space on a box mesh with the data of one problem.

    Attributes
    ----------
    boxmesh : the structured mesh.
    tables : the element tables of one cell (by slot).
    intorder : quadrature degree.
    element_dofs : (Nb, nel) global DOF of local DOF i in element e.
    N : number of DOFs; boundary, interior : DOF indices on dOmega / solved for.
    kappa_q : kappa at the quadrature points (nel, nq), None when kappa = 1.
    f_q : f at the quadrature points (nel, nq).
    u_bc : (N,) g at the boundary DOFs, 0 elsewhere (the lifting g_h).
    """

    boxmesh: BoxMesh
    tables: CellTables
    intorder: int
    element_dofs: np.ndarray
    N: int
    boundary: np.ndarray
    interior: np.ndarray
    kappa_q: np.ndarray | None
    f_q: np.ndarray
    u_bc: np.ndarray

    @classmethod
    def build(cls, problem: Problem, element: str, n: int, kind: str) -> Discretisation:
        """Mesh, element ("Pk"/"Qk"), DOFs and data; ``kind``: "simplex", "tensor" or "auto"."""
        kind = mesh_kind(element, kind)
        elem = make_element(problem.dim, kind, element)
        boxmesh = BoxMesh.build(problem.domain, n, kind)
        intorder = quadrature_order(element_degree(elem), kind)
        tables = CellTables.build(boxmesh, elem, intorder)
        dofs = skfem.Dofs(boxmesh.mesh, elem)
        cell, slot = boxmesh.element_cells
        origin = boxmesh.cell_origin(cell)
        doflocs = _dof_locations(boxmesh, tables, dofs.element_dofs, dofs.N, origin)
        boundary = boxmesh.boundary_dofs(doflocs)
        interior = np.setdiff1d(np.arange(dofs.N), boundary, assume_unique=True)
        x_q = origin[:, None, :] + tables.quad_offsets[slot]
        del origin
        kappa_q = None if problem.constant_kappa else at_points(problem.kappa, x_q)
        f_q = at_points(problem.f, x_q)
        u_bc = np.zeros(dofs.N)
        u_bc[boundary] = problem.g(doflocs[:, boundary].T)
        return cls(boxmesh, tables, intorder, dofs.element_dofs, dofs.N, boundary, interior,
                   kappa_q, f_q, u_bc)

    def dof_locations(self, dofs: np.ndarray | None = None) -> np.ndarray:
        """Coordinates (m, d) of the DOFs ``dofs`` (default all N): the points whose values
        they are."""
        x = _dof_locations(self.boxmesh, self.tables, self.element_dofs, self.N)
        return (x if dofs is None else x[:, dofs]).T

    @property
    def grid(self) -> NodeGrid | None:
        """The interior DOFs as nodes of the box's grid (degree 1: the DOFs are the vertices),
        for geometric multigrid; None for higher degrees."""
        if element_degree(self.tables.elem) != 1:
            return None
        index = self.boxmesh.node_index(self.boxmesh.mesh.p[:, self.interior])
        return NodeGrid(index, self.boxmesh.n, self.boxmesh.kind)

    @cached_property
    def basis(self) -> skfem.CellBasis:
        """scikit-fem basis on the whole mesh (same quadrature), for nonlinear forms."""
        return skfem.CellBasis(self.boxmesh.mesh, self.tables.elem, intorder=self.intorder,
                               disable_doflocs=True)

    @cached_property
    def _slot_elements(self) -> list[np.ndarray]:
        slot = self.boxmesh.element_cells[1]
        return [np.flatnonzero(slot == s) for s in range(self.tables.A.shape[0])]

    @property
    def quadrature_points(self) -> np.ndarray:
        """Global quadrature points (nel * nq, d), in the order of ``f_q``."""
        cell, slot = self.boxmesh.element_cells
        x_q = self.boxmesh.cell_origin(cell)[:, None, :] + self.tables.quad_offsets[slot]
        return x_q.reshape(-1, self.boxmesh.dim)

    def stiffness(self) -> sp.csr_matrix:
        """A_ij = int a grad phi_j . grad phi_i, (N, N), symmetric: the bilinear form of the
        p = 2 density, a = ``operator.flux_weight(kappa, ., 2)`` (= kappa).

        Element matrices K_e = sum_q a(x_eq) stiffness[s(e), q]; exact zeros (pairs
        of orthogonal gradients on Kuhn simplices) are dropped before summation.
        """
        if self.boxmesh.kind == "simplex" and element_degree(self.tables.elem) == 1:
            return self._kuhn_p1_stiffness()
        table = self.tables.stiffness
        nb = table.shape[-1]
        if self.kappa_q is None:  # a constant: the summed tables times a
            local = (operator.flux_weight(1.0, None, 2.0)
                     * table.sum(axis=1)[self.boxmesh.element_cells[1]])
        else:
            weight = operator.flux_weight(self.kappa_q, None, 2.0)
            local = np.empty((self.f_q.shape[0], nb, nb))
            for s, elements in enumerate(self._slot_elements):
                local[elements] = (weight[elements] @ table[s].reshape(table.shape[1], -1)
                                   ).reshape(-1, nb, nb)
        dofs = self.element_dofs.T
        keep = local != 0
        rows = np.broadcast_to(dofs[:, :, None], local.shape)[keep]
        cols = np.broadcast_to(dofs[:, None, :], local.shape)[keep]
        data = local[keep]
        del local, keep
        return sp.coo_matrix((data, (rows, cols)), shape=(self.N, self.N)).tocsr()

    def _kuhn_p1_stiffness(self) -> sp.csr_matrix:
        """The stiffness of P1 on the Kuhn mesh, summed by diagonals instead of by entries.

        Local DOF i of slot s sits at vertex c + o_(s,i) of cell c (o in {0, 1}^d); with the
        vertex numbers i . (1, n + 1, (n + 1)^2, ...) of :func:`.mesh.kuhn_mesh`, the pair
        (i, j) of every cell adds K_e[i, j] to the diagonal of offset lin(o_j) - lin(o_i) at
        row lin(c + o_i): one shifted block of the (n + 1)^d vertex lattice per slot and
        pair. Same sums as the element-by-element assembly (in another order), without its
        (nel, Nb, Nb) entry arrays and their sort into CSR.
        """
        table = self.tables.stiffness                       # (S, nq, Nb, Nb)
        d, n = self.boxmesh.dim, self.boxmesh.n
        slots, nb = table.shape[0], table.shape[-1]
        offsets = np.rint(self.tables.dof_offsets / self.boxmesh.cell_sizes).astype(np.int64)
        strides = (n + 1) ** np.arange(d)
        cells = (n,) * d
        weight = (None if self.kappa_q is None
                  else operator.flux_weight(self.kappa_q, None, 2.0))
        scale = operator.flux_weight(1.0, None, 2.0)
        diagonals: dict[int, np.ndarray] = {}
        for s in range(slots):
            summed = table[s].sum(axis=0)
            local = (None if weight is None else
                     weight[s::slots] @ table[s].reshape(table.shape[1], -1))
            for i, j in np.argwhere(np.abs(table[s]).max(axis=0) > 0):
                values = (scale * summed[i, j] if local is None
                          else local[:, i * nb + j].reshape(cells, order="F"))
                lag = int((offsets[s, j] - offsets[s, i]) @ strides)
                target = diagonals.setdefault(lag, np.zeros((n + 1,) * d, order="F"))
                target[tuple(slice(o, o + n) for o in offsets[s, i])] += values
        N = self.N
        lags = sorted(diagonals)
        bands = [diagonals[k].ravel(order="F")[max(0, -k):N - max(0, k)] for k in lags]
        matrix = sp.diags(bands, lags, shape=(N, N), format="csr")
        matrix.eliminate_zeros()
        return matrix

    def load(self) -> np.ndarray:
        """b_i = int f phi_i, (N,), with b_e = sum_q f(x_eq) load[s(e), q]."""
        contrib = np.empty(self.element_dofs.shape[::-1])
        for s, elements in enumerate(self._slot_elements):
            contrib[elements] = self.f_q[elements] @ self.tables.load[s]
        return np.bincount(self.element_dofs.ravel(), weights=contrib.T.ravel(), minlength=self.N)

    def lower_order(self) -> None:
        """No reaction or Robin term on this path (the mesh path assembles them)."""
        return None

    def condense(self, A: sp.csr_matrix, b: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """Eliminate the Dirichlet DOFs: A_II and b_I - A_ID g_D (interior rows only)."""
        I = self.interior
        rhs = (b - A @ self.u_bc)[I]
        return A[I][:, I], rhs

    def expand(self, u_interior: np.ndarray) -> np.ndarray:
        """Full coefficient vector (N,): interior values plus the boundary data."""
        u = self.u_bc.copy()
        u[self.interior] = u_interior
        return u
