"""Qk on a box as a tensor-product system (kappa = 1, p = 2, u = g on all of dOmega): the
structured accelerator's form for tensor cells, one :class:`~pdesolve.fem.system.FEMSystem`
among the others.

With the 1-D matrices of each direction (:mod:`pdesolve.fem.tensor_axis`) the stiffness of
the Qk space on the box's n^d cells and its load are

    A = sum_a M_1 (x) ... (x) K_a (x) ... (x) M_d,    b = (L_1 (x) ... (x) L_d) f(x_q),

exactly what element-by-element assembly gives (the (k+1)-point Gauss rule per direction
integrates the stiffness exactly and is the rule of the load, at the tensor Gauss points x_q).
A coefficient vector is an array U (N_1, ..., N_d) of the products phi_i1 ... phi_id of the 1-D
hierarchical functions, flattened in C order; those with an index at either end of some
direction (a hat at the box's boundary) are the boundary's. A U is a sum of mode products
(sum factorisation, :func:`pdesolve.grid.tensor.apply_along`), never a matrix of size N. The
exact 1-D stiffness keeps the round-off floor of Q8 near 1e-15.

The condensed system A_II u_I = b_I - A_ID g_D is solved by fast diagonalisation: with the
generalised eigendecompositions K_a V_a = M_a V_a Lambda_a, V_a^T M_a V_a = I of the
interior blocks,

    u_I = (V_1 (x) ... (x) V_d) [((V_1^T (x) ... (x) V_d^T) r) / (lambda_1,i_1 + ... + lambda_d,i_d)],

a direct solve in O(N^(1 + 1/d)) operations without fill-in, followed by one step of
iterative refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..grid.tensor import apply_along
from ..problems.base import Problem
from .tensor_axis import Axis


@dataclass(frozen=True)
class KroneckerSum:
    """A = sum_a M_1 (x) ... (x) K_a (x) ... (x) M_d from its 1-D factors (lists of d dense
    matrices), applied to arrays of shape (N_1, ..., N_d)."""

    mass: list[np.ndarray]
    stiffness: list[np.ndarray]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(m.shape[0] for m in self.mass)

    def apply(self, U: np.ndarray) -> np.ndarray:
        """A U, U of shape :attr:`shape`."""
        out = np.zeros_like(U)
        for a in range(len(self.mass)):
            term = U
            for b, (M, K) in enumerate(zip(self.mass, self.stiffness)):
                term = apply_along(K if b == a else M, term, b)
            out += term
        return out

    def interior(self) -> KroneckerSum:
        """The block of the nodes off the boundary (first and last of every direction)."""
        cut = slice(1, -1)
        return KroneckerSum([M[cut, cut] for M in self.mass], [K[cut, cut] for K in self.stiffness])

    def solve(self, r: np.ndarray) -> tuple[np.ndarray, dict]:
        """A^-1 r by fast diagonalisation (module docstring) and one step of iterative
        refinement, r flat (N,); the statistics of a :class:`~pdesolve.fem.linear.LinearSolver`.

        The transforms by V_a and V_a^T lose accuracy with the spread of the eigenvalues
        (Q8 on 8 x 8 cells: 4.6e-13 relative L2 error where the discrete solution is 6e-15
        from u); the correction x += FD(r - A x) restores it (6.2e-15).
        """
        pairs = [scipy.linalg.eigh(K, M) for K, M in zip(self.stiffness, self.mass)]
        d = len(pairs)
        denominator = sum(np.expand_dims(lam, tuple(b for b in range(d) if b != a))
                          for a, (lam, _) in enumerate(pairs))

        def diagonalised(R: np.ndarray) -> np.ndarray:
            for a, (_, V) in enumerate(pairs):
                R = apply_along(V.T, R, a)
            R = R / denominator
            for a, (_, V) in enumerate(pairs):
                R = apply_along(V, R, a)
            return R

        R = r.reshape(self.shape)
        X = diagonalised(R)
        X += diagonalised(R - self.apply(X))
        return X.ravel(), {"linear_solver": "fast_diagonalisation", "cg_iterations": 0,
                           "converged": True}


@dataclass
class TensorSystem:
    """Qk on the box's n^d tensor cells with one problem's data (module docstring).

    Attributes
    ----------
    axes : the d directions; shape : (N_1, ..., N_d) nodes.
    boundary, interior : flat indices of the nodes on dOmega / solved for.
    f_q : f at the tensor Gauss points, (n (k+1),) * d.
    kappa_q : None (kappa = 1 on this path).
    u_bc : (N,) the coefficients of g's interpolant at the boundary's GLL nodes on dOmega,
        0 elsewhere (the lifting g_h).
    """

    axes: list[Axis]
    boundary: np.ndarray
    interior: np.ndarray
    f_q: np.ndarray
    u_bc: np.ndarray
    kappa_q: None = None

    @classmethod
    def build(cls, problem: Problem, degree: int, n: int) -> TensorSystem:
        """Qk (k = ``degree``) with n cells per direction on ``problem``'s box."""
        domain = problem.domain
        axes = [Axis(float(a), float(L) / n, n, degree)
                for a, L in zip(domain.lower, domain.lengths)]
        f_q = _on_grid(problem.f, [axis.quadrature_points for axis in axes])
        shape = tuple(axis.size for axis in axes)
        on_boundary = np.zeros(shape, dtype=bool)
        for a in range(len(axes)):
            np.moveaxis(on_boundary, a, 0)[[0, -1]] = True
        boundary = np.flatnonzero(on_boundary)
        interior = np.flatnonzero(~on_boundary)
        index = np.unravel_index(boundary, shape)
        values = np.zeros(shape)
        values[index] = problem.g(np.stack([axis.nodes[i] for axis, i in zip(axes, index)], 1))
        for a, axis in enumerate(axes):  # a face's coefficients need only its own values
            values = axis.from_nodal(values, a)
        u_bc = np.zeros(on_boundary.size)
        u_bc[boundary] = values.ravel()[boundary]
        return cls(axes, boundary, interior, f_q, u_bc)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(axis.size for axis in self.axes)

    @property
    def N(self) -> int:
        return int(np.prod(self.shape))

    def stiffness(self) -> KroneckerSum:
        """A of the module docstring."""
        return KroneckerSum([axis.mass for axis in self.axes],
                            [axis.stiffness for axis in self.axes])

    def lower_order(self) -> None:
        """No reaction or Robin term on this path: None."""

    def load(self) -> np.ndarray:
        """b = (L_1 (x) ... (x) L_d) f(x_q), flat (N,)."""
        b = self.f_q
        for a, axis in enumerate(self.axes):
            b = axis.load(b, a)
        return b.ravel()

    def condense(self, A: KroneckerSum, b: np.ndarray) -> tuple[KroneckerSum, np.ndarray]:
        """A_II (the interior factors) and b_I - A_ID g_D."""
        rhs = b - A.apply(self.u_bc.reshape(self.shape)).ravel()
        return A.interior(), rhs[self.interior]

    def expand(self, u_interior: np.ndarray) -> np.ndarray:
        """Full coefficient vector (N,): interior values plus the boundary data."""
        u = self.u_bc.copy()
        u[self.interior] = u_interior
        return u


def _on_grid(fn, coordinates: list[np.ndarray]) -> np.ndarray:
    """fn at the tensor grid of the 1-D ``coordinates``, shape (len(c_1), ..., len(c_d))."""
    grid = np.meshgrid(*coordinates, indexing="ij")
    x = np.stack([g.ravel() for g in grid], axis=1)
    return np.asarray(fn(x)).reshape(grid[0].shape)
