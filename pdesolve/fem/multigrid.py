"""Geometric multigrid for degree-1 elements on the nested uniform meshes of a box.

The mesh with n cells per direction (n even) refines the one with n/2 cells. Fine grid
node j = 2 i + e (i a coarse node, e in {0, 1}^d) lies in the middle of the coarse cell face
spanned by i and i + e, and the coarse function's interpolant there is the mean of its
values at coarse nodes i + f over the corners f the element spanned by i and i + e shares:

    Q1 (tensor cells):  (P c)(2 i + e) = 2^-|e| sum_{f <= e} c(i + f)   (multilinear);
    P1 (Kuhn simplices): (P c)(2 i + e) = (c(i) + c(i + e)) / 2        (e != 0),

the second because every edge of a Kuhn simplex joins i and i + e with e binary (its
vertices are i, i + e_pi(1), i + e_pi(1) + e_pi(2), ...), and the Kuhn hyperplanes
x_k = 2 m h, x_k - x_l = 2 m h of the coarse mesh are among the fine ones, so the spaces
are nested. Coarse nodes outside the unknowns (Dirichlet nodes) carry a zero correction.

Coarse operators are Galerkin products A_{l+1} = P_l^T A_l P_l (for nested spaces the
coarse stiffness of the fine quadrature of kappa), halving while n is even and the level
has more than :data:`COARSE_DIRECT` unknowns. A coarsest level that small is solved by
sparse LU; one larger (n odd) is coarsened further by smoothed aggregation (pyamg), so every
n works (an odd n: smoothed aggregation alone). The levels form one pyamg
``MultilevelSolver``: its V-cycle with symmetric Gauss-Seidel smoothing, a symmetric
positive definite preconditioner, preconditions conjugate gradients.

A sequence of matrices with one sparsity pattern (Newton's Hessians) keeps the first
hierarchy's prolongations, geometric or aggregation-based, and recomputes only the
coarse operators (:func:`with_matrix`): the V-cycle stays symmetric positive definite for
each new matrix and the set-up shrinks to the Galerkin products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyamg
import scipy.sparse as sp
from pyamg.multilevel import MultilevelSolver
from pyamg.relaxation.smoothing import change_smoothers

COARSE_DIRECT = {1: 20_000, 2: 20_000, 3: 2_000}
"""Largest coarsest level solved by sparse LU, by dimension (its fill-in grows fast in 3-D:
1.6 s to factor 13,824 unknowns of the 3-D Kuhn mesh, 0.05 s for 15,376 in 2-D)."""

SMOOTHER = ("gauss_seidel", {"sweep": "symmetric"})

COARSE_SOLVER = ("splu", {"permc_spec": "MMD_AT_PLUS_A"})
"""Sparse LU of the coarsest level, minimum-degree ordered (half the fill of COLAMD on the
2-D Kuhn mesh's 15,376 unknowns, solves 2.2x faster)."""


@dataclass(frozen=True)
class NodeGrid:
    """The unknowns as nodes of a uniform grid: ``index`` (m, d) the integer multi-index
    (0..n per direction) of unknown r, ``n`` cells per direction, ``kind`` "simplex" (Kuhn)
    or "tensor"."""

    index: np.ndarray
    n: int
    kind: str

    def coarse(self) -> NodeGrid:
        """The even nodes 2 i among the unknowns, as nodes i of the grid with n/2 cells."""
        even = np.flatnonzero(~(self.index % 2).any(axis=1))
        return NodeGrid(self.index[even] // 2, self.n // 2, self.kind)

    def prolongation(self, coarse: NodeGrid) -> sp.csr_matrix:
        """P (m, m_coarse): interpolation of coarse nodal values to these nodes (above).

        Offsets e, f in {0, 1}^d are coded as the integers sum_k e_k 2^k, so f <= e is
        f & ~e == 0, and coarse nodes as their lexicographic numbers i . s (s the strides).
        """
        d = self.index.shape[1]
        bits = (np.arange(2**d)[:, None] >> np.arange(d)) & 1    # offset code -> offset
        strides = (coarse.n + 1) ** np.arange(d)
        lookup = np.full((coarse.n + 1) ** d, -1, dtype=np.int64)
        lookup[coarse.index @ strides] = np.arange(len(coarse.index))
        base, e = np.divmod(self.index, 2)
        base, e = base @ strides, e @ (2 ** np.arange(d))
        size = bits.sum(axis=1)
        weight = (0.5**size if self.kind == "tensor" else np.where(size > 0, 0.5, 1.0))[e]
        rows, cols = [], []
        for f in range(2**d):  # the 2^d corner offsets, not points
            inside = (f & ~e) == 0
            if self.kind == "simplex":  # only the edge's two ends, f = 0 and f = e
                inside &= (f == 0) | (e == f)
            row = np.flatnonzero(inside)
            col = lookup[base[row] + bits[f] @ strides]
            rows.append(row[col >= 0])
            cols.append(col[col >= 0])
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        return sp.csr_matrix((weight[rows], (rows, cols)),
                             shape=(len(self.index), len(coarse.index)))


def aggregation_solver(A: sp.csr_matrix) -> MultilevelSolver:
    """Smoothed aggregation (pyamg) with row-local Jacobi weights in the prolongation smoother:
    no spectral-radius estimate, which otherwise dominates the set-up on large meshes."""
    return pyamg.smoothed_aggregation_solver(A, smooth=("jacobi", {"weighting": "local"}))


def multigrid_solver(A: sp.csr_matrix, grid: NodeGrid) -> MultilevelSolver:
    """Geometric levels of A (m, m) on ``grid`` (m nodes), then smoothed aggregation."""
    levels, direct = [], COARSE_DIRECT[grid.index.shape[1]]
    while grid.n % 2 == 0 and A.shape[0] > direct:
        coarse = grid.coarse()
        level = MultilevelSolver.Level()
        level.A, level.P = A, grid.prolongation(coarse)
        level.R = level.P.T.tocsr()
        levels.append(level)
        A, grid = (level.R @ (A @ level.P)).tocsr(), coarse
    if A.shape[0] <= direct:
        levels.append(MultilevelSolver.Level())
        levels[-1].A = A
        ml = MultilevelSolver(levels, coarse_solver=COARSE_SOLVER)
    else:
        ml = MultilevelSolver(levels + aggregation_solver(A).levels)
    change_smoothers(ml, SMOOTHER, SMOOTHER)
    return ml


def with_matrix(ml: MultilevelSolver, A: sp.csr_matrix) -> MultilevelSolver:
    """The hierarchy ``ml`` (its prolongations P_l and restrictions R_l) on a new fine matrix A
    of the same size: A_{l+1} = R_l A_l P_l recomputed, the coarsest solved by sparse LU."""
    levels = []
    for old in ml.levels[:-1]:
        level = MultilevelSolver.Level()
        level.A, level.P, level.R = A, old.P, old.R
        levels.append(level)
        A = (old.R @ (A @ old.P)).tocsr()
    levels.append(MultilevelSolver.Level())
    levels[-1].A = A
    out = MultilevelSolver(levels, coarse_solver=COARSE_SOLVER)
    change_smoothers(out, SMOOTHER, SMOOTHER)
    return out
