"""The p-Laplacian, defined once: its energy density and what derives from it.

With s = |grad u|^2 the Ritz energy density of -div(kappa |grad u|^(p-2) grad u) is

    psi(kappa, s) = kappa/p s^(p/2)          (p = 2: kappa s / 2, half the bilinear form
                                                 a(u, u) = int kappa grad u . grad u),

linear in kappa. Everything the solvers use is read from here:

    flux       d psi / d grad u = a grad u,           a = 2 psi_s  = kappa s^((p-2)/2),
    Hessian    d flux / d grad u = a I + b g g^T,     b = 4 psi_ss = kappa (p-2) s^((p-4)/2),
    strong form  -div(a grad u) = -(kappa (s^((p-2)/2) Lap u + (p-2) s^((p-4)/2) g^T H g)
                                    + s^((p-2)/2) grad kappa . g),     g = grad u, H = Hess u.

The FEM and grid Newton iterations take J, J' and J'' from :func:`density`,
:func:`flux_weight` and :func:`curvature_weight`, and for p = 2 their stiffness matrix and
stencil take the coefficient a of the bilinear form from :func:`flux_weight`; the Ritz loss
integrates :func:`density` (through :meth:`pdesolve.problems.base.Problem.energy_density`);
the strong-form residual differentiates :func:`flux` by autograd (Poisson on an MLP: the
forward Laplacian times the flux weight); source terms (closed form and sympy) and the
finite-difference check of a problem use :func:`strong_form` and :func:`flux`. Every function
takes arrays of any array-API namespace (NumPy, torch) and, except where noted, sympy
expressions, with kappa and s of shape (n,) (or scalars).
"""

from __future__ import annotations

from array_api_compat import array_namespace


def density(kappa, sq, p: float):
    """psi = kappa/p s^(p/2), s = sq = |grad u|^2 (p = 2: kappa s / 2)."""
    return kappa * (sq / 2 if p == 2 else sq ** (p / 2) / p)


def flux_weight(kappa, sq, p: float):
    """a = 2 d psi / d s = kappa s^((p-2)/2): the flux is a grad u (p = 2: kappa)."""
    return kappa if p == 2 else kappa * sq ** ((p - 2) / 2)


def curvature_weight(kappa, sq, p: float):
    """b = 4 d^2 psi / d s^2 = kappa (p-2) s^((p-4)/2): d flux / d grad u = a I + b g g^T."""
    return kappa * (p - 2) * sq ** ((p - 4) / 2)


def flux(kappa, grad_u, p: float, *, axis: int = -1):
    """d psi / d grad u = a grad u, shape of grad_u; kappa None means kappa = 1 (skipped).

    ``axis`` is the gradient's axis (its components are summed into s there).
    """
    out = grad_u
    if p != 2:
        xp = array_namespace(grad_u)
        out = out * xp.sum(grad_u * grad_u, axis=axis, keepdims=True) ** ((p - 2) / 2)
    if kappa is not None:
        out = (kappa[..., None] if axis == -1 else kappa) * out
    return out


def strong_form(kappa, sq, lap_u, flux_dot, gHg, p: float):
    """-div(flux) = -(kappa (s^((p-2)/2) Lap u + (p-2) s^((p-4)/2) g^T H g)
    + s^((p-2)/2) grad kappa . g), shape (n,).

    Parameters: kappa, sq = |g|^2, lap_u = Lap u, flux_dot = grad kappa . g and gHg = g^T H g
    (unused for p = 2, may be None), each (n,). For p = 2 this is -(kappa Lap u + grad kappa . g).
    On arrays the (p-2) term is taken as 0 where s = 0 (its limit for p > 2); on sympy
    expressions it is left as written.
    """
    if p == 2:
        return -(kappa * lap_u + flux_dot)
    sp2, bend = _powers(sq, gHg, p)
    return -(kappa * (sp2 * lap_u + bend) + sp2 * flux_dot)


def _powers(sq, gHg, p: float):
    """(s^((p-2)/2), (p-2) s^((p-2)/2) g^T H g / s); on arrays both 0 where s = 0 (their
    limits for p > 2), with finite autograd derivatives there."""
    try:
        xp = array_namespace(sq)
    except TypeError:  # a sympy expression
        sp2 = sq ** ((p - 2) / 2)
        return sp2, (p - 2) * sp2 * gHg / sq
    positive = sq > 0
    safe_sq = xp.where(positive, sq, xp.ones_like(sq))
    zero = xp.zeros_like(sq)
    sp2 = xp.where(positive, safe_sq ** ((p - 2) / 2), zero)
    return sp2, xp.where(positive, (p - 2) * sp2 * gHg / safe_sq, zero)
