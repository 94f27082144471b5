"""The multilinear interpolant of nodal values on a tensor grid, as a solution function."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..quadrature import CellRule
from .tensor import TensorGrid, interpolate

MAX_GAUSS = 12
"""Most Gauss points per direction of a cell rule."""


@dataclass(frozen=True)
class GridFunction:
    """u_h = the multilinear interpolant of padded nodal ``values`` on ``grid``.

    Callable on points (m, d) -> (m,); ``grad`` (m, d) is the derivative of the interpolant.
    """

    grid: TensorGrid
    values: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return interpolate(self.grid, self.values, x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        return interpolate(self.grid, self.values, x, gradient=True)

    def error_rules(self, level: int) -> CellRule | None:
        """Gauss rule with 3 + level points per direction on each grid cell (d <= 3).

        u_h is multilinear on the (n_j + 1) cells between grid lines, so the error is smooth
        on each; 3 points (degree 5 per direction) integrate the leading part of e^2 (the
        square of the local interpolation error, degree 4) exactly. None in d > 3, where the
        (3 + level)^d points per cell cost more than randomised QMC on the box.
        """
        order = 3 + level
        if self.grid.dim > 3 or order > MAX_GAUSS:
            return None
        t, w = np.polynomial.legendre.leggauss(order)
        axes = [(t + 1) / 2 * h for h in self.grid.h]
        nodes = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)
        weights = np.prod(np.stack([g.ravel() for g in np.meshgrid(
            *[w / 2 * h for h in self.grid.h], indexing="ij")]), axis=0)
        counts = tuple(m + 1 for m in self.grid.n)
        return CellRule(self.grid.domain, counts, nodes, weights,
                        f"gauss {order}^{self.grid.dim} per cell")
