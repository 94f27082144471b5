"""Point location in simplicial meshes: which cell contains each point, vectorised.

For cell c with corners v_0..v_d, the barycentric coordinates of x are
lambda_{1..d} = B_c^{-1} (x - v_0), lambda_0 = 1 - sum lambda_i, B_c = [v_1 - v_0, ...];
x is in c when every lambda >= -eps. Candidates are the k cells with the nearest
centroids within the largest centroid-to-corner distance (a KD-tree), all tested at once,
the nearest containing one kept; points not
found among them are tried against more neighbours, and are outside the mesh (-1) when
none contains them.
Curved (quadratic) cells are located by their straight corners.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

EPS = 1e-10
"""Barycentric tolerance: points on a cell's boundary belong to it."""

CHUNK = 1 << 20
"""(point, candidate) pairs tested at once."""


class SimplexLocator:
    """``locator(x) -> (cell (m,), barycentric (m, d+1))`` for points x (m, d); cell -1 outside.

    Parameters
    ----------
    points : (N, d) vertex coordinates; cells : (nc, d + 1) corner indices.
    """

    def __init__(self, points: np.ndarray, cells: np.ndarray):
        corners = points[cells]  # (nc, d+1, d)
        self.origin = corners[:, 0]
        self.inverse = np.linalg.inv(np.swapaxes(corners[:, 1:] - corners[:, :1], 1, 2))
        centroids = corners.mean(axis=1)
        self.tree = cKDTree(centroids)
        # a cell's points lie within this distance of its centroid
        self.reach = float(np.linalg.norm(corners - centroids[:, None], axis=2).max()) * (1 + 1e-9)
        self.dim = points.shape[1]

    def barycentric(self, x: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Barycentric coordinates (m, d + 1) of x (m, d) in the straight cells ``cells`` (m,)."""
        lam = np.einsum("mij,mj->mi", self.inverse[cells], x - self.origin[cells])
        return np.concatenate([1 - lam.sum(axis=1, keepdims=True), lam], axis=1)

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        cell = np.full(len(x), -1, dtype=np.int64)
        bary = np.zeros((len(x), self.dim + 1))
        todo = np.arange(len(x))
        for k in (1, 4 * self.dim, 64 * self.dim):  # most points are in the nearest centroid's cell
            if not todo.size:
                break
            k = min(k, self.tree.n)
            for chunk in np.array_split(todo, max(1, todo.size * k // CHUNK)):
                _, candidates = self.tree.query(x[chunk], k=k, distance_upper_bound=self.reach)
                row, rank = np.nonzero(candidates.reshape(len(chunk), k) < self.tree.n)
                c = candidates.reshape(len(chunk), k)[row, rank]  # candidates within reach
                lam = self.barycentric(x[chunk][row], c)
                hit = np.flatnonzero(lam.min(axis=1) >= -EPS)
                # the nearest containing candidate of each point: the first hit of its row
                first = hit[np.unique(row[hit], return_index=True)[1]]
                cell[chunk[row[first]]], bary[chunk[row[first]]] = c[first], lam[first]
            todo = todo[cell[todo] < 0]
        return cell, bary
