"""Where a formula is singular or undefined on a box: found from its expression tree.

A formula built from the elementary functions can only fail where one of its parts does:

    b^e, e < 0 (a denominator)      singular where b = 0
    b^e, e not an integer (a root)  undefined where b < 0
    log(a)                          singular where a = 0, undefined where a < 0
    tan(a)                          singular where cos(a) = 0
    atanh(a)                        singular where 1 - a^2 = 0, undefined where 1 - a^2 < 0
    asin(a), acos(a)                undefined where 1 - a^2 < 0
    acosh(a)                        undefined where a - 1 < 0

Each condition h(x) = 0 (or h(x) < 0) is decided on a :class:`Region`, the closed box or a
part of it (a domain, closed or open): symbolically when h depends on one coordinate (real
roots of a polynomial, else ``sympy.solveset`` over the interval) and the point found lies in
the region, otherwise numerically from samples of the region: a sign change of h between two
sample points is a zero where the segment's zero lies in the region (h is continuous where
it is defined), and a local minimisation of |h| (or h) from the best samples finds the zeros
and minima that samples only come near; a point outside the region is no failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from ..domains import Box

ZERO_TOLERANCE = 1e-12
"""|h| below this times the sampled size of h counts as a zero."""

MAX_SOLVESET_OPS = 30
"""Larger one-coordinate conditions go straight to the numerical search."""


@dataclass(frozen=True)
class Condition:
    """The formula fails where ``h`` = 0 (kind "zero") or ``h`` < 0 (kind "negative")."""

    h: sp.Expr
    kind: str
    why: str


def conditions(expr: sp.Expr) -> list[Condition]:
    """The conditions of every part of ``expr`` (see the module docstring), without repeats."""
    found: dict[tuple, Condition] = {}

    def add(h, kind, why):
        if not h.is_number:
            found.setdefault((h, kind), Condition(h, kind, why))

    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            base, exp = node.args
            if exp.is_number and exp.is_negative:
                add(base, "zero", f"division by {base}, which is 0 there")
            if not (exp.is_number and exp.is_integer):
                add(base, "negative", f"{base} < 0 under the power {exp}")
        elif isinstance(node, sp.log):
            (a,) = node.args
            add(a, "zero", f"log({a}) with {a} = 0")
            add(a, "negative", f"log({a}) with {a} < 0")
        elif isinstance(node, sp.tan):
            (a,) = node.args
            add(sp.cos(a), "zero", f"tan({a}) with cos({a}) = 0")
        elif isinstance(node, sp.atanh):
            (a,) = node.args
            add(1 - a**2, "zero", f"atanh({a}) with {a} = +-1")
            add(1 - a**2, "negative", f"atanh({a}) with |{a}| > 1")
        elif isinstance(node, (sp.asin, sp.acos)):
            (a,) = node.args
            add(1 - a**2, "negative", f"{type(node).__name__}({a}) with |{a}| > 1")
        elif isinstance(node, sp.acosh):
            (a,) = node.args
            add(a - 1, "negative", f"acosh({a}) with {a} < 1")
    return list(found.values())


def _univariate_zero(h: sp.Expr, s: sp.Symbol, a: float, b: float) -> float | None | bool:
    """A zero of h(s) in [a, b], None if there is none, False if it cannot tell."""
    if h.is_polynomial(s):
        roots = [complex(r) for r in sp.Poly(h, s).nroots()]
        real = [r.real for r in roots if abs(r.imag) <= 1e-12 * max(1.0, abs(r))]
        inside = [r for r in real if a - 1e-12 <= r <= b + 1e-12]
        return inside[0] if inside else None
    if sp.count_ops(h) > MAX_SOLVESET_OPS:
        return False
    try:
        roots = sp.solveset(h, s, sp.Interval(a, b))
    except (NotImplementedError, ValueError, TypeError):
        return False
    if roots is sp.S.EmptySet:
        return None
    if isinstance(roots, sp.FiniteSet):
        values = [complex(sp.N(r)) for r in roots]
        return next((v.real for v in values if abs(v.imag) < 1e-12), None)
    return False


@dataclass(frozen=True)
class Region:
    """Where formulas must be finite: the closed ``box``, or the points of it ``inside``
    holds for (x (n, d) -> (n,) bool), sampled at ``points`` (n, d)."""

    box: Box
    inside: Callable | None = None
    points: np.ndarray | None = None
    name: str = ""

    def describe(self) -> str:
        """"the closed box [[a, b], ...]", or the region's own name."""
        bounds = [list(ab) for ab in zip(self.box.lower, self.box.upper)]
        return self.name or f"the closed box {bounds}"

    def holds(self, x: np.ndarray) -> np.ndarray:
        return np.ones(len(x), bool) if self.inside is None else np.asarray(self.inside(x))

    def samples(self, rng: np.random.Generator) -> np.ndarray:
        return _samples(self.box, rng) if self.points is None else self.points


def _samples(box: Box, rng: np.random.Generator) -> np.ndarray:
    """A tensor lattice (2^k + 1 per direction, about 4000 points) and 4000 random points."""
    per_axis = 2
    while (2 * per_axis - 1) ** box.dim <= 4000:
        per_axis = 2 * per_axis - 1
    axes = [np.linspace(a, b, per_axis) for a, b in zip(box.lower, box.upper)]
    lattice = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)
    lo, hi = np.asarray(box.lower), np.asarray(box.upper)
    return np.concatenate([lattice, lo + (hi - lo) * rng.uniform(size=(4000, box.dim))])


def _numeric(cond: Condition, symbols, region: Region, rng) -> np.ndarray | None:
    """A point of the region where the condition holds, found by sampling and minimisation."""
    fn = sp.lambdify(symbols, cond.h, "numpy")

    def h(x):
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(*x.T), dtype=float), x.shape[:1])

    def found(point: np.ndarray) -> np.ndarray | None:
        return point if region.holds(point[None])[0] else None

    x = region.samples(rng)
    x = x[region.holds(x)]
    values = h(x)
    ok = np.isfinite(values)
    x, values = x[ok], values[ok]
    if not len(values):
        return None
    scale = max(float(np.abs(values).max()), 1.0)
    if cond.kind == "negative":
        if values.min() < -ZERO_TOLERANCE * scale:
            return x[np.argmin(values)]
        objective, starts = h, x[np.argsort(values)[:3]]
    else:
        if (values == 0).any():
            return x[np.argmax(values == 0)]
        if values.min() < 0 < values.max():
            point = found(_bisect(h, x[np.argmin(values)], x[np.argmax(values)]))
            if point is not None:
                return point
        objective, starts = (lambda y: np.abs(h(y))), x[np.argsort(np.abs(values))[:3]]
    bounds = list(zip(region.box.lower, region.box.upper))
    for start in starts:
        best = minimize(lambda y: float(objective(y[None])[0]), start, bounds=bounds,
                        method="L-BFGS-B")
        value = float(h(best.x[None])[0])
        if (value < -ZERO_TOLERANCE * scale if cond.kind == "negative"
                else abs(value) <= ZERO_TOLERANCE * scale) and found(best.x) is not None:
            return best.x
    return None


def _bisect(h, negative: np.ndarray, positive: np.ndarray, steps: int = 60) -> np.ndarray:
    """A zero of h on the segment between a point where h < 0 and one where h > 0."""
    for _ in range(steps):
        middle = (negative + positive) / 2
        value = h(middle[None])[0]
        if not np.isfinite(value) or value == 0:
            return middle
        negative, positive = (middle, positive) if value < 0 else (negative, middle)
    return (negative + positive) / 2


def failure_point(cond: Condition, symbols, region: Region, rng) -> np.ndarray | None:
    """A point of the region where ``cond`` holds, or None if it holds nowhere there."""
    box = region.box
    used = sorted(cond.h.free_symbols, key=symbols.index)
    if cond.kind == "zero" and len(used) == 1:
        i = symbols.index(used[0])
        root = _univariate_zero(cond.h, used[0], box.lower[i], box.upper[i])
        if root is None:
            return None
        if root is not False:
            point = (np.asarray(box.lower) + np.asarray(box.upper)) / 2
            point[i] = root
            if region.holds(point[None])[0]:
                return point
    return _numeric(cond, symbols, region, rng)


def find_failure(expr: sp.Expr, symbols, region: Box | Region,
                 seed: int = 0) -> tuple[np.ndarray, Condition] | None:
    """(point, condition) of the first part of ``expr`` that fails in the region (a closed
    box, or a :class:`Region`), or None.

    ``symbols`` are the coordinates x1..xd of the box's dimensions, in order.
    """
    region = region if isinstance(region, Region) else Region(region)
    rng = np.random.default_rng(seed)
    for cond in conditions(expr):
        point = failure_point(cond, list(symbols), region, rng)
        if point is not None:
            return point, cond
    return None
