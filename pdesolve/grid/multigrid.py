"""Geometric multigrid on tensor grids, used as the preconditioner of conjugate gradients.

Levels: n_j -> (n_j - 1) // 2 per direction (nested when n_j is odd, otherwise the
coarse nodes sit between fine ones; either way the transfer is linear interpolation).
Each level rediscretises -div(c grad u) with the edge coefficients interpolated from the
finer level; the coarse correction is scaled by prod_j h_j^c / h_j^f, the ratio between
the Galerkin product P^T A_f P and the rediscretised A_c. Smoother: Chebyshev
polynomial in D^{-1} A on [lo, 2] (2 bounds the spectrum of D^{-1} A for this diagonally
dominant stencil, so no eigenvalue estimate is needed). The V-cycle with the same
smoother before and after the coarse correction is a symmetric positive definite
preconditioner. It runs in single precision: a preconditioner only has to approximate
A^{-1}, while CG keeps its residuals, and so its accuracy, in double precision; the
smoother's memory traffic halves and CG needs the same iterations (9 for rtol 1e-10 on the
5-D problem at n = 16, solutions equal to 2e-15).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import stencil
from .tensor import TensorGrid, apply_along, interp_matrix

log = logging.getLogger(__name__)

COARSEST = 4096
"""Default largest number of unknowns solved directly (sparse LU)."""


@dataclass
class Level:
    grid: TensorGrid
    matrix: sp.csr_matrix
    inv_diag: np.ndarray
    prolong: list[sp.csr_matrix] | None = None  # 1-D interpolation to this level from the next
    scale: float = 1.0


def _coarse_coefficients(fine: TensorGrid, coarse: TensorGrid,
                         coeffs: stencil.EdgeField) -> stencil.EdgeField:
    """Edge coefficients of ``coarse`` by multilinear interpolation of the fine edge field."""
    out = []
    for j, c in enumerate(coeffs):
        src, dst = stencil.edge_axes(fine, j), stencil.edge_axes(coarse, j)
        for axis in range(fine.dim):
            c = apply_along(interp_matrix(src[axis], dst[axis]), c, axis)
        out.append(c)
    return out


def _prolongation(fine: TensorGrid, coarse: TensorGrid) -> list[sp.csr_matrix]:
    """Per direction, linear interpolation from coarse interior nodes (zero boundary)."""
    return [interp_matrix(coarse.axis(j), fine.axis(j)[1:-1])[:, 1:-1].tocsr()
            for j in range(fine.dim)]


class Multigrid:
    """A V-cycle preconditioner for A = -div(c grad .) on ``grid``.

    Parameters
    ----------
    grid : the finest grid; coeffs : its edge coefficients (stencil.EdgeField).
    degree : Chebyshev degree of each pre- and post-smoothing.
    coarsest : coarsen until at most this many unknowns, then solve by sparse LU.
    """

    def __init__(self, grid: TensorGrid, coeffs: stencil.EdgeField, degree: int = 2,
                 coarsest: int = COARSEST, dtype=np.float32):
        self.degree, self.dtype = degree, dtype
        # D^{-1} A of the modes the coarse grid cannot represent (some theta_j >= pi/2)
        # lies in [1/d, 2]; a little margin for the non-nested levels
        self.lower = 0.9 / grid.dim
        self.levels: list[Level] = []
        self._matrix = None
        while True:
            a = stencil.assemble(grid, coeffs)
            if self._matrix is None:
                self._matrix = a  # double precision, for CG
            self.levels.append(Level(grid, a.astype(dtype), (1.0 / a.diagonal()).astype(dtype)))
            coarse = grid.coarsened()
            if grid.unknowns <= coarsest or coarse is None:
                break
            self.levels[-1].prolong = [p.astype(dtype) for p in _prolongation(grid, coarse)]
            self.levels[-1].scale = float(np.prod(coarse.h / grid.h))
            coeffs = _coarse_coefficients(grid, coarse, coeffs)
            grid = coarse
        self._coarse_lu = spla.splu(a.tocsc())
        log.debug("multigrid: %d levels, coarsest %s", len(self.levels), grid.n)

    @property
    def matrix(self) -> sp.dia_matrix:
        """A on the finest grid, in double precision."""
        return self._matrix

    def _smooth(self, level: Level, b: np.ndarray, x: np.ndarray | None) -> np.ndarray:
        """``degree`` Chebyshev steps for A x = b on D^{-1} A in [lo, 2] (x None: from 0).

        Updates in place (x, the step and the residual are this call's own arrays).
        """
        theta, delta = (2.0 + self.lower) / 2, (2.0 - self.lower) / 2
        sigma = theta / delta
        rho = 1 / sigma
        res = b if x is None else b - level.matrix @ x
        step = level.inv_diag * res
        step /= theta
        x = step.copy() if x is None else x + step
        scaled = np.empty_like(step)
        for _ in range(self.degree - 1):
            res = res - level.matrix @ step
            rho_next = 1 / (2 * sigma - rho)
            step *= rho_next * rho
            np.multiply(level.inv_diag, res, out=scaled)
            scaled *= 2 * rho_next / delta
            step += scaled
            x += step
            rho = rho_next
        return x

    def _transfer(self, level: Level, v: np.ndarray, shape: tuple, transpose: bool):
        out = v.reshape(shape)
        for axis, p in enumerate(level.prolong):
            out = apply_along(p.T if transpose else p, out, axis)
        return out.ravel()

    def vcycle(self, b: np.ndarray, index: int = 0) -> np.ndarray:
        """One V-cycle for A x = b from x = 0 on level ``index``; returns x (flat)."""
        if index == len(self.levels) - 1:
            return self._coarse_lu.solve(b.astype(float)).astype(self.dtype)
        level, coarse = self.levels[index], self.levels[index + 1]
        x = self._smooth(level, b, None)
        r = b - level.matrix @ x
        rc = self._transfer(level, r, level.grid.n, transpose=True) / level.scale
        x += self._transfer(level, self.vcycle(rc, index + 1), coarse.grid.n, transpose=False)
        return self._smooth(level, b, x)

    def operator(self) -> spla.LinearOperator:
        """The V-cycle as a double-precision LinearOperator (the preconditioner M ~ A^{-1})."""
        size = self.matrix.shape[0]

        def matvec(b):
            return self.vcycle(np.asarray(b).ravel().astype(self.dtype)).astype(float)
        return spla.LinearOperator((size, size), matvec=matvec, dtype=float)


def pcg(matrix, b: np.ndarray, preconditioner=None, x0: np.ndarray | None = None,
        rtol: float = 1e-10, maxiter: int = 1000) -> tuple[np.ndarray, int, bool]:
    """Preconditioned CG for A x = b; returns (x, iterations, converged).

    Stops when ||b - A x|| <= rtol ||b|| (scipy's criterion).
    """
    count = [0]

    def callback(_):
        count[0] += 1

    x, info = spla.cg(matrix, b, x0=x0, rtol=rtol, atol=0.0, maxiter=maxiter, M=preconditioner,
                      callback=callback)
    if info:
        log.warning("CG stopped after %d iterations above rtol=%g", count[0], rtol)
    return x, count[0], info == 0


def solve(grid: TensorGrid, coeffs: stencil.EdgeField, rhs: np.ndarray, *, rtol: float,
          maxiter: int, multigrid: bool = True) -> tuple[np.ndarray, int, bool, int]:
    """A u = rhs by CG, preconditioned by the multigrid V-cycle (or not).

    Returns (u (N,), CG iterations, converged, multigrid levels).
    """
    if multigrid:
        mg = Multigrid(grid, coeffs)
        matrix, precond, levels = mg.matrix, mg.operator(), len(mg.levels)
    else:
        matrix, precond, levels = stencil.assemble(grid, coeffs), None, 1
    u, its, ok = pcg(matrix, rhs.ravel(), precond, rtol=rtol, maxiter=maxiter)
    return u, its, ok, levels
