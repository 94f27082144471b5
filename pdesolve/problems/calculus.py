"""Closed-form derivatives of separable functions, and the p-Laplacian source.

Written with the array-API namespace of the inputs, so they serve NumPy and
torch alike. Used by the built-in problems to derive f exactly.
"""

from __future__ import annotations

from array_api_compat import array_namespace, device


def product_rule(phi, dphi, d2phi, *, hessian: bool = False):
    """Derivatives of u(x) = prod_i phi_i(x_i).

    Parameters
    ----------
    phi, dphi, d2phi : (n, d) arrays, phi_i(x_i), phi_i'(x_i), phi_i''(x_i).
    hessian : also return the Hessian (n, d, d).

    Returns
    -------
    u (n,), grad (n, d), laplacian (n,)[, hessian (n, d, d)]. No division by phi,
    so zeros of the factors are handled exactly.
    """
    xp = array_namespace(phi)
    n, d = phi.shape
    eye = xp.eye(d, dtype=xp.bool, device=device(phi))
    u = xp.prod(phi, axis=1)
    grad = xp.prod(xp.where(eye[None], dphi[:, None, :], phi[:, None, :]), axis=2)
    lap = xp.sum(xp.prod(xp.where(eye[None], d2phi[:, None, :], phi[:, None, :]), axis=2), axis=1)
    if not hessian:
        return u, grad, lap
    # factor j of H_ik: phi'' if i == k == j, phi' if i != k and j in {i, k}, else phi
    i_eq_k = eye[:, :, None]
    j_in_ik = eye[:, None, :] | eye[None, :, :]
    diag = i_eq_k & eye[:, None, :]
    factors = xp.where(
        diag[None],
        d2phi[:, None, None, :],
        xp.where((j_in_ik & ~i_eq_k)[None], dphi[:, None, None, :], phi[:, None, None, :]),
    )
    return u, grad, lap, xp.prod(factors, axis=3)


def plaplace_source(kappa, grad_kappa, grad_u, lap_u, hess_u, p: float):
    """f = -div(kappa |grad u|^(p-2) grad u), shape (n,).

    Expanded with s = |grad u|:
        f = -[ kappa (s^(p-2) Lap u + (p-2) s^(p-4) grad u^T H grad u) + s^(p-2) grad kappa . grad u ].
    For p = 2 this is -(kappa Lap u + grad kappa . grad u) and hess_u may be None.
    At s = 0 the (p-2) term is taken as 0 (its limit for p > 2).
    """
    xp = array_namespace(grad_u)
    flux_dot = xp.sum(grad_kappa * grad_u, axis=1)
    if p == 2:
        return -(kappa * lap_u + flux_dot)
    sq = xp.sum(grad_u * grad_u, axis=1)
    sp2 = sq ** ((p - 2) / 2)
    gHg = xp.sum(grad_u[:, :, None] * hess_u * grad_u[:, None, :], axis=(1, 2))
    safe_sq = xp.where(sq > 0, sq, xp.ones_like(sq))
    curvature = xp.where(sq > 0, (p - 2) * sp2 * gHg / safe_sq, xp.zeros_like(sq))
    return -(kappa * (sp2 * lap_u + curvature) + sp2 * flux_dot)
