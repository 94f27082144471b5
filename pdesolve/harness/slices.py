"""Solution samples on a line (1-D) or a plane (d >= 2) for the report's slice plots."""

from __future__ import annotations

import numpy as np

from ..domain import Box

LINE_POINTS = 401
PLANE_POINTS = 41


def slice_points(domain: Box) -> tuple[np.ndarray, list[np.ndarray]]:
    """Points (n, d) of the slice and its axis coordinates.

    1-D: ``LINE_POINTS`` equispaced points of the interval. d >= 2: a
    ``PLANE_POINTS`` x ``PLANE_POINTS`` grid of the (x1, x2) plane with the other
    coordinates at the centre of the box, ordered with x1 varying slowest.
    """
    lower, upper = np.asarray(domain.lower), np.asarray(domain.upper)
    if domain.dim == 1:
        t = np.linspace(lower[0], upper[0], LINE_POINTS)
        return t[:, None], [t]
    axes = [np.linspace(lower[i], upper[i], PLANE_POINTS) for i in (0, 1)]
    g1, g2 = np.meshgrid(*axes, indexing="ij")
    x = np.tile((lower + upper) / 2, (g1.size, 1))
    x[:, 0], x[:, 1] = g1.ravel(), g2.ravel()
    return x, axes


def solution_slice(domain: Box, u, u_ref) -> dict:
    """u and the reference on the slice of :func:`slice_points`, as JSON-able lists.

    Returns ``{"coords": [axis values...], "fixed": centre, "u": [...], "reference": [...]}``
    with values flattened in the order of the slice points.
    """
    x, axes = slice_points(domain)
    centre = (np.asarray(domain.lower) + np.asarray(domain.upper)) / 2
    return {
        "coords": [a.tolist() for a in axes],
        "fixed": centre.tolist(),
        "u": np.asarray(u(x), dtype=float).tolist(),
        "reference": np.asarray(u_ref(x), dtype=float).tolist(),
    }
