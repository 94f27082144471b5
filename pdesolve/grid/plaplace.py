"""The discrete p-Laplacian energy on a tensor grid and Newton's method with line search.

Per unit cell volume the discrete Ritz energy is

    J(u) = sum_cells psi(1, s_c) - sum_i f_i u_i,
    s_c  = sum_j mean_{edges e of c in direction j} kappa_e^(2/p) (D_e u)^2,

with psi the density of :mod:`pdesolve.problems.operator` (psi(1, s) = s^(p/2) / p), D_e u =
(u_{i+e_j} - u_i) / h_j on edge e and kappa_e on it (stencil.kappa_edges); s_c is a
second-order approximation of kappa^(2/p) |grad u|^2 at the cell centre, so psi(1, s_c)
approximates psi(kappa, |grad u|^2). J is convex. Its gradient is the finite-difference
operator with edge weights (a = 2 psi_s, ``operator.flux_weight``)

    a_e = kappa_e^(2/p) * mean_{cells c containing e} a(1, s_c),

so for p = 2 (a_e = kappa_e) the discretisation is exactly the stencil of
:mod:`pdesolve.grid.stencil`. The Hessian is H = K(u) + sum_c b(1, s_c) g_c g_c^T
(b = 4 psi_ss = (p-2) s^((p-4)/2), ``operator.curvature_weight``; K(u) the stencil with
weights a_e, g_c = grad s_c / 2), and K <= H <= (p-1) K by Cauchy-Schwarz, so CG on H
preconditioned by multigrid on K(u) needs a bounded number of iterations. Newton's method
with line search is :func:`pdesolve.newton.minimise`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from ..newton import NewtonReport, minimise
from ..problems import operator
from .multigrid import Multigrid, pcg
from .stencil import EdgeField
from .tensor import TensorGrid


def _pair_mean(arr: np.ndarray, axis: int) -> np.ndarray:
    lo = np.take(arr, np.arange(arr.shape[axis] - 1), axis=axis)
    hi = np.take(arr, np.arange(1, arr.shape[axis]), axis=axis)
    return (lo + hi) / 2


def _pair_spread(arr: np.ndarray, axis: int) -> np.ndarray:
    """Adjoint of _pair_mean along ``axis``: m cells -> m + 1 edges, each half of each side."""
    pad = [(0, 0)] * arr.ndim
    pad[axis] = (1, 1)
    return _pair_mean(np.pad(arr, pad), axis)


class PLaplaceEnergy:
    """J, grad J and the Hessian on the interior unknowns (flat, C order).

    Parameters
    ----------
    grid : the tensor grid; p : the exponent (>= 2).
    kappa : kappa on every edge, boundary faces included (``full`` edge fields).
    f : the source at the interior nodes, shape n; boundary : padded array with g on the
        boundary nodes.
    """

    def __init__(self, grid: TensorGrid, p: float, kappa: EdgeField, f: np.ndarray,
                 boundary: np.ndarray):
        self.grid, self.p, self.f, self.boundary = grid, p, f.ravel(), boundary
        self.weight = [k ** (2 / p) for k in kappa]
        self._zero = np.zeros(grid.shape)

    def _diffs(self, padded: np.ndarray) -> list[np.ndarray]:
        return [np.diff(padded, axis=j) / self.grid.h[j] for j in range(self.grid.dim)]

    def _cells(self, edge_values: list[np.ndarray]) -> np.ndarray:
        """sum_j of the mean over each cell's direction-j edges, shape (n_j + 1)_j."""
        total = 0.0
        for j, e in enumerate(edge_values):
            for axis in range(self.grid.dim):
                if axis != j:
                    e = _pair_mean(e, axis)
            total = total + e
        return total

    def _spread(self, cells: np.ndarray, j: int) -> np.ndarray:
        for axis in range(self.grid.dim):
            if axis != j:
                cells = _pair_spread(cells, axis)
        return cells

    def _divergence(self, fluxes: list[np.ndarray]) -> np.ndarray:
        """-sum_j (flux_j(i+1/2) - flux_j(i-1/2)) / h_j at the interior nodes, flat."""
        out = np.zeros(self.grid.n)
        for j, flux in enumerate(fluxes):
            idx = list(self.grid.interior)
            idx[j] = slice(None)
            out -= np.diff(flux[tuple(idx)], axis=j) / self.grid.h[j]
        return out.ravel()

    def _state(self, u: np.ndarray):
        d = self._diffs(self.grid.fill(self.boundary, u))
        s = self._cells([w * dj**2 for w, dj in zip(self.weight, d)])
        return d, s

    def energy(self, u: np.ndarray) -> float:
        """J(u) for interior values u (N,)."""
        _, s = self._state(u)
        return float(np.sum(operator.density(1.0, s, self.p)) - self.f @ u)

    def gradient(self, u: np.ndarray) -> tuple[np.ndarray, EdgeField]:
        """(grad J(u) (N,), the edge weights a_e of K(u) on every edge)."""
        d, s = self._state(u)
        a = [w * self._spread(operator.flux_weight(np.ones_like(s), s, self.p), j)
             for j, w in enumerate(self.weight)]
        return self._divergence([aj * dj for aj, dj in zip(a, d)]) - self.f, a

    def interior_edges(self, field: EdgeField) -> EdgeField:
        """The edges with interior nodes across their direction (the stencil's edge field)."""
        dim = self.grid.dim
        return [a[tuple(slice(None) if l == j else slice(1, -1) for l in range(dim))]
                for j, a in enumerate(field)]

    def hessian(self, u: np.ndarray, weights: EdgeField) -> spla.LinearOperator:
        """H(u) as a matrix-free operator; ``weights`` are the a_e of :meth:`gradient`."""
        d, s = self._state(u)
        s_safe = np.maximum(s, np.finfo(float).tiny ** 0.5 * max(float(s.max()), 1.0))
        coef = operator.curvature_weight(1.0, s_safe, self.p)
        wd = [w * dj for w, dj in zip(self.weight, d)]

        def matvec(v):
            dv = self._diffs(self.grid.fill(self._zero, v))
            linear = self._divergence([aj * dvj for aj, dvj in zip(weights, dv)])
            t = coef * self._cells([w * dvj for w, dvj in zip(wd, dv)])
            rank_one = self._divergence([w * self._spread(t, j) for j, w in enumerate(wd)])
            return linear + rank_one

        size = self.grid.unknowns
        return spla.LinearOperator((size, size), matvec=matvec, dtype=float)


class NewtonSteps:
    """The :class:`pdesolve.newton.Energy` of the grid system: J, grad J, and Newton steps by
    CG on H(u) (preconditioned by multigrid on K(u)) to the forcing tolerance
    min(0.1, residual), not below ``cg_tol``."""

    def __init__(self, energy: PLaplaceEnergy, *, cg_tol: float, cg_maxiter: int,
                 multigrid: bool = True):
        self.whole, self.cg_tol, self.cg_maxiter, self.multigrid = (energy, cg_tol, cg_maxiter,
                                                                    multigrid)
        self.weights: EdgeField = []

    def energy(self, v: np.ndarray) -> float:
        return self.whole.energy(v)

    def gradient(self, v: np.ndarray) -> np.ndarray:
        g, self.weights = self.whole.gradient(v)  # the a_e of K(v), for the step from v
        return g

    def newton_step(self, v: np.ndarray, gradient: np.ndarray,
                    residual: float) -> tuple[np.ndarray, int]:
        a, precond = self.weights, None
        if self.multigrid:  # K(u) vanishes where grad u does: a floor keeps the V-cycle SPD
            floor = 1e-6 * max(float(np.max(w)) for w in a)
            precond = Multigrid(self.whole.grid, [np.maximum(w, floor)
                                                  for w in self.whole.interior_edges(a)]).operator()
        forcing = max(min(0.1, residual), self.cg_tol)
        delta, its, _ = pcg(self.whole.hessian(v, a), -gradient, precond, rtol=forcing,
                            maxiter=self.cg_maxiter)
        return delta, its


def newton(energy: PLaplaceEnergy, u0: np.ndarray, *, tol: float, max_iter: int,
           cg_tol: float, cg_maxiter: int,
           multigrid: bool = True) -> tuple[np.ndarray, NewtonReport]:
    """Minimise J from the interior values u0 (N,) by :func:`pdesolve.newton.minimise`, steps by
    :class:`NewtonSteps`; stops when ||grad J|| <= tol ||grad J(u0)||. Returns (u, report)."""
    steps = NewtonSteps(energy, cg_tol=cg_tol, cg_maxiter=cg_maxiter, multigrid=multigrid)
    return minimise(steps, u0, tol=tol, maxiter=max_iter)
