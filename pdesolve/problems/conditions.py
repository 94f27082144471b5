"""Neumann and Robin parts written in a case file: ``[problem.boundary]``.

    [problem.boundary]
    holes = "neumann"                                   # kappa du/dn = h, h from the exact u
    sides = { kind = "robin", alpha = "1", h = "0" }    # kappa du/dn + alpha u = h
    outer = "dirichlet"                                 # u = g (every part not named here)

Keys are boundary parts or groups of the domain. With an exact solution u, h is derived
from it symbolically, h = kappa |grad u|^(p-2) grad u . n + alpha u (n the outward normal at
the point), unless given; a given h must then match it. Without an exact solution h is
required.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

from ..domains import Domain
from ..errors import ConfigError, ErrorCollector
from . import operator
from .base import FluxCondition

KINDS = ("dirichlet", "neumann", "robin")
KEYS = {"dirichlet": ("kind",), "neumann": ("kind", "h"), "robin": ("kind", "alpha", "h")}

MATCH_TOLERANCE = 1e-9
"""Relative gap above which a given h does not match the exact solution's flux (both exact
formulas: only round-off separates them)."""


def _entry(value, field: str) -> dict:
    """One part's entry as a table with a valid ``kind`` and only that kind's keys."""
    table = {"kind": value} if isinstance(value, str) else value
    if not isinstance(table, dict) or table.get("kind") not in KINDS:
        raise ConfigError(f"{field}: expected \"dirichlet\", \"neumann\", \"robin\" or a table "
                          f"{{ kind = \"neumann\" | \"robin\", alpha = ..., h = ... }}, got "
                          f"{value!r}")
    unknown = [k for k in table if k not in KEYS[table["kind"]]]
    if unknown:
        raise ConfigError(f"{field}.{unknown[0]}: not a key of a {table['kind']} part; allowed: "
                          f"{', '.join(KEYS[table['kind']])}")
    if table["kind"] == "robin" and "alpha" not in table:
        raise ConfigError(f"{field}.alpha: needed for a robin part (kappa du/dn + alpha u = h)")
    return table


def _flux_of_exact(u, grad, kappa, alpha, p: float):
    """h(x, n) = kappa |grad u|^(p-2) grad u . n + alpha u for point functions of the exact u."""

    def h(x, normal):
        xp = array_namespace(x)
        value = xp.sum(operator.flux(kappa(x), grad(x), p) * normal, axis=1)
        return value if alpha is None else value + alpha(x) * u(x)

    return h


def _given(fn):
    """h(x, n) = fn(x): data given as a formula in x."""

    def h(x, normal):
        return fn(x)

    return h


def flux_conditions(table, domain: Domain, *, parse, point_function, exact=None, kappa=None,
                    p: float = 2.0, where: str = "problem.boundary") -> dict[str, FluxCondition]:
    """The Neumann/Robin parts of a ``[problem.boundary]`` table, by part name.

    parse(text, field) -> sympy expression and point_function(expr) -> x -> (n,) are the
    formula module's; ``exact`` is the exact solution's (u, grad u) point functions or None,
    ``kappa`` the coefficient's point function. One ConfigError lists every mistake.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of boundary parts, got {table!r}")
    errors = ErrorCollector()
    out: dict[str, FluxCondition] = {}
    given_by: dict[int, str] = {}
    for name, value in table.items():
        field = f"{where}.{name}"
        with errors.check():
            entry = _entry(value, field)
            parts = domain.part_indices(name, field)
            for k in parts:
                if k in given_by:
                    raise ConfigError(f"{field}: part {domain.parts[k].name!r} is given twice "
                                      f"(by {given_by[k]!r} and {name!r})")
                given_by[k] = name
            if entry["kind"] == "dirichlet":
                continue
            alpha = (point_function(parse(entry["alpha"], f"{field}.alpha"))
                     if "alpha" in entry else None)
            if alpha is not None:
                _refuse_negative(alpha, domain, parts, f"{field}.alpha")
            if "h" in entry:
                h = _given(point_function(parse(entry["h"], f"{field}.h")))
            elif exact is None:
                raise ConfigError(f"{field}.h: needed without an exact solution "
                                  f"(kappa du/dn{' + alpha u' if alpha else ''} = h)")
            else:
                h = _flux_of_exact(*exact, kappa, alpha, p)
            condition = FluxCondition(h, alpha)
            for k in parts:
                out[domain.parts[k].name] = condition
            if exact is not None and "h" in entry:
                _check_match(condition, _flux_of_exact(*exact, kappa, alpha, p), domain, parts,
                             f"{field}.h")
    errors.raise_any()
    return out


def _refuse_negative(alpha, domain: Domain, parts, field: str) -> None:
    """ConfigError where alpha < 0 on its parts: the energy's alpha u^2 / 2 term may then
    make the problem lose coercivity (no unique solution), which nothing here can rule out."""
    x = domain.sample_boundary(64, np.random.default_rng(0),
                               parts=[domain.parts[k].name for k in parts]).points
    values = np.broadcast_to(np.asarray(alpha(x), dtype=float), (len(x),))
    if (values < 0).any():
        k = int(np.argmin(values))
        at = ", ".join(f"{v:.6g}" for v in x[k])
        raise ConfigError(f"{field}: must be >= 0 (with alpha < 0 the problem may have no "
                          f"unique solution); it is {values[k]:.3g} at x = ({at})")


def _check_match(condition: FluxCondition, derived, domain: Domain, parts, field: str) -> None:
    """ConfigError when a given h differs from the exact solution's flux on its parts."""
    sample = domain.sample_boundary(64, np.random.default_rng(0),
                                    parts=[domain.parts[k].name for k in parts])
    x, n = sample.points, sample.normals
    want = derived(x, n)
    gap = float(np.abs(condition.h(x, n) - want).max())
    scale = max(float(np.abs(want).max()), 1.0)
    if gap > MATCH_TOLERANCE * scale:
        raise ConfigError(f"{field}: does not match the exact solution's kappa du/dn"
                          f"{' + alpha u' if condition.alpha else ''}: max difference {gap:.3g} "
                          f"at {len(x)} random points of the part; leave it out to derive it")


def uses_coordinates(table) -> list:
    """The formulas of a boundary table (for telling the problem's dimension)."""
    if not isinstance(table, dict):
        return []
    return [v[k] for v in table.values() if isinstance(v, dict) for k in ("alpha", "h") if k in v]


def reaction_source(f, reaction, u):
    """f + c u: the source of -div(...) + c u = f from the diffusion part's source f."""

    def source(x):
        return f(x) + reaction(x) * u(x)

    return source
