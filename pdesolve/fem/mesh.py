"""Structured meshes of a box and arithmetic cell location.

The box [a_1, b_1] x ... x [a_d, b_d] is cut into n equal cells per direction
(h_k = (b_k - a_k) / n). A "tensor" mesh uses these cells (interval, quadrilateral,
hexahedron); a "simplex" mesh splits each cell into d! simplices of the Kuhn
(Freudenthal) type: the simplex of a point is fixed by the order of its local cell
coordinates xi in [0, 1]^d, {xi_pi(1) >= xi_pi(2) >= ... >= xi_pi(d)}. This lets a
point be located by arithmetic (floor and argsort) instead of a search.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import skfem

from ..domains import Box

MESH_TYPES = {
    (1, "simplex"): skfem.MeshLine, (1, "tensor"): skfem.MeshLine,
    (2, "simplex"): skfem.MeshTri, (2, "tensor"): skfem.MeshQuad,
    (3, "simplex"): skfem.MeshTet, (3, "tensor"): skfem.MeshHex,
}

def _permutation_code(order: np.ndarray, d: int) -> np.ndarray:
    """Encode rows of permutations (m, d) of 0..d-1 as integers sum_j order_j d^j, (m,)."""
    return order @ (d ** np.arange(d))


def kuhn_mesh(axes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Vertices p (d, V) and simplices t (d + 1, n^d d!) of the Kuhn mesh on the grid ``axes``.

    Vertex i (multi-index, 0..n per direction) has number i . s, s_k = (n + 1)^k; cell c
    (0..n-1 per direction, number c . n^k) holds elements c d! + slot, slot the index of the
    permutation pi in ``itertools.permutations(range(d))``, with vertices
    c, c + e_pi(1), c + e_pi(1) + e_pi(2), ..., the simplex {xi_pi(1) >= ... >= xi_pi(d)}.
    """
    d, n = len(axes), len(axes[0]) - 1
    strides = (n + 1) ** np.arange(d)
    p = np.stack([g.ravel(order="F") for g in np.meshgrid(*axes, indexing="ij")])
    corner = sum(np.arange(n).reshape([-1 if j == k else 1 for j in range(d)]) * strides[k]
                 for k in range(d)).ravel(order="F")                      # (n^d,)
    steps = strides[np.array(list(itertools.permutations(range(d))))]     # (d!, d)
    offsets = np.hstack([np.zeros((len(steps), 1), dtype=np.int64), steps.cumsum(axis=1)])
    t = corner[None, :, None] + offsets.T[:, None, :]                     # (d + 1, n^d, d!)
    return p, np.ascontiguousarray(t.reshape(d + 1, -1), dtype=np.int32)


@dataclass(frozen=True)
class BoxMesh:
    """A scikit-fem mesh of ``domain`` with ``n`` cells per direction.

    Attributes
    ----------
    domain : the box.
    n : cells per direction.
    kind : "simplex" or "tensor".
    mesh : the scikit-fem mesh.
    """

    domain: Box
    n: int
    kind: str
    mesh: skfem.Mesh = field(repr=False)

    @classmethod
    def build(cls, domain: Box, n: int, kind: str) -> BoxMesh:
        """Mesh the box with n cells per direction (d! Kuhn simplices per cell if simplex,
        numbered as :func:`kuhn_mesh` says)."""
        axes = [np.linspace(a, b, n + 1) for a, b in zip(domain.lower, domain.upper)]
        mesh_type = MESH_TYPES[domain.dim, kind]
        if kind == "simplex":  # vertex numbers grow along each simplex: already sorted
            mesh = mesh_type(*kuhn_mesh(axes), sort_t=False)
        else:
            mesh = mesh_type.init_tensor(*axes)
        return cls(domain, n, kind, mesh)

    @property
    def dim(self) -> int:
        return self.domain.dim

    @property
    def cell_sizes(self) -> np.ndarray:
        """h_k = (b_k - a_k) / n, shape (d,)."""
        return self.domain.lengths / self.n

    @property
    def h(self) -> float:
        """Largest cell edge, max_k h_k."""
        return float(self.cell_sizes.max())

    @property
    def simplices_per_cell(self) -> int:
        return math.factorial(self.dim) if self.kind == "simplex" else 1

    def cell_coordinates(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell index (m,) and local coordinates xi in [0, 1]^d (m, d) of points x (m, d).

        The cell multi-index is i_k = clip(floor((x_k - a_k) / h_k), 0, n - 1), linearised
        as sum_k i_k n^k; points outside the box are assigned to the nearest cell.
        """
        s = (x - np.asarray(self.domain.lower)) / self.cell_sizes
        idx = np.clip(np.floor(s), 0, self.n - 1)
        cell = idx.astype(np.int64) @ (self.n ** np.arange(self.dim, dtype=np.int64))
        return cell, s - idx

    def node_index(self, x: np.ndarray) -> np.ndarray:
        """Integer multi-index i (0..n per direction) of grid nodes x = a + i h, (d, m) -> (m, d)
        (int32: it is held through the assembly, at the peak memory)."""
        lower = np.asarray(self.domain.lower)[:, None]
        return np.rint((x - lower) / self.cell_sizes[:, None]).T.astype(np.int32)

    @cached_property
    def _origins(self) -> np.ndarray:
        """Lower corners a + i h of all n^d cells, (n^d, d), in the order of the cell numbers."""
        axes = [a + h * np.arange(self.n) for a, h in zip(self.domain.lower, self.cell_sizes)]
        return np.stack([g.ravel(order="F") for g in np.meshgrid(*axes, indexing="ij")], axis=1)

    def cell_origin(self, cell: np.ndarray) -> np.ndarray:
        """Lower corner a + i h of each cell (m,) -> (m, d)."""
        return self._origins[cell]

    def _slot(self, xi: np.ndarray) -> np.ndarray:
        """Simplex slot 0..d!-1 within the cell from local coordinates (m, d) -> (m,)."""
        if self.simplices_per_cell == 1:
            return np.zeros(len(xi), dtype=np.int64)
        d = self.dim
        perms = np.array(list(itertools.permutations(range(d))))
        code = np.zeros(d**d, dtype=np.int64)
        code[_permutation_code(perms, d)] = np.arange(len(perms))
        return code[_permutation_code(np.argsort(-xi, axis=1, kind="stable"), d)]

    @cached_property
    def element_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(cell, slot) of every element, each (nel,): by the numbering of :func:`kuhn_mesh` on
        simplices, from the element centroids on scikit-fem's tensor meshes."""
        mesh = self.mesh
        if self.kind == "simplex":  # int32 where it fits: two arrays of nel at the peak memory
            nel = mesh.t.shape[1]
            element = np.arange(nel, dtype=np.int32 if nel < 2**31 else np.int64)
            return np.divmod(element, element.dtype.type(self.simplices_per_cell))
        centroid = np.stack([mesh.p[k][mesh.t].mean(axis=0) for k in range(self.dim)], axis=1)
        cell, xi = self.cell_coordinates(centroid)
        return cell, self._slot(xi)

    @cached_property
    def _cell_table(self) -> np.ndarray:
        """table (n^d, slots): (cell, slot) -> element; every pair must occur exactly once."""
        cell, slot = self.element_cells
        table = np.full((self.n**self.dim, self.simplices_per_cell), -1, dtype=np.int64)
        table[cell, slot] = np.arange(len(cell))
        if (table < 0).any():
            raise RuntimeError("mesh is not a Kuhn triangulation of the box cells")
        return table

    def cell_elements(self, cells: np.ndarray) -> np.ndarray:
        """Elements of the given cells (m,), one column per slot: (m, simplices_per_cell)."""
        return self._cell_table[cells]

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(element, cell, slot) containing each point of x (m, d), each (m,), by arithmetic.

        Cost O(m d log d); points outside the box get the nearest boundary cell.
        """
        cell, xi = self.cell_coordinates(x)
        slot = self._slot(xi)
        return self._cell_table[cell, slot], cell, slot

    def boundary_dofs(self, doflocs: np.ndarray) -> np.ndarray:
        """Indices of the DOFs located on dOmega, from their locations (d, N) -> (k,).

        A DOF is on the boundary when a coordinate equals a bound (to 1e-8 h);
        this replaces a facet search, which is costly on large 3-D meshes.
        """
        tol = 1e-8 * self.cell_sizes[:, None]
        lower = np.asarray(self.domain.lower)[:, None]
        upper = np.asarray(self.domain.upper)[:, None]
        on = (np.abs(doflocs - lower) < tol) | (np.abs(doflocs - upper) < tol)
        return np.flatnonzero(on.any(axis=0))
