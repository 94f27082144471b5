"""The second-order finite-difference operator -div(c grad u) on a tensor grid.

With edge coefficients c_{j, i+1/2} (kappa on the grid edges in direction j, the mean of
its values at the two ends, :func:`kappa_edges`),

    (A u)_i = sum_j [ c_{j,i+1/2} (u_i - u_{i+e_j}) + c_{j,i-1/2} (u_i - u_{i-e_j}) ] / h_j^2,

the (2d+1)-point stencil, symmetric positive definite on the interior unknowns. An
edge-coefficient field is a list of d arrays; array j has n_j + 1 entries along axis j
(the edge midpoints) and the n_l interior nodes along every other axis l.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .tensor import TensorGrid

EdgeField = list[np.ndarray]
"""d arrays, array j of shape (n_1, ..., n_j + 1, ..., n_d)."""


def edge_axes(grid: TensorGrid, j: int, full: bool = False) -> list[np.ndarray]:
    """Coordinates of the direction-j edge midpoints: midpoints along j, nodes elsewhere.

    ``full`` includes the edges on the boundary faces (all n_l + 2 nodes along l != j);
    otherwise only the n_l interior nodes.
    """
    return [grid.midpoints(l) if l == j else (grid.axis(l) if full else grid.axis(l)[1:-1])
            for l in range(grid.dim)]


def kappa_edges(grid: TensorGrid, kappa, full: bool = False) -> EdgeField:
    """kappa on the edges of every direction (``kappa=None``: kappa = 1).

    c_{j, i+1/2} = (kappa(x_i) + kappa(x_{i+e_j})) / 2, the mean of the nodal values at the
    two ends of the edge: second-order accurate like kappa at the midpoint, from one
    evaluation per grid node ((n + 2)^d points) instead of one per edge (d (n + 1) n^(d-1)
    points, about d times more; kappa dominated the cost of the 5-D problems).
    ``full`` includes the edges on the boundary faces (all n_l + 2 nodes along l != j).
    """
    if kappa is None:
        return [np.ones(tuple(len(a) for a in edge_axes(grid, j, full))) for j in range(grid.dim)]
    nodal = grid.sample(kappa, [grid.axis(j) for j in range(grid.dim)])
    fields = []
    for j in range(grid.dim):
        index = [slice(None) if full or l == j else slice(1, -1) for l in range(grid.dim)]
        k = nodal[tuple(index)]
        fields.append((_along(k, j, slice(None, -1)) + _along(k, j, slice(1, None))) / 2)
    return fields


def _along(arr: np.ndarray, axis: int, sl: slice) -> np.ndarray:
    idx = [slice(None)] * arr.ndim
    idx[axis] = sl
    return arr[tuple(idx)]


def edge_sides(c: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """(c_{i-1/2}, c_{i+1/2}): the direction-j edge below and above each interior node, shape n."""
    return _along(c, j, slice(None, -1)), _along(c, j, slice(1, None))


def diagonal(grid: TensorGrid, coeffs: EdgeField) -> np.ndarray:
    """The diagonal of A on the interior nodes, shape n."""
    diag = np.zeros(grid.n)
    for j, c in enumerate(coeffs):
        below, above = edge_sides(c, j)
        diag += (below + above) / grid.h[j] ** 2
    return diag


def assemble(grid: TensorGrid, coeffs: EdgeField) -> sp.dia_matrix:
    """A on the interior unknowns in C order, shape (N, N), N = prod n, in diagonal storage.

    2d + 1 diagonals at offsets 0 and +-s_j (s_j the C-order stride of axis j). DIA keeps
    A[i, i + s] at column i + s, so on the grid-shaped view of diagonal +-s_j the entries are
    the interior edges c_(j, 1..n_j - 1) shifted by one node along j; entries that would
    cross the boundary are never written (zero). No index arrays and no temporaries: one
    pass over the coefficients, and a product as fast as CSR's. Directions with a single
    unknown have no off-diagonal entries (their diagonals are left out, as their strides may
    repeat another direction's).
    """
    d, big = grid.dim, grid.unknowns
    strides = np.cumprod((1,) + grid.n[:0:-1])[::-1]
    offsets = np.concatenate([-strides, [0], strides[::-1]])
    data = np.zeros((2 * d + 1, big))
    shaped = data.reshape((2 * d + 1,) + grid.n)
    keep = [True] * (2 * d + 1)
    for j, c in enumerate(coeffs):
        scale, n = 1.0 / grid.h[j] ** 2, grid.n[j]
        inner = _along(c, j, slice(1, n))                      # edges between two unknowns
        np.multiply(inner, -scale, out=_along(shaped[j], j, slice(0, n - 1)))
        np.multiply(inner, -scale, out=_along(shaped[2 * d - j], j, slice(1, n)))
        below, above = edge_sides(c, j)
        shaped[d] += below * scale
        shaped[d] += above * scale
        keep[j] = keep[2 * d - j] = n > 1
    return sp.dia_matrix((data[keep], offsets[keep]), shape=(big, big))


def apply(grid: TensorGrid, coeffs: EdgeField, padded: np.ndarray) -> np.ndarray:
    """(A u) on the interior for a padded array u (boundary values included), shape n.

    Matrix-free: for each direction, the flux c (u_{i+1} - u_i) / h_j and its difference.
    """
    out = np.zeros(grid.n)
    for j, c in enumerate(coeffs):
        idx = list(grid.interior)
        idx[j] = slice(None)
        flux = np.diff(padded[tuple(idx)], axis=j) * (c / grid.h[j] ** 2)
        out -= np.diff(flux, axis=j)
    return out


def right_hand_side(grid: TensorGrid, coeffs: EdgeField, f_interior: np.ndarray,
                    boundary: np.ndarray) -> np.ndarray:
    """b = f - A g: the source at the interior nodes with the Dirichlet data moved over.

    ``boundary`` is padded with g on the boundary nodes and 0 inside; shape n.
    """
    return f_interior - apply(grid, coeffs, boundary)
