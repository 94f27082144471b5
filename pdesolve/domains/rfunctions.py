"""R-functions: Boolean operations on signed level functions (Rvachev; Shapiro 1991).

With level functions positive inside, zero on the boundary and negative outside, the R0
system gives

    a AND b = a + b - sqrt(a^2 + b^2),     a OR b = a + b + sqrt(a^2 + b^2),     NOT a = -a,

whose zero sets are the boundaries of the intersection, union and complement, and which
keep the first-order normalisation of a and b away from corners. A tiny constant under
the square root keeps the gradient finite where a = b = 0 (at corners); it moves the zero
set by at most that constant. Array-API: NumPy arrays and torch tensors alike.
"""

from __future__ import annotations

from functools import reduce

from array_api_compat import array_namespace

SMOOTHING = 1e-30
"""Added under the square root (the zero set moves by at most sqrt of it, 1e-15)."""


def _and(a, b):
    return a + b - array_namespace(a).sqrt(a * a + b * b + SMOOTHING)


def _or(a, b):
    return a + b + array_namespace(a).sqrt(a * a + b * b + SMOOTHING)


def conjunction(*levels):
    """The R0 intersection of the level functions."""
    return reduce(_and, levels)


def disjunction(*levels):
    """The R0 union of the level functions."""
    return reduce(_or, levels)
