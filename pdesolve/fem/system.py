"""One FEM pipeline: the solve of a discrete p-Laplacian problem, whatever the mesh.

A :class:`FEMSystem` is a Lagrange space on a mesh with one problem's data. Two build it:
:class:`pdesolve.fem.assembly.Discretisation` (a box's structured mesh, assembled from
translation-invariant cell tables: the accelerator) and
:class:`pdesolve.fem.mesh_system.MeshSystem` (any mesh, scikit-fem's forms), and for Qk with
kappa = 1 on a box :class:`pdesolve.fem.tensor_system.TensorSystem` (Kronecker sums of 1-D
matrices, fast diagonalisation; p = 2 only: it has no ``basis``). Everything after
assembly is here, once:

    p = 2:   (A + M) u = l  condensed on the Dirichlet DOFs, A the stiffness, M the
             lower-order (reaction, Robin) matrix, l the load (f, Neumann/Robin data h);
    p != 2:  Newton's method with line search on the Ritz energy from the p = 2 solution
             (:mod:`pdesolve.fem.energy`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import scipy.sparse as sp
import skfem

from ..newton import NewtonReport
from .linear import LinearSolver
from .multigrid import NodeGrid
from .energy import PLaplaceEnergy, solve_newton


class FEMSystem(Protocol):
    """What the solve needs of a discretisation (shapes: N DOFs, nel cells, nq points)."""

    basis: skfem.CellBasis          # the space, with the cells' quadrature
    interior: np.ndarray            # DOFs solved for
    u_bc: np.ndarray                # (N,) g at the Dirichlet DOFs, 0 elsewhere
    f_q: np.ndarray                 # (nel, nq) f at the quadrature points
    kappa_q: np.ndarray | None      # (nel, nq) kappa there, None for kappa = 1
    grid: NodeGrid | None           # the interior DOFs as nodes of a box's grid, or None

    def stiffness(self) -> sp.csr_matrix:
        """int kappa grad phi_j . grad phi_i, (N, N)."""

    def lower_order(self) -> sp.csr_matrix | None:
        """int c phi_j phi_i + Robin terms, (N, N), or None."""

    def load(self) -> np.ndarray:
        """int f phi_i + flux data, (N,)."""

    def condense(self, A: sp.spmatrix, b: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """(A_II, b_I - A_ID g_D): A_II a sparse matrix for the configured linear solver, or an
        operator with an exact ``solve(b) -> (x, stats)`` of its own (the tensor-product
        system's fast diagonalisation)."""

    def expand(self, u_interior: np.ndarray) -> np.ndarray:
        """(N,) from the interior values and g."""


@dataclass
class Solution:
    """The discrete solution u (N,), the linear solver's statistics, the Newton report (None
    for p = 2) and the time of each stage (assemble, linear_solve, newton) in seconds."""

    u: np.ndarray
    stats: dict
    newton: NewtonReport | None = None
    timings: dict = field(default_factory=dict)


def solve_system(system: FEMSystem, p: float, linear: LinearSolver, *, newton_tol: float,
                 newton_maxiter: int) -> Solution:
    """u_h of ``system``: the p = 2 solve, then Newton's method for p != 2."""
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return clock[-1] - clock[-2]

    A = system.stiffness()
    lower = system.lower_order()
    if lower is not None:
        A = A + lower
    A_II, b_I = system.condense(A, system.load())
    del A
    timings = {"assemble": lap()}
    if sp.issparse(A_II):
        linear = replace(linear, grid=system.grid)  # after the assembly, so not held at its peak
        u_I, stats = linear(A_II, b_I)
    else:  # an operator that solves itself (the tensor-product system)
        u_I, stats = A_II.solve(b_I)
    del A_II
    u = system.expand(u_I)
    timings["linear_solve"] = lap()
    if p == 2:
        return Solution(u, stats, timings=timings)
    u, report = solve_newton(PLaplaceEnergy(p, system), u, linear, tol=newton_tol,
                             maxiter=newton_maxiter)
    timings["newton"] = lap()
    return Solution(u, stats, report, timings)
