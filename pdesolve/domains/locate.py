"""Point location in simplicial meshes: which cell contains each point, vectorised.

For cell c with corners v_0..v_d, the barycentric coordinates of x are
lambda_{1..d} = B_c^{-1} (x - v_0), lambda_0 = 1 - sum lambda_i, B_c = [v_1 - v_0, ...];
x is in c when every lambda >= -eps. Candidates are the k cells with the nearest
centroids (a KD-tree), tried in order; points not found among them are tried against
more neighbours, and are outside the mesh (-1) when none contains them.
Curved (quadratic) cells are located by their straight corners.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

EPS = 1e-10
"""Barycentric tolerance: points on a cell's boundary belong to it."""


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
        self.tree = cKDTree(corners.mean(axis=1))
        self.dim = points.shape[1]

    def _barycentric(self, x: np.ndarray, cells: np.ndarray) -> np.ndarray:
        lam = np.einsum("mij,mj->mi", self.inverse[cells], x - self.origin[cells])
        return np.concatenate([1 - lam.sum(axis=1, keepdims=True), lam], axis=1)

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        cell = np.full(len(x), -1, dtype=np.int64)
        bary = np.zeros((len(x), self.dim + 1))
        todo = np.arange(len(x))
        for k in (4 * self.dim, 64 * self.dim):
            if not todo.size:
                break
            k = min(k, self.tree.n)
            _, candidates = self.tree.query(x[todo], k=k)
            candidates = candidates.reshape(len(todo), k)
            for j in range(k):  # a few passes over candidate ranks, each vectorised
                if not todo.size:
                    break
                c = candidates[:, j]
                lam = self._barycentric(x[todo], c)
                hit = lam.min(axis=1) >= -EPS
                cell[todo[hit]], bary[todo[hit]] = c[hit], lam[hit]
                todo, candidates = todo[~hit], candidates[~hit]
        return cell, bary
