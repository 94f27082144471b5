"""Training points for neural solvers: interior and boundary samplers on any domain.

Each sampler returns points with integration weights, so that for a function v

    integral over Omega  v  ~  sum_i w_i v(x_i)        (interior, ``weight``: one number, or
                                                        one per point for ``gauss``)
    integral over dOmega v  ~  sum_j w_j v(y_j)        (boundary, weights per point)

Kinds (interior and boundary alike):
- ``uniform``: i.i.d. uniform points;
- ``sobol``: consecutive points of one scrambled Sobol sequence;
- ``grid``: the nodes of the tensor grid with n equal intervals per direction, fixed.
  Interior: in 1-D all n + 1 nodes a = x_0 < ... < x_n = b (the sum of the
  frequency-principle paper); in d >= 2 the (n - 1)^d nodes off the boundary (the ENGD paper's
  deterministic grid: n = 29 gives its 28 x 28 points). Boundary: the nodes of the same kind of
  grid that lie on dOmega, each once (n = 29 in 2-D: 29 per side, 116 in all), equal weights
  |dOmega| / count (exact face weighting for cubes; for other boxes the faces are weighted by
  their node counts).
- ``gauss``: the composite Gauss-Legendre rule with n equal cells per direction and ``order``
  points per cell and direction (:func:`pdesolve.quadrature.gauss_rule`), fixed, its own
  weights; on the boundary the same rule on every face. Exact for polynomials of degree
  2 order - 1 per cell: for smooth integrands (a Ritz energy) far more accurate than any of
  the others at the same number of points.

With ``resample`` (the default) uniform and Sobol samplers return new points at every call;
without it they return the points of their first draw at every call (a fixed training set).
Interior random points have weight |Omega| / n. Random boundary points are spread over the 2d
faces in proportion to their areas (at least one per face), weight area_f / n_f; in 1-D the
boundary is the two end points, weight 1 each (counting measure, |dOmega| = 2).

On a domain other than a box (:mod:`pdesolve.domains`): uniform and Sobol interior points are
the draws of the bounding box that fall inside Omega (rejection, so Sobol points stay
low-discrepancy), weight |Omega| / n; ``grid`` keeps the bounding box's grid nodes strictly
inside Omega, weight |Omega| / count; ``gauss`` is a rule of degree 2 order - 1 (or the next with positive weights) on every cell of
a quadratic gmsh mesh of size (longest bounding-box edge) / n (:meth:`Domain.quadrature`).
Boundary points are the domain's uniform draws (:meth:`Domain.sample_boundary`: spread over
its pieces by measure, weights kept measure / count), redrawn at every call for ``uniform`` and
``sobol`` with ``resample``, else fixed.

Randomness comes only from explicit generators seeded by the caller; samplers draw on the
CPU (the same points on every device) and move the points to the target device.
Their state (``state_dict``/``load_state_dict``) makes a resumed run draw the same points.
"""

from __future__ import annotations

import numpy as np
import torch

from ..domains import Box, Domain
from ..errors import ConfigError
from ..quadrature import gauss_rule
from .options import check_gauss_size, check_grid_size

KINDS = ("uniform", "sobol", "grid", "gauss")


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


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"sampler: unknown sampler {kind!r}; valid: {', '.join(KINDS)}")


def grid_nodes(box: Box, n: int, field: str) -> tuple[np.ndarray, np.ndarray]:
    """All nodes (m, d) of the tensor grid with ``n`` intervals per direction, and a boolean
    mask (m,) of those on dOmega. ConfigError (naming ``field``) for n < 2 or a huge grid."""
    if n < 2:
        raise ConfigError(f"{field}: a grid needs at least 2 intervals per direction, got {n}")
    check_grid_size(box.dim, n, field)
    axes = [np.linspace(a, b, n + 1) for a, b in zip(box.lower, box.upper)]
    index = np.stack(np.meshgrid(*[np.arange(n + 1)] * box.dim, indexing="ij"), -1)
    index = index.reshape(-1, box.dim)
    nodes = np.stack([axes[i][index[:, i]] for i in range(box.dim)], axis=1)
    return nodes, np.any((index == 0) | (index == n), axis=1)


def face_rule(box: Box, cells: int, order: int,
              faces=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The composite Gauss rule of every face of ``box`` (d >= 2), or of the faces numbered
    ``faces`` (2 k: x_k = a_k, 2 k + 1: x_k = b_k, the order of ``box.parts``): points (m, d),
    weights (m,), face numbers (m,)."""
    check_gauss_size(box.dim - 1, cells, order, "batch_boundary")
    points, weights, numbers = [], [], []
    for axis in range(box.dim):
        rest = [i for i in range(box.dim) if i != axis]
        face = Box(tuple(box.lower[i] for i in rest), tuple(box.upper[i] for i in rest))
        rule = gauss_rule(face, cells, order)
        for side, value in enumerate((box.lower[axis], box.upper[axis])):
            if faces is not None and 2 * axis + side not in faces:
                continue
            points.append(np.insert(rule.points, axis, value, axis=1))
            weights.append(rule.weights)
            numbers.append(np.full(len(rule.weights), 2 * axis + side))
    return np.concatenate(points), np.concatenate(weights), np.concatenate(numbers)


def face_normals(box: Box, numbers: np.ndarray) -> np.ndarray:
    """Outward unit normals (m, d) of the box's faces numbered ``numbers``."""
    normals = np.zeros((len(numbers), box.dim))
    normals[np.arange(len(numbers)), numbers // 2] = np.where(numbers % 2 == 1, 1.0, -1.0)
    return normals


class _Sampler:
    """Fixed points (``fixed``) or new draws at every call (``draw``, ``_random``)."""

    fixed = None
    draw: _Draw

    @property
    def resamples(self) -> bool:
        """True when each call returns new points."""
        return self.fixed is None

    def _random(self):
        raise NotImplementedError

    def sample(self):
        return self._random() if self.fixed is None else self.fixed

    def state_dict(self) -> dict:
        return self.draw.state_dict() if self.resamples else {}

    def load_state_dict(self, state: dict) -> None:
        if self.resamples:
            self.draw.load_state_dict(state)


class InteriorSampler(_Sampler):
    """Points in Omega: ``sample() -> x`` of shape (n, d), ``weight`` (see the module doc)."""

    def __init__(self, domain: Domain, n: int, kind: str = "uniform", *, resample: bool = True,
                 order: int = 4, seed: int = 0, dtype: torch.dtype = torch.float32,
                 device: str | torch.device = "cpu"):
        _check_kind(kind)
        self.domain, self.n, self.kind = domain, int(n), kind
        self.dtype, self.device = dtype, torch.device(device)
        self.fixed = None
        if kind in ("gauss", "grid"):
            points, weight = _fixed_interior(domain, self.n, kind, order)
            self.fixed = torch.as_tensor(points, dtype=dtype).to(self.device)
            self.weight = (torch.as_tensor(weight, dtype=dtype).to(self.device)
                           if isinstance(weight, np.ndarray) else weight)
            return
        self.weight = domain.volume / self.n
        self.draw = _Draw(domain.dim, kind, seed)
        if not resample:
            self.fixed = self._random()

    def _random(self) -> torch.Tensor:
        points = self.domain.points_from_unit(lambda m: self.draw(m, self.dtype), self.n)
        return points.to(self.device)


def _fixed_interior(domain: Domain, n: int, kind: str, order: int):
    """(points, weights) of the fixed interior kinds: weights one number or (m,)."""
    if kind == "gauss":
        check_gauss_size(domain.dim, n, order, "batch_interior")
        if domain.structured:
            rule = gauss_rule(domain, n, order)
            return rule.points, rule.weights
        from ..domains.meshing import positive_degree  # gmsh only for such domains

        # positive weights: the Ritz Gauss-Newton factor takes their square roots
        degree = positive_degree(domain.dim, 2 * order - 1)
        return domain.quadrature(float(max(domain.lengths)) / n, degree)
    if domain.dim == 1 and domain.structured:
        return np.linspace(domain.lower[0], domain.upper[0], n + 1)[:, None], domain.volume / n
    box = domain if domain.structured else Box(*domain.bounds)
    nodes, on_boundary = grid_nodes(box, n, "batch_interior")
    inside = ~on_boundary
    if not domain.structured:
        inside &= np.asarray(domain.level(nodes)) > 1e-9 * domain.diameter
    if not inside.any():
        raise ConfigError(f"batch_interior: a grid with {n} intervals per direction has no "
                          f"node inside the {domain.kind}; use more intervals")
    return nodes[inside], domain.volume / int(inside.sum())


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


class _BoundaryDraw:
    """The seeded NumPy generator of a domain's boundary draws, with its state."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def state_dict(self) -> dict:
        return {"bit_generator": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["bit_generator"]


class BoundarySampler(_Sampler):
    """Points on dOmega: ``sample() -> (y, w)``, y (m, d) and weights w (m,) summing to |dOmega|
    (or, with ``parts``, to the measure of those boundary parts, drawn uniformly on them)."""

    def __init__(self, domain: Domain, n: int, kind: str = "uniform", *, resample: bool = True,
                 order: int = 4, seed: int = 1, dtype: torch.dtype = torch.float32,
                 device: str | torch.device = "cpu", parts: tuple[str, ...] | None = None):
        _check_kind(kind)
        self.domain, self.n, self.dtype, self.device = domain, int(n), dtype, torch.device(device)
        self.draw = self.fixed = None
        self.parts = parts
        if domain.structured and parts is not None and kind == "gauss" and domain.dim > 1:
            points, weights, _ = face_rule(domain, int(n), order, domain.part_indices(parts))
            self.fixed = (torch.as_tensor(points, dtype=dtype).to(self.device),
                          torch.as_tensor(weights, dtype=dtype).to(self.device))
            return
        if not domain.structured or parts is not None:
            self.draw = _BoundaryDraw(seed)
            if not (resample and kind in ("uniform", "sobol")):
                self.fixed = self._random()
            return
        box = domain
        if box.dim == 1:
            ends = torch.tensor([[box.lower[0]], [box.upper[0]]], dtype=dtype)
            self.fixed = ends.to(self.device), torch.ones(2, dtype=dtype, device=self.device)
            return
        if kind == "gauss":
            points, weights, _ = face_rule(box, int(n), order)
            self.fixed = (torch.as_tensor(points, dtype=dtype).to(self.device),
                          torch.as_tensor(weights, dtype=dtype).to(self.device))
            return
        if kind == "grid":
            nodes, on_boundary = grid_nodes(box, int(n), "batch_boundary")
            y = torch.as_tensor(nodes[on_boundary], dtype=dtype).to(self.device)
            self.fixed = y, torch.full((len(y),), box.boundary_measure / len(y), dtype=dtype,
                                       device=self.device)
            return
        counts = face_counts(box, n)
        self.faces = torch.repeat_interleave(torch.arange(2 * box.dim), torch.as_tensor(counts))
        self.weights = torch.as_tensor(np.repeat(box.face_areas() / counts, counts),
                                       dtype=dtype).to(self.device)
        self.draw = _Draw(box.dim, kind, seed)
        if not resample:
            self.fixed = self._random()

    def _random(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.domain.structured or self.parts is not None:
            sample = self.domain.sample_boundary(self.n, self.draw.rng, parts=self.parts)
            return (torch.as_tensor(sample.points, dtype=self.dtype).to(self.device),
                    torch.as_tensor(sample.weights, dtype=self.dtype).to(self.device))
        x = self.domain.boundary_points(self.draw(len(self.faces), self.dtype), self.faces)
        return x.to(self.device), self.weights
