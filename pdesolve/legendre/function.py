"""Tensor-product polynomials given by their values at the GLL nodes, as solution functions.

u(x) = sum_i U_i prod_k l_(k, i_k)(x_k) (all nodes, boundary included) is evaluated at m
points by contracting one axis at a time with the (m, N_k + 1) Lagrange matrices of
:meth:`.basis.Basis.lagrange`: the first axis by one matrix product, the others point by point,
O(m prod_k (N_k + 1)) work; grad u contracts l_k' instead of l_k along axis k. On a tensor
grid of points the same contractions are 1-D matrices applied along each axis
(:func:`tensor_values`), which makes a tensor Gauss rule on the box its cheap error rule.
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


def _contract(space: Space, values: np.ndarray, x: np.ndarray, gradient: bool) -> np.ndarray:
    """u (m,) or grad u (m, d) at points x (m, d) for one chunk (module docstring)."""
    m = len(x)
    first, *rest = space.bases
    flat = values.reshape(values.shape[0], -1)
    val = first.lagrange(x[:, 0]) @ flat
    ders = (first.lagrange(x[:, 0], derivative=True) @ flat)[:, None] if gradient else None
    for k, basis in enumerate(rest, start=1):
        lk = basis.lagrange(x[:, k])
        old = val.reshape(m, basis.degree + 1, -1)
        val = np.einsum("mi,mir->mr", lk, old)
        if gradient:
            ders = np.einsum("mi,mjir->mjr", lk, ders.reshape(m, k, basis.degree + 1, -1))
            new = np.einsum("mi,mir->mr", basis.lagrange(x[:, k], derivative=True), old)
            ders = np.concatenate([ders, new[:, None]], axis=1)
    return ders.reshape(m, -1) if gradient else val.reshape(m)


def evaluate(space: Space, values: np.ndarray, x: np.ndarray, gradient: bool = False):
    """u (m,) (or grad u (m, d)) of the nodal ``values`` (all nodes) at points x (m, d)."""
    x = np.asarray(x, dtype=float)
    step = max(1, BLOCK // (values.size // values.shape[0]))
    parts = [_contract(space, values, x[i:i + step], gradient) for i in range(0, len(x), step)]
    return np.concatenate(parts) if parts else np.zeros((0, space.dim) if gradient else 0)


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
