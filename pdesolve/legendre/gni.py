"""Legendre Galerkin with numerical integration (G-NI) on a box, matrix-free.

The discrete solution u_N lies in Q_N = span{prod_k l_(k, i_k)(x_k)} (degree N_k in x_k, the
GLL Lagrange bases of :mod:`.basis`), equals g at the boundary nodes, and minimises the Ritz
energy integrated by the tensor GLL rule (nodes x_q, weights W_q = prod_k w_(k, q_k)):

    J(u) = sum_q W_q [psi(kappa_q, |grad u(x_q)|^2) + c_q u_q^2 / 2 - f_q u_q],

psi the p-Laplacian density of :mod:`pdesolve.problems.operator`. For p = 2 its gradient in the
interior values v is A v - b with the symmetric positive definite

    A v = sum_k D_k^T (W kappa (D_k v)) + W c v,

D_k the 1-D differentiation matrix applied along axis k (sum factorisation: O(N^(d+1))). A
term k at a node q with another coordinate on the boundary is fixed by g (the k-line lies in
that face), so axis k only needs the *slab* of nodes interior in the other directions and all
N_k + 1 nodes along k: :class:`Stiffness` works on the interior array and reads g only on the
face interiors (the lifting in b). For p != 2, :class:`PLaplaceEnergy` evaluates J and its
derivatives on all nodes (a = 2 psi_s and b = 4 psi_ss from the operator module) for
:func:`pdesolve.newton.minimise`, or on the points of a finer tensor Gauss rule
(:class:`Rule`; u and grad u there by 1-D interpolation matrices along each axis).

Preconditioner (fast diagonalisation, Lynch-Rice-Thomas): the constant-coefficient operator
A_0 = k0 sum_k (M x .. x K_k x .. x M) + c0 M, K_k = D_k^T W_k D_k and M = diag(w) restricted to
the interior, is inverted exactly from the 1-D generalised eigenproblems K_k V_k = M_k V_k
Lambda_k (V_k^T M_k V_k = I):  A_0^-1 = (x_k V_k) diag(1 / (k0 sum_k lambda_(k,i_k) + c0))
(x_k V_k^T), O(N^(d+1)). For a variable coefficient a (kappa, or the Newton flux weight) it
is scaled symmetrically, P^-1 = S^-1/2 A_0^-1 S^-1/2 with S = max(a / k0, FLOOR) at the nodes,
since -div(a grad) = a^1/2 (-Lap) a^1/2 up to derivatives of a; k0 the W-weighted mean of a.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.linalg
import scipy.sparse.linalg as spla

from ..grid.multigrid import pcg
from ..grid.tensor import apply_along, boundary_values, sample
from ..problems import operator
from .basis import Basis

FLOOR = 0.1
"""Smallest relative coefficient the preconditioner's scaling takes (a may vanish). For p = 3
on ``plaplace_5d`` (a = kappa |grad u| vanishes at the centre and on the edges), n = 8,
Newton on the G-NI then the 12^5-point energy: 214 CG iterations in all with 0.1, against
292 with 1e-2, 300 with 0.3 and 355 with 1e-3, the same solution."""


@dataclass(frozen=True)
class Space:
    """Q_N on a box: one GLL :class:`Basis` per axis."""

    bases: tuple[Basis, ...]

    @classmethod
    def on(cls, lower, upper, degrees) -> Space:
        return cls(tuple(Basis(int(n), float(a), float(b))
                         for n, a, b in zip(degrees, lower, upper)))

    @property
    def dim(self) -> int:
        return len(self.bases)

    @property
    def shape(self) -> tuple[int, ...]:
        """Interior nodes per axis (N_k - 1)."""
        return tuple(b.degree - 1 for b in self.bases)

    @property
    def unknowns(self) -> int:
        return int(np.prod(self.shape))

    def axes(self, interior: bool = True) -> list[np.ndarray]:
        return [b.nodes[1:-1] if interior else b.nodes for b in self.bases]

    def slab_axes(self, k: int) -> list[np.ndarray]:
        """Interior nodes in the directions l != k, all nodes along k."""
        axes = self.axes()
        axes[k] = self.bases[k].nodes
        return axes

    def weights(self, axes: list[np.ndarray]) -> np.ndarray:
        """prod_k w_k on the tensor grid of one 1-D weight vector per axis."""
        out = np.ones(())
        for w in axes:
            out = np.multiply.outer(out, w)
        return out

    def mass(self) -> np.ndarray:
        """W at the interior nodes, shape ``self.shape``."""
        return self.weights([b.weights[1:-1] for b in self.bases])

    def boundary(self, g) -> np.ndarray:
        """All nodes, g on the boundary and 0 inside."""
        return boundary_values(g, self.axes(interior=False))

    def fill(self, boundary: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The nodal values of all nodes: ``boundary`` with the interior replaced by v."""
        out = boundary.copy()
        out[(slice(1, -1),) * self.dim] = np.reshape(v, self.shape)
        return out


def _inner(arr: np.ndarray, skip: int | None = None) -> np.ndarray:
    """arr restricted to the interior indices along every axis except ``skip``."""
    return arr[tuple(slice(None) if l == skip else slice(1, -1) for l in range(arr.ndim))]


class Stiffness:
    """The p = 2 system A v = b on the interior values (module docstring).

    kappa, reaction : point functions or None (kappa = 1, no reaction). ``slab[k]`` holds
    W kappa on the slab of axis k; ``means`` = (k0, c0), the W-weighted means of kappa and c,
    and ``nodal`` (kappa at the interior nodes, or None) make the preconditioner.
    """

    def __init__(self, space: Space, kappa=None, reaction=None):
        self.space = space
        self.d_in = [b.diff[:, 1:-1] for b in space.bases]
        self.slab, means = [], []
        for k in range(space.dim):
            weight = space.weights([b.weights if l == k else b.weights[1:-1]
                                    for l, b in enumerate(space.bases)])
            a = weight if kappa is None else weight * sample(kappa, space.slab_axes(k))
            self.slab.append(a)
            means.append(np.sum(a) / np.sum(weight))
        mass = space.mass()
        self.nodal = None if kappa is None else sample(kappa, space.axes())
        self.reaction = None if reaction is None else mass * sample(reaction, space.axes())
        self.means = (float(np.mean(means)),
                      0.0 if reaction is None else float(np.sum(self.reaction) / np.sum(mass)))

    def apply(self, v: np.ndarray) -> np.ndarray:
        """A v on the interior array (shape ``space.shape``)."""
        out = 0.0 if self.reaction is None else self.reaction * v
        for k, (dk, a) in enumerate(zip(self.d_in, self.slab)):
            out = out + apply_along(dk.T, a * apply_along(dk, v, k), k)
        return out

    def rhs(self, f, boundary: np.ndarray) -> np.ndarray:
        """b = W f - (A applied to the boundary values), interior shape."""
        b = self.space.mass() * sample(f, self.space.axes())
        for k, (basis, a) in enumerate(zip(self.space.bases, self.slab)):
            ends = np.take(_inner(boundary, k), [0, -1], axis=k)
            b -= apply_along(self.d_in[k].T, a * apply_along(basis.diff[:, [0, -1]], ends, k), k)
        return b

    def operator(self) -> spla.LinearOperator:
        n, shape = self.space.unknowns, self.space.shape
        return spla.LinearOperator((n, n), dtype=float,
                                   matvec=lambda v: self.apply(v.reshape(shape)).ravel())


@lru_cache(maxsize=256)
def _eigen(basis: Basis) -> tuple[np.ndarray, np.ndarray]:
    """(lambda, V) of K V = M V Lambda on the interior nodes of one axis."""
    d_in, w = basis.diff[:, 1:-1], basis.weights
    return scipy.linalg.eigh(d_in.T @ (w[:, None] * d_in), np.diag(w[1:-1]))


def fast_inverse(space: Space, k0: float = 1.0, c0: float = 0.0,
                 nodal: np.ndarray | None = None) -> spla.LinearOperator:
    """A_0^-1 of the module docstring as an operator on flat interior vectors, scaled by the
    coefficient ``nodal`` at the interior nodes when given."""
    pairs = [_eigen(b) for b in space.bases]
    root = 1.0 if nodal is None else 1 / np.sqrt(np.maximum(nodal.ravel() / k0, FLOOR))
    denom = c0
    for lam, _ in pairs:
        denom = np.add.outer(denom, k0 * lam)
    shape, n = space.shape, space.unknowns

    def solve(r: np.ndarray) -> np.ndarray:
        t = (root * r).reshape(shape)
        for k, (_, V) in enumerate(pairs):
            t = apply_along(V.T, t, k)
        t = t / denom
        for k, (_, V) in enumerate(pairs):
            t = apply_along(V, t, k)
        return root * t.ravel()
    return spla.LinearOperator((n, n), matvec=solve, dtype=float)


def solve_linear(space: Space, f, g, kappa=None, reaction=None, *, rtol: float,
                 maxiter: int) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """The p = 2 G-NI solution: (all nodal values, interior values (flat), CG iterations,
    converged), by CG preconditioned with :func:`fast_inverse`."""
    stiffness = Stiffness(space, kappa, reaction)
    boundary = space.boundary(g)
    rhs = stiffness.rhs(f, boundary).ravel()
    preconditioner = fast_inverse(space, *stiffness.means, stiffness.nodal)
    v, its, ok = pcg(stiffness.operator(), rhs, preconditioner, rtol=rtol, maxiter=maxiter)
    return space.fill(boundary, v), v, its, ok


@dataclass(frozen=True)
class Rule:
    """The quadrature of the p-Laplacian energy on ``space``: the GLL nodes themselves
    (``points`` None, G-NI) or the tensor Gauss-Legendre rule of ``points`` points per
    direction (over-integration), composite over ``cells`` equal cells per direction.
    ``values[k]`` and ``derivs[k]`` (M_k, N_k + 1) map nodal values along axis k to u and u' at
    the points (None: the identity, at the GLL nodes)."""

    space: Space
    points: int | None = None
    cells: int = 1

    def _reference(self) -> tuple[np.ndarray, np.ndarray]:
        """Composite Gauss rule on [0, 1]: ``cells`` equal cells of points / cells each."""
        t, w = np.polynomial.legendre.leggauss(self.points // self.cells)
        starts = np.arange(self.cells)[:, None] / self.cells
        return ((starts + (t + 1) / (2 * self.cells)).ravel(),
                np.tile(w / (2 * self.cells), self.cells))

    @property
    def axes(self) -> list[np.ndarray]:
        if self.points is None:
            return self.space.axes(interior=False)
        t = self._reference()[0]
        return [b.lower + t * (b.upper - b.lower) for b in self.space.bases]

    @property
    def weights(self) -> np.ndarray:
        """W_q on the tensor grid of the points."""
        if self.points is None:
            return self.space.weights([b.weights for b in self.space.bases])
        w = self._reference()[1]
        return self.space.weights([w * (b.upper - b.lower) for b in self.space.bases])

    @property
    def values(self) -> list[np.ndarray | None]:
        if self.points is None:
            return [None] * self.space.dim
        return [b.lagrange(t) for b, t in zip(self.space.bases, self.axes)]

    @property
    def derivs(self) -> list[np.ndarray]:
        if self.points is None:
            return [b.diff for b in self.space.bases]
        return [b.lagrange(t, derivative=True) for b, t in zip(self.space.bases, self.axes)]


def _chain(arr: np.ndarray, mats: list, transpose: bool = False) -> np.ndarray:
    """arr with mats[k] (or its transpose) applied along each axis k; None skips an axis."""
    for k, m in enumerate(mats):
        if m is not None:
            arr = apply_along(m.T if transpose else m, arr, k)
    return arr


class PLaplaceEnergy:
    """J, J' and Newton steps of the p-Laplacian energy on the interior values (flat): the
    :class:`pdesolve.newton.Energy` (module docstring), integrated by ``rule`` (the GLL
    nodes by default: G-NI; a finer Gauss rule integrates the load f v and the flux
    a grad u . grad v more accurately where f or |grad u|^(p-2) is not smooth). Steps solve
    J'' delta = -J' by CG to the forcing tolerance max(min(0.1, residual), cg_tol),
    preconditioned by :func:`fast_inverse` scaled by the flux weight a at the nodes."""

    def __init__(self, space: Space, p: float, kappa, f, reaction, boundary: np.ndarray, *,
                 cg_tol: float, cg_maxiter: int, rule: Rule | None = None):
        self.space, self.p, self.boundary = space, p, boundary
        rule = Rule(space) if rule is None else rule
        axes, self.weight = rule.axes, rule.weights
        self.values, self.derivs = rule.values, rule.derivs
        self.kappa = self.weight * (1.0 if kappa is None else sample(kappa, axes))
        self.f = _inner(_chain(self.weight * sample(f, axes), self.values, True)).ravel()
        self.c = None if reaction is None else self.weight * sample(reaction, axes)
        nodes = space.axes(interior=False)
        self.nodal_kappa = 1.0 if kappa is None else sample(kappa, nodes)
        self.cg_tol, self.cg_maxiter = cg_tol, cg_maxiter
        self.cg_iterations: list[int] = []

    def _grads(self, full: np.ndarray) -> list[np.ndarray]:
        """grad u at the rule's points, one array per direction."""
        return [_chain(full, self.values[:k] + [dk] + self.values[k + 1:])
                for k, dk in enumerate(self.derivs)]

    def _state(self, v: np.ndarray):
        full = self.space.fill(self.boundary, v)
        grads = self._grads(full)
        u = None if self.c is None else _chain(full, self.values)
        return grads, sum(gk * gk for gk in grads), u

    def _divergence(self, fluxes: list[np.ndarray], u: np.ndarray | None = None) -> np.ndarray:
        """sum_k (grad_k)^T flux_k (+ the values' transpose of c u) at the interior nodes."""
        out = sum(_chain(q, self.values[:k] + [dk] + self.values[k + 1:], True)
                  for k, (dk, q) in enumerate(zip(self.derivs, fluxes)))
        if u is not None:
            out = out + _chain(self.c * u, self.values, True)
        return _inner(out).ravel()

    def energy(self, v: np.ndarray) -> float:
        _, s, u = self._state(v)
        total = float(np.sum(operator.density(self.kappa, s, self.p))) - float(self.f @ v)
        return total if u is None else total + float(np.sum(self.c * u * u)) / 2

    def gradient(self, v: np.ndarray) -> np.ndarray:
        grads, s, u = self._state(v)
        a = operator.flux_weight(self.kappa, s, self.p)
        return self._divergence([a * gk for gk in grads], u) - self.f

    def _preconditioner(self, v: np.ndarray) -> spla.LinearOperator:
        """fast_inverse scaled by the flux weight a / W at the interior GLL nodes."""
        full = self.space.fill(self.boundary, v)
        s = sum(apply_along(b.diff, full, k) ** 2 for k, b in enumerate(self.space.bases))
        a = _inner(operator.flux_weight(self.nodal_kappa, s, self.p))
        k0 = float(np.sum(self.space.mass() * a) / np.sum(self.space.mass()))
        c0 = 0.0 if self.c is None else float(np.sum(self.c) / np.sum(self.weight))
        return fast_inverse(self.space, k0, c0, a)

    def newton_step(self, v: np.ndarray, gradient: np.ndarray,
                    residual: float) -> tuple[np.ndarray, int]:
        grads, s, u = self._state(v)
        a = operator.flux_weight(self.kappa, s, self.p)
        safe = np.maximum(s, np.finfo(float).tiny ** 0.5 * max(float(s.max()), 1.0))
        b = operator.curvature_weight(self.kappa, safe, self.p)
        zero = np.zeros_like(self.boundary)

        def hessian(dv: np.ndarray) -> np.ndarray:
            full = self.space.fill(zero, dv)
            dg = self._grads(full)
            t = b * sum(gk * dk for gk, dk in zip(grads, dg))
            du = None if u is None else _chain(full, self.values)
            return self._divergence([a * dk + t * gk for gk, dk in zip(grads, dg)], du)

        n = self.space.unknowns
        delta, its, _ = pcg(spla.LinearOperator((n, n), matvec=hessian, dtype=float), -gradient,
                            self._preconditioner(v),
                            rtol=max(min(0.1, residual), self.cg_tol), maxiter=self.cg_maxiter)
        self.cg_iterations.append(its)
        return delta, its
