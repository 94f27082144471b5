"""A solver contributed by a separate package: -Lap u = f by the sine series of f.

On a box with u = 0 on its boundary, -Lap has the eigenfunctions
phi_k(x) = prod_j sin(k_j pi (x_j - a_j) / L_j) with eigenvalues
lambda_k = sum_j (k_j pi / L_j)^2. With n modes per direction, f is sampled at the n^d
interior nodes of the uniform grid of spacing L_j / (n + 1); the type-I discrete sine
transform gives the coefficients f_k of the sine interpolant of f, and

    u_n = sum_k f_k / lambda_k phi_k       (exact when f is in the span of the modes).

The package's pyproject.toml exposes this module under the entry-point group
``pdesolve.solvers``; the entry point's name (``sine_series``) is the solver kind.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.fft import dstn

from pdesolve import Box, Problem, Result
from pdesolve.config import opt

FAMILY = "classical"
DOFS = "sine modes (n^d coefficients)"

POINTS_PER_CHUNK = 1 << 20
"""Entries of the (points, n^(d-1)) partial sums per chunk of evaluation points."""


@dataclass
class Options:
    n: int = opt(16, min=1, max=4096, help="sine modes per direction")


def supports(problem: Problem) -> str | None:
    """-Lap u = f (p = 2, kappa = 1) in d <= 3 with u = 0 on the boundary (checked at the
    boundary nodes of a 9^d grid)."""
    if not isinstance(problem.domain, Box):
        return "the sine series needs a box domain"
    if problem.p != 2 or not problem.constant_kappa:
        return "the sine series solves -Lap u = f: needs p = 2 and kappa = 1"
    if problem.dim > 3:
        return f"the sine series is evaluated in d <= 3, the problem has d = {problem.dim}"
    x = _grid(problem.domain, 9, interior=False)
    g = np.asarray(problem.g(x[problem.domain.on_boundary(x)]))
    if np.max(np.abs(g)) > 1e-12:
        return "the sine series needs u = 0 on the boundary"
    return None


def _grid(domain, n: int, interior: bool = True) -> np.ndarray:
    """The n^d nodes a + i L / (n + 1), i = 1..n (or n evenly spaced nodes from a to b)."""
    axes = [np.linspace(a, b, n + 2)[1:-1] if interior else np.linspace(a, b, n)
            for a, b in zip(domain.lower, domain.upper)]
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)


@dataclass(frozen=True)
class SineSeries:
    """u(x) = sum_k c_k prod_j sin(k_j w_j (x_j - a_j)), w_j = pi / L_j; c: (n,) * d."""

    coefficients: np.ndarray
    lower: np.ndarray
    w: np.ndarray

    def _factors(self, x: np.ndarray, derivative: int | None = None) -> list[np.ndarray]:
        n = self.coefficients.shape[0]
        k = np.arange(1, n + 1)
        out = []
        for j in range(x.shape[1]):
            arg = np.outer(x[:, j] - self.lower[j], k * self.w[j])
            out.append(k * self.w[j] * np.cos(arg) if j == derivative else np.sin(arg))
        return out

    def _sum(self, factors: list[np.ndarray]) -> np.ndarray:
        """sum_k c_k prod_j factors[j][:, k_j], contracting one direction at a time."""
        m, n = factors[0].shape
        partial = factors[0] @ self.coefficients.reshape(n, -1)
        for f in factors[1:]:
            partial = np.einsum("mjr,mj->mr", partial.reshape(m, n, -1), f)
        return partial[:, 0]

    def _chunks(self, x: np.ndarray, fn) -> np.ndarray:
        step = max(1, POINTS_PER_CHUNK // self.coefficients[0].size)
        return np.concatenate([fn(x[i:i + step]) for i in range(0, len(x), step)] or
                              [np.zeros(0)])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._chunks(np.asarray(x, float), lambda y: self._sum(self._factors(y)))

    def grad(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, float)
        return np.stack([self._chunks(x, lambda y, j=j: self._sum(self._factors(y, j)))
                         for j in range(x.shape[1])], axis=1)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """The n-mode sine series of the solution; ``seconds`` covers sampling f and the DST."""
    start = time.perf_counter()
    n, d = options.n, problem.dim
    lengths = problem.domain.lengths
    f = np.asarray(problem.f(_grid(problem.domain, n))).reshape((n,) * d)
    # scipy's DST-I: y_k = 2 sum_i f_i sin(pi k i / (n + 1)), so f_k = y_k / (n + 1) per axis
    coefficients = dstn(f, type=1) / float(n + 1) ** d
    w = np.pi / lengths
    k2 = (np.arange(1, n + 1)[:, None] * w[None, :]) ** 2  # (n, d): (k w_j)^2
    eigenvalues = sum(np.expand_dims(k2[:, j], tuple(i for i in range(d) if i != j))
                      for j in range(d))
    series = SineSeries(coefficients / eigenvalues, np.asarray(problem.domain.lower), w)
    seconds = time.perf_counter() - start
    return Result("sine_series", u=series, grad=series.grad, dofs=n**d, seconds=seconds,
                  info={"n": n, "h": float(max(lengths)) / (n + 1),
                        "modes": math.prod((n,) * d)})
