"""Shapes beyond the box: disks and balls, annuli, polygons and the L-shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from array_api_compat import array_namespace

from ..errors import ConfigError
from .base import Domain, Part, check_part_names
from .pieces import Segment, Sphere, constant_like
from .rfunctions import conjunction


def _check_centre(centre, radius: float, kind: str) -> tuple[tuple[float, ...], float]:
    centre = tuple(float(c) for c in centre)
    if len(centre) not in (2, 3):
        raise ConfigError(f"domain.center: a {kind} needs 2 or 3 coordinates, got {len(centre)}")
    if not radius > 0:
        raise ConfigError(f"domain.radius: must be positive, got {radius!r}")
    return centre, float(radius)


def _ball_volume(d: int, r: float) -> float:
    """|B_r| in d dimensions: pi^(d/2) / Gamma(d/2 + 1) r^d."""
    return math.pi ** (d / 2) / math.gamma(d / 2 + 1) * r**d


class _Centred(Domain):
    """The points at distance ``radii[0]`` to ``radii[1]`` from ``center`` (ball, annulus)."""

    @property
    def dim(self) -> int:
        return len(self.center)

    @property
    def bounds(self):
        c = np.asarray(self.center)
        return c - self.radii[1], c + self.radii[1]

    @property
    def volume(self) -> float:
        inner, outer = self.radii
        return _ball_volume(self.dim, outer) - (_ball_volume(self.dim, inner) if inner else 0.0)


@dataclass(frozen=True, repr=False)
class Ball(_Centred):
    """The disk (d = 2) or ball (d = 3) |x - center| <= radius; one part, ``circle``/``sphere``."""

    center: tuple[float, ...]
    radius: float

    kind = "ball"

    def __post_init__(self):
        centre, radius = _check_centre(self.center, self.radius, "ball")
        object.__setattr__(self, "center", centre)
        object.__setattr__(self, "radius", radius)

    @property
    def radii(self) -> tuple[float, float]:
        return 0.0, self.radius

    def contains(self, x, tol: float = 1e-12):
        return np.linalg.norm(np.asarray(x) - self.center, axis=1) <= self.radius + tol

    def level(self, x):
        """(r^2 - |x - c|^2) / (2 r)."""
        v = x - constant_like(self.center, x)
        return (self.radius**2 - array_namespace(x).sum(v * v, axis=1)) / (2 * self.radius)

    def extension(self, x, values_by_part):
        """G(x) = rho^3 g(P x), rho = |x - c| / r, P x = c + r (x - c) / |x - c|: g on the
        sphere, twice continuously differentiable at the centre, where g(P x) alone has a
        gradient ~ 1 / |x - c| (a Laplacian that the strong form cannot integrate)."""
        v = x - constant_like(self.center, x)
        rho3 = array_namespace(x).sum(v * v, axis=1) ** 1.5 / self.radius**3
        return rho3 * values_by_part[0](self.parts[0].pieces[0].project(x))

    @cached_property
    def parts(self):
        name = "circle" if self.dim == 2 else "sphere"
        return (Part(name, (Sphere(self.center, self.radius, 1.0),)),)

    def build_occ(self, occ):
        if self.dim == 2:
            return [(2, occ.addDisk(*self.center, 0.0, self.radius, self.radius))]
        return [(3, occ.addSphere(*self.center, self.radius))]

    def to_dict(self):
        return {"kind": "ball" if self.dim == 3 else "disk", "center": list(self.center),
                "radius": self.radius}


@dataclass(frozen=True, repr=False)
class Annulus(_Centred):
    """inner <= |x - center| <= outer in 2-D (a ring) or 3-D (a shell); parts ``outer``,
    ``inner``."""

    center: tuple[float, ...]
    inner: float
    outer: float

    kind = "annulus"

    def __post_init__(self):
        centre, outer = _check_centre(self.center, self.outer, "annulus")
        if not 0 < self.inner < outer:
            raise ConfigError(f"domain.inner: must be between 0 and outer = {outer}, "
                              f"got {self.inner!r}")
        object.__setattr__(self, "center", centre)
        object.__setattr__(self, "inner", float(self.inner))
        object.__setattr__(self, "outer", outer)

    @property
    def radii(self) -> tuple[float, float]:
        return self.inner, self.outer

    def contains(self, x, tol: float = 1e-12):
        r = np.linalg.norm(np.asarray(x) - self.center, axis=1)
        return (r <= self.outer + tol) & (r >= self.inner - tol)

    def level(self, x):
        """R-conjunction of the outer ball's level and the inner ball's negated level."""
        v = x - constant_like(self.center, x)
        r2 = array_namespace(x).sum(v * v, axis=1)
        a, b = self.inner, self.outer
        return conjunction((b * b - r2) / (2 * b), (r2 - a * a) / (2 * a))

    @cached_property
    def parts(self):
        return (Part("outer", (Sphere(self.center, self.outer, 1.0),)),
                Part("inner", (Sphere(self.center, self.inner, -1.0),)))

    def build_occ(self, occ):
        if self.dim == 2:
            outer = occ.addDisk(*self.center, 0.0, self.outer, self.outer)
            inner = occ.addDisk(*self.center, 0.0, self.inner, self.inner)
        else:
            outer, inner = occ.addSphere(*self.center, self.outer), occ.addSphere(*self.center,
                                                                                  self.inner)
        out, _ = occ.cut([(self.dim, outer)], [(self.dim, inner)])
        return out

    def to_dict(self):
        return {"kind": "annulus", "center": list(self.center), "inner": self.inner,
                "outer": self.outer}


def _crossing_edges(v: np.ndarray) -> tuple[int, int] | None:
    """(i, j), i < j, of two edges of the closed polygon ``v`` (n, 2) that intersect, other
    than neighbours at their shared vertex; None for a simple polygon."""
    a, b = v, np.roll(v, -1, axis=0)
    n = len(v)

    def orient(p, q, r):  # sign of the turn p -> q -> r, for every pair of edges
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    A, B, C, D = a[:, None], b[:, None], a[None, :], b[None, :]
    o1, o2, o3, o4 = orient(A, B, C), orient(A, B, D), orient(C, D, A), orient(C, D, B)
    lo1, hi1 = np.minimum(A, B), np.maximum(A, B)
    lo2, hi2 = np.minimum(C, D), np.maximum(C, D)
    boxes = np.all((lo1 <= hi2) & (lo2 <= hi1), axis=-1)
    meet = boxes & (o1 * o2 <= 0) & (o3 * o4 <= 0)
    i, j = np.triu_indices(n, 1)
    neighbours = (j == i + 1) | ((i == 0) & (j == n - 1))
    # neighbours share a vertex: they cross only when folded back onto each other (collinear)
    folded = neighbours & (o1[i, j] == 0) & (o2[i, j] == 0) & (n > 3)
    bad = np.flatnonzero((meet[i, j] & ~neighbours) | (folded & _overlap(a, b, i, j)))
    return (int(i[bad[0]]), int(j[bad[0]])) if bad.size else None


def _overlap(a, b, i, j) -> np.ndarray:
    """Whether collinear neighbouring edges i, j overlap beyond their shared vertex."""
    di, dj = b[i] - a[i], b[j] - a[j]
    return np.sum(di * dj, axis=1) < 0


@dataclass(frozen=True, repr=False)
class Polygon(Domain):
    """A simple polygon in the plane (vertices in either orientation; stored
    counter-clockwise). Parts: the edges ``edge1 .. edgeN`` (edge k from vertex k to k + 1),
    or the names given in ``edge_names``."""

    vertices: tuple[tuple[float, float], ...]
    edge_names: tuple[str, ...] = ()

    kind = "polygon"
    dim = 2

    def __post_init__(self):
        v = np.asarray(self.vertices, dtype=float)
        if v.ndim != 2 or v.shape[1] != 2 or len(v) < 3:
            raise ConfigError(f"domain.vertices: expected at least 3 points [x, y], got "
                              f"{self.vertices!r}")
        area = 0.5 * np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1])
        if abs(area) < 1e-14:
            raise ConfigError("domain.vertices: the polygon has zero area")
        names = tuple(self.edge_names)
        if area < 0:
            v = v[::-1]
            names = tuple(reversed(names[:-1])) + names[-1:] if names else names
        if names and len(names) != len(v):
            raise ConfigError(f"domain.edge_names: expected {len(v)} names, got {len(names)}")
        check_part_names(names, "domain.edge_names")
        crossing = _crossing_edges(v)
        if crossing is not None:
            i, j = crossing
            raise ConfigError(f"domain.vertices: the polygon crosses itself (edges {i + 1} and "
                              f"{j + 1} meet); give the vertices of a simple polygon in order")
        object.__setattr__(self, "vertices", tuple(map(tuple, v.tolist())))
        object.__setattr__(self, "edge_names", names)

    @property
    def bounds(self):
        v = np.asarray(self.vertices)
        return v.min(axis=0), v.max(axis=0)

    @property
    def volume(self) -> float:
        v = np.asarray(self.vertices)
        return float(0.5 * np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1]))

    @cached_property
    def segments(self) -> tuple[Segment, ...]:
        v = self.vertices
        return tuple(Segment(v[k], v[(k + 1) % len(v)]) for k in range(len(v)))

    @cached_property
    def parts(self):
        names = self.edge_names or tuple(f"edge{k + 1}" for k in range(len(self.segments)))
        return tuple(Part(name, (s,)) for name, s in zip(names, self.segments))

    def corners(self):
        """The vertices; convex where the turn from the incoming to the outgoing edge is to the
        left (counter-clockwise storage)."""
        v = np.asarray(self.vertices)
        incoming, outgoing = v - np.roll(v, 1, axis=0), np.roll(v, -1, axis=0) - v
        turn = incoming[:, 0] * outgoing[:, 1] - incoming[:, 1] * outgoing[:, 0]
        return v, turn > 0

    def _inside(self, x):
        """Even-odd rule (crossings of a ray in +x direction), array-API, (n,) boolean."""
        xp = array_namespace(x)
        v = np.asarray(self.vertices)
        (x0, y0), (x1, y1) = v.T, np.roll(v, -1, axis=0).T
        px, py = x[:, :1], x[:, 1:2]
        straddles = (constant_like(y0, x) > py) != (constant_like(y1, x) > py)
        slope = (x1 - x0) / np.where(y1 != y0, y1 - y0, 1.0)
        cross = px < constant_like(x0, x) + constant_like(slope, x) * (py - constant_like(y0, x))
        count = xp.sum(xp.astype(straddles & cross, xp.int64), axis=1)
        return count % 2 == 1

    def contains(self, x, tol: float = 1e-12):
        """Closed polygon grown by tol (tol < 0: the points at least |tol| inside)."""
        x = np.asarray(x, dtype=float)
        inside, near = self._inside(x), self.unsigned_distance(x) <= abs(tol)
        return inside | near if tol >= 0 else inside & ~near

    def unsigned_distance(self, x):
        """R-equivalence of the edge distances, 1 / sum_k 1 / phi_k: 0 exactly on the
        edges, first-order normalised away from the vertices."""
        xp = array_namespace(x)
        inverse = sum(1.0 / xp.clip(s.distance(x), 1e-300, None) for s in self.segments)
        return 1.0 / inverse

    def level(self, x):
        xp = array_namespace(x)
        phi = self.unsigned_distance(x)
        return xp.where(self._inside(x), phi, -phi)

    def build_occ(self, occ):
        points = [occ.addPoint(vx, vy, 0.0) for vx, vy in self.vertices]
        lines = [occ.addLine(points[k], points[(k + 1) % len(points)])
                 for k in range(len(points))]
        return [(2, occ.addPlaneSurface([occ.addCurveLoop(lines)]))]

    def to_dict(self):
        out = {"kind": "polygon", "vertices": [list(v) for v in self.vertices]}
        if self.edge_names:
            out["edge_names"] = list(self.edge_names)
        return out


LSHAPE_VERTICES = ((-1.0, -1.0), (0.0, -1.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (-1.0, 1.0))
"""(-1, 1)^2 without [0, 1) x (-1, 0], counter-clockwise from the lower left corner; the
re-entrant corner is the origin."""


def lshape() -> Polygon:
    """The L-shape (-1, 1)^2 without [0, 1) x (-1, 0] (parts edge1..edge6; edge2 and edge3
    meet at the re-entrant corner (0, 0))."""
    return Polygon(LSHAPE_VERTICES)
