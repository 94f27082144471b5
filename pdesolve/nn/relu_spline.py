"""Shallow ReLU networks in 1-D are continuous linear splines, and back (NumPy).

A network ``N(x) = sum_i a_i ReLU(w_i x - b_i) + c`` with ``w_i != 0`` has a knot at
``t_i = b_i / w_i``, where its slope jumps by ``a_i |w_i|`` (for either sign of w_i, since
``ReLU(-y) = ReLU(y) - y``). Left of every knot the slope is ``sum_{w_i < 0} a_i w_i``.
A neuron with ``w_i = 0`` is the constant ``a_i ReLU(-b_i)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _relu(y: np.ndarray) -> np.ndarray:
    return np.maximum(y, 0.0)


@dataclass(frozen=True)
class ShallowReLU:
    """``N(x) = sum_i a_i ReLU(w_i x - b_i) + c``; ``a``, ``w``, ``b`` of shape (m,)."""

    a: np.ndarray
    w: np.ndarray
    b: np.ndarray
    c: float = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """N at x (p,), shape (p,)."""
        x = np.asarray(x, dtype=float)
        return _relu(np.multiply.outer(x, self.w) - self.b) @ self.a + self.c


@dataclass(frozen=True)
class LinearSpline:
    """Continuous piecewise linear function on the real line.

    ``knots`` (m,) increasing, ``slopes`` (m + 1,) with ``slopes[j]`` the slope between
    ``knots[j-1]`` and ``knots[j]`` (``slopes[0]`` left of all knots), ``value0`` = s(0).
    Then ``s(x) = value0 + slopes[0] x + sum_j jumps_j (ReLU(x - t_j) - ReLU(-t_j))``
    with ``jumps = diff(slopes)``.
    """

    knots: np.ndarray
    slopes: np.ndarray
    value0: float

    def __post_init__(self):
        if self.slopes.shape != (self.knots.size + 1,):
            raise ValueError(
                f"slopes must have shape ({self.knots.size + 1},) for {self.knots.size} knots, "
                f"got {self.slopes.shape}"
            )
        if np.any(np.diff(self.knots) <= 0):
            raise ValueError("knots must be strictly increasing")

    @property
    def jumps(self) -> np.ndarray:
        """Slope jump at each knot, shape (m,)."""
        return np.diff(self.slopes)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """s at x (p,), shape (p,)."""
        x = np.asarray(x, dtype=float)
        hinge = _relu(np.subtract.outer(x, self.knots)) - _relu(-self.knots)
        return self.value0 + self.slopes[0] * x + hinge @ self.jumps


def network_to_spline(net: ShallowReLU, atol: float = 0.0) -> LinearSpline:
    """The linear spline equal to ``net`` on the real line.

    Neurons with the same knot ``b_i / w_i`` are merged (exactly equal knots only); knots
    whose merged jump satisfies ``|jump| <= atol`` are dropped (with the default 0 only
    exact cancellations, which leaves the function unchanged).
    """
    a, w, b = (np.asarray(v, dtype=float) for v in (net.a, net.w, net.b))
    live = w != 0
    value0 = float(net.c + np.sum(a * _relu(-b)))
    left_slope = float(np.sum(np.where(w < 0, a * w, 0.0)))
    knots, where = np.unique(b[live] / w[live], return_inverse=True)
    jumps = np.bincount(where, weights=(a * np.abs(w))[live], minlength=knots.size)
    keep = np.abs(jumps) > atol
    knots, jumps = knots[keep], jumps[keep]
    slopes = left_slope + np.concatenate([[0.0], np.cumsum(jumps)])
    return LinearSpline(knots=knots, slopes=slopes, value0=value0)


def spline_to_network(spline: LinearSpline) -> ShallowReLU:
    """A shallow ReLU network equal to ``spline`` on the real line.

    One neuron ``jump_j ReLU(x - t_j)`` per knot; the slope ``s_0`` left of the first knot
    t_1 (t_1 = 0 without knots) costs two more neurons at t_1:
    ``s_0 (x - t_1) = s_0 ReLU(x - t_1) - s_0 ReLU(t_1 - x)``; then ``c = s(t_1)``.
    Knots are unchanged: the two extra neurons' jumps cancel.
    """
    t1 = float(spline.knots[0]) if spline.knots.size else 0.0
    s0 = float(spline.slopes[0])
    a = np.concatenate([spline.jumps, [s0, -s0]])
    w = np.concatenate([np.ones(spline.knots.size), [1.0, -1.0]])
    b = np.concatenate([spline.knots, [t1, -t1]])
    c = float(spline(np.array([t1]))[0])
    return ShallowReLU(a=a, w=w, b=b, c=c)
