"""Uniform tensor grids on a box, 1-D interpolation matrices, multilinear interpolation.

A :class:`TensorGrid` has n_j interior nodes in direction j and spacing
h_j = (b_j - a_j) / (n_j + 1); arrays of nodal values are stored *padded*, shape
(n_1 + 2, ..., n_d + 2), boundary nodes included, so that differences are slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..domains import Box

CHUNK = 1 << 17
"""Most points per call when sampling a function on a grid."""
CORNER_TABLE = 1 << 22
"""Entries of the (points, 2^d) corner-value table per interpolation chunk."""


@dataclass(frozen=True)
class TensorGrid:
    """The grid x_{j,i} = a_j + i h_j, i = 0..n_j + 1, on ``domain``.

    Attributes
    ----------
    domain : the box.
    n : interior nodes per direction (d,), each >= 1.
    """

    domain: Box
    n: tuple[int, ...]

    @property
    def dim(self) -> int:
        return len(self.n)

    @cached_property
    def h(self) -> np.ndarray:
        """Spacings h_j = (b_j - a_j) / (n_j + 1), shape (d,)."""
        return self.domain.lengths / (np.asarray(self.n) + 1)

    @property
    def shape(self) -> tuple[int, ...]:
        """Padded shape (n_j + 2)_j."""
        return tuple(m + 2 for m in self.n)

    @property
    def unknowns(self) -> int:
        return int(np.prod(self.n))

    def axis(self, j: int) -> np.ndarray:
        """All node coordinates in direction j, shape (n_j + 2,)."""
        return np.linspace(self.domain.lower[j], self.domain.upper[j], self.n[j] + 2)

    def midpoints(self, j: int) -> np.ndarray:
        """Edge midpoints a_j + (i + 1/2) h_j, i = 0..n_j, shape (n_j + 1,)."""
        x = self.axis(j)
        return (x[:-1] + x[1:]) / 2

    @property
    def interior(self) -> tuple[slice, ...]:
        """Index of the interior block of a padded array."""
        return (slice(1, -1),) * self.dim

    def fill(self, padded: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A copy of the padded array with its interior replaced by u ((N,) or shape n)."""
        out = padded.copy()
        out[self.interior] = np.reshape(u, self.n)
        return out

    def coarsened(self) -> TensorGrid | None:
        """The next multigrid level, or None if no direction can be coarsened.

        n_j -> (n_j - 1) // 2 in the directions with n_j >= 3 and h_j < 2 min_l h_l: the
        strongly coupled ones (semi-coarsening on stretched boxes, where a point smoother
        cannot smooth across the weakly coupled directions).
        """
        strong = [m >= 3 and hj < 2 * self.h.min() for m, hj in zip(self.n, self.h)]
        if not any(strong):
            return None
        return TensorGrid(self.domain, tuple((m - 1) // 2 if s else m
                                             for m, s in zip(self.n, strong)))

    def sample(self, fn, axes: list[np.ndarray]) -> np.ndarray:
        """fn on the tensor product of the coordinate vectors ``axes`` (:func:`sample`)."""
        return sample(fn, axes)

    def boundary_values(self, g) -> np.ndarray:
        """Padded array with g at every boundary node and 0 inside, shape ``self.shape``
        (:func:`boundary_values`)."""
        return boundary_values(g, [self.axis(j) for j in range(self.dim)])


def sample(fn, axes: list[np.ndarray]) -> np.ndarray:
    """fn on the tensor product of the coordinate vectors ``axes``.

    fn : x (m, d) -> (m,). The trailing axes whose product fits in CHUNK points (at least
    the last axis) form one block of points built once; fn is called once per index of
    the leading axes, with only their coordinates rewritten. Returns shape
    (len(axes[0]), ..., len(axes[d-1])).
    """
    shape = tuple(len(a) for a in axes)
    d, k, block = len(axes), 1, len(axes[-1])
    while k < d and block * shape[d - 1 - k] <= CHUNK:
        block *= shape[d - 1 - k]
        k += 1
    x = np.empty((block, d))
    tail = np.meshgrid(*axes[d - k:], indexing="ij")
    x[:, d - k:] = np.stack([t.ravel() for t in tail], axis=1)
    out = np.empty((int(np.prod(shape[:d - k])), block))
    for i, index in enumerate(np.ndindex(*shape[:d - k])):
        x[:, :d - k] = [axes[j][index[j]] for j in range(d - k)]
        out[i] = np.asarray(fn(x), dtype=float)
    return out.reshape(shape)


def boundary_values(g, axes: list[np.ndarray]) -> np.ndarray:
    """g at every boundary node of the tensor grid of ``axes`` and 0 inside, shape
    (len(axes[0]), ..., len(axes[d-1])).

    Face (j, end) takes the nodes with x_j at that end and interior coordinates in
    the directions before j, so every boundary node is evaluated once.
    """
    dim = len(axes)
    full = np.zeros(tuple(len(a) for a in axes))
    for j in range(dim):
        for end in (0, -1):
            face = [a[1:-1] if l < j else a for l, a in enumerate(axes)]
            face[j] = axes[j][[end]]
            idx = [slice(1, -1) if l < j else slice(None) for l in range(dim)]
            idx[j] = slice(end, None) if end == -1 else slice(0, 1)
            full[tuple(idx)] = sample(g, face)
    return full


def interp_matrix(src: np.ndarray, dst: np.ndarray) -> sp.csr_matrix:
    """Piecewise-linear interpolation from sorted nodes ``src`` to points ``dst`` (clamped).

    Returns a CSR matrix P (len(dst), len(src)) with v(dst) = P v(src); two entries per row.
    """
    i = np.clip(np.searchsorted(src, dst, side="right") - 1, 0, len(src) - 2)
    t = np.clip((dst - src[i]) / (src[i + 1] - src[i]), 0.0, 1.0)
    rows = np.repeat(np.arange(len(dst)), 2)
    cols = np.stack([i, i + 1], axis=1).ravel()
    vals = np.stack([1 - t, t], axis=1).ravel()
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(dst), len(src)))


def apply_along(mat: sp.spmatrix | np.ndarray, arr: np.ndarray, axis: int) -> np.ndarray:
    """Multiply ``arr`` by the matrix ``mat`` along ``axis`` (a mode-``axis`` product).

    A dense ``mat`` multiplies ``arr`` seen as (before, n, after) in place of the axis, one
    stacked matrix product without moving axes (no copies of ``arr``); a sparse one moves the
    axis first."""
    shape = arr.shape
    if sp.issparse(mat):
        moved = np.moveaxis(arr, axis, 0)
        out = mat @ moved.reshape(moved.shape[0], -1)
        return np.moveaxis(out.reshape((mat.shape[0],) + moved.shape[1:]), 0, axis)
    before, after = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1:]))
    stacked = arr.reshape(before, shape[axis], after)
    if after == 1:
        out = stacked[:, :, 0] @ mat.T
    elif before == 1:
        out = mat @ stacked[0]
    else:
        out = np.matmul(mat, stacked)
    return out.reshape(shape[:axis] + (mat.shape[0],) + shape[axis + 1:])


def interpolate(grid: TensorGrid, values: np.ndarray, x: np.ndarray,
                gradient: bool = False) -> np.ndarray:
    """Multilinear interpolant of padded nodal ``values`` at points x (m, d).

    On the cell containing x with local coordinates s_j in [0, 1],
    v(x) = sum_{b in {0,1}^d} prod_j (b_j s_j + (1 - b_j)(1 - s_j)) v_b; with ``gradient``
    the derivative of that interpolant, (m, d), is returned instead of (m,). Points outside
    the box are extrapolated from the nearest cell. Works on chunks of points so that the
    (points, 2^d) corner table stays near 2^22 entries.
    """
    x = np.asarray(x, dtype=float)
    step = max(1, CORNER_TABLE >> grid.dim)
    parts = [_interpolate_chunk(grid, values, x[i:i + step], gradient)
             for i in range(0, len(x), step)]
    return np.concatenate(parts) if parts else np.zeros((0, grid.dim) if gradient else 0)


def _interpolate_chunk(grid: TensorGrid, values: np.ndarray, x: np.ndarray,
                       gradient: bool) -> np.ndarray:
    d = grid.dim
    t = (x - np.asarray(grid.domain.lower)) / grid.h
    base = np.clip(np.floor(t).astype(np.int64), 0, np.asarray(grid.n))
    s = t - base
    strides = np.cumprod((1,) + grid.shape[:0:-1])[::-1]
    corners = np.array(np.meshgrid(*[[0, 1]] * d, indexing="ij")).reshape(d, -1).T
    corner_vals = np.ravel(values)[(base @ strides)[:, None] + (corners @ strides)[None, :]]

    def lerp(c: np.ndarray, j: int) -> np.ndarray:
        """Interpolate the last remaining corner axis (axis j) of c (m, 2^(j+1))."""
        c = c.reshape(len(x), -1, 2)
        return c[..., 0] * (1 - s[:, j, None]) + c[..., 1] * s[:, j, None]

    # partial[j]: corners with the axes after j interpolated, (m, 2^(j+1)); shared by the
    # value and by the derivative along j (a difference along j, then the axes before it)
    partial, c = [None] * d, corner_vals
    for j in reversed(range(d)):
        partial[j] = c
        c = lerp(c, j)
    if not gradient:
        return c[:, 0]
    columns = []
    for k in range(d):
        c = partial[k].reshape(len(x), -1, 2)
        c = (c[..., 1] - c[..., 0]) / grid.h[k]
        for j in reversed(range(k)):
            c = lerp(c, j)
        columns.append(c[:, 0])
    return np.stack(columns, axis=1)
