"""Closed-form derivatives of separable functions, and the p-Laplacian source from them.

Written with the array-API namespace of the inputs, so they serve NumPy and
torch alike. Used by the built-in problems to derive f exactly.
"""

from __future__ import annotations

from array_api_compat import array_namespace, device

from . import operator


def _others(phi, xp):
    """prod_{i != k} phi_i for every k, (n, d), from prefix and suffix products.

    O(n d) work and no division, so zeros of the factors are exact; a loop over the
    d directions (not over points).
    """
    d = phi.shape[1]
    ones = xp.ones_like(phi[:, 0])
    left, right = [ones], [ones]
    for k in range(1, d):
        left.append(left[-1] * phi[:, k - 1])
        right.append(right[-1] * phi[:, d - k])
    return xp.stack([left[k] * right[d - 1 - k] for k in range(d)], axis=1)


def product_rule(phi, dphi, d2phi, *, hessian: bool = False):
    """Derivatives of u(x) = prod_i phi_i(x_i).

    Parameters
    ----------
    phi, dphi, d2phi : (n, d) arrays, phi_i(x_i), phi_i'(x_i), phi_i''(x_i).
    hessian : also return the Hessian (n, d, d).

    Returns
    -------
    u (n,), grad (n, d), laplacian (n,)[, hessian (n, d, d)], with P_k = prod_{i != k} phi_i:
    grad_k = phi_k' P_k, Lap u = sum_k phi_k'' P_k, H_kk = phi_k'' P_k and
    H_ik = phi_i' phi_k' prod_{j != i, k} phi_j. No (n, d, d) temporaries unless the Hessian
    is asked for, and no division by phi, so zeros of the factors are handled exactly.
    """
    xp = array_namespace(phi)
    others = _others(phi, xp)
    u = phi[:, 0] * others[:, 0]
    grad = dphi * others
    lap = xp.sum(d2phi * others, axis=1)
    if not hessian:
        return u, grad, lap
    d = phi.shape[1]
    eye = xp.eye(d, dtype=xp.bool, device=device(phi))
    rows = []
    for i in range(d):  # prod_{j != i, k} phi_j: the others of phi with factor i set to 1
        pair = _others(xp.where(eye[i][None, :], xp.ones_like(phi), phi), xp)
        off = dphi[:, i:i + 1] * dphi * pair
        rows.append(xp.where(eye[i][None, :], d2phi * others, off))
    return u, grad, lap, xp.stack(rows, axis=1)


def laplacian(phi, d2phi):
    """Lap u = sum_k phi_k'' prod_{i != k} phi_i of u(x) = prod_i phi_i(x_i), (n,), from phi and
    phi'' (n, d) alone: the Poisson source needs no first derivatives."""
    xp = array_namespace(phi)
    return xp.sum(d2phi * _others(phi, xp), axis=1)


def plaplace_source(kappa, grad_kappa, grad_u, lap_u, hess_u, p: float):
    """f = -div(kappa |grad u|^(p-2) grad u), shape (n,), by :func:`.operator.strong_form`
    from the closed-form derivatives of u (hess_u may be None for p = 2)."""
    xp = array_namespace(grad_u)
    flux_dot = xp.sum(grad_kappa * grad_u, axis=1)
    if p == 2:
        return operator.strong_form(kappa, None, lap_u, flux_dot, None, p)
    sq = xp.sum(grad_u * grad_u, axis=1)
    gHg = xp.sum(grad_u[:, :, None] * hess_u * grad_u[:, None, :], axis=(1, 2))
    return operator.strong_form(kappa, sq, lap_u, flux_dot, gHg, p)
