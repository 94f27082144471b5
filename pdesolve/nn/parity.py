"""Parity under the point reflection through the box centre, built into a network.

With c the centre of Omega and x' = 2c - x the reflection of x, a network N is replaced by

    u(x) = (N(x) + s N(x')) / 2,   s = +1 ("even": u(x') = u(x)) or -1 ("odd": u(x') = -u(x)),

which has the parity exactly, for every parameter value. The solution has it when the
data do: kappa even, f and g both even (or both odd). Jacobi from u = 0 keeps that parity
too (its iteration commutes with the reflection), so a network with the parity can be
compared with, and handed over to, Jacobi without bringing in the modes of the other parity.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..problems.base import Problem

SIGNS = {"even": 1.0, "odd": -1.0}


class Parity(nn.Module):
    """u(x) = (N(x) + s N(2c - x)) / 2 for a model N: (n, d) -> (n,)."""

    def __init__(self, model: nn.Module, lower, upper, parity: str):
        super().__init__()
        self.model = model
        self.sign = SIGNS[parity]
        self.register_buffer("twice_centre", torch.as_tensor(np.add(lower, upper)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        both = self.model(torch.cat([x, self.twice_centre - x]))
        own, mirrored = both[: len(x)], both[len(x):]
        return (own + self.sign * mirrored) / 2


def check_parity(problem: Problem, parity: str, points: int = 256, seed: int = 0) -> None:
    """Raise ConfigError unless kappa is even and f, g have ``parity`` at random points.

    The check samples the box (kappa, f) and its boundary (g); a mismatch above 1e-8 times
    max(1, largest value) names the offending function (absolute below 1: round-off zeros
    such as sin(pi) pass).
    """
    sign = SIGNS[parity]
    box = problem.domain
    rng = np.random.default_rng(seed)
    lower, upper = np.asarray(box.lower), np.asarray(box.upper)
    unit = rng.random((points, box.dim))
    x = lower + (upper - lower) * unit
    on_boundary = box.boundary_points(unit, 2 * rng.integers(box.dim, size=points)
                                      + (rng.random(points) >= 0.5))
    for name, fn, s, pts in (("kappa", problem.kappa, 1.0, x), ("f", problem.f, sign, x),
                             ("g", problem.g, sign, on_boundary)):
        own, mirrored = fn(pts), fn(lower + upper - pts)
        scale = max(float(np.max(np.abs(own))), 1.0)
        if np.max(np.abs(mirrored - s * own)) > 1e-8 * scale:
            wanted = "even" if s > 0 else "odd"
            raise ConfigError(
                f"parity: {parity!r} needs kappa even and f, g {parity} under x -> "
                f"lower + upper - x; {problem.name}'s {name} is not {wanted}")
