"""Sparse linear solves A x = b for symmetric positive definite A.

"direct": sparse LU (SuperLU with the minimum-degree ordering of A^T + A, which suits
these symmetric matrices: 2-9x faster than the default COLAMD on the box meshes);
"amg": conjugate gradients preconditioned by one V-cycle of smoothed-aggregation AMG
(pyamg), stopped at ||b - A x|| <= tol ||b||; "gmg": the same CG with a V-cycle of geometric
multigrid on the nested box meshes (:mod:`pdesolve.fem.multigrid`; degree 1 on a box's
structured mesh, where it replaces the AMG set-up by interpolation and Galerkin products);
"auto": direct below a size that depends on the dimension (fill-in grows fast in 3-D) and
on the degree, above it geometric multigrid where the unknowns form a grid, else AMG.
:meth:`LinearSolver.sequence` solves a sequence of matrices of one pattern (Newton's
Hessians) with one multigrid set-up, its coarse operators recomputed for each matrix. Smoothed
aggregation needs 60-130 CG iterations for degrees 3-8 (13-40 for P1/P2), so in 2-D the
direct solver stays faster for high order up to about 1e6 unknowns (benchmarks/bench_fem.py
--high-order measures it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from pyamg.multilevel import MultilevelSolver

from .multigrid import NodeGrid, aggregation_solver, multigrid_solver, with_matrix

logger = logging.getLogger(__name__)

DIRECT_MAX_DOFS = {1: 10**7, 2: 2 * 10**5, 3: 10**4}
"""'auto' uses the direct solver up to this many unknowns (by space dimension), degree <= 2."""

HIGH_ORDER_DIRECT_MAX_DOFS = {1: 10**7, 2: 10**6, 3: 10**4}
"""The same for degree >= 3."""


@dataclass(frozen=True)
class LinearSolver:
    """Configured solver: ``solver(A, b, x0=None) -> (x, stats)``.

    Parameters
    ----------
    method : "auto", "direct", "amg" or "gmg".
    tol : relative residual tolerance of CG.
    dim : space dimension and degree : polynomial degree (select the 'auto' threshold).
    maxiter : CG iteration limit.
    ordering : SuperLU's column ordering for the direct solver: MMD_AT_PLUS_A suits the
        structured box meshes; on gmsh meshes COLAMD (MMD took 49 s where COLAMD took 0.9 s,
        24,202 unknowns of an adaptive L-shape mesh).
    grid : the unknowns as nodes of a box's grid (degree 1 on a structured mesh), which
        "gmg" needs; None elsewhere.
    """

    method: str
    tol: float
    dim: int
    degree: int = 1
    maxiter: int = 1000
    ordering: str = "MMD_AT_PLUS_A"
    grid: NodeGrid | None = None

    def choose(self, n: int) -> str:
        if self.method != "auto":
            return self.method
        limit = (DIRECT_MAX_DOFS if self.degree <= 2 else HIGH_ORDER_DIRECT_MAX_DOFS)[self.dim]
        return "direct" if n <= limit else "amg" if self.grid is None else "gmg"

    def __call__(self, A: sp.spmatrix, b: np.ndarray,
                 x0: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """Solve A x = b, A (n, n) SPD, b (n,); stats: method, cg_iterations, converged."""
        method = self.choose(A.shape[0])
        if method == "direct":
            x = spla.spsolve(A.tocsc(), b, permc_spec=self.ordering)
            return x, {"linear_solver": "direct", "cg_iterations": 0, "converged": True}
        return self.cg(A, b, x0, self.hierarchy(A, method), method)

    def hierarchy(self, A: sp.spmatrix, method: str) -> MultilevelSolver:
        """The multigrid hierarchy of A: geometric ("gmg") or smoothed aggregation ("amg")."""
        if method == "gmg":
            return multigrid_solver(A.tocsr(), self.grid)
        return aggregation_solver(A.tocsr())

    def cg(self, A: sp.spmatrix, b: np.ndarray, x0: np.ndarray | None, ml: MultilevelSolver,
           method: str) -> tuple[np.ndarray, dict]:
        """CG on A x = b preconditioned by one V-cycle of ``ml``."""
        count = [0]

        def callback(_xk):
            count[0] += 1

        x, flag = spla.cg(A, b, x0=x0, rtol=self.tol, atol=0.0, maxiter=self.maxiter,
                          M=ml.aspreconditioner(cycle="V"), callback=callback)
        if flag != 0:
            logger.warning("%s-preconditioned CG stopped after %d iterations above tol=%g; "
                           "raise tol or use linear_solver='direct'", method.upper(), count[0],
                           self.tol)
        return x, {"linear_solver": method, "cg_iterations": count[0], "converged": flag == 0,
                   "amg_levels": len(ml.levels)}

    def sequence(self) -> SolverSequence:
        """A solver of this configuration for a sequence of matrices of one pattern."""
        return SolverSequence(self)


class SolverSequence:
    """``linear`` on a sequence of SPD matrices with one sparsity pattern (Newton's Hessians):
    the first CG solve builds the multigrid hierarchy, later ones keep its prolongations and
    recompute the coarse operators (:func:`pdesolve.fem.multigrid.with_matrix`); direct solves
    as ``linear``. Called as ``linear``: ``(A, b, x0=None) -> (x, stats)``."""

    def __init__(self, linear: LinearSolver):
        self.linear, self.ml = linear, None

    def __call__(self, A: sp.spmatrix, b: np.ndarray,
                 x0: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        method = self.linear.choose(A.shape[0])
        if method == "direct":
            return self.linear(A, b, x0)
        A = A.tocsr()
        self.ml = (self.linear.hierarchy(A, method) if self.ml is None
                   else with_matrix(self.ml, A))
        return self.linear.cg(A, b, x0, self.ml, method)
