"""Error measures shared by every solver: the same points and weights for all.

With e = u_h - u on the evaluation set (points x_i, weights w_i):
    l2_rel  = sqrt(sum w e^2) / sqrt(sum w u^2)
    h1_rel  = sqrt(sum w |grad e|^2) / sqrt(sum w |grad u|^2)   (H1 seminorm)
    max_err = max |e|
    l2re    = sqrt(mean e^2) / sqrt(mean u^2)  (PINNacle's L2RE: unweighted)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .quadrature import PointSet

Fn = Callable[[np.ndarray], np.ndarray]

CHUNK = 1 << 16


def _chunked(fn: Fn, x: np.ndarray) -> np.ndarray:
    """Evaluate fn on x in chunks (bounded memory for networks and interpolants)."""
    return np.concatenate([np.asarray(fn(x[i:i + CHUNK])) for i in range(0, len(x), CHUNK)])


def error_metrics(points: PointSet, u_h: Fn, u_ref: Fn, grad_h: Fn | None = None,
                  grad_ref: Fn | None = None) -> dict[str, float | None]:
    """Relative L2, relative H1-seminorm, max error and L2RE of u_h against u_ref.

    u_h, u_ref : x (n, d) -> (n,); grad_h, grad_ref : x (n, d) -> (n, d), optional
    (h1_rel is None unless both are given).
    """
    x, w = points.points, points.weights
    uh, ur = _chunked(u_h, x), _chunked(u_ref, x)
    e = uh - ur
    out: dict[str, float | None] = {
        "l2_rel": float(np.sqrt(np.sum(w * e**2) / np.sum(w * ur**2))),
        "max_err": float(np.max(np.abs(e))),
        "l2re": float(np.sqrt(np.mean(e**2) / np.mean(ur**2))),
        "h1_rel": None,
    }
    if grad_h is not None and grad_ref is not None:
        gh, gr = _chunked(grad_h, x), _chunked(grad_ref, x)
        out["h1_rel"] = float(np.sqrt(np.sum(w * np.sum((gh - gr) ** 2, axis=1))
                                      / np.sum(w * np.sum(gr**2, axis=1))))
    if not all(v is None or np.isfinite(v) for v in out.values()):
        raise FloatingPointError("non-finite error: the approximate solution has NaN/inf values")
    return out
