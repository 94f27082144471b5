"""u_h of the tensor-product Qk space of a box (:mod:`pdesolve.fem.tensor_system`) at any
points, and its error rules.

A point x lies in cell (c_1, ..., c_d) at local coordinates t_a in [0, 1]; with the
cell's coefficient block C[j_1, ..., j_d] = U[c_1 k + j_1, ..., c_d k + j_d] and the 1-D
basis phi_j of :mod:`pdesolve.fem.tensor_axis`,

    u_h(x) = sum_j C[j] phi_j1(t_1) ... phi_jd(t_d),
    d u_h / d x_a = (1 / h_a) sum_j C[j] phi_j1(t_1) ... phi_ja'(t_a) ... phi_jd(t_d),

contracted one direction at a time (sum factorisation). On the cells' own tensor Gauss
rules every cell sees the same t, so the 1-D tables phi_j(g_q), phi_j'(g_q) serve all cells.
"""

from __future__ import annotations

import numpy as np
from skfem.quadrature import get_quadrature
from skfem.refdom import RefHex, RefLine, RefQuad

from ..domains import Box
from ..quadrature import CellRule
from .evaluate import rule_degree
from .tensor_axis import Axis

CHUNK = 1 << 14
"""Points per batch: bounds the (chunk, (k+1)^d) coefficient blocks."""

REFDOMS = {1: RefLine, 2: RefQuad, 3: RefHex}


class TensorFunction:
    """u_h = sum_j U_j phi_j on the box's tensor cells: callable on points (m, d) -> (m,),
    with ``grad`` (m, d) and ``error_rules`` (its own cells); ``coefficients`` (N,) in the
    C order of the node grid."""

    def __init__(self, domain: Box, axes: list[Axis], coefficients: np.ndarray):
        self.domain, self.axes = domain, axes
        self.U = np.asarray(coefficients, dtype=float).reshape([a.size for a in axes])

    def _blocks(self, cells: list[np.ndarray]) -> np.ndarray:
        """Coefficient blocks (m, k+1, ..., k+1) of the cells with indices c_a (m,) each."""
        d = len(self.axes)
        index = tuple(
            np.expand_dims(c[:, None] * axis.k + np.arange(axis.k + 1), tuple(range(2, d + 1)))
            .swapaxes(1, a + 1) for a, (c, axis) in enumerate(zip(cells, self.axes)))
        return self.U[index]

    @staticmethod
    def _contract(C: np.ndarray, tables: list[np.ndarray], pointwise: bool) -> np.ndarray:
        """Contract each direction a of C with tables[a]: (m, k+1) per point when
        ``pointwise`` (-> (m,)), else (nq_a, k+1) shared by the cells (-> (m, nq_1, ...))."""
        if pointwise:
            for table in reversed(tables):
                C = np.einsum("m...j,mj->m...", C, table)
        else:  # each contraction moves its direction's points to the end
            for table in tables:
                C = np.tensordot(C, table, axes=(1, 1))
        return C

    def _evaluate(self, x: np.ndarray, with_grad: bool) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        m, d = x.shape
        out = np.empty((m, d) if with_grad else m)
        for start in range(0, m, CHUNK):
            xs = x[start:start + CHUNK]
            located = [axis.locate(xs[:, a]) for a, axis in enumerate(self.axes)]
            C = self._blocks([c for c, _ in located])
            values = [axis.ref.values(t) for axis, (_, t) in zip(self.axes, located)]
            if not with_grad:
                out[start:start + CHUNK] = self._contract(C, values, True)
                continue
            for a, axis in enumerate(self.axes):
                tables = list(values)
                tables[a] = axis.ref.slopes(located[a][1]) / axis.h
                out[start:start + CHUNK, a] = self._contract(C, tables, True)
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """u_h(x), x (m, d) -> (m,)."""
        return self._evaluate(x, with_grad=False)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """grad u_h(x), x (m, d) -> (m, d)."""
        return self._evaluate(x, with_grad=True)

    def error_rules(self, level: int) -> CellRule | None:
        """The tensor Gauss rule of degree :func:`~pdesolve.fem.evaluate.rule_degree` on every
        cell (the rule the cell-table path uses), u_h and grad u_h from the 1-D tables."""
        d, k = len(self.axes), self.axes[0].k
        refdom = REFDOMS[d]
        degree = rule_degree(refdom, k, level)
        if degree is None:
            return None
        X, w = get_quadrature(RefLine, degree)
        t = X[0]
        grids = np.meshgrid(*[axis.h * t for axis in self.axes], indexing="ij")
        offsets = np.stack([g.ravel() for g in grids], axis=1)
        weights = np.prod(np.meshgrid(*[axis.h * w for axis in self.axes], indexing="ij"),
                          axis=0).ravel()
        values = [axis.ref.values(t) for axis in self.axes]
        slopes = [axis.ref.slopes(t) / axis.h for axis in self.axes]
        n = self.axes[0].n

        def on_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            index = np.unravel_index(cells, (n,) * d, order="F")
            C = self._blocks(list(index))
            u = self._contract(C, values, False).reshape(len(cells), -1)
            grad = np.stack([self._contract(C, values[:a] + [slopes[a]] + values[a + 1:], False)
                             .reshape(len(cells), -1) for a in range(d)], axis=-1)
            return u, grad

        name = f"{refdom.__name__[3:].lower()} degree {degree}"
        return CellRule(self.domain, (n,) * d, offsets, weights, name, values=on_cells)
