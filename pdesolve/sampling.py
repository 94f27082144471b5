"""Training points for neural solvers: interior and boundary samplers on a box.

Each sampler returns points with integration weights, so that for a function v

    integral over Omega  v  ~  w * sum_i v(x_i)        (interior, one weight w)
    integral over dOmega v  ~  sum_j w_j v(y_j)        (boundary, weights per point)

Interior kinds:
- ``uniform``: n i.i.d. uniform points, redrawn at every call, w = |Omega| / n;
- ``sobol``: the next n points of one scrambled Sobol sequence, w = |Omega| / n;
- ``grid`` (1-D only): the n + 1 evenly spaced points a = x_0 < ... < x_n = b, fixed,
  w = (b - a) / n -- the sum of the frequency-principle paper.

Boundary points are spread over the 2d faces in proportion to their areas (at least one per
face); a point on face f has weight area_f / n_f, so the penalty estimates the surface
integral. In 1-D the boundary is the two end points, one point each, weight 1 (counting
measure, |dOmega| = 2).

Randomness comes only from explicit generators seeded by the caller; samplers draw on the
CPU (the same points on every device) and move the points to the target device.
Their state (``state_dict``/``load_state_dict``) makes a resumed run draw the same points.
"""

from __future__ import annotations

import numpy as np
import torch

from .domains import Box
from .errors import ConfigError

INTERIOR_KINDS = ("uniform", "sobol", "grid")


class _Draw:
    """Uniform-in-[0,1]^d draws from a seeded torch generator or scrambled Sobol engine."""

    def __init__(self, dim: int, kind: str, seed: int):
        self.kind = kind
        self.seed = seed
        self.dim = dim
        if kind == "sobol":
            self.engine = torch.quasirandom.SobolEngine(dim, scramble=True, seed=seed)
        else:
            self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        if self.kind == "sobol":
            return self.engine.draw(n, dtype=dtype)
        return torch.rand(n, self.dim, generator=self.generator, dtype=dtype)

    def state_dict(self) -> dict:
        if self.kind == "sobol":
            return {"num_generated": int(self.engine.num_generated)}
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        if self.kind == "sobol":
            self.engine = torch.quasirandom.SobolEngine(self.dim, scramble=True, seed=self.seed)
            self.engine.fast_forward(state["num_generated"])
        else:
            self.generator.set_state(state["generator"])


class InteriorSampler:
    """Points in Omega: ``sample() -> x`` of shape (n, d) (n + 1 for ``grid``), weight ``w``."""

    def __init__(self, box: Box, n: int, kind: str = "uniform", *, seed: int = 0,
                 dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"):
        if kind not in INTERIOR_KINDS:
            raise ConfigError(f"sampler: unknown sampler {kind!r}; valid: {', '.join(INTERIOR_KINDS)}")
        if kind == "grid" and box.dim != 1:
            raise ConfigError(f"sampler: 'grid' is for 1-D problems, this one has d = {box.dim}")
        self.box, self.n, self.kind = box, int(n), kind
        self.dtype, self.device = dtype, torch.device(device)
        self.lower = torch.tensor(box.lower, dtype=dtype)
        self.lengths = torch.tensor(box.lengths, dtype=dtype)
        self.weight = box.volume / self.n
        if kind == "grid":
            grid = torch.linspace(box.lower[0], box.upper[0], self.n + 1, dtype=dtype)
            self.fixed = grid[:, None].to(self.device)
        else:
            self.draw = _Draw(box.dim, kind, seed)

    @property
    def resamples(self) -> bool:
        """True when each call returns new points."""
        return self.kind != "grid"

    def sample(self) -> torch.Tensor:
        if self.kind == "grid":
            return self.fixed
        x = self.lower + self.lengths * self.draw(self.n, self.dtype)
        return x.to(self.device)

    def state_dict(self) -> dict:
        return {} if self.kind == "grid" else self.draw.state_dict()

    def load_state_dict(self, state: dict) -> None:
        if self.kind != "grid":
            self.draw.load_state_dict(state)


def face_counts(box: Box, n: int) -> np.ndarray:
    """Points per face, faces ordered (lower_1, upper_1, lower_2, ...), proportional to area.

    Largest-remainder rounding, at least one point per face; one per end point in 1-D.
    """
    faces = 2 * box.dim
    if box.dim == 1:
        return np.ones(2, dtype=int)
    n = max(int(n), faces)
    share = box.face_areas() / box.boundary_measure * (n - faces)
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: n - faces - counts.sum()]] += 1
    return counts + 1


class BoundarySampler:
    """Points on dOmega: ``sample() -> (y, w)``, y (m, d) and weights w (m,) summing to |dOmega|."""

    def __init__(self, box: Box, n: int, kind: str = "uniform", *, seed: int = 1,
                 dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"):
        self.box, self.dtype, self.device = box, dtype, torch.device(device)
        counts = face_counts(box, n)
        faces = torch.repeat_interleave(torch.arange(2 * box.dim), torch.as_tensor(counts))
        self.axis = faces // 2
        self.upper_side = (faces % 2).bool()
        self.rows = torch.arange(len(faces))
        areas = box.face_areas() if box.dim > 1 else np.ones(2)
        self.weights = torch.as_tensor(np.repeat(areas / counts, counts), dtype=dtype).to(self.device)
        lower = torch.tensor(box.lower, dtype=dtype)
        upper = torch.tensor(box.upper, dtype=dtype)
        self.lower, self.lengths = lower, upper - lower
        self.face_value = torch.where(self.upper_side, upper[self.axis], lower[self.axis])
        self.fixed = box.dim == 1
        self.draw = None if self.fixed else _Draw(box.dim, kind, seed)
        if self.fixed:
            self.points = self._snap(self.lower.expand(len(faces), -1).clone())

    def _snap(self, x: torch.Tensor) -> torch.Tensor:
        x[self.rows, self.axis] = self.face_value
        return x.to(self.device)

    def sample(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fixed:
            return self.points, self.weights
        x = self.lower + self.lengths * self.draw(len(self.rows), self.dtype)
        return self._snap(x), self.weights

    def state_dict(self) -> dict:
        return {} if self.draw is None else self.draw.state_dict()

    def load_state_dict(self, state: dict) -> None:
        if self.draw is not None:
            self.draw.load_state_dict(state)
