"""Constructive solid geometry: union, intersection and difference of domains (2-D/3-D).

The level function of a combination is the R-function combination of its members'
(:mod:`.rfunctions`); its boundary is made of the members' boundary pieces, each kept
where it bounds the combination (a hole's circle where it lies in the base, the base's
sides where they are not inside a hole); gmsh builds the same combination with its
OpenCASCADE Boolean operations (:mod:`.meshing`), whose exact area/volume is |Omega|.

Boundary part names: a difference keeps its base's part names and calls the parts of the
removed shapes ``hole1``, ``hole2``, ... (``hole1_outer`` ... when a removed shape has
several parts), or the names given; the groups ``outer`` (the base's boundary) and
``holes`` (all removed shapes') name them together. A union or intersection keeps its
members' part names, prefixed by ``m1_``, ``m2_`` ... only where two members' names clash.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import ConfigError
from .base import Domain, Part, both, check_part_names
from .rfunctions import conjunction, disjunction


def _check_members(members, kind: str) -> tuple[Domain, ...]:
    members = tuple(members)
    if not members:
        raise ConfigError(f"domain: a {kind} needs at least one member")
    dims = {m.dim for m in members}
    if len(dims) > 1:
        raise ConfigError(f"domain: the members of a {kind} have different dimensions "
                          f"{sorted(dims)}")
    if dims - {2, 3}:
        raise ConfigError(f"domain: {kind} domains are 2-D or 3-D, got d = {dims.pop()}")
    return members


def _outside_all(others):
    """x -> points not strictly inside any of ``others``."""
    return lambda x: ~np.any([o.contains(x, tol=-1e-12) for o in others], axis=0)


def _inside_all(others):
    """x -> points in the closure of every one of ``others``."""
    return lambda x: np.all([o.contains(x, tol=1e-12) for o in others], axis=0)


def _prefixed(groups: list[tuple[Part, ...]]) -> list[list[Part]]:
    """Members' parts, prefixed ``m<i>_`` where a name occurs in two members."""
    counts: dict[str, int] = {}
    for parts in groups:
        for p in parts:
            counts[p.name] = counts.get(p.name, 0) + 1
    return [[p.renamed(f"m{i + 1}_{p.name}") if counts[p.name] > 1 else p for p in parts]
            for i, parts in enumerate(groups)]


class _Combination(Domain):
    """What union, intersection and difference share: dimension, gmsh volume, serialisation."""

    members: tuple[Domain, ...]

    @property
    def dim(self) -> int:
        return self.members[0].dim

    @cached_property
    def volume(self) -> float:
        """|Omega|, the exact area/volume of gmsh's OpenCASCADE Boolean result."""
        from .meshing import occ_volume

        return occ_volume(self)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "members": [m.to_dict() for m in self.members]}


class _Members(_Combination):
    """Union and intersection: ``contains`` and ``level`` reduce the members' by ``_any`` and
    ``_rfunction``; a member's boundary piece is kept where ``_keep`` of the others says."""

    def __post_init__(self):
        object.__setattr__(self, "members", _check_members(self.members, self.kind))

    @property
    def bounds(self):
        """Union: the smallest lower and largest upper bounds; intersection: the reverse."""
        lows, highs = (np.asarray(b) for b in zip(*(m.bounds for m in self.members)))
        low, high = (lows.min(axis=0), highs.max(axis=0)) if self._any else \
            (lows.max(axis=0), highs.min(axis=0))
        return low, high

    def contains(self, x, tol: float = 1e-12):
        masks = [m.contains(x, tol) for m in self.members]
        return np.any(masks, axis=0) if self._any else np.all(masks, axis=0)

    def level(self, x):
        return type(self)._rfunction(*[m.level(x) for m in self.members])

    def build_occ(self, occ):
        """gmsh's OpenCASCADE fuse (union) or intersect of the members, one after another."""
        first, *rest = [m.build_occ(occ) for m in self.members]
        combine = occ.fuse if self._any else occ.intersect
        for tags in rest:
            first, _ = combine(first, tags)
        return first

    @cached_property
    def parts(self):
        named = _prefixed([m.parts for m in self.members])
        keep = type(self)._keep
        return tuple(p.with_filter(keep(self.members[:i] + self.members[i + 1:]))
                     for i, parts in enumerate(named) for p in parts)


@dataclass(frozen=True, repr=False)
class Union(_Members):
    """The union of ``members``."""

    members: tuple[Domain, ...]
    kind = "union"
    _any, _rfunction, _keep = True, disjunction, _outside_all


@dataclass(frozen=True, repr=False)
class Intersection(_Members):
    """The intersection of ``members``."""

    members: tuple[Domain, ...]
    kind = "intersection"
    _any, _rfunction, _keep = False, conjunction, _inside_all



@dataclass(frozen=True, repr=False)
class Difference(_Combination):
    """``base`` without the (open) ``removed`` shapes; ``names`` optionally names the
    removed shapes' boundary parts (default ``hole1``, ``hole2``, ...)."""

    base: Domain
    removed: tuple[Domain, ...]
    names: tuple[str, ...] = ()
    kind = "difference"

    def __post_init__(self):
        removed = tuple(self.removed)
        members = _check_members((self.base, *removed), self.kind)
        if not removed:
            raise ConfigError("domain.remove: a difference needs at least one shape to remove")
        names = tuple(self.names) or tuple(f"hole{i + 1}" for i in range(len(removed)))
        if len(names) != len(removed):
            raise ConfigError(f"domain.remove: expected {len(removed)} names, got "
                              f"{list(self.names)}")
        check_part_names(names, "domain.remove",
                         {p.name for p in self.base.parts} | {"outer", "holes"})
        for i, r in enumerate(removed):
            if not self.base.contains(r.sample_interior(256, np.random.default_rng(0))).any():
                raise ConfigError(f"domain.remove[{i}]: lies outside the base (none of its "
                                  f"points is in it); remove shapes that overlap the base")
        object.__setattr__(self, "removed", removed)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "members", members)

    @property
    def bounds(self):
        return self.base.bounds

    def corners(self):
        """The base's corners outside the removed shapes, and the removed shapes' corners
        inside the base, their convexity flipped (a convex corner of a hole is re-entrant)."""
        points, convex = self.base.corners()
        kept = np.ones(len(points), dtype=bool)
        for r in self.removed:
            kept &= ~r.contains(points, -1e-12)
        points, convex = [points[kept]], [convex[kept]]
        for r in self.removed:
            corners, hole_convex = r.corners()
            inside = self.base.contains(corners, -1e-12)
            points.append(corners[inside])
            convex.append(~hole_convex[inside])
        return np.concatenate(points), np.concatenate(convex)

    def contains(self, x, tol: float = 1e-12):
        inside = self.base.contains(x, tol)
        for r in self.removed:
            inside &= ~r.contains(x, -tol)
        return inside

    def level(self, x):
        return conjunction(self.base.level(x), *[-r.level(x) for r in self.removed])

    @cached_property
    def parts(self):
        outer = tuple(p.with_filter(_outside_all(self.removed)) for p in self.base.parts)
        holes = []
        for i, (r, name) in enumerate(zip(self.removed, self.names)):
            others = self.removed[:i] + self.removed[i + 1:]
            keep = both(_inside_all((self.base,)), _outside_all(others))
            for p in r.parts:
                label = name if len(r.parts) == 1 else f"{name}_{p.name}"
                holes.append(p.renamed(label).with_filter(keep, flip=True))
        return outer + tuple(holes)

    def _groups(self):
        outer = tuple(p.name for p in self.base.parts)
        holes = tuple(p.name for p in self.parts if p.name not in outer)
        return {"outer": outer, "holes": holes}

    def build_occ(self, occ):
        base = self.base.build_occ(occ)
        tools = [t for r in self.removed for t in r.build_occ(occ)]
        out, _ = occ.cut(base, tools)
        return out

    def to_dict(self):
        return {"kind": "difference", "base": self.base.to_dict(),
                "remove": [r.to_dict() for r in self.removed], "names": list(self.names)}
