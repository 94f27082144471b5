"""Column-scaled, rank-revealing solves for random-feature systems.

Random features are nearly linearly dependent: their matrices have singular values down to
rounding level. Both solves scale the columns to unit norm, A D (D = diag 1 / ||a_k||,
zero columns left at 0), and solve by a rank-revealing factorisation with a stated cut-off:

    least squares   min ||A D y - b||,  c = D y   by QR with column pivoting (LAPACK gelsy),
                    dropping the trailing part where the estimated condition exceeds 1 / rcond;
                    the minimum-norm solution of the numerically kept rank, as lstsq's;
    Gram            A^T A c = r (a Ritz Hessian A^T A and gradient r) from the pivoted QR of
                    A D alone, so that the condition number is that of A, not its square.

Sparse matrices (the partition of unity) are solved densely up to :data:`DENSE_COLUMNS`
columns; beyond, by LSMR on the column-scaled matrix (tolerance ``rcond``).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import lsmr

DENSE_COLUMNS = 8000
"""Largest column count solved by a dense factorisation."""

MAX_LSMR_ITERATIONS = 20000


def _scaling(norms: np.ndarray) -> np.ndarray:
    return np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)


def least_squares(A, b: np.ndarray, rcond: float) -> tuple[np.ndarray, dict]:
    """c minimising ||A c - b|| (module docstring) and info (rank or iterations, residual)."""
    if sp.issparse(A):
        norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=0)).ravel())
    else:
        norms = np.linalg.norm(A, axis=0)
    D = _scaling(norms)
    if sp.issparse(A) and A.shape[1] > DENSE_COLUMNS:
        scaled = A @ sp.diags(D)
        y, stop, iterations, residual = lsmr(scaled, b, atol=rcond, btol=rcond,
                                             maxiter=MAX_LSMR_ITERATIONS)[:4]
        return D * y, {"lsmr_iterations": int(iterations), "residual": float(residual)}
    scaled = (A.toarray() if sp.issparse(A) else A) * D
    y, _, rank, _ = scipy.linalg.lstsq(scaled, b, cond=rcond, lapack_driver="gelsy",
                                       check_finite=False)
    return D * y, {"rank": int(rank), "residual": float(np.linalg.norm(scaled @ y - b))}


def gram_solve(A, r: np.ndarray, rcond: float) -> tuple[np.ndarray, dict]:
    """c with A^T A c = r (a Ritz Hessian given by its square root A), never forming A^T A:
    A D P = Q R by pivoted QR of the column-scaled A, rank k where |R_ii| > rcond |R_11|,
    then R_k^T R_k y = (P^T D r)_k by two triangular solves, c = D P y (zero beyond k)."""
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    D = _scaling(np.linalg.norm(dense, axis=0))
    R, perm = scipy.linalg.qr(dense * D, mode="r", pivoting=True, check_finite=False)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > rcond * diag[0])) if len(diag) and diag[0] > 0 else 0
    Rk = R[:rank, :rank]
    y = scipy.linalg.solve_triangular(Rk, (D * r)[perm[:rank]], trans="T", check_finite=False)
    coef = np.zeros(A.shape[1])
    coef[perm[:rank]] = scipy.linalg.solve_triangular(Rk, y, check_finite=False)
    return D * coef, {"rank": rank}
