"""The sparse-grid combination technique: which anisotropic tensor grids, with which weights.

For dimension d and level L >= 0 the combined approximation is

    u_c = sum_(q=0)^(min(d-1, L)) (-1)^q binom(d-1, q) sum_(|l|_1 = d + L - q, l_k >= 1) u_l,

u_l the solution on the tensor grid of 1-D level l_k in direction k (Griebel, Schneider and
Zenger 1992). The coefficients sum to one, and u_c reproduces every function that each u_l
reproduces as soon as it depends on few variables: a function of x_k alone is represented
exactly at the finest 1-D level l_k = 1 + L, so the additively separable sum_k phi_k(x_k)
is reproduced as by the full grid of level 1 + L in every direction. The d-dimensional
mixed error terms cancel up to products of 1-D errors, so for smooth u the error of u_c is
that of the finest 1-D level up to factors of |log h|^(d-1), with
O(h^-1 |log h|^(d-1)) unknowns instead of h^-d.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Callable

import numpy as np


def compositions(total: int, parts: int):
    """Every l (a tuple of ``parts`` integers >= 1) with sum ``total``, lexicographic."""
    if parts == 1:
        if total >= 1:
            yield (total,)
        return
    for first in range(1, total - parts + 2):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


def components(dim: int, level: int) -> list[tuple[int, tuple[int, ...]]]:
    """(coefficient, l) of the combination technique of the module docstring."""
    return [((-1) ** q * comb(dim - 1, q), l)
            for q in range(min(dim - 1, level) + 1)
            for l in compositions(dim + level - q, dim)]


@dataclass(frozen=True)
class CombinedFunction:
    """u_c(x) = sum_i c_i u_i(x) (and grad u_c), each u_i a solution function (m, d) -> (m,)."""

    coefficients: tuple[float, ...]
    functions: tuple[Callable, ...]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return sum(c * u(x) for c, u in zip(self.coefficients, self.functions))

    def grad(self, x: np.ndarray) -> np.ndarray:
        return sum(c * u.grad(x) for c, u in zip(self.coefficients, self.functions))
