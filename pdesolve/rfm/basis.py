"""Frozen random features and their derivatives at points, as matrices over the features.

Global features on the box [l, u] (the domain's bounding box), with xhat = (x - m) / h in
[-1, 1]^d (m the centre, h the half-lengths):

    phi_k(x) = sigma(a_k (v_k . (xhat - y_k))),   v_k ~ U(-r, r)^d,  y_k ~ U(-1, 1)^d,

so each feature's level sets pass through a random point y_k of the box, r is the weight
scale (default rule: :data:`DEFAULT_WEIGHT_SCALE`) and a_k the MscaleDNN
scale of the feature's group (the features split into len(scales) equal groups). Derivatives
are analytic: grad phi_k = sigma'(z_k) w_k, Lap phi_k = sigma''(z_k) |w_k|^2, with
z_k = w_k . x + b_k the pre-activation in physical coordinates (w_k = a_k v_k / h).

Local features (the random feature method's partition of unity): the box is cut into
M_1 x ... x M_d patches; patch j carries its own features on its box widened by the overlap
delta, and psi_j(x) = prod_i psi_{j_i}(x_i) with the 1-D functions

    psi_j(t) = S((t - e_j + delta) / (2 delta)) (1 - S((t - e_{j+1} + delta) / (2 delta))),

S the C^2 smoothstep 6 s^5 - 15 s^4 + 10 s^3 clamped to [0, 1] (the first factor is 1 for
the first patch, the second for the last), so that sum_j psi_j = 1 and the basis
{psi_j phi_jk} is C^2. Every point meets at most 2^d patches: the matrices are sparse.

Matrices of the basis at n points: ``value`` (n, K), ``grad`` (d matrices (n, K)),
``lap`` (n, K); NumPy arrays for global features, scipy CSR matrices for local ones.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from ..nn.activations import DERIVATIVES

DEFAULT_WEIGHT_SCALE = 1.0
"""r of the weight distribution, in units of the box's half-lengths: each feature varies over
about the box's size (measured best for one period across the box; raise it with the
solution's frequency)."""


@dataclass(frozen=True)
class Evaluated:
    """The basis at n points: value (n, K), grad (d of (n, K)), lap (n, K) or None."""

    value: object
    grad: tuple
    lap: object = None


def activation(name: str, power: float):
    """z (NumPy) -> (sigma, sigma', sigma'') of a pdesolve activation, in float64."""
    derivatives = DERIVATIVES[name](power)

    def fn(z: np.ndarray):
        return tuple(t.numpy() for t in derivatives(torch.from_numpy(z)))

    return fn


class RandomFeatures:
    """K features sigma(w_k . x + b_k) on the box [lower, upper] (see the module docstring)."""

    def __init__(self, lower, upper, count: int, sigma, scales, weight_scale: float,
                 rng: np.random.Generator):
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        centre, half = (lower + upper) / 2, (upper - lower) / 2
        dim = len(lower)
        groups = np.repeat(np.asarray(scales, float),
                           np.diff(np.linspace(0, count, len(scales) + 1).round().astype(int)))
        v = rng.uniform(-weight_scale, weight_scale, (count, dim)) * groups[:, None]
        y = rng.uniform(-1, 1, (count, dim))
        self.weights = v / half                                   # (K, d)
        self.bias = -np.sum(v * y, axis=1) - self.weights @ centre  # (K,)
        self.sigma = sigma
        self.count = self.size = count

    def evaluate(self, x: np.ndarray, lap: bool = True) -> Evaluated:
        """The features at x (n, d): dense (n, K) matrices."""
        s, ds, dds = self.sigma(x @ self.weights.T + self.bias)
        grad = tuple(ds * w for w in self.weights.T)
        return Evaluated(s, grad, dds * np.sum(self.weights**2, axis=1) if lap else None)

    def hessian_along(self, x: np.ndarray, g: np.ndarray) -> tuple:
        """(Hess phi_k) g at x (n, d) for directions g (n, d): d matrices (n, K), entries
        sigma''(z_k) (w_k . g) w_ki."""
        t = self.sigma(x @ self.weights.T + self.bias)[2] * (g @ self.weights.T)
        return tuple(t * w for w in self.weights.T)


def smoothstep(s: np.ndarray):
    """S(s) = 6 s^5 - 15 s^4 + 10 s^3 on [0, 1] (0 below, 1 above) and S', S''."""
    s = np.clip(s, 0.0, 1.0)
    return (s**3 * (10 - 15 * s + 6 * s * s), 30 * s * s * (1 - s) ** 2,
            60 * s * (1 - s) * (1 - 2 * s))


def bump(t: np.ndarray, j: np.ndarray, edges: np.ndarray, delta: float):
    """psi_j(t) and its first two derivatives (module docstring) for patch j (n,) of the
    1-D edges e_0 < ... < e_M; 0 for j outside 0..M-1."""
    count = len(edges) - 1
    valid = (j >= 0) & (j < count)
    jj = np.clip(j, 0, count - 1)
    up, dup, ddup = smoothstep((t - edges[jj] + delta) / (2 * delta))
    down, ddown, dddown = smoothstep((t - edges[jj + 1] + delta) / (2 * delta))
    down, ddown, dddown = 1 - down, -ddown, -dddown
    first, last = jj == 0, jj == count - 1
    up, dup, ddup = np.where(first, 1, up), np.where(first, 0, dup), np.where(first, 0, ddup)
    down, ddown, dddown = (np.where(last, 1, down), np.where(last, 0, ddown),
                           np.where(last, 0, dddown))
    c = 1 / (2 * delta)
    value = up * down
    d1 = c * (dup * down + up * ddown)
    d2 = c * c * (ddup * down + 2 * dup * ddown + up * dddown)
    return value * valid, d1 * valid, d2 * valid


class PartitionFeatures:
    """``count`` local features on each of the prod(patches) patches of [lower, upper], glued
    by the C^2 partition of unity of the module docstring (overlap delta = ``overlap`` times
    half a patch width)."""

    def __init__(self, lower, upper, patches, count: int, sigma, scales, weight_scale: float,
                 overlap: float, rng: np.random.Generator):
        self.lower, self.upper = np.asarray(lower, float), np.asarray(upper, float)
        self.patches = np.broadcast_to(np.asarray(patches, int), self.lower.shape).copy()
        self.edges = [np.linspace(a, b, m + 1)
                      for a, b, m in zip(self.lower, self.upper, self.patches)]
        self.delta = overlap * np.min((self.upper - self.lower) / self.patches) / 2
        self.count = count
        self.local = []
        for index in itertools.product(*(range(m) for m in self.patches)):
            a = np.array([e[i] for e, i in zip(self.edges, index)]) - self.delta
            b = np.array([e[i + 1] for e, i in zip(self.edges, index)]) + self.delta
            self.local.append(RandomFeatures(a, b, count, sigma, scales, weight_scale, rng))

    @property
    def size(self) -> int:
        return self.count * len(self.local)

    def _patch_values(self, x: np.ndarray):
        """(point, patch) pairs with psi != 0: point indices (m,), patch numbers (m,), psi (m,),
        grad psi (m, d), Lap psi (m,)."""
        n, dim = x.shape
        width = (self.upper - self.lower) / self.patches
        home = np.clip(((x - self.lower) // width).astype(int), 0, self.patches - 1)
        offsets = np.array(list(itertools.product((-1, 0, 1), repeat=dim)))  # (3^d, d)
        j = home[:, None, :] + offsets[None]                                 # (n, 3^d, d)
        factors = [bump(np.repeat(x[:, i], len(offsets)), j[:, :, i].ravel(), self.edges[i],
                        self.delta) for i in range(dim)]
        value = np.prod([f[0] for f in factors], axis=0)
        keep = value != 0
        grad = np.stack([f[1] * np.prod([g[0] for k, g in enumerate(factors) if k != i], axis=0)
                         for i, f in enumerate(factors)], axis=1)
        lap = sum(f[2] * np.prod([g[0] for k, g in enumerate(factors) if k != i], axis=0)
                  for i, f in enumerate(factors))
        number = np.ravel_multi_index(np.moveaxis(j.reshape(-1, dim)[keep], 1, 0), self.patches)
        points = np.repeat(np.arange(n), len(offsets))[keep]
        return points, number, value[keep], grad[keep], lap[keep]

    def evaluate(self, x: np.ndarray, lap: bool = True) -> Evaluated:
        """psi_j phi_jk at x (n, d) and its derivatives: CSR (n, patches * count) matrices."""
        points, number, psi, dpsi, lpsi = self._patch_values(x)
        order = np.argsort(number, kind="stable")
        points, number, psi, dpsi, lpsi = (a[order] for a in (points, number, psi, dpsi, lpsi))
        starts = np.searchsorted(number, np.arange(len(self.local) + 1))
        parts = {"value": [], "lap": [], **{f"grad{i}": [] for i in range(x.shape[1])}}
        for p, features in enumerate(self.local):
            at = slice(starts[p], starts[p + 1])
            if at.start == at.stop:
                for v in parts.values():
                    v.append(np.zeros((0, self.count)))
                continue
            phi = features.evaluate(x[points[at]], lap)
            ps, dp = psi[at, None], dpsi[at]
            parts["value"].append(ps * phi.value)
            for i, g in enumerate(phi.grad):
                parts[f"grad{i}"].append(ps * g + dp[:, i, None] * phi.value)
            if lap:
                cross = sum(dp[:, i, None] * g for i, g in enumerate(phi.grad))
                parts["lap"].append(ps * phi.lap + 2 * cross + lpsi[at, None] * phi.value)
        rows = np.repeat(points, self.count)
        cols = (number[:, None] * self.count + np.arange(self.count)).ravel()
        shape = (len(x), self.size)

        def matrix(blocks):
            return sp.csr_matrix((np.concatenate(blocks).ravel(), (rows, cols)), shape=shape)

        return Evaluated(matrix(parts["value"]),
                         tuple(matrix(parts[f"grad{i}"]) for i in range(x.shape[1])),
                         matrix(parts["lap"]) if lap else None)


class Selected:
    """The features ``columns`` (sorted indices into ``basis``) of a basis: its matrices with
    those columns only, as one block (``count`` = ``size``)."""

    def __init__(self, basis, columns: np.ndarray):
        self.basis, self.columns = basis, columns
        self.count = self.size = len(columns)

    def evaluate(self, x: np.ndarray, lap: bool = True) -> Evaluated:
        at, cols = self.basis.evaluate(x, lap), self.columns
        return Evaluated(at.value[:, cols], tuple(g[:, cols] for g in at.grad),
                         None if at.lap is None else at.lap[:, cols])

    def hessian_along(self, x: np.ndarray, g: np.ndarray) -> tuple:
        return tuple(m[:, self.columns] for m in self.basis.hessian_along(x, g))

