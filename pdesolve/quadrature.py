"""Evaluation point sets with weights: tensor Gauss rules (d <= 3) and scrambled Sobol (d > 3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from .domain import Box


@dataclass(frozen=True)
class PointSet:
    """Points (n, d) with weights (n,) summing to |Omega|: integral ~ sum w_i v(x_i)."""

    points: np.ndarray
    weights: np.ndarray
    kind: str

    def __len__(self) -> int:
        return len(self.weights)


def gauss_rule(domain: Box, cells: int, order: int) -> PointSet:
    """Composite Gauss-Legendre rule: ``cells`` equal cells per direction, ``order`` points each.

    Exact for polynomials of degree 2*order - 1 on each cell; (cells*order)^d points.
    """
    t, w = np.polynomial.legendre.leggauss(order)
    axes, weights = [], []
    for a, b in zip(domain.lower, domain.upper):
        edges = np.linspace(a, b, cells + 1)
        half = np.diff(edges)[:, None] / 2
        axes.append(((edges[:-1, None] + edges[1:, None]) / 2 + half * t).ravel())
        weights.append((half * w).ravel())
    grids = np.meshgrid(*axes, indexing="ij")
    wgrid = np.meshgrid(*weights, indexing="ij")
    points = np.stack([g.ravel() for g in grids], axis=1)
    return PointSet(points, np.prod(np.stack([g.ravel() for g in wgrid]), axis=0), "gauss")


def sobol_points(domain: Box, n: int, seed: int) -> PointSet:
    """n scrambled Sobol points (n rounded up to a power of 2), equal weights |Omega|/n."""
    m = int(np.ceil(np.log2(max(n, 2))))
    unit = qmc.Sobol(domain.dim, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
    points = np.asarray(domain.lower) + unit * domain.lengths
    return PointSet(points, np.full(len(points), domain.volume / len(points)), "sobol")


DEFAULT_GAUSS = {1: (2000, 5), 2: (100, 4), 3: (20, 4)}
"""(cells per direction, Gauss order) per dimension: 1e4, 1.6e5 and 5.1e5 points."""


def evaluation_points(domain: Box, *, seed: int = 0, n_sobol: int = 2**17,
                      cells: int | None = None, order: int | None = None) -> PointSet:
    """The harness's default evaluation set for a domain (DESIGN.md, 'Measuring error').

    d <= 3: composite Gauss rule (resolves the solutions of the built-in problems);
    d > 3: ``n_sobol`` scrambled Sobol points seeded by ``seed``.
    """
    if domain.dim <= 3:
        c, o = DEFAULT_GAUSS[domain.dim]
        return gauss_rule(domain, cells or c, order or o)
    return sobol_points(domain, n_sobol, seed)
