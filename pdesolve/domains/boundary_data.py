"""Boundary data given per boundary part: ``g = { outer = "1", holes = "0" }``.

:class:`BoundaryData` is one point function x (n, d) -> (n,) that is g_k on part k: a point is
assigned to the part of its nearest boundary piece (by the pieces' distance functions, exact
zero on each piece), so the same function serves FEM's boundary DOFs, the networks' boundary
points and the boundary ansatz's projections. NumPy and torch alike (array API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from array_api_compat import array_namespace, device

from ..errors import ConfigError
from .base import Domain

PointFunction = Callable[[Any], Any]


@dataclass(frozen=True)
class BoundaryData:
    """``g(x) = by_part[k](x)`` for x nearest to part k of ``domain`` (one function per part)."""

    domain: Domain
    by_part: tuple[PointFunction, ...]

    def __call__(self, x):
        xp = array_namespace(x)
        entries = self.domain.pieces()
        distance = xp.stack([piece.distance(x) for _, _, piece in entries], axis=1)
        owner = xp.asarray(np.array([k for k, _, _ in entries]), device=device(x))
        part = owner[xp.argmin(distance, axis=1)]
        out = xp.zeros(x.shape[0], dtype=x.dtype, device=device(x))
        for k, fn in enumerate(self.by_part):
            out = xp.where(part == k, fn(x), out)
        return out


def boundary_data(domain: Domain, values: dict[str, PointFunction],
                  where: str = "problem.g", optional: tuple[str, ...] = ()) -> BoundaryData:
    """The data ``values`` (part or group name -> function) as one function; every part must be
    named exactly once (ConfigError naming the parts left out or given twice), except the
    ``optional`` parts (Neumann/Robin parts, where g is not used: 0 there if not given)."""
    assigned: dict[int, str] = {}
    for name in values:
        for k in domain.part_indices(name, where):
            if k in assigned:
                raise ConfigError(f"{where}: part {domain.parts[k].name!r} is given twice (by "
                                  f"{assigned[k]!r} and {name!r})")
            assigned[k] = name
    missing = [p.name for k, p in enumerate(domain.parts)
               if k not in assigned and p.name not in optional]
    if missing:
        raise ConfigError(f"{where}: no data for the boundary part(s) {', '.join(missing)}; give "
                          f"every part or a group (parts and groups: {', '.join(domain.groups)})")
    return BoundaryData(domain, tuple(values[assigned[k]] if k in assigned else _zero
                                      for k in range(len(domain.parts))))


def _zero(x):
    """0 (the data of a part where u is not prescribed)."""
    xp = array_namespace(x)
    return xp.zeros_like(x[:, 0])
