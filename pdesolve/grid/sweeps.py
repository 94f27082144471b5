"""Weighted Jacobi on the finite-difference system of a tensor grid.

The system is A u = f - A g (:mod:`pdesolve.grid.stencil`, n interior points per
direction, g the Dirichlet data on the boundary nodes). One sweep is

    u <- (1 - omega) u + omega D^{-1} (f + (D - A) u),

a few whole-array operations on the padded nodal array (boundary values fixed to g).
"""

from __future__ import annotations

import numpy as np

from . import multigrid, stencil
from .function import GridFunction
from .tensor import TensorGrid


class JacobiSweeps:
    """Weighted Jacobi on a padded array, updated in place.

    Parameters
    ----------
    grid : the tensor grid; coeffs : edge coefficients (scalars per direction are used when
        ``constant``: kappa = 1); f : the source at the interior nodes (shape n);
    padded : the initial iterate with the Dirichlet data on the boundary (modified in place).
    """

    def __init__(self, grid: TensorGrid, coeffs: stencil.EdgeField, f: np.ndarray,
                 padded: np.ndarray, omega: float, constant: bool):
        self.grid, self.omega, self.values = grid, omega, padded
        diag = stencil.diagonal(grid, coeffs)
        scale = omega / (float(np.sum(2 / grid.h**2)) if constant else diag)
        self.source = f * scale
        self.inside = padded[grid.interior]
        self.neighbours, self.weights = [], []
        for j, c in enumerate(coeffs):
            lo, hi = list(grid.interior), list(grid.interior)
            lo[j], hi[j] = slice(None, -2), slice(2, None)
            self.neighbours.append((padded[tuple(lo)], padded[tuple(hi)]))
            if constant:
                self.weights.append(scale / grid.h[j] ** 2)
            else:
                self.weights.append(tuple(e * scale / grid.h[j] ** 2
                                          for e in stencil.edge_sides(c, j)))
        self._sum = np.empty(grid.n)
        self._term = np.empty(grid.n)

    def sweep(self, count: int = 1) -> None:
        """``count`` sweeps u <- (1 - omega) u + omega D^{-1} (f + (D - A) u)."""
        acc, term = self._sum, self._term
        for _ in range(count):
            np.copyto(acc, self.source)
            for (lo, hi), w in zip(self.neighbours, self.weights):
                if isinstance(w, tuple):
                    np.multiply(lo, w[0], out=term)
                    acc += term
                    np.multiply(hi, w[1], out=term)
                else:
                    np.add(lo, hi, out=term)
                    term *= w
                acc += term
            if self.omega != 1.0:
                self.inside *= 1.0 - self.omega
                self.inside += acc
            else:
                self.inside[...] = acc


class GridSystem:
    """A u = f - A g on ``grid``, iterated by weighted Jacobi; the iterate is the padded
    nodal array, u = 0 inside and g on the boundary until :meth:`start` sets it.

    Parameters
    ----------
    coeffs, f, boundary : edge coefficients, the source at the interior nodes and the padded
        Dirichlet data (:func:`pdesolve.solvers.grid.linear_system`); constant : kappa = 1.
    """

    def __init__(self, grid: TensorGrid, coeffs: stencil.EdgeField, f: np.ndarray,
                 boundary: np.ndarray, omega: float, constant: bool):
        self.grid, self.coeffs, self.f, self.boundary = grid, coeffs, f, boundary
        self.rhs = stencil.right_hand_side(grid, coeffs, f, boundary)
        self.values = boundary.copy()
        self.sweep = JacobiSweeps(grid, coeffs, f, self.values, omega, constant).sweep
        self.interior, self.unknowns = grid.interior, grid.unknowns

    def sample(self, fn) -> np.ndarray:
        """fn at the grid nodes, as a padded array."""
        return self.grid.sample(fn, [self.grid.axis(j) for j in range(self.grid.dim)])

    def start(self, padded: np.ndarray) -> None:
        """Start from the interior of the padded array ``padded`` (the boundary stays g)."""
        self.values[self.grid.interior] = padded[self.grid.interior]

    def nodal(self) -> np.ndarray:
        """The iterate, a padded array (g on the boundary)."""
        return self.values

    def residual(self) -> float:
        """||b - A u|| / ||b||; b - A u = f - (A applied to the padded u, g included)."""
        r = self.f - stencil.apply(self.grid, self.coeffs, self.values)
        return float(np.linalg.norm(r) / max(np.linalg.norm(self.rhs), np.finfo(float).tiny))

    def discrete_solution(self) -> np.ndarray:
        """A^{-1} b as a padded array (multigrid CG to rtol 1e-13)."""
        u, *_ = multigrid.solve(self.grid, self.coeffs, self.rhs, rtol=1e-13, maxiter=1000)
        return self.grid.fill(self.boundary, u)

    def functions(self):
        """(u, grad) of the current iterate: the multilinear interpolant."""
        fn = GridFunction(self.grid, self.values.copy())
        return fn, fn.grad
