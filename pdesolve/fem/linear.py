"""Sparse linear solves A x = b for symmetric positive definite A.

"direct": sparse LU (SuperLU); "amg": conjugate gradients preconditioned by one
V-cycle of smoothed-aggregation AMG (pyamg), stopped at ||b - A x|| <= tol ||b||;
"auto": direct below a dimension-dependent size (fill-in grows fast in 3-D), AMG above.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyamg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

logger = logging.getLogger(__name__)

DIRECT_MAX_DOFS = {1: 10**7, 2: 2 * 10**5, 3: 10**4}
"""'auto' uses the direct solver up to this many unknowns (by space dimension)."""


@dataclass(frozen=True)
class LinearSolver:
    """Configured solver: ``solver(A, b, x0=None) -> (x, stats)``.

    Parameters
    ----------
    method : "auto", "direct" or "amg".
    tol : relative residual tolerance of CG.
    dim : space dimension (selects the 'auto' threshold).
    maxiter : CG iteration limit.
    """

    method: str
    tol: float
    dim: int
    maxiter: int = 1000

    def choose(self, n: int) -> str:
        if self.method != "auto":
            return self.method
        return "direct" if n <= DIRECT_MAX_DOFS[self.dim] else "amg"

    def __call__(self, A: sp.spmatrix, b: np.ndarray,
                 x0: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """Solve A x = b, A (n, n) SPD, b (n,); stats: method, cg_iterations, converged."""
        method = self.choose(A.shape[0])
        if method == "direct":
            x = spla.spsolve(A.tocsc(), b)
            return x, {"linear_solver": "direct", "cg_iterations": 0, "converged": True}
        # row-local Jacobi weights in the prolongation smoother: no spectral-radius
        # estimate, which otherwise dominates the setup time on large meshes
        ml = pyamg.smoothed_aggregation_solver(A.tocsr(), smooth=("jacobi", {"weighting": "local"}))
        count = [0]

        def callback(_xk):
            count[0] += 1

        x, flag = spla.cg(A, b, x0=x0, rtol=self.tol, atol=0.0, maxiter=self.maxiter,
                          M=ml.aspreconditioner(cycle="V"), callback=callback)
        if flag != 0:
            logger.warning("AMG-preconditioned CG stopped after %d iterations above "
                           "tol=%g; raise tol or use linear_solver='direct'", count[0], self.tol)
        return x, {"linear_solver": "amg", "cg_iterations": count[0], "converged": flag == 0,
                   "amg_levels": len(ml.levels)}
