"""Checks of a problem given by formulas, before anything runs: every formula finite and
real on the closed box, a given f and g equal to what the exact solution makes them."""

from __future__ import annotations

import math

import numpy as np

from ..domains import Box
from ..errors import ConfigError, ErrorCollector
from .singular import find_failure

SOURCE_TOLERANCE = 1e-9
"""Relative difference above which a given f (or g) does not match the exact solution
(both are evaluated from exact formulas, so only round-off separates them)."""


def refuse_singular(exprs, symbols, box: Box, field: str, what: str = "") -> None:
    """ConfigError naming a point of the closed box where one of ``exprs`` is not finite or
    not real (see :mod:`.singular`); ``symbols`` are the coordinates x1..xd."""
    for expr in exprs:
        found = find_failure(expr, symbols, box)
        if found is None:
            continue
        point, cond = found
        at = ", ".join(f"{v:.6g}" for v in point)
        problem = f"{'not finite' if cond.kind == 'zero' else 'not real'} at x = ({at}): {cond.why}"
        box_text = [list(ab) for ab in zip(box.lower, box.upper)]
        raise ConfigError(f"{field}: {what}{problem}; give formulas that are finite on the "
                          f"closed box {box_text}")


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
