"""Axis-aligned boxes: the domains of the PDE family."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from array_api_compat import array_namespace

from .errors import ConfigError

MAX_DIM = 10
"""Boxes have 1..MAX_DIM dimensions (the PDE family of DESIGN.md)."""


def check_dim(dim, where: str = "dim") -> int:
    """``dim`` as an int; ConfigError ("<where>: ...") unless it is an integer in 1..MAX_DIM."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not 1 <= dim <= MAX_DIM:
        raise ConfigError(f"{where}: must be an integer from 1 to {MAX_DIM}, got {dim!r}")
    return int(dim)


@dataclass(frozen=True)
class Box:
    """The box [a_1, b_1] x ... x [a_d, b_d].

    Parameters
    ----------
    lower, upper : sequences of d floats with lower[i] < upper[i], 1 <= d <= MAX_DIM.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def __post_init__(self):
        lower = tuple(float(a) for a in self.lower)
        upper = tuple(float(b) for b in self.upper)
        if len(lower) != len(upper):
            raise ConfigError(
                f"domain: lower and upper bounds need the same length, got "
                f"{len(lower)} and {len(upper)}"
            )
        check_dim(len(lower), "domain: dimension")
        bad = [i for i, (a, b) in enumerate(zip(lower, upper)) if not a < b]
        if bad:
            raise ConfigError(
                f"domain: lower bound must be below upper bound in every direction; "
                f"direction {bad[0] + 1} has [{lower[bad[0]]}, {upper[bad[0]]}]"
            )
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @classmethod
    def cube(cls, dim: int, a: float = 0.0, b: float = 1.0) -> "Box":
        """The cube [a, b]^dim."""
        dim = check_dim(dim)
        return cls((a,) * dim, (b,) * dim)

    @property
    def dim(self) -> int:
        return len(self.lower)

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
        areas = self.volume / self.lengths
        return np.repeat(areas, 2)

    @property
    def boundary_measure(self) -> float:
        """|dOmega|: total face area (2 in 1-D, counting the two end points)."""
        return float(self.face_areas().sum())

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

    def contains(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Boolean mask of points of x (n, d) inside the closed box."""
        x = np.asarray(x)
        return np.all((x >= np.subtract(self.lower, tol)) & (x <= np.add(self.upper, tol)), axis=1)

    def on_boundary(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Boolean mask of points of x (n, d) on dOmega (within tol)."""
        x = np.asarray(x)
        near = np.isclose(x, self.lower, atol=tol, rtol=0) | np.isclose(x, self.upper, atol=tol, rtol=0)
        return self.contains(x, tol) & np.any(near, axis=1)

    def to_dict(self) -> dict:
        return {"lower": list(self.lower), "upper": list(self.upper)}
