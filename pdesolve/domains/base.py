"""The Domain interface every solver poses its problem on.

A domain Omega in R^d is described by

- ``dim``, ``bounds`` (its bounding box, (lower, upper)), ``volume`` = |Omega|;
- ``contains(x)``: a boolean mask of the points of x (n, d) in the closed domain;
- ``level(x)``: a signed function, positive inside, zero on the boundary, negative outside
  (R-function composition makes CSG domains from it; array-API, so NumPy or torch);
- ``distance(x)``: an approximate distance function phi >= 0 in Omega, = 0 exactly on dOmega,
  for building Dirichlet values into networks (u = G + phi N);
- its boundary: named **parts**, each made of :mod:`pieces <.pieces>` (faces, segments,
  circles, spheres), and **groups** of parts (``"boundary"`` is always the whole of it);
- ``sample_interior(n, rng)`` and ``sample_boundary(n, rng)``: uniform points; boundary
  points come with outward normals, quadrature weights (summing to about |dOmega|) and
  the index of their part;
- ``mesh(h, order)``: a scikit-fem mesh of target size h with its boundary parts as facet
  sets (gmsh, :mod:`.meshing`), and ``quadrature(...)``: an accurate rule for error integrals.

:class:`Domain` implements what follows from the pieces; a shape implements ``dim``,
``bounds``, ``volume``, ``contains``, ``level``, its ``parts`` and ``build_occ`` (how gmsh
builds it). The box (:class:`~.box.Box`) overrides what it does faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from array_api_compat import array_namespace

from ..errors import ConfigError
from .pieces import Piece, constant_like

WHOLE_BOUNDARY = "boundary"
"""The group name of the whole boundary, defined on every domain."""

REJECTION_ROUNDS = 100
"""Rounds of rejection sampling before a domain counts as empty (each draws the missing
points over the fraction of the bounding box the domain fills, at least 1e-3)."""


@dataclass(frozen=True)
class Part:
    """A named part of the boundary: pieces, each kept where ``keep`` says (None: all of it).

    ``keep[i]`` is a function x (m, d) -> mask (NumPy) of the points of piece i that lie on
    the domain's boundary (a CSG domain keeps only parts of its children's boundaries);
    ``flip[i]`` reverses the piece's normal (a removed shape's normal points into it).
    """

    name: str
    pieces: tuple[Piece, ...]
    keep: tuple = ()
    flip: tuple[bool, ...] = ()

    def kept(self, i: int, x: np.ndarray) -> np.ndarray:
        rule = self.keep[i] if self.keep else None
        return np.ones(len(x), dtype=bool) if rule is None else rule(x)

    def flipped(self, i: int) -> bool:
        return bool(self.flip[i]) if self.flip else False

    def with_filter(self, keep, flip: bool = False) -> Part:
        """This part with every piece also filtered by ``keep`` (and its normal flipped)."""
        rules = []
        for i in range(len(self.pieces)):
            old = self.keep[i] if self.keep else None
            rules.append(keep if old is None else both(old, keep))
        flips = tuple(self.flipped(i) != flip for i in range(len(self.pieces)))
        return Part(self.name, self.pieces, tuple(rules), flips)

    def renamed(self, name: str) -> Part:
        return Part(name, self.pieces, self.keep, self.flip)


def check_part_names(names, where: str, taken=()) -> None:
    """ConfigError for a repeated boundary part name, or one that a group or another part
    already uses (``taken``, and the whole boundary's name)."""
    reserved = sorted({*taken, WHOLE_BOUNDARY})
    seen = set(reserved)
    for name in names:
        if name in seen:
            raise ConfigError(f"{where}: the name {name!r} is used twice or is reserved; "
                              f"give distinct names other than {', '.join(map(repr, reserved))}")
        seen.add(name)


def both(first, second):
    """The predicate x -> first(x) & second(x)."""
    return lambda x: first(x) & second(x)


@dataclass(frozen=True)
class BoundarySample:
    """Boundary points (m, d), outward normals (m, d), weights (m,) and part indices (m,).

    sum_j w_j v(x_j) estimates the surface integral of v over the sampled parts.
    """

    points: np.ndarray
    normals: np.ndarray
    weights: np.ndarray
    part: np.ndarray

    def __len__(self) -> int:
        return len(self.weights)


def lattice_points(lower, upper, budget: int = 5000) -> np.ndarray:
    """The tensor lattice of 2^k + 1 points per direction of the box [lower, upper]
    (corners, centre, halves, ...) with the most points up to ``budget`` (at least the 2^d
    corners), (m, d). Where 2^d exceeds the budget: the centre, the 2d face centres and
    ``budget`` corners drawn with a fixed seed."""
    per_axis, dim = 2, len(lower)
    if 2**dim > budget:
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        centre = (lower + upper) / 2
        faces = np.repeat(centre[None], 2 * dim, axis=0)
        faces[np.arange(dim), np.arange(dim)] = lower
        faces[dim + np.arange(dim), np.arange(dim)] = upper
        pick = np.random.default_rng(0).random((budget, dim)) < 0.5
        return np.concatenate([centre[None], faces, np.where(pick, upper, lower)])
    while (2 * per_axis - 1) ** dim <= budget:
        per_axis = 2 * per_axis - 1
    axes = [np.linspace(a, b, per_axis) for a, b in zip(lower, upper)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)


class Domain:
    """Base class of every domain (see the module docstring for the contract)."""

    dim: int
    kind: str = "domain"
    structured: bool = False
    """True for a tensor product of intervals (the box): structured meshes with cell tables,
    tensor grids and product rules exist, and solvers take those fast paths."""

    # -- what a shape provides ------------------------------------------------------------
    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @property
    def volume(self) -> float:
        raise NotImplementedError

    def contains(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        raise NotImplementedError

    def level(self, x):
        raise NotImplementedError

    @property
    def parts(self) -> tuple[Part, ...]:
        raise NotImplementedError

    def build_occ(self, occ) -> list[tuple[int, int]]:
        """Create the shape in gmsh's OpenCASCADE kernel ``occ``; its (dim, tag) pairs."""
        raise ConfigError(f"domain: {self.kind} domains cannot be meshed by gmsh")

    def to_dict(self) -> dict:
        raise NotImplementedError

    # -- what follows ----------------------------------------------------------------------
    @property
    def lengths(self) -> np.ndarray:
        """Edge lengths of the bounding box, (d,)."""
        lower, upper = self.bounds
        return upper - lower

    @property
    def diameter(self) -> float:
        """Diagonal of the bounding box."""
        return float(np.linalg.norm(self.lengths))

    @cached_property
    def groups(self) -> dict[str, tuple[int, ...]]:
        """Group name -> indices into ``parts``: every part by its own name, the whole
        boundary as ``"boundary"``, plus any groups the shape defines (``_groups``)."""
        out = {p.name: (i,) for i, p in enumerate(self.parts)}
        for name, members in self._groups().items():
            out[name] = tuple(i for i, p in enumerate(self.parts) if p.name in members)
        out[WHOLE_BOUNDARY] = tuple(range(len(self.parts)))
        return out

    def _groups(self) -> dict[str, tuple[str, ...]]:
        return {}

    def part_indices(self, names, where: str = "boundary part") -> tuple[int, ...]:
        """Indices of the parts named (part or group names); ConfigError listing the names."""
        out = []
        for name in [names] if isinstance(names, str) else names:
            if name not in self.groups:
                raise ConfigError(f"{where}: {name!r} is not a boundary part of this "
                                  f"{self.kind}; parts and groups: {', '.join(self.groups)}")
            out += self.groups[name]
        return tuple(dict.fromkeys(out))

    def pieces(self) -> list[tuple[int, int, Piece]]:
        """(part index, piece index within the part, piece) for every piece."""
        return [(k, i, piece) for k, part in enumerate(self.parts)
                for i, piece in enumerate(part.pieces)]

    @cached_property
    def piece_measures(self) -> np.ndarray:
        """Measure of the kept portion of each piece (pieces() order), by a 2^16-point
        sample of the piece where only part of it is kept."""
        rng = np.random.default_rng(12345)
        out = []
        for k, i, piece in self.pieces():
            part = self.parts[k]
            if part.keep and part.keep[i] is not None:
                x, _ = piece.sample(1 << 16, rng)
                out.append(piece.measure * float(np.mean(part.kept(i, x))))
            else:
                out.append(piece.measure)
        return np.asarray(out)

    @property
    def boundary_measure(self) -> float:
        """|dOmega| (2 in 1-D: the two end points, counted)."""
        return float(self.piece_measures.sum())

    def part_measure(self, names) -> float:
        """Total measure of the named parts or groups."""
        wanted = set(self.part_indices(names))
        return float(sum(m for (k, _, _), m in zip(self.pieces(), self.piece_measures)
                         if k in wanted))

    def corners(self) -> tuple[np.ndarray, np.ndarray]:
        """The corners of a 2-D domain's boundary, (m, 2), and whether each is convex (interior
        angle below pi), (m,); none for curved or higher-dimensional shapes."""
        return np.empty((0, self.dim)), np.empty(0, dtype=bool)

    def reentrant_corners(self) -> np.ndarray:
        """Corners with interior angle above pi, (m, d): where solutions of elliptic problems
        are singular in general (u ~ r^(pi/omega), omega the angle)."""
        points, convex = self.corners()
        return points[~convex]

    def special_points(self, budget: int = 5000) -> np.ndarray:
        """Points of the closed domain where formulas are often singular and random points
        never land, (m, d): the bounding box's lattice (corners, centre, halves, ...;
        :func:`lattice_points`), those in the domain."""
        lattice = lattice_points(*self.bounds, budget)
        return lattice[self.contains(lattice)]

    def sample_interior(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n uniform points of Omega, (n, d) (:meth:`points_from_unit` of uniform draws)."""
        return self.points_from_unit(lambda m: rng.random((m, self.dim)), n)

    def points_from_unit(self, draw, n: int):
        """n points of Omega, (n, d), from points of the unit cube: ``draw(m)`` gives m of them
        (NumPy or torch, uniform or Sobol), mapped onto the bounding box and kept where inside
        (rejection, at most ``REJECTION_ROUNDS`` rounds; the box keeps them all). ConfigError
        when the domain is empty or too thin to be sampled so."""
        lower, upper = self.bounds
        accepted, count = [], 0
        fraction = max(self.volume / float(np.prod(upper - lower)), 1e-3)
        for _ in range(REJECTION_ROUNDS):
            if count >= n:
                break
            unit = draw(int((n - count) / fraction) + 16)
            xp = array_namespace(unit)
            batch = constant_like(lower, unit) + constant_like(upper - lower, unit) * unit
            batch = batch[xp.asarray(self.contains(np.asarray(batch), tol=0.0))]
            accepted.append(batch)
            count += batch.shape[0]
        if count < n:
            raise ConfigError(f"domain: {count} of {n} random points of the bounding box fell "
                              f"inside; the {self.kind} is empty or too thin to sample")
        return xp.concat(accepted)[:n]

    def sample_boundary(self, n: int, rng: np.random.Generator,
                        parts=None) -> BoundarySample:
        """About n uniform points on the boundary (or on the named parts), spread over the
        pieces by measure (at least one draw per piece); weights = kept measure / kept count
        of each piece, so they sum to the sampled measure."""
        wanted = set(self.part_indices(parts)) if parts is not None else None
        entries = [(e, m) for e, m in zip(self.pieces(), self.piece_measures)
                   if wanted is None or e[0] in wanted]
        total = sum(m for _, m in entries) or 1.0
        xs, ns, ws, ks = [], [], [], []
        for (k, i, piece), kept_measure in entries:
            if kept_measure <= 1e-12 * piece.measure:  # a piece that touches the boundary only
                continue
            part = self.parts[k]
            want = max(1, int(round(n * kept_measure / total)))
            draws = int(np.ceil(1.2 * want * piece.measure / kept_measure)) + 8
            x, normal = piece.sample(draws, rng)
            mask = part.kept(i, x)
            x, normal = x[mask][:want], normal[mask][:want]
            if not len(x):
                continue
            xs.append(x)
            ns.append(-normal if part.flipped(i) else normal)
            ws.append(np.full(len(x), kept_measure / len(x)))
            ks.append(np.full(len(x), k))
        return BoundarySample(np.concatenate(xs), np.concatenate(ns), np.concatenate(ws),
                              np.concatenate(ks))

    def distance(self, x):
        """phi(x) >= 0 in Omega, 0 on dOmega: the signed ``level`` (R-function composition)."""
        return self.level(x)

    def extension(self, x, values_by_part):
        """G(x) = sum_i g_i(P_i x) / phi_i(x) / sum_i 1 / phi_i(x) over the pieces i
        (transfinite interpolation, Rvachev): G = g_i on piece i, smooth in between, using
        boundary values only. ``values_by_part[k]`` is g on part k, x (m, d) -> (m,)."""
        xp = array_namespace(x)
        tiny = 1e-14 * self.diameter
        numerator = denominator = 0.0
        for k, _, piece in self.pieces():
            inverse = 1.0 / xp.clip(piece.distance(x), tiny, None)
            numerator = numerator + inverse * values_by_part[k](piece.project(x))
            denominator = denominator + inverse
        return numerator / denominator

    def mesh(self, h: float, order: int = 1, cells: str = "simplex"):
        """A scikit-fem mesh of target size h whose ``boundaries`` are the parts (gmsh);
        ``cells``: "simplex" (triangles, tetrahedra) or "tensor" (quadrilaterals, 2-D)."""
        from .meshing import generate_mesh

        return generate_mesh(self, h, order, cells)

    def mesh_at(self, n: int, order: int = 1, cells: str = "simplex"):
        """The FEM mesh of resolution n: cells of size (longest side of the bounding box) / n,
        straight (order 1) or quadratic (order 2, curved boundaries)."""
        self.check_resolution(n)
        h = float(np.max(self.lengths)) / n
        # a simplex mesh by the two-argument call, which subclasses written before cells may keep
        return self.mesh(h, order) if cells == "simplex" else self.mesh(h, order, cells)

    def check_resolution(self, n: int) -> None:
        """ConfigError ("n: ...") if the resolution n has no mesh on this domain."""

    def error_rules(self, **evaluation):
        """The family of error-measurement rules for functions without cells of their own
        (networks, NGSolve's solution): :func:`pdesolve.quadrature.domain_rules` (rules on
        quadratic gmsh meshes, finer at each level). Of ``evaluation`` (a case's
        ``[evaluation]`` keys) ``cells`` sets the first rule's cells per diameter; the box's
        other keys are not used here."""
        from ..quadrature import domain_rules

        return domain_rules(self, evaluation.get("cells"))

    def quadrature(self, h: float | None = None, intorder: int = 8):
        """An accurate rule for integrals over Omega: a quadratic gmsh mesh of size h
        (default: diameter / 100) with a degree-``intorder`` rule on each cell."""
        from .meshing import mesh_quadrature

        return mesh_quadrature(self, h or self.diameter / 100, intorder)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()})"
