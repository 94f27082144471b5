"""Quadrature for error integrals: fixed point sets and measurement rules with a known accuracy.

Fixed sets (:class:`PointSet`): composite Gauss rules and scrambled Sobol points, for
callers that choose their own points (training samples, monitors, energies); errors are
measured by :func:`pdesolve.measure_errors` alone, which chooses its rules and checks their
accuracy.

Measurement rules, used by :mod:`pdesolve.metrics` to estimate integrals
int_Omega F dx together with their own error, yield :class:`Samples` chunk by chunk:

- :class:`TensorRule`: a composite Gauss rule on a box (deterministic);
- :class:`SobolRule`: R independently scrambled Sobol sets (randomised QMC, unbiased; the
  spread of the R estimates gives a standard error);
- :class:`CellRule`: a local rule repeated on the cells of a uniform box partition, the
  cells of a mesh-based solution (all cells, or a stratified random sample of them).

Each sample point carries a ``group`` g = stratum * replicates + replicate. With
T[h, r] = sum of w F over the points of group (h, r), the estimate is
sum_h mean_r T[h, r] and its variance sum_h var_r(T[h, r]) / R: one formula for
deterministic rules (H = R = 1, no variance), randomised QMC (H = 1) and stratified
sampling of cells (R draws per stratum).

A *rule family* is a callable ``level -> rule | None`` of rules of increasing accuracy
(None: no finer rule). :func:`box_rules` is the default family of a box; a mesh-based
solution offers the family of its own cells as ``u.error_rules`` (see
:meth:`pdesolve.fem.evaluate.FEMFunction.error_rules`); every domain gives its default family
as ``domain.error_rules()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterator, Protocol

import numpy as np
from scipy.stats import qmc

from .domains import Box

CHUNK = 1 << 16
"""Points per chunk of a measurement rule (bounds the memory of the evaluations)."""


@dataclass(frozen=True)
class PointSet:
    """Points (n, d) with weights (n,) summing to |Omega|: integral ~ sum w_i v(x_i)."""

    points: np.ndarray
    weights: np.ndarray
    kind: str

    def __len__(self) -> int:
        return len(self.weights)


def _gauss_axes(domain: Box, cells: int, order: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per direction: nodes and weights of the composite Gauss-Legendre rule."""
    t, w = np.polynomial.legendre.leggauss(order)
    axes, weights = [], []
    for a, b in zip(domain.lower, domain.upper):
        edges = np.linspace(a, b, cells + 1)
        half = np.diff(edges)[:, None] / 2
        axes.append(((edges[:-1, None] + edges[1:, None]) / 2 + half * t).ravel())
        weights.append((half * w).ravel())
    return axes, weights


def gauss_rule(domain: Box, cells: int, order: int) -> PointSet:
    """Composite Gauss-Legendre rule: ``cells`` equal cells per direction, ``order`` points each.

    Exact for polynomials of degree 2*order - 1 on each cell; (cells*order)^d points.
    """
    axes, weights = _gauss_axes(domain, cells, order)
    grids = np.meshgrid(*axes, indexing="ij")
    wgrid = np.meshgrid(*weights, indexing="ij")
    points = np.stack([g.ravel() for g in grids], axis=1)
    return PointSet(points, np.prod(np.stack([g.ravel() for g in wgrid]), axis=0), "gauss")


def _sobol_unit(dim: int, m: int, seed) -> np.ndarray:
    return qmc.Sobol(dim, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)


def sobol_points(domain, n: int, seed: int) -> PointSet:
    """n scrambled Sobol points (n rounded up to a power of 2), equal weights |Omega|/n.

    On a domain other than a box: the points of a longer sequence on its bounding box that
    lie inside (at least n of them, fewer where the domain fills little of its box)."""
    lower, upper = domain.bounds
    box = domain.structured
    fill = 1.0 if box else min(max(domain.volume / float(np.prod(upper - lower)), 1e-3), 1.0)
    m = int(np.ceil(np.log2(max(n / fill, 2))))
    points = lower + _sobol_unit(domain.dim, m, seed) * (upper - lower)
    if not box:
        points = points[domain.contains(points, tol=0.0)]
    return PointSet(points, np.full(len(points), domain.volume / len(points)), "sobol")


def uniform_points(domain: Box, n: int, seed: int) -> np.ndarray:
    """n independent uniform random points in the box (NumPy's default generator), (n, d)."""
    rng = np.random.default_rng(seed)
    return np.asarray(domain.lower) + domain.lengths * rng.random((n, domain.dim))


@dataclass(frozen=True)
class Samples:
    """A chunk of a measurement rule.

    points (m, d), weights (m,), group (m,) accumulator index (see the module docstring);
    u (m,) and grad (m, d): values of the function whose cells the rule follows, if known.
    """

    points: np.ndarray
    weights: np.ndarray
    group: np.ndarray
    u: np.ndarray | None = None
    grad: np.ndarray | None = None


class MeasurementRule(Protocol):
    """What :func:`pdesolve.metrics.measure_errors` needs of a rule."""

    strata: int
    replicates: int

    def samples(self) -> Iterator[Samples]: ...

    def describe(self) -> dict: ...


RuleFamily = Callable[[int], "MeasurementRule | None"]
"""level (0, 1, ...) -> a rule more accurate than the previous level's, or None."""


def _tensor_chunks(axes: list[np.ndarray], weights: list[np.ndarray]) -> Iterator[tuple]:
    """(points, weights) of the tensor product of 1-D rules, CHUNK points at a time (C order)."""
    shape = tuple(len(a) for a in axes)
    size = int(np.prod(shape))
    for start in range(0, size, CHUNK):
        index = np.unravel_index(np.arange(start, min(start + CHUNK, size)), shape)
        x = np.stack([a[i] for a, i in zip(axes, index)], axis=1)
        w = np.prod(np.stack([wk[i] for wk, i in zip(weights, index)]), axis=0)
        yield x, w


@dataclass(frozen=True)
class TensorRule:
    """Composite Gauss-Legendre rule on a box: ``cells`` per direction, ``order`` points each."""

    domain: Box
    cells: int
    order: int
    strata: int = 1
    replicates: int = 1

    @property
    def size(self) -> int:
        return (self.cells * self.order) ** self.domain.dim

    def samples(self) -> Iterator[Samples]:
        axes, weights = _gauss_axes(self.domain, self.cells, self.order)
        for x, w in _tensor_chunks(axes, weights):
            yield Samples(x, w, np.zeros(len(w), dtype=np.int64))

    def describe(self) -> dict:
        return {"kind": "gauss", "cells": self.cells, "order": self.order, "points": self.size}


@dataclass(frozen=True)
class SobolRule:
    """``replicates`` independently scrambled Sobol sets of n / replicates points each.

    Every set alone is an unbiased estimate (weights |Omega| / (n / R)); the spread of the R
    estimates gives the standard error of their mean.
    """

    domain: Box
    n: int
    seed: int
    replicates: int = 8
    strata: int = 1

    def samples(self) -> Iterator[Samples]:
        per = max(self.n // self.replicates, 2)
        m = int(np.ceil(np.log2(per)))
        seeds = np.random.SeedSequence(self.seed).spawn(self.replicates)
        lower, lengths = np.asarray(self.domain.lower), self.domain.lengths
        for r, seed in enumerate(seeds):
            unit = _sobol_unit(self.domain.dim, m, seed)
            w = self.domain.volume / len(unit)
            for start in range(0, len(unit), CHUNK):
                x = lower + unit[start:start + CHUNK] * lengths
                yield Samples(x, np.full(len(x), w), np.full(len(x), r, dtype=np.int64))

    def describe(self) -> dict:
        per = 2 ** int(np.ceil(np.log2(max(self.n // self.replicates, 2))))
        return {"kind": "sobol", "replicates": self.replicates, "points": per * self.replicates,
                "seed": self.seed}


MAX_POINTS = 2**24
"""The default families stop (return None) beyond this many points in one rule."""

START_GAUSS = {1: (250, 5), 2: (50, 4), 3: (10, 4)}
"""Level 0 of :func:`box_rules` per dimension: (cells per direction, Gauss order)."""


def box_rules(domain: Box, *, seed: int = 0, n_sobol: int = 2**17, cells: int | None = None,
              order: int | None = None) -> RuleFamily:
    """The default family for functions without cells of their own (networks) on a box.

    d <= 3: composite Gauss with ``order`` points per cell (default :data:`START_GAUSS`)
    and cells * 2^level cells per direction (each level 2^(2 order) times more accurate
    for smooth integrands). d > 3: randomised Sobol with n_sobol * 2^level points in 8
    replicates. ``cells``/``order``/``n_sobol`` set level 0 (the case's ``[evaluation]``).
    """
    if domain.dim <= 3:
        c0, o = START_GAUSS[domain.dim]
        c0, o = cells or c0, order or o

        def gauss(level: int) -> TensorRule | None:
            rule = TensorRule(domain, c0 * 2**level, o)
            return rule if rule.size <= MAX_POINTS else None
        return gauss

    def sobol(level: int) -> SobolRule | None:
        n = n_sobol * 2**level
        return SobolRule(domain, n, seed) if n <= MAX_POINTS else None
    return sobol


DOMAIN_CELLS = {2: 25, 3: 10}
"""Level 0 of :func:`domain_rules` by dimension: mesh cells of size diameter / DOMAIN_CELLS
(in 3-D level 1 has about 50,000 cells on a ball, 2 million points of a degree-8 rule)."""


@dataclass(frozen=True)
class DomainRule:
    """A degree-``intorder`` rule on every cell of a quadratic gmsh mesh of size h of a
    domain other than a box (:meth:`pdesolve.domains.Domain.quadrature`)."""

    domain: object
    h: float
    intorder: int = 8
    strata: int = 1
    replicates: int = 1

    def samples(self) -> Iterator[Samples]:
        x, w = self.domain.quadrature(self.h, self.intorder)
        for start in range(0, len(w), CHUNK):
            chunk = slice(start, start + CHUNK)
            yield Samples(x[chunk], w[chunk], np.zeros(len(w[chunk]), dtype=np.int64))

    def describe(self) -> dict:
        return {"kind": "domain mesh", "h": self.h, "intorder": self.intorder}


def domain_rules(domain, cells: int | None = None) -> RuleFamily:
    """The default family for functions without cells of their own on a domain other than a
    box: :class:`DomainRule` with h = diameter / (cells 2^level), for levels 0-2; cells by
    default :data:`DOMAIN_CELLS` of the domain's dimension."""
    cells = cells or DOMAIN_CELLS[domain.dim]

    def rule(level: int) -> DomainRule | None:
        return DomainRule(domain, domain.diameter / (cells * 2**level)) if level < 3 else None
    return rule


MAX_CELLS = 2**14
"""A cell rule samples this many cells (stratified, 2 per tile) when the mesh has more."""


@lru_cache(maxsize=8)
def cell_sample(counts: tuple[int, ...], max_cells: int, seed: int):
    """Which cells a :class:`CellRule` visits: (cells, scale, group, strata, replicates).

    All cells (scale 1, one group) when there are at most ``max_cells``. Otherwise the
    partition is cut into tiles of b^d cells (b chosen for about max_cells / 2 tiles) and two
    cells are drawn uniformly (with replacement) in each tile: scale = cells in the tile,
    group = tile * 2 + draw, so the stratified estimate and its variance follow the module
    docstring. Cell indices are sum_k i_k prod_{j<k} counts_j (first direction fastest).
    """
    counts_arr = np.asarray(counts)
    total = int(np.prod(counts_arr))
    if total <= max_cells:
        cells = np.arange(total)
        return cells, np.ones(total), np.zeros(total, dtype=np.int64), 1, 1
    replicates = 2
    b = int(np.ceil((total / (max_cells // replicates)) ** (1 / len(counts))))
    tiles = -(-counts_arr // b)
    tile = np.stack(np.unravel_index(np.arange(int(np.prod(tiles))), tuple(tiles), order="F"), 1)
    start = tile * b
    size = np.minimum(b, counts_arr - start)
    rng = np.random.default_rng(seed)
    draws = start[:, None, :] + np.floor(rng.random((len(tile), replicates, len(counts)))
                                         * size[:, None, :]).astype(np.int64)
    strides = np.cumprod(np.concatenate([[1], counts_arr[:-1]]))
    cells = (draws @ strides).ravel()
    scale = np.repeat(np.prod(size, axis=1).astype(float), replicates)
    group = np.arange(len(cells), dtype=np.int64)
    return cells, scale, group, len(tile), replicates


@dataclass(frozen=True)
class CellRule:
    """A local rule on every cell (or a stratified sample, :func:`cell_sample`) of a partition.

    Attributes
    ----------
    domain : the box; counts : cells per direction (equal cells).
    offsets : (nq, d) local points relative to a cell's lower corner; weights : (nq,).
    name : what the local rule is (recorded), e.g. "triangle degree 6 x 2 per cell".
    values : cells (m,) -> (u (m, nq), grad (m, nq, d)) of the function the cells belong
        to, or None (then it is evaluated at the points like any other function).
    max_cells, seed : the sampling budget and its seed.
    """

    domain: Box
    counts: tuple[int, ...]
    offsets: np.ndarray
    weights: np.ndarray
    name: str
    values: Callable | None = field(default=None, compare=False, repr=False)
    max_cells: int = MAX_CELLS
    seed: int = 0

    @property
    def _sample(self):
        return cell_sample(tuple(self.counts), self.max_cells, self.seed)

    @property
    def strata(self) -> int:
        return self._sample[3]

    @property
    def replicates(self) -> int:
        return self._sample[4]

    def samples(self) -> Iterator[Samples]:
        cells, scale, group, _, _ = self._sample
        counts = np.asarray(self.counts)
        size = self.domain.lengths / counts
        nq, d = self.offsets.shape
        step = max(1, CHUNK // nq)
        for start in range(0, len(cells), step):
            c = cells[start:start + step]
            index = np.stack(np.unravel_index(c, tuple(counts), order="F"), axis=1)
            corner = np.asarray(self.domain.lower) + index * size
            x = (corner[:, None, :] + self.offsets[None]).reshape(-1, d)
            w = (scale[start:start + step, None] * self.weights[None]).ravel()
            g = np.repeat(group[start:start + step], nq)
            u = grad = None
            if self.values is not None:
                u, grad = self.values(c)
                u, grad = u.reshape(-1), grad.reshape(-1, d)
            yield Samples(x, w, g, u, grad)

    def describe(self) -> dict:
        cells = len(self._sample[0])
        return {"kind": "cells", "rule": self.name, "cells": int(np.prod(self.counts)),
                "sampled_cells": cells if cells < np.prod(self.counts) else None,
                "points": cells * len(self.weights)}
