"""Checks of a problem given by formulas, before anything runs: every formula finite and
real on the closed box, a given f and g equal to what the exact solution makes them."""

from __future__ import annotations

import math

import numpy as np

from ..domains import Box
from ..errors import ConfigError, ErrorCollector
from .singular import Region, find_failure

SOURCE_TOLERANCE = 1e-9
"""Relative difference above which a given f (or g) does not match the exact solution
(both are evaluated from exact formulas, so only round-off separates them)."""


def domain_regions(domain, box: Box) -> tuple[Region, Region]:
    """(closed, open): where formulas of values (u, f, g, kappa, c) and where the gradient and
    the derived f must be finite. On a box both are the closed box; on any other domain the
    closed domain, and its interior (a gradient singular at a boundary point, such as the
    L-shape's re-entrant corner, is allowed), each sampled at its lattice points and random
    points of the interior and the boundary (fixed seed)."""
    if domain.structured:
        return Region(box), Region(box)
    rng = np.random.default_rng(0)
    inner = np.concatenate([domain.special_points(), domain.sample_interior(4000, rng)])
    edge = domain.sample_boundary(2000, rng).points
    margin = 1e-6 * domain.diameter  # closer to the boundary is the boundary's
    return (Region(box, lambda x: domain.contains(x, tol=1e-9 * domain.diameter),
                   np.concatenate([inner, edge]), f"the closed {domain.kind}"),
            Region(box, lambda x: domain.contains(x, tol=0.0)
                   & (np.asarray(domain.level(x)) > margin), inner,
                   f"the interior of the {domain.kind} (on its boundary, at a re-entrant "
                   f"corner say, the gradient may be singular)"))


def refuse_singular(exprs, symbols, region: Box | Region, field: str, what: str = "") -> None:
    """ConfigError naming a point of the region (a closed box, or a :class:`Region` of a
    domain) where one of ``exprs`` is not finite or not real (see :mod:`.singular`);
    ``symbols`` are the coordinates x1..xd."""
    region = region if isinstance(region, Region) else Region(region)
    for expr in exprs:
        found = find_failure(expr, symbols, region)
        if found is None:
            continue
        point, cond = found
        at = ", ".join(f"{v:.6g}" for v in point)
        problem = f"{'not finite' if cond.kind == 'zero' else 'not real'} at x = ({at}): {cond.why}"
        raise ConfigError(f"{field}: {what}{problem}; give formulas that are finite on "
                          f"{region.describe()}")


def _refuse_mismatch(given, derived, scale: float, field: str, points: str, x) -> None:
    gap = float(np.abs(given(x) - derived(x)).max())
    if gap > SOURCE_TOLERANCE * scale:
        raise ConfigError(f"{field}: does not match the exact solution: max difference "
                          f"{gap:.3g} (relative {gap / scale:.2g}, allowed {SOURCE_TOLERANCE:g}) "
                          f"at {len(x)} random {points} points; leave it out to derive it")


def check_given(functions: dict, box: Box, where: str, n: int = 64) -> None:
    """ConfigError when a given f differs from -div(kappa |grad u|^(p-2) grad u) (relative
    to the operator's size: |f| and |kappa |grad u|^(p-1)| / edge length) or a given g from
    u on the boundary (relative to max |u|, at least 1), beyond round-off.

    ``functions`` holds the point functions ``exact``, ``exact_grad``, ``f`` (derived),
    optionally ``kappa``, ``given_f``, ``given_g``, and the exponent ``p``.
    """
    rng = np.random.default_rng(0)
    lo, hi = np.asarray(box.lower), np.asarray(box.upper)
    inner = lo + (hi - lo) * rng.uniform(0.05, 0.95, size=(n, box.dim))
    faces = lo + (hi - lo) * rng.uniform(size=(n, box.dim))
    axis = rng.integers(box.dim, size=n)
    faces[np.arange(n), axis] = np.where(rng.integers(2, size=n) == 1, hi[axis], lo[axis])
    errors = ErrorCollector()
    if "given_f" in functions:
        grad = functions["exact_grad"](inner)
        kappa = functions["kappa"](inner) if "kappa" in functions else 1.0
        flux = kappa * np.sum(grad**2, axis=1) ** ((functions["p"] - 1) / 2)
        scale = max(np.abs(functions["f"](inner)).max(), flux.max() / box.lengths.min(),
                    math.ulp(1.0))
        with errors.check():
            _refuse_mismatch(functions["given_f"], functions["f"], scale, f"{where}.f",
                             "interior", inner)
    if "given_g" in functions:
        exact = functions["exact"]
        with errors.check():
            _refuse_mismatch(functions["given_g"], exact, max(np.abs(exact(faces)).max(), 1.0),
                             f"{where}.g", "boundary", faces)
    errors.raise_any()


JUMP_TOLERANCE = 1e-6
"""Relative jump of u or of its normal flux across a switch of ``where(...)`` that makes the
exact solution no weak solution (both sides are evaluated from exact formulas)."""


def _switches(exprs) -> list:
    """The conditions of every ``where(...)`` (sympy Piecewise) in ``exprs``, as expressions
    phi whose zero set is the switch (phi = lhs - rhs)."""
    import sympy as sp

    found = {}
    for expr in exprs:
        for piecewise in expr.atoms(sp.Piecewise):
            for _, cond in piecewise.args:
                if isinstance(cond, sp.core.relational.Relational):
                    found[str(cond)] = (cond, cond.lhs - cond.rhs)
    return list(found.values())


def _on_switch(phi, grad_phi, box: Box, n: int = 64) -> np.ndarray:
    """Points of the box on phi = 0 (Newton steps from a fixed set of points), (m, d)."""
    lo, hi = np.asarray(box.lower), np.asarray(box.upper)
    x = lo + (hi - lo) * np.random.default_rng(0).uniform(0.05, 0.95, size=(n, box.dim))
    with np.errstate(all="ignore"):
        for _ in range(20):
            g = grad_phi(x)
            x = x - (phi(x) / np.maximum(np.sum(g**2, axis=1), 1e-300))[:, None] * g
        keep = (np.all((x > lo) & (x < hi), axis=1) & np.isfinite(x).all(axis=1)
                & (np.abs(phi(x)) < 1e-10 * float(np.max(hi - lo))))
    return x[keep]


def refuse_flux_jumps(u, kappa, p: float, box: Box, field: str) -> None:
    """ConfigError when the exact solution u (sympy) or its normal flux
    kappa |grad u|^(p-2) du/dn jumps across a switch of a ``where(...)`` in kappa or u: it is
    then no weak solution of -div(kappa |grad u|^(p-2) grad u) = f (f would need a surface
    source on the switch). Both sides are sampled at fixed points of every switch."""
    import sympy as sp

    from . import operator
    from .formulas import COORDINATES, gradient_function, point_function

    X = COORDINATES[:box.dim]
    exact, grad = point_function(u, box.dim), gradient_function([sp.diff(u, s) for s in X],
                                                                  box.dim)
    coefficient = point_function(kappa, box.dim)
    step = 1e-7 * float(np.max(box.lengths))
    for cond, phi in _switches([u, kappa]):
        dphi = gradient_function([sp.diff(phi, s) for s in X], box.dim)
        x = _on_switch(point_function(phi, box.dim), dphi, box)
        if not len(x):
            continue
        normal = dphi(x) / np.linalg.norm(dphi(x), axis=1, keepdims=True)
        sides = [x + step * normal, x - step * normal]
        values = [exact(y) for y in sides]
        fluxes = [np.sum(operator.flux(coefficient(y), grad(y), p) * normal, axis=1)
                  for y in sides]
        for what, (a, b) in (("u", values), ("its flux kappa |grad u|^(p-2) du/dn", fluxes)):
            gap = np.abs(a - b)
            scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1.0)
            if gap.max() > JUMP_TOLERANCE * scale:
                k = int(np.argmax(gap))
                at = ", ".join(f"{v:.6g}" for v in x[k])
                raise ConfigError(
                    f"{field}: {what} jumps by {gap[k]:.3g} across the switch {cond} at x = "
                    f"({at}), so the exact solution is no weak solution; give one whose u and "
                    f"flux are continuous there (e.g. phi / kappa with phi = 0 on the switch)")
