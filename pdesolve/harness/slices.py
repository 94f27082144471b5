"""Solution samples on a line (1-D) or a plane (d >= 2) for the report's slice plots.

The slice is cut into pixels (about ``LINE_PIXELS`` along the interval, ``PLANE_PIXELS``
squared on the (x1, x2) plane through the centre of the box). A pixel's value is the mean
over s sub-samples per direction at the midpoints of an s x s sub-grid of the pixel.

Sampling a mesh function one point per pixel picks a different phase of the element-scale
error pattern in every pixel, which draws beat patterns (moire) the solution does not have.
For a solution with c equal cells per direction the pixel grid is therefore aligned with
the cells (:func:`pixel_count`): an integer number of pixels per cell, or an integer number
of cells per pixel, so every pixel sees the same phases; s gives about
``SAMPLES_PER_CELL`` samples per cell (at most ``MAX_SUBSAMPLES`` per pixel), and the pixel
mean is what the eye would see at that resolution.
"""

from __future__ import annotations

import math

import numpy as np

from ..domains import Domain

LINE_PIXELS = 401
PLANE_PIXELS = 81
SAMPLES_PER_CELL = 4
MAX_SUBSAMPLES = 12
DIGITS = {"reference": 7, "error": 3}
"""Significant digits stored: u_h = reference + error, the error keeping its own precision."""


def pixel_count(target: int, cells: int | None) -> int:
    """Pixels per direction aligned with ``cells`` equal cells, near ``target``.

    c <= target / 2: c * ceil(target / c) (an integer number of pixels per cell); otherwise
    the divisor of c nearest to ``target`` within [target / 2, 2 target] (whole cells per
    pixel); ``target`` when there is none (then the sub-samples average many cells).
    """
    if not cells:
        return target
    if 2 * cells <= target:
        return cells * math.ceil(target / cells)
    divisors = [p for p in range(max(1, target // 2), 2 * target + 1) if cells % p == 0]
    return min(divisors, key=lambda p: abs(p - target)) if divisors else target


def subsamples(pixels: int, cells: int | None) -> int:
    """Sub-samples per direction and pixel: SAMPLES_PER_CELL per cell, 1..MAX_SUBSAMPLES."""
    if not cells:
        return 1
    return int(min(MAX_SUBSAMPLES, max(1, math.ceil(SAMPLES_PER_CELL * cells / pixels))))


def _axis(a: float, b: float, pixels: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres (pixels,) and their sub-sample coordinates (pixels, s)."""
    width = (b - a) / pixels
    centres = a + (np.arange(pixels) + 0.5) * width
    return centres, centres[:, None] + ((np.arange(s) + 0.5) / s - 0.5) * width


def slice_points(domain: Domain, pixels: int, s: int = 1) -> tuple[np.ndarray,
                                                                     list[np.ndarray], int]:
    """Sub-sample points (m, d), the pixel centres per slice axis, and sub-samples per pixel.

    Points are ordered pixel by pixel (x1 slowest), the s^k sub-samples of a pixel together.
    Coordinates beyond the slice's axes sit at the centre of the (bounding) box.
    """
    lower, upper = domain.bounds
    k = 1 if domain.dim == 1 else 2
    axes = [_axis(lower[i], upper[i], pixels, s) for i in range(k)]
    grids = np.meshgrid(*[sub for _, sub in axes], indexing="ij")  # (P, s[, P, s])
    order = (0, 2, 1, 3) if k == 2 else (0, 1)
    x = np.tile((lower + upper) / 2, (grids[0].size, 1))
    for i, g in enumerate(grids):
        x[:, i] = np.transpose(g.reshape((pixels, s) * k), order).ravel()
    return x, [c for c, _ in axes], s**k


def _rounded(values: np.ndarray, digits: int) -> list[float]:
    return [float(f"{v:.{digits - 1}e}") for v in values]


def solution_slice(domain: Domain, u, u_ref, cells: int | None = None) -> dict:
    """Pixel means of the reference and of u - reference on the slice, as JSON-able lists.

    ``cells``: the solution's equal cells per direction (None: a smooth function, one
    sample per pixel). Returns ``{"coords": [pixel centres per axis], "fixed": centre,
    "reference": [...], "error": [...], "subsamples": s}``, values pixel by pixel (x1
    slowest); u_h is reference + error. On a domain other than a box the slice spans its
    bounding box: a pixel averages its sub-samples inside the domain, and is NaN (null in
    the record) when none is.
    """
    lower, upper = domain.bounds
    pixels = pixel_count(LINE_PIXELS if domain.dim == 1 else PLANE_PIXELS, cells)
    s = subsamples(pixels, cells)
    x, axes, per = slice_points(domain, pixels, s)
    reference = np.asarray(u_ref(x), dtype=float)
    values = {"reference": reference, "error": np.asarray(u(x), dtype=float) - reference}
    if domain.structured:
        means = {k: v.reshape(-1, per).mean(axis=1) for k, v in values.items()}
    else:
        inside = domain.contains(x).reshape(-1, per)
        count = inside.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = {k: np.where(count > 0, np.where(inside, v.reshape(-1, per), 0.0).sum(axis=1)
                                 / count, np.nan) for k, v in values.items()}
    return {"coords": [a.tolist() for a in axes], "fixed": ((lower + upper) / 2).tolist(),
            **{k: _rounded(v, DIGITS[k]) for k, v in means.items()}, "subsamples": s}
