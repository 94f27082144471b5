"""Axis-aligned boxes [a_1, b_1] x ... x [a_d, b_d], d = 1..10."""

from __future__ import annotations

import math

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from array_api_compat import array_namespace

from ..errors import ConfigError
from .base import Domain, Part
from .pieces import Face, constant_like
from .rfunctions import conjunction

MAX_DIM = 100
"""Boxes have 1..MAX_DIM dimensions: DESIGN.md's 1..10 for every method, and on to 100 for
the methods whose cost does not grow exponentially in d (networks, random features)."""


def check_dim(dim, where: str = "dim") -> int:
    """``dim`` as an int; ConfigError ("<where>: ...") unless it is an integer in 1..MAX_DIM."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not 1 <= dim <= MAX_DIM:
        raise ConfigError(f"{where}: must be an integer from 1 to {MAX_DIM}, got {dim!r}")
    return int(dim)


def box_only(domain: Domain, method: str) -> str | None:
    """None for a box, else the one line a solver that needs a box gives (``supports``)."""
    if domain.structured:
        return None
    return (f"{method} needs a box domain; the problem's domain is a {domain.kind} "
            f"(FEM solves on any 2-D or 3-D domain)")


@dataclass(frozen=True, eq=True, repr=False)
class Box(Domain):
    """The box [lower_1, upper_1] x ... x [lower_d, upper_d].

    Boundary parts: the 2d faces ``x1min, x1max, x2min, ...`` (in 1-D the two end points).
    Fast paths chosen because the domain is a box: tensor grids, structured FEM meshes with
    arithmetic point location, tensor Gauss rules, exact face sampling.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    kind = "box"
    structured = True

    def __post_init__(self):
        lower = tuple(float(a) for a in self.lower)
        upper = tuple(float(b) for b in self.upper)
        if len(lower) != len(upper):
            raise ConfigError(
                f"domain: lower and upper bounds need the same length, got "
                f"{len(lower)} and {len(upper)}"
            )
        check_dim(len(lower), "domain: dimension")
        bad = [i for i, (a, b) in enumerate(zip(lower, upper))
               if not (a < b and math.isfinite(b - a))]
        if bad:
            raise ConfigError(
                f"domain: lower bound must be below upper bound, both finite, in every "
                f"direction; direction {bad[0] + 1} has [{lower[bad[0]]}, {upper[bad[0]]}]"
            )
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @classmethod
    def cube(cls, dim: int, a: float = 0.0, b: float = 1.0) -> Box:
        """The cube [a, b]^dim."""
        dim = check_dim(dim)
        return cls((a,) * dim, (b,) * dim)

    @property
    def dim(self) -> int:
        return len(self.lower)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.lower), np.asarray(self.upper)

    @property
    def lengths(self) -> np.ndarray:
        """Edge lengths b_i - a_i, shape (d,)."""
        return np.subtract(self.upper, self.lower)

    @property
    def volume(self) -> float:
        """|Omega| = prod_i (b_i - a_i)."""
        return float(np.prod(self.lengths))

    def face_areas(self) -> np.ndarray:
        """Areas of the 2d faces, ordered (lower_1, upper_1, lower_2, ...), shape (2d,).

        In 1-D each 'face' is a point of measure 1 (counting measure).
        """
        if self.dim == 1:
            return np.ones(2)
        return np.repeat(self.volume / self.lengths, 2)

    def boundary_points(self, unit, face):
        """Points on dOmega from uniform draws, (n, d), NumPy or torch like ``unit``.

        unit : (n, d) in [0, 1]^d; face : (n,) integers in 0 .. 2d - 1, ordered as
        :meth:`face_areas`. Point i is a + (b - a) unit_i with coordinate face_i // 2 set to
        that face's value (a or b).
        """
        xp = array_namespace(unit)
        lower = xp.asarray(self.lower, dtype=unit.dtype)
        upper = xp.asarray(self.upper, dtype=unit.dtype)
        x = lower + (upper - lower) * unit
        axis = face // 2
        x[xp.arange(x.shape[0]), axis] = xp.where(face % 2 == 1, upper[axis], lower[axis])
        return x

    @cached_property
    def parts(self) -> tuple[Part, ...]:
        return tuple(
            Part(f"x{k + 1}{side}", (Face(self.lower, self.upper, k, value, sign),))
            for k in range(self.dim)
            for side, value, sign in (("min", self.lower[k], -1.0), ("max", self.upper[k], 1.0)))

    @cached_property
    def piece_measures(self) -> np.ndarray:
        return self.face_areas()

    def corners(self):
        """In 2-D the four corners, all convex; none in other dimensions."""
        if self.dim != 2:
            return super().corners()
        (a, c), (b, d) = self.lower, self.upper
        return np.array([[a, c], [b, c], [b, d], [a, d]]), np.ones(4, dtype=bool)

    def contains(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Boolean mask of points of x (n, d) inside the closed box (within tol)."""
        x = np.asarray(x)
        return np.all((x >= np.subtract(self.lower, tol)) & (x <= np.add(self.upper, tol)), axis=1)

    def on_boundary(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Boolean mask of points of x (n, d) on dOmega (within tol)."""
        x = np.asarray(x)
        near = (np.isclose(x, self.lower, atol=tol, rtol=0)
                | np.isclose(x, self.upper, atol=tol, rtol=0))
        return self.contains(x, tol) & np.any(near, axis=1)

    def level(self, x):
        """R-conjunction of the 2d half-spaces x_k - a_k >= 0, b_k - x_k >= 0."""
        lower, upper = constant_like(self.lower, x), constant_like(self.upper, x)
        return conjunction(*[(x - lower)[:, k] for k in range(self.dim)],
                           *[(upper - x)[:, k] for k in range(self.dim)])

    def distance(self, x):
        """phi = prod_k 4 (x_k - a_k)(b_k - x_k) / (b_k - a_k)^2: 0 on dOmega, 1 at the centre."""
        xp = array_namespace(x)
        lower, upper = constant_like(self.lower, x), constant_like(self.upper, x)
        return xp.prod(4 * (x - lower) * (upper - x) / (upper - lower) ** 2, axis=1)

    def points_from_unit(self, draw, n: int):
        """a + (b - a) * draw(n): every point of the unit cube maps into the box."""
        unit = draw(n)
        lower, lengths = constant_like(self.lower, unit), constant_like(self.lengths, unit)
        return lower + lengths * unit

    def build_occ(self, occ) -> list[tuple[int, int]]:
        if self.dim == 2:
            return [(2, occ.addRectangle(*self.lower, 0.0, *self.lengths))]
        if self.dim == 3:
            return [(3, occ.addBox(*self.lower, *self.lengths))]
        return super().build_occ(occ)

    def mesh(self, h: float, order: int = 1, cells: str = "simplex"):
        """A structured mesh (scikit-fem's ``init_tensor``): ceil(L_k / h) equal cells in
        direction k, intervals, or squares / cubes (``cells = "tensor"``) each split into 2
        triangles / 6 tetrahedra (``cells = "simplex"``); its nodes lie on every multiple of the
        cell size, so it follows interfaces there (a coefficient that jumps at
        x_k = a_k + j L_k / n_k is integrated cell by cell). The boundaries are the faces
        x1min, ... The box's sides are straight: ``order`` changes nothing."""
        import skfem

        if self.dim > 3:
            return super().mesh(h, order, cells)
        counts = [max(1, int(np.ceil(length / h - 1e-9))) for length in self.lengths]
        axes = [np.linspace(a, b, n + 1) for a, b, n in zip(self.lower, self.upper, counts)]
        kinds = ((skfem.MeshLine, skfem.MeshTri, skfem.MeshTet) if cells == "simplex"
                 else (skfem.MeshLine, skfem.MeshQuad, skfem.MeshHex))
        mesh = kinds[self.dim - 1].init_tensor(*axes)
        tol = 1e-9 * float(np.max(self.lengths))
        return mesh.with_boundaries({
            part.name: (lambda x, k=k, v=part.pieces[0].value: np.abs(x[k] - v) < tol)
            for k, part in zip(np.repeat(np.arange(self.dim), 2), self.parts)})

    def error_rules(self, **evaluation):
        """:func:`pdesolve.quadrature.box_rules`: composite Gauss (d <= 3) or randomised Sobol
        (d > 3); ``evaluation`` (seed, n_sobol, cells, order) sets its first rule."""
        from ..quadrature import box_rules

        return box_rules(self, **evaluation)

    def to_dict(self) -> dict:
        return {"lower": list(self.lower), "upper": list(self.upper)}

    def __repr__(self) -> str:
        return f"Box(lower={self.lower}, upper={self.upper})"
