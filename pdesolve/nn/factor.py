"""Singular value decompositions of tall or wide matrices by orthogonal factorisations only.

For A (m, P) (a Jacobian: m residual rows, P parameters) and optionally r (m,),
:func:`factor` returns s (k,), k = min(m, P), descending, the maps z -> V z and g -> V^T g of
the right singular vectors, and c = U^T r, with A = U diag(s) V^T:

- m > P (more points than parameters): Householder QR of [A | r] without forming Q gives
  R (P, P) and Q^T r; the SVD of R = u diag(s) v^T gives V = v and U^T r = u^T (Q^T r).
- m <= P (fewer points than parameters, the sample-space case): Householder QR of A^T = Q R
  (Q kept as reflectors), A = R^T Q^T, the SVD of R^T (m, m) gives the singular values and
  V = Q v, applied to vectors by ``ormqr`` in O(m P).

Neither forms A^T A or A A^T, so singular values down to about eps s_1 are resolved (the
normal equations' Gram matrix squares the condition number and loses everything below
sqrt(eps) s_1). Work: O(m P min(m, P)); memory: the m x P matrix and a min(m, P)^2 one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


@dataclass
class Factor:
    """A = U diag(s) V^T: s (k,), V z for z (k,), V^T g for g (P,), c = U^T r (or None)."""

    s: torch.Tensor
    right: Callable[[torch.Tensor], torch.Tensor]
    right_t: Callable[[torch.Tensor], torch.Tensor]
    c: torch.Tensor | None


def factor(a: torch.Tensor, r: torch.Tensor | None = None) -> Factor:
    """The SVD of ``a`` (m, P) as a :class:`Factor`; c = U^T r when ``r`` (m,) is given."""
    m, p = a.shape
    if m > p:
        stacked = a if r is None else torch.cat([a, r[:, None]], dim=1)
        upper = torch.linalg.qr(stacked, mode="r")[1]
        u, s, vh = torch.linalg.svd(upper[:p, :p])
        c = None if r is None else u.T @ upper[:p, p]
        return Factor(s, lambda z: vh.T @ z, lambda g: vh @ g, c)
    reflectors, tau = torch.geqrf(a.T)
    u, s, vh = torch.linalg.svd(torch.triu(reflectors[:m, :m]).T)

    def right(z):
        padded = torch.zeros(p, 1, dtype=a.dtype, device=a.device)
        padded[:m, 0] = vh.T @ z
        return torch.ormqr(reflectors, tau, padded)[:, 0]

    def right_t(g):
        return vh @ torch.ormqr(reflectors, tau, g[:, None], transpose=True)[:m, 0]

    return Factor(s, right, right_t, None if r is None else u.T @ r)
