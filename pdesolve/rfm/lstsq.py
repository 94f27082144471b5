"""Column-scaled, rank-revealing solves for random-feature systems.

Random features are nearly linearly dependent: their matrices have singular values down to
rounding level. Both solves scale the columns to unit norm, A D (D = diag 1 / ||a_k||,
zero columns left at 0), and solve by a rank-revealing factorisation with a stated cut-off:

    least squares   min ||A D y - b||,  c = D y   by QR with column pivoting (LAPACK gelsy),
                    dropping the trailing part where the estimated condition exceeds 1 / rcond;
                    the minimum-norm solution of the numerically kept rank, as lstsq's;
    Gram            A^T A c = r (a Ritz Hessian A^T A and gradient r) from the pivoted QR of
                    A D alone, so that the condition number is that of A, not its square;
                    the columns kept are returned, so that an iteration can go on with those
                    features only (a fixed subspace, on which Newton converges; a cut-off
                    that picks other columns at each step leaves ||J'|| stalled).

Sparse matrices (the partition of unity) are solved densely up to :data:`DENSE_COLUMNS`
columns and where B^T B below would be more than :data:`MAX_DENSITY` full; otherwise block by
block of ``block`` columns (a patch's features, which meet only
the points of its patch): each block A_j = U_j S_j V_j^T (its nonzero rows, SVD) is replaced
by B_j = A_j V_j S_j^-1 over the singular values above rcond s_1 (the stated cut-off), so that
every block has orthonormal columns and B = A M, M = blockdiag(V_j S_j^-1), is conditioned
only by the coupling between overlapping patches. Then the normal equations

    B^T B y = B^T b,   y <- y + (B^T B)^-1 B^T (b - B y)   (one corrected step),   c = M y,

by a sparse LU of B^T B (SuperLU, minimum-degree ordering; B^T B couples a patch with its
3^d - 1 neighbours only). Their error is ~ eps cond(B)^2, which is why the blocks are
orthonormalised first: B^T B is the identity on each block's diagonal.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import splu

DENSE_COLUMNS = 800
"""Largest column count of a sparse matrix solved by a dense factorisation: the crossover
measured by benchmarks/bench_random_features.py (the dense solve faster at 400 columns, the
sparse one from 900)."""

MAX_DENSITY = 0.5
"""Largest fill of B^T B (the fraction of patch pairs that share a point) solved sparsely: a
patch meets at most 3^d patches, so in 2-D from 4 patches per direction (fill 0.39); with 2
every pair meets, and the dense solve is faster (measured: 2 x 2 patches of 400 features,
5.5 s against 8.4 s)."""


def _scaling(norms: np.ndarray) -> np.ndarray:
    return np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)


def _block_preconditioner(A: sp.csc_matrix, block: int, rcond: float) -> sp.csr_matrix:
    """blockdiag(V_j S_j^-1) (columns, kept) of the module docstring."""
    blocks = []
    for start in range(0, A.shape[1], block):
        sub = A[:, start:start + block]
        rows = np.unique(sub.indices)
        if not len(rows):
            blocks.append(sp.csr_matrix((sub.shape[1], 0)))
            continue
        _, s, Vt = np.linalg.svd(sub[rows].toarray(), full_matrices=False)
        keep = s > rcond * s[0]
        blocks.append(sp.csr_matrix(Vt[keep].T / s[keep]))
    return sp.block_diag(blocks, format="csr")


def _block_fill(A: sp.csr_matrix, block: int) -> float:
    """The fraction of pairs of column blocks that share a nonzero row: the fill of B^T B."""
    count = -(-A.shape[1] // block)
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    touches = sp.csr_matrix((np.ones(A.nnz, dtype=bool), (rows, A.indices // block)),
                            shape=(A.shape[0], count))
    return (touches.T @ touches).nnz / count**2


def _block_normal_equations(A, b: np.ndarray, block: int,
                            rcond: float) -> tuple[np.ndarray, dict]:
    """The sparse path of the module docstring."""
    M = _block_preconditioner(sp.csc_matrix(A), block, rcond)
    B = sp.csc_matrix(A @ M)
    lu = splu(sp.csc_matrix(B.T @ B), permc_spec="MMD_AT_PLUS_A")
    y = lu.solve(B.T @ b)
    y = y + lu.solve(B.T @ (b - B @ y))
    return M @ y, {"rank": M.shape[1], "residual": float(np.linalg.norm(B @ y - b)),
                   "lu_nonzeros": int(lu.L.nnz + lu.U.nnz)}


def least_squares(A, b: np.ndarray, rcond: float,
                  block: int | None = None) -> tuple[np.ndarray, dict]:
    """c minimising ||A c - b|| (module docstring) and info (rank, residual; the LU's
    nonzeros ``lu_nonzeros`` on the sparse path);
    ``block``: the column count of one patch's features (sparse A only)."""
    if (sp.issparse(A) and A.shape[1] > DENSE_COLUMNS
            and _block_fill(sp.csr_matrix(A), block or A.shape[1]) <= MAX_DENSITY):
        return _block_normal_equations(A, b, block or A.shape[1], rcond)
    dense = A.toarray() if sp.issparse(A) else A
    D = _scaling(np.linalg.norm(dense, axis=0))
    y, _, rank, _ = scipy.linalg.lstsq(dense * D, b, cond=rcond, lapack_driver="gelsy",
                                       check_finite=False)
    return D * y, {"rank": int(rank), "residual": float(np.linalg.norm((dense * D) @ y - b))}


def gram_solve(A, r: np.ndarray, rcond: float) -> tuple[np.ndarray, dict, np.ndarray]:
    """c with A^T A c = r (a Ritz Hessian given by its square root A), never forming A^T A:
    A D P = Q R by pivoted QR of the column-scaled A, rank k where |R_ii| > rcond |R_11|,
    then R_k^T R_k y = (P^T D r)_k by two triangular solves, c = D P y (zero beyond k).
    Returns c, info and the kept columns P[:k] (sorted)."""
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    D = _scaling(np.linalg.norm(dense, axis=0))
    R, perm = scipy.linalg.qr(dense * D, mode="r", pivoting=True, check_finite=False)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > rcond * diag[0])) if len(diag) and diag[0] > 0 else 0
    Rk = R[:rank, :rank]
    y = scipy.linalg.solve_triangular(Rk, (D * r)[perm[:rank]], trans="T", check_finite=False)
    coef = np.zeros(A.shape[1])
    coef[perm[:rank]] = scipy.linalg.solve_triangular(Rk, y, check_finite=False)
    return D * coef, {"rank": rank}, np.sort(perm[:rank])
