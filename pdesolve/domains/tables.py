"""Domains from case-file tables (``[problem.domain]``).

    kind = "box"          bounds = [[a1, b1], ..., [ad, bd]]   (or [a, b] with dim)
    kind = "lshape"
    kind = "disk"/"ball"  center = [...], radius = r
    kind = "annulus"      center = [...], inner = r1, outer = r2
    kind = "polygon"      vertices = [[x, y], ...], edge_names = [...] (optional)
    kind = "difference"   base = { ... }, remove = [{ ... }, ...]   (each may have name = "...")
    kind = "union"/"intersection"   members = [{ ... }, ...]
    mesh = "file.msh"     (relative to the case file), scale = 1.0 (optional)

Every mistake is a ConfigError naming the field (``problem.domain.remove[1].radius``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .base import Domain
from .box import Box
from .csg import Difference, Intersection, Union
from .meshfile import MeshDomain
from .shapes import Annulus, Ball, Polygon, lshape

KEYS = {
    "box": ("bounds",), "lshape": (), "disk": ("center", "radius"), "ball": ("center", "radius"),
    "annulus": ("center", "inner", "outer"), "polygon": ("vertices", "edge_names"),
    "difference": ("base", "remove"), "union": ("members",), "intersection": ("members",),
    "mesh": ("mesh", "scale"),
}
"""Domain kinds and their keys (besides ``kind``, and ``name`` inside ``remove``)."""

REQUIRED = {"box": ("bounds",), "disk": ("center", "radius"), "ball": ("center", "radius"),
            "annulus": ("center", "inner", "outer"), "polygon": ("vertices",),
            "difference": ("base", "remove"), "union": ("members",),
            "intersection": ("members",), "mesh": ("mesh",)}


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: must be a finite number, got {value!r}")
    return float(value)


def _numbers(value, where: str, length: int | None = None) -> tuple[float, ...]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        size = f"{length} numbers" if length else "a list of numbers"
        raise ConfigError(f"{where}: expected {size}, got {value!r}")
    return tuple(_number(v, f"{where}[{i}]") for i, v in enumerate(value))


def _tables(value, where: str) -> list[dict]:
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        raise ConfigError(f"{where}: expected a non-empty list of domain tables, got {value!r}")
    return value


def domain_from_table(table, *, where: str = "problem.domain", base_dir: str | Path = ".",
                      dim: int | None = None) -> Domain:
    """The domain described by ``table`` (see the module docstring)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, got {table!r}")
    kind = table.get("kind", "mesh" if "mesh" in table else None)
    if kind not in KEYS:
        raise ConfigError(f"{where}.kind: {kind!r} is not allowed; allowed: "
                          f"{', '.join(map(repr, KEYS))} (or mesh = \"file\")")
    allowed = ("kind", *KEYS[kind])
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} for kind {kind!r}; allowed: "
                          f"{', '.join(allowed)}")
    missing = [k for k in REQUIRED.get(kind, ()) if k not in table]
    if missing:
        raise ConfigError(f"{where}: kind {kind!r} needs {', '.join(map(repr, missing))}")
    try:
        domain = _build(kind, table, where, Path(base_dir), dim)
        if kind in ("difference", "union", "intersection"):
            _refuse_empty(domain)
        return domain
    except ConfigError as exc:
        text = str(exc)  # the shapes' messages say "domain..."; say where in the case file
        if not text.startswith(where):
            text = where + text.removeprefix("domain") if text.startswith("domain") else \
                f"{where}: {text}"
        raise ConfigError(text) from None


EMPTY_PROBES = 4096
"""Random points of the bounding box of which at least one must lie in a CSG domain."""


def _refuse_empty(domain: Domain) -> None:
    """ConfigError when no point of :data:`EMPTY_PROBES` random ones of the bounding box lies
    in ``domain`` (its volume estimate is 0): an empty difference or intersection."""
    lower, upper = domain.bounds
    x = lower + (upper - lower) * np.random.default_rng(0).random((EMPTY_PROBES, domain.dim))
    if not domain.contains(x).any():
        raise ConfigError(f"domain: the {domain.kind} is empty (none of {EMPTY_PROBES} points "
                          f"of its bounding box lies in it); check what it removes or "
                          f"intersects")


def _build(kind: str, t: dict, where: str, base_dir: Path, dim: int | None) -> Domain:
    nested = {"base_dir": base_dir, "dim": dim}
    if kind == "box":
        bounds = t["bounds"]
        if isinstance(bounds, list) and len(bounds) == 2 and not isinstance(bounds[0], list):
            if dim is None:
                raise ConfigError(f"{where}.bounds: [a, b] needs the problem's dim; give one "
                                  f"[a, b] per direction")
            bounds = [bounds] * dim
        if not isinstance(bounds, list) or not bounds:
            raise ConfigError(f"{where}.bounds: expected [[a1, b1], ..., [ad, bd]], got {bounds!r}")
        rows = [_numbers(r, f"{where}.bounds[{i}]", 2) for i, r in enumerate(bounds)]
        return Box([r[0] for r in rows], [r[1] for r in rows])
    if kind == "lshape":
        return lshape()
    if kind in ("disk", "ball"):
        return Ball(_numbers(t["center"], f"{where}.center"), _number(t["radius"], f"{where}.radius"))
    if kind == "annulus":
        return Annulus(_numbers(t["center"], f"{where}.center"),
                       _number(t["inner"], f"{where}.inner"), _number(t["outer"], f"{where}.outer"))
    if kind == "polygon":
        vertices = t["vertices"]
        if not isinstance(vertices, list):
            raise ConfigError(f"{where}.vertices: expected a list of [x, y], got {vertices!r}")
        names = t.get("edge_names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{where}.edge_names: expected a list of strings, got {names!r}")
        return Polygon(tuple(_numbers(v, f"{where}.vertices[{i}]", 2)
                             for i, v in enumerate(vertices)), tuple(names))
    if kind == "difference":
        base = domain_from_table(t["base"], where=f"{where}.base", **nested)
        removed, names = [], []
        for i, r in enumerate(_tables(t["remove"], f"{where}.remove")):
            r = dict(r)
            name = r.pop("name", None)
            if name is not None and not isinstance(name, str):
                raise ConfigError(f"{where}.remove[{i}].name: expected a string, got {name!r}")
            names.append(name or f"hole{i + 1}")
            removed.append(domain_from_table(r, where=f"{where}.remove[{i}]", **nested))
        return Difference(base, tuple(removed), tuple(names))
    if kind in ("union", "intersection"):
        members = tuple(domain_from_table(m, where=f"{where}.members[{i}]", **nested)
                        for i, m in enumerate(_tables(t["members"], f"{where}.members")))
        return (Union if kind == "union" else Intersection)(members)
    path = t["mesh"]
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{where}.mesh: expected a file name, got {path!r}")
    scale = _number(t.get("scale", 1.0), f"{where}.scale")
    if not scale > 0:
        raise ConfigError(f"{where}.scale: must be a finite number > 0, got {scale!r}")
    return MeshDomain(base_dir / path, scale)
