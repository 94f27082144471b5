"""One-dimensional Legendre-Gauss-Lobatto (GLL) bases: nodes, weights, differentiation,
Lagrange interpolation at arbitrary points.

For degree N the N + 1 nodes on [-1, 1] are -1, the roots of P_N' (those of the Jacobi
polynomial P^(1,1)_(N-1)) and 1; the weights w_j = 2 / (N (N + 1) P_N(x_j)^2) integrate
polynomials of degree <= 2N - 1 exactly. With barycentric weights
lambda_j = 1 / prod_(k != j) (x_j - x_k) the Lagrange basis is

    l_j(t) = (lambda_j / (t - x_j)) / sum_k lambda_k / (t - x_k),

the differentiation matrix D_ij = l_j'(x_i) = (lambda_j / lambda_i) / (x_i - x_j) (i != j),
D_ii = -sum_(j != i) D_ij (rows of D annihilate constants), and l_j'(t) = sum_i l_i(t) D_ij
(l_j' has degree N - 1, so its interpolant is exact). :class:`Basis` maps all of it onto an
interval [a, b].
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import eval_legendre, roots_jacobi


@lru_cache(maxsize=64)
def reference(degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(nodes, weights, barycentric weights, D) of degree N >= 1 on [-1, 1], read-only."""
    if degree < 1:
        raise ValueError(f"a GLL basis needs degree >= 1, got {degree}")
    inner = roots_jacobi(degree - 1, 1.0, 1.0)[0] if degree > 1 else np.zeros(0)
    x = np.concatenate([[-1.0], np.sort(inner), [1.0]])
    w = 2.0 / (degree * (degree + 1) * eval_legendre(degree, x) ** 2)
    diff = x[:, None] - x[None, :]
    np.fill_diagonal(diff, 1.0)
    lam = 1.0 / np.prod(diff, axis=1)
    lam /= np.abs(lam).max()
    D = (lam[None, :] / lam[:, None]) / diff
    np.fill_diagonal(D, 0.0)
    np.fill_diagonal(D, -D.sum(axis=1))
    for a in (x, w, lam, D):
        a.flags.writeable = False
    return x, w, lam, D


@dataclass(frozen=True)
class Basis:
    """The degree-``degree`` GLL basis on [lower, upper]."""

    degree: int
    lower: float
    upper: float

    @property
    def _scale(self) -> float:
        return (self.upper - self.lower) / 2

    @property
    def nodes(self) -> np.ndarray:
        """x_j, shape (N + 1,), ascending, both ends included."""
        return self.lower + (reference(self.degree)[0] + 1) * self._scale

    @property
    def weights(self) -> np.ndarray:
        """GLL quadrature weights on [lower, upper], (N + 1,)."""
        return reference(self.degree)[1] * self._scale

    @property
    def diff(self) -> np.ndarray:
        """D (N + 1, N + 1): (D v)_i = v'(x_i) for the interpolant v of the nodal values."""
        return reference(self.degree)[3] / self._scale

    def lagrange(self, t: np.ndarray, derivative: bool = False) -> np.ndarray:
        """l_j(t) (or l_j'(t)) at points t (m,), shape (m, N + 1); exact rows at nodes."""
        x, lam = self.nodes, reference(self.degree)[2]
        diff = np.asarray(t, dtype=float)[:, None] - x[None, :]
        hit = diff == 0
        diff[hit] = 1.0
        terms = lam / diff
        out = terms / terms.sum(axis=1, keepdims=True)
        rows = hit.any(axis=1)
        out[rows] = hit[rows]
        return out @ self.diff if derivative else out
