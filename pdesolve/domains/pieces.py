"""Boundary pieces: the smooth parts a domain's boundary is made of.

A piece is a flat face of a box, a line segment, or a circle/sphere. Each knows its
measure, how to sample itself uniformly (points with unit normals pointing out of the
domain it bounds), the closest point of itself to any x (``project``) and an approximate
distance function ``distance(x) >= 0`` that vanishes exactly on the piece and is
normalised to first order there (|grad distance| = 1 on it). ``project`` and
``distance`` use the array-API namespace of ``x``: they evaluate NumPy arrays and torch
tensors (with autograd) alike.

Distances (Sukumar and Srivastava, CMAME 389 (2022) 114333):
- face {x_k = c} of a box: |x_k - c| plus the L1 distance of the other coordinates to the
  face's extent (exact inside the box, positive off the face, no square root);
- segment a-b of length L, centre m: with f = ((x - a) x (b - a)) / L (distance to the
  line) and t = (L^2/4 - |x - m|^2) / L (positive between the end points, a disk
  trimming the line), phi = sqrt(f^2 + ((sqrt(t^2 + f^4) - t) / 2)^2);
- sphere |x - c| = r: |r^2 - |x - c|^2| / (2 r).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from array_api_compat import array_namespace, device


def constant_like(values, x):
    """The NumPy ``values`` as an array of x's namespace, dtype and device."""
    return array_namespace(x).asarray(np.asarray(values, dtype=float), dtype=x.dtype,
                                      device=device(x))


@dataclass(frozen=True)
class Face:
    """The face {x_axis = value} of the box [lower, upper] (a point in 1-D).

    ``outward`` is the sign of the outward normal's ``axis`` component (+1 on an upper face).
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    axis: int
    value: float
    outward: float

    @property
    def dim(self) -> int:
        return len(self.lower)

    @property
    def measure(self) -> float:
        """Area of the face; 1 for an end point of an interval (counting measure)."""
        lengths = np.subtract(self.upper, self.lower)
        return float(np.prod(np.delete(lengths, self.axis)))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(self.lower) + rng.random((n, self.dim)) * np.subtract(self.upper, self.lower)
        x[:, self.axis] = self.value
        normals = np.zeros((n, self.dim))
        normals[:, self.axis] = self.outward
        return x, normals

    def project(self, x):
        xp = array_namespace(x)
        y = xp.clip(x, constant_like(self.lower, x), constant_like(self.upper, x))
        column = constant_like(np.arange(self.dim) == self.axis, x)
        return y + column * (self.value - y)

    def distance(self, x):
        xp = array_namespace(x)
        gap = xp.abs(x - xp.clip(x, constant_like(self.lower, x), constant_like(self.upper, x)))
        others = constant_like(np.arange(self.dim) != self.axis, x)
        return xp.abs(x[:, self.axis] - self.value) + xp.sum(others * gap, axis=1)


@dataclass(frozen=True)
class Segment:
    """The segment from ``a`` to ``b`` in the plane; its normal points to the right of the
    direction a -> b (outward for a counter-clockwise polygon)."""

    a: tuple[float, float]
    b: tuple[float, float]

    dim = 2

    @property
    def measure(self) -> float:
        return float(math.dist(self.a, self.b))

    @property
    def normal(self) -> np.ndarray:
        (ax, ay), (bx, by) = self.a, self.b
        return np.array([by - ay, ax - bx]) / self.measure

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = rng.random((n, 1))
        x = np.asarray(self.a) + t * np.subtract(self.b, self.a)
        return x, np.tile(self.normal, (n, 1))

    def project(self, x):
        xp = array_namespace(x)
        a = constant_like(self.a, x)
        ab = constant_like(np.subtract(self.b, self.a), x)
        t = xp.clip(xp.sum((x - a) * ab, axis=1) / self.measure**2, 0.0, 1.0)
        return a + t[:, None] * ab

    def distance(self, x):
        xp = array_namespace(x)
        (ax, ay), (bx, by) = self.a, self.b
        length = self.measure
        mx, my = (ax + bx) / 2, (ay + by) / 2
        f = ((x[:, 0] - ax) * (by - ay) - (x[:, 1] - ay) * (bx - ax)) / length
        t = (length**2 / 4 - (x[:, 0] - mx) ** 2 - (x[:, 1] - my) ** 2) / length
        varphi = xp.sqrt(t * t + f**4)
        return xp.sqrt(f * f + ((varphi - t) / 2) ** 2)


@dataclass(frozen=True)
class Sphere:
    """The circle (d = 2) or sphere (d = 3) |x - centre| = radius.

    ``outward`` is +1 when the domain lies inside it (a disk), -1 when outside (a hole).
    """

    centre: tuple[float, ...]
    radius: float
    outward: float = 1.0

    @property
    def dim(self) -> int:
        return len(self.centre)

    @property
    def measure(self) -> float:
        d, r = self.dim, self.radius
        return 2 * math.pi ** (d / 2) / math.gamma(d / 2) * r ** (d - 1)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        g = rng.standard_normal((n, self.dim))
        unit = g / np.linalg.norm(g, axis=1, keepdims=True)
        return np.asarray(self.centre) + self.radius * unit, self.outward * unit

    def project(self, x):
        xp = array_namespace(x)
        v = x - constant_like(self.centre, x)
        norm = xp.sqrt(xp.sum(v * v, axis=1))[:, None]
        return constant_like(self.centre, x) + self.radius * v / xp.clip(norm, 1e-300, None)

    def distance(self, x):
        xp = array_namespace(x)
        v = x - constant_like(self.centre, x)
        return xp.abs(self.radius**2 - xp.sum(v * v, axis=1)) / (2 * self.radius)





@dataclass(frozen=True, eq=False)
class Facets:
    """The flat facets of a mesh's boundary as one piece, vectorised over the facets:
    segments (d = 2) or triangles (d = 3), ``corners`` (m, d, d), outward ``normals`` (m, d).

    In 2-D, ``distance`` is the R-equivalence 1 / sum_k 1 / phi_k of the trimmed segment
    distances (0 exactly on every facet) and ``project`` the closest boundary point; in 3-D
    only measure and sampling are provided.
    """

    corners: np.ndarray
    normals: np.ndarray

    @property
    def dim(self) -> int:
        return self.corners.shape[2]

    @property
    def areas(self) -> np.ndarray:
        edges = self.corners[:, 1:] - self.corners[:, :1]
        if self.dim == 2:
            return np.linalg.norm(edges[:, 0], axis=1)
        return 0.5 * np.linalg.norm(np.cross(edges[:, 0], edges[:, 1]), axis=1)

    @property
    def measure(self) -> float:
        return float(self.areas.sum())

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        areas = self.areas
        which = rng.choice(len(areas), size=n, p=areas / areas.sum())
        u = rng.random((n, self.dim - 1))
        if self.dim == 3:  # uniform on a triangle: fold the unit square onto it
            fold = u.sum(axis=1) > 1
            u[fold] = 1 - u[fold]
        c = self.corners[which]
        return c[:, 0] + np.einsum("nk,nkd->nd", u, c[:, 1:] - c[:, :1]), self.normals[which]

    def _segments(self, x):
        """(a, b, t) per point and segment: end points (m, 2) as x's type, and the clamped
        parameter of the foot point (n, m)."""
        if self.dim != 2:
            raise NotImplementedError("distances to a 3-D mesh boundary are not provided")
        xp = array_namespace(x)
        a, b = constant_like(self.corners[:, 0], x), constant_like(self.corners[:, 1], x)
        ab = b - a
        t = xp.sum((x[:, None, :] - a[None]) * ab[None], axis=2) / xp.sum(ab * ab, axis=1)
        return a, b, xp.clip(t, 0.0, 1.0)

    def project(self, x):
        xp = array_namespace(x)
        a, b, t = self._segments(x)
        feet = a[None] + t[:, :, None] * (b - a)[None]
        gap = xp.sum((feet - x[:, None, :]) ** 2, axis=2)
        return feet[xp.arange(x.shape[0]), xp.argmin(gap, axis=1)]

    def distance(self, x):
        xp = array_namespace(x)
        a, b, _ = self._segments(x)
        ab = b - a
        length = xp.sqrt(xp.sum(ab * ab, axis=1))
        mid = (a + b) / 2
        f = ((x[:, None, 0] - a[None, :, 0]) * ab[None, :, 1]
             - (x[:, None, 1] - a[None, :, 1]) * ab[None, :, 0]) / length
        t = (length**2 / 4 - xp.sum((x[:, None, :] - mid[None]) ** 2, axis=2)) / length
        phi = xp.sqrt(f * f + ((xp.sqrt(t * t + f**4) - t) / 2) ** 2)
        return 1.0 / xp.sum(1.0 / xp.clip(phi, 1e-300, None), axis=1)


Piece = Face | Segment | Sphere | Facets
"""Any boundary piece."""
