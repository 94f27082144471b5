"""One direction of the tensor-product Qk space of a box: a hierarchical basis of degree k on
n equal cells of [a, b], and its 1-D matrices.

On the reference cell [0, 1], s = 2t - 1, the local basis (in this order) is the left hat,
the bubbles of degrees 2..k and the right hat:

    phi_0 = 1 - t,   phi_(j-1) = b_j = (P_j(s) - P_(j-2)(s)) / sqrt(2 (2j - 1)),   phi_k = t,

P_j the Legendre polynomials. b_j' = sqrt(2 (2j - 1)) P_(j-1)(s) (d/dt): the bubbles' derivatives
are orthogonal to each other and to constants, so the reference stiffness is known exactly,

    K_ref = [[1, -1], [-1, 1]] on the hats,   2 I on the bubbles,  0 between them,

with no rounding in its entries (the nodal Lagrange basis's stiffness carries rounding errors
that set the round-off floor of high orders near 1e-13). The reference mass is known as
exactly (int_(-1)^1 P_i P_j ds = 2 delta_ij / (2i + 1), c_j = sqrt(2 (2j - 1))):

    (phi_0, phi_0) = (phi_k, phi_k) = 1/3,  (phi_0, phi_k) = 1/6,
    (b_j, b_j) = (1 / (2j + 1) + 1 / (2j - 3)) / c_j^2,  (b_j, b_(j+2)) = -1 / ((2j + 1) c_j c_(j+2)),
    (phi_0, b_2) = (phi_k, b_2) = -1 / (2 sqrt 6),  (phi_0, b_3) = -(phi_k, b_3) = 1 / (6 sqrt 10),

all other pairs 0. The load uses the (k+1)-point Gauss rule (g_q, o_q) on [0, 1]. Boundary data are interpolated at the Gauss-Lobatto-Legendre
nodes t_i (:func:`pdesolve.fem.elements.gll_points`): nodal values v = T c with
T_ij = phi_j(t_i), so c = T^-1 v cell by cell (a hat's coefficient is its vertex value).

Globally, cell c (0 <= c < n) holds the functions c k + j (j = 0..k), the hats shared with the
neighbours, on x = a + h (c + t), h = (b - a) / n: M = sum_c h M_ref and K = sum_c K_ref / h
on the cells' blocks, (nk + 1, nk + 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from skfem.quadrature import get_quadrature
from skfem.refdom import RefLine

from .elements import gll_points


def _legendre(s: np.ndarray, k: int) -> np.ndarray:
    """P_0(s), ..., P_k(s) by the three-term recurrence, s (m,) -> (m, k+1)."""
    out = np.empty((len(s), k + 1))
    out[:, 0] = 1.0
    if k > 0:
        out[:, 1] = s
    for j in range(1, k):
        out[:, j + 1] = ((2 * j + 1) * s * out[:, j] - j * out[:, j - 1]) / (j + 1)
    return out


def _values(k: int, t: np.ndarray) -> np.ndarray:
    """phi_j(t) of degree k, t (m,) -> (m, k+1)."""
    P = _legendre(2 * t - 1, k)
    out = np.empty((len(t), k + 1))
    out[:, 0], out[:, k] = 1 - t, t
    j = np.arange(2, k + 1)
    out[:, 1:k] = (P[:, 2:] - P[:, :-2]) / np.sqrt(2 * (2 * j - 1))
    return out


@dataclass(frozen=True)
class Reference:
    """The degree-k hierarchical basis on [0, 1] (module docstring): M_ref, K_ref (k+1, k+1),
    the Gauss rule (points, weights (k+1,)) and the nodal-to-hierarchical map T^-1 at the GLL
    nodes (k+1, k+1)."""

    k: int
    mass: np.ndarray
    stiffness: np.ndarray
    gauss: np.ndarray
    gauss_weights: np.ndarray
    from_nodal: np.ndarray

    def values(self, t: np.ndarray) -> np.ndarray:
        """phi_j(t), t (m,) -> (m, k+1)."""
        return _values(self.k, t)

    def slopes(self, t: np.ndarray) -> np.ndarray:
        """phi_j'(t), t (m,) -> (m, k+1)."""
        k = self.k
        P = _legendre(2 * t - 1, k - 1)
        out = np.empty((len(t), k + 1))
        out[:, 0], out[:, k] = -1.0, 1.0
        out[:, 1:k] = P[:, 1:] * np.sqrt(2 * (2 * np.arange(2, k + 1) - 1))
        return out


def _mass(k: int) -> np.ndarray:
    """M_ref of the module docstring, (k+1, k+1)."""
    M = np.zeros((k + 1, k + 1))
    M[np.ix_([0, k], [0, k])] = [[1 / 3, 1 / 6], [1 / 6, 1 / 3]]
    j = np.arange(2, k + 1)
    c = np.sqrt(2.0 * (2 * j - 1))
    M[j - 1, j - 1] = (1 / (2 * j + 1) + 1 / (2 * j - 3)) / c**2
    M[j[:-2] - 1, j[:-2] + 1] = M[j[:-2] + 1, j[:-2] - 1] = -1 / ((2 * j[:-2] + 1) * c[:-2] * c[2:])
    hats = {2: (-1 / (2 * np.sqrt(6)), -1 / (2 * np.sqrt(6))),
            3: (1 / (6 * np.sqrt(10)), -1 / (6 * np.sqrt(10)))}
    for degree, (left, right) in hats.items():
        if degree <= k:
            M[0, degree - 1] = M[degree - 1, 0] = left
            M[k, degree - 1] = M[degree - 1, k] = right
    return M


@lru_cache(maxsize=16)
def reference(k: int) -> Reference:
    """The reference tables of degree k (computed once per degree)."""
    X, o = get_quadrature(RefLine, 2 * k)
    stiffness = 2.0 * np.eye(k + 1)
    stiffness[np.ix_([0, k], [0, k])] = [[1.0, -1.0], [-1.0, 1.0]]
    from_nodal = np.linalg.inv(_values(k, gll_points(k)))
    from_nodal[[0, k]] = np.eye(k + 1)[[0, k]]  # exact: a hat's coefficient is a vertex value
    return Reference(k, _mass(k), stiffness, X[0], o, from_nodal)


@dataclass(frozen=True)
class Axis:
    """Direction [lower, lower + n h] of the box with n cells of degree k (module docstring)."""

    lower: float
    h: float
    n: int
    k: int

    @property
    def ref(self) -> Reference:
        return reference(self.k)

    @property
    def size(self) -> int:
        """Nodes n k + 1 (boundary nodes 0 and n k)."""
        return self.n * self.k + 1

    @property
    def nodes(self) -> np.ndarray:
        """x of the interpolation nodes (nk + 1,): the GLL nodes of every cell, the cell ends
        shared."""
        cells = np.arange(self.n)[:, None] + gll_points(self.k)[None, :-1]
        return self.lower + self.h * np.append(cells.ravel(), self.n)

    def from_nodal(self, V: np.ndarray, axis: int) -> np.ndarray:
        """Coefficients from values at :attr:`nodes` along ``axis`` of V (size nk + 1): T^-1
        cell by cell (its hat rows are unit vectors, so neighbours agree on a shared hat)."""
        index = np.arange(self.n)[:, None] * self.k + np.arange(self.k + 1)
        V = np.swapaxes(V, axis, -1)
        out = np.empty_like(V)
        out[..., index] = V[..., index] @ self.ref.from_nodal.T
        return np.swapaxes(out, axis, -1)

    @property
    def quadrature_points(self) -> np.ndarray:
        """The Gauss points of every cell, cell by cell (n (k+1),)."""
        return self.lower + self.h * (np.arange(self.n)[:, None] + self.ref.gauss).ravel()

    def _assemble(self, local: np.ndarray) -> np.ndarray:
        """The cells' blocks of ``local`` (k+1, k+1), summed where cells share a hat."""
        index = np.arange(self.n)[:, None] * self.k + np.arange(self.k + 1)
        out = np.zeros((self.size, self.size))
        np.add.at(out, (index[:, :, None], index[:, None, :]),
                  np.broadcast_to(local, (self.n,) + local.shape))
        return out

    @cached_property
    def mass(self) -> np.ndarray:
        """M (nk + 1, nk + 1), dense."""
        return self._assemble(self.h * self.ref.mass)

    @cached_property
    def stiffness(self) -> np.ndarray:
        """K (nk + 1, nk + 1), dense."""
        return self._assemble(self.ref.stiffness / self.h)

    def load(self, F: np.ndarray, axis: int) -> np.ndarray:
        """sum_q h o_q l_j(g_q) F[..., q, ...] along ``axis`` of F (size n (k+1)), cell by
        cell, the cells' end nodes shared: that axis becomes size nk + 1."""
        ref, n, k = self.ref, self.n, self.k
        F = np.moveaxis(F, axis, -1)
        cells = F.reshape(F.shape[:-1] + (n, k + 1)) @ (self.h * ref.gauss_weights[:, None]
                                                       * ref.values(ref.gauss))
        out = np.zeros(F.shape[:-1] + (self.size,))
        out[..., :-1] = cells[..., :k].reshape(F.shape[:-1] + (n * k,))
        out[..., k::k] += cells[..., k]
        return np.moveaxis(out, -1, axis)

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell c (m,) (nearest for points outside) and local t in [0, 1] of x (m,)."""
        s = (x - self.lower) / self.h
        cell = np.clip(np.floor(s), 0, self.n - 1)
        return cell.astype(np.int64), s - cell
