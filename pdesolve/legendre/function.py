"""Tensor-product polynomials given by their values at the GLL nodes, as solution functions.

u(x) = sum_i U_i prod_k l_(k, i_k)(x_k) (all nodes, boundary included) is evaluated at m
points from the (m, N_k + 1) Lagrange matrices of :meth:`.basis.Basis.lagrange` by
:func:`contract` (one matrix product, O(m prod_k (N_k + 1)) work); grad u takes l_k' instead
of l_k along axis k. On a tensor grid of points the same contractions are 1-D matrices
applied along each axis (:func:`tensor_values`), which makes a tensor Gauss rule on the box
its cheap error rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..combination import CombinedFunction
from ..domains import Box
from ..grid.tensor import apply_along
from ..quadrature import MAX_POINTS, CellRule
from .gni import Space

BLOCK = 1 << 21
"""Most entries of an intermediate (points, remaining nodes) array per chunk."""

GAUSS_EXTRA = 2
"""Error rule of level l: N_max + GAUSS_EXTRA (1 + l) Gauss points per direction."""


def _kron(rows: list[np.ndarray]) -> np.ndarray:
    """Row-wise Kronecker product of (m, s_k) matrices: (m, prod_k s_k)."""
    out = rows[0]
    for r in rows[1:]:
        out = (out[:, :, None] * r[:, None, :]).reshape(len(r), -1)
    return out


def split(shape: tuple[int, ...]) -> int:
    """The number t of leading axes whose sizes multiply nearest to the square root of the
    whole tensor's (at least one, at most all but one when there are two or more)."""
    logs = np.cumsum(np.log(shape))
    return int(np.argmin(np.abs(2 * logs[:-1] - logs[-1]))) + 1 if len(shape) > 1 else 1


def contract(coefficients: np.ndarray, rows: list[np.ndarray], drows=None):
    """v(x_j) = sum_i C_i prod_k R_k[j, i_k] at m points, and its d partial derivatives.

    ``rows`` are the (m, s_k) values of the 1-D functions along each axis (``drows`` their
    derivatives). With C as a (K, R) matrix, K the sizes of the leading axes (:func:`split`,
    K about R), v = rowsum((H C) * T), H (m, K) and T (m, R) the row-wise Kronecker products
    of the leading and the trailing rows: one matrix product, O(m K R) work at its speed.
    The derivative along a trailing axis swaps its rows for ``drows`` in T; along a leading
    axis, in H of rowsum((T C^T) * H): two products in all for the whole gradient. Returns
    v (m,), or (v, grad (m, d)) with ``drows``.
    """
    shape = coefficients.shape
    head = split(shape)
    flat = coefficients.reshape(int(np.prod(shape[:head])), -1)
    front, back = rows[:head], rows[head:]
    partial = _kron(front) @ flat
    tail = _kron(back) if back else np.ones((len(partial), 1))
    value = np.einsum("mr,mr->m", partial, tail)
    if drows is None:
        return value
    grad = np.empty((len(value), len(shape)))
    for k in range(head, len(shape)):
        j = k - head
        grad[:, k] = np.einsum("mr,mr->m", partial, _kron(back[:j] + [drows[k]] + back[j + 1:]))
    other = tail @ flat.T
    for k in range(head):
        grad[:, k] = np.einsum("mr,mr->m", other, _kron(front[:k] + [drows[k]] + front[k + 1:]))
    return value, grad


def chunked(size: int, x: np.ndarray, gradient: bool, rows) -> np.ndarray:
    """u (m,) or grad u (m, d) at points x (m, d) from ``rows(chunk, gradient)``, by chunks of
    points whose (points, sqrt(size)) intermediates stay near :data:`BLOCK` entries."""
    x = np.asarray(x, dtype=float)
    step = max(1, int(BLOCK / (4 * np.sqrt(max(size, 1)))))
    parts = [rows(x[i:i + step], gradient) for i in range(0, len(x), step)]
    if not parts:
        return np.zeros((0, x.shape[1]) if gradient else 0)
    return np.concatenate(parts)


def evaluate(space: Space, values: np.ndarray, x: np.ndarray, gradient: bool = False):
    """u (m,) (or grad u (m, d)) of the nodal ``values`` (all nodes) at points x (m, d)."""
    def at(chunk: np.ndarray, gradient: bool) -> np.ndarray:
        lag = [b.lagrange(chunk[:, k]) for k, b in enumerate(space.bases)]
        if not gradient:
            return contract(values, lag)
        der = [b.lagrange(chunk[:, k], derivative=True) for k, b in enumerate(space.bases)]
        return contract(values, lag, der)[1]
    return chunked(values.size, x, gradient, at)


def tensor_values(space: Space, values: np.ndarray, axes: list[np.ndarray], derivative=None):
    """u (or du/dx_derivative) on the tensor grid of the points ``axes``, by 1-D matrices."""
    out = values
    for k, (basis, t) in enumerate(zip(space.bases, axes)):
        out = apply_along(basis.lagrange(t, derivative=k == derivative), out, k)
    return out


def gauss_rules(fn, level: int) -> CellRule | None:
    """The error rule of level l of a tensor-product polynomial ``fn`` (with ``space``,
    ``degree`` and ``on_grid``): tensor Gauss-Legendre with degree + 2 (1 + l) points per
    direction on the box, fn and grad fn there by 1-D matrices. It integrates e^2 exactly up
    to degree 2 degree + 3 + 4 l in each variable; e = u_N - u is dominated by its modes near
    degree N, so each level gains the square of the decay factor of u's Legendre
    coefficients per two degrees, times the d directions where that part can sit. None (every
    level: the harness then measures by randomised Sobol) unless the rule of level 2 has at
    most MAX_POINTS points, so that three levels can show the rule converging; and None
    beyond level 2 once a rule would exceed MAX_POINTS."""
    bases = fn.space.bases
    order = fn.degree + GAUSS_EXTRA * (1 + level)
    if float(max(order, fn.degree + 3 * GAUSS_EXTRA)) ** len(bases) > MAX_POINTS:
        return None
    t, w = np.polynomial.legendre.leggauss(order)
    lower = np.array([b.lower for b in bases])
    upper = np.array([b.upper for b in bases])
    axes = [a + (t + 1) / 2 * (b - a) for a, b in zip(lower, upper)]
    offsets = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], 1) - lower
    weights = fn.space.weights([w * (b - a) / 2 for a, b in zip(lower, upper)]).ravel()

    def values(cells: np.ndarray):
        grad = np.stack([fn.on_grid(axes, k).ravel() for k in range(len(bases))], axis=1)
        return fn.on_grid(axes).reshape(1, -1), grad[None]
    return CellRule(Box(tuple(lower), tuple(upper)), (1,) * len(bases), offsets, weights,
                    f"gauss {order}^{len(bases)} on the box", values=values)


@dataclass(frozen=True)
class TensorFunction:
    """The polynomial of ``space`` with nodal ``values`` (all nodes): callable on points
    (m, d) -> (m,), ``grad`` (m, d), and its own error rules (:func:`gauss_rules`)."""

    space: Space
    values: np.ndarray

    @property
    def degree(self) -> int:
        return max(b.degree for b in self.space.bases)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return evaluate(self.space, self.values, x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        return evaluate(self.space, self.values, x, gradient=True)

    def on_grid(self, axes: list[np.ndarray], derivative: int | None = None) -> np.ndarray:
        """u (or du/dx_derivative) on the tensor grid of ``axes`` (:func:`tensor_values`)."""
        return tensor_values(self.space, self.values, axes, derivative)

    def error_rules(self, level: int) -> CellRule | None:
        return gauss_rules(self, level)


@dataclass(frozen=True)
class TensorCombination(CombinedFunction):
    """sum_i c_i u_i of :class:`TensorFunction` s on one box, with their error rules."""

    @property
    def space(self) -> Space:
        return self.functions[0].space

    @property
    def degree(self) -> int:
        return max(u.degree for u in self.functions)

    def on_grid(self, axes: list[np.ndarray], derivative: int | None = None) -> np.ndarray:
        return sum(c * u.on_grid(axes, derivative)
                   for c, u in zip(self.coefficients, self.functions))

    def error_rules(self, level: int) -> CellRule | None:
        return gauss_rules(self, level)
