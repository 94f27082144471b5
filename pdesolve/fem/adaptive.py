"""Adaptive refinement: residual error estimator, Doerfler marking, newest-vertex bisection.

For u_h in the Lagrange space of any degree on a mesh T, with the flux
sigma_h = a grad u_h (a = kappa |grad u_h|^(p-2), :mod:`pdesolve.problems.operator`),
Verfuerth's residual estimator is

    eta_K^2 = h_K^2 || f - c u_h + div sigma_h ||_K^2
              + 1/2 sum_{E in dK interior} h_E || [sigma_h . n] ||_E^2
              + sum_{E in dK on a flux part} h_E || h - alpha u_h - sigma_h . n ||_E^2,

eta^2 = sum_K eta_K^2 bounds the energy error from above and below (up to constants and
data oscillation; for p != 2 in the quasi-norm of Liu and Barrett). div sigma_h is the
operator's strong form (``operator.strong_form``) from grad u_h, its Hessian and grad kappa
(central differences); the Hessian is taken through each cell's straight (affine) map, exact
on straight cells. Doerfler marking refines the fewest cells M with
sum_{K in M} eta_K^2 >= theta eta^2 (theta = 0.5); scikit-fem refines them (red-green-blue
in 2-D, bisection in 3-D) and :func:`~pdesolve.domains.meshing.retag` restores the boundary
parts. On the L-shape this restores the optimal rate H1 ~ DOFs^(-k/2) that uniform
refinement loses to the corner singularity (DOFs^(-1/3)).
"""

from __future__ import annotations

import numpy as np
import skfem
from skfem.helpers import grad

from ..problems import operator
from .mesh_system import MeshSystem, at_quadrature, coordinates

THETA = 0.5
"""Doerfler's bulk parameter."""

KAPPA_STEP = 1e-6
"""Relative step of the central differences for grad kappa in the interior residual."""

HESSIAN_STEP = 1e-4
"""Step of the central differences of the reference basis gradients (exact for degree 2)."""


def dorfler_mark(eta_squared: np.ndarray, theta: float = THETA) -> np.ndarray:
    """Indices of the fewest cells whose eta_K^2 sum to at least theta * sum eta_K^2."""
    order = np.argsort(eta_squared)[::-1]
    cumulative = np.cumsum(eta_squared[order])
    count = int(np.searchsorted(cumulative, theta * cumulative[-1])) + 1
    return np.sort(order[:count])


def _kappa_gradient(kappa, x: np.ndarray, scale: float) -> np.ndarray:
    """grad kappa at x (n, d) by central differences, (n, d)."""
    step = KAPPA_STEP * scale
    eye = np.eye(x.shape[1]) * step
    return np.stack([(kappa(x + e) - kappa(x - e)) / (2 * step) for e in eye], axis=1)


def _hessian(system: MeshSystem, u: np.ndarray) -> np.ndarray:
    """Hess u_h at the cells' quadrature points, (d, d, nel, nq): the reference Hessians of the
    basis functions (central differences of their gradients) through each cell's straight map
    x = x_0 + A X, H_x = A^{-T} H_X A^{-1}."""
    basis, mesh = system.basis, system.mesh
    X, d = basis.X, basis.X.shape[0]
    shifts = np.eye(d)[:, :, None] * HESSIAN_STEP
    reference = np.stack([np.stack([
        basis.elem.lbasis(X + e, j)[1] - basis.elem.lbasis(X - e, j)[1] for e in shifts], axis=1)
        for j in range(basis.Nbfun)]) / (2 * HESSIAN_STEP)          # (Nb, d, d, nq)
    H_X = np.einsum("jklq,jc->klcq", reference, u[basis.element_dofs])
    corners = mesh.p[:, mesh.t[: d + 1]]                             # (d, d + 1, nel)
    inverse = np.linalg.inv(np.moveaxis(corners[:, 1:] - corners[:, :1], 2, 0))  # dX_k/dx_a
    return np.einsum("cka,klcq,clb->abcq", inverse, H_X, inverse)


def _interior_residual(system: MeshSystem, u: np.ndarray, p: float) -> np.ndarray:
    """f - c u_h + div(a grad u_h) at the cells' quadrature points, (nel, nq)."""
    basis = system.basis
    field = basis.interpolate(u)
    g = field.grad                                                   # (d, nel, nq)
    s = np.sum(g**2, axis=0)
    kappa = 1.0 if system.kappa_q is None else system.kappa_q
    flux_dot = 0.0
    if system.kappa is not None:
        scale = float(np.ptp(system.mesh.p, axis=1).max())
        gk = _kappa_gradient(system.kappa, coordinates(basis), scale).T.reshape(g.shape)
        flux_dot = np.sum(gk * g, axis=0)
    if system.degree == 1:
        lap, gHg = 0.0, 0.0
    else:
        H = _hessian(system, u)
        lap = np.einsum("aacq->cq", H)
        gHg = np.einsum("acq,abcq,bcq->cq", g, H, g)
    residual = system.f_q - operator.strong_form(kappa, s, lap, flux_dot, gHg, p)
    if system.reaction is not None:
        residual = residual - at_quadrature(system.reaction, basis) * np.asarray(field)
    return residual


def _normal_flux(side: skfem.FacetBasis, u: np.ndarray, kappa, p: float,
                 normal: np.ndarray) -> np.ndarray:
    """a grad u_h . n at a facet basis' points, u_h from the basis' own side, (nf, nq)."""
    g = grad(side.interpolate(u))
    return operator.flux_weight(kappa, np.sum(g**2, axis=0), p) * np.sum(g * normal, axis=0)


def residual_estimator(system: MeshSystem, u: np.ndarray, p: float = 2.0) -> np.ndarray:
    """eta_K^2 for every cell of the system's mesh, (nelems,) (see the module docstring)."""
    basis, mesh = system.basis, system.mesh
    eta = _cell_diameters(mesh) ** 2 * np.sum(
        _interior_residual(system, u, p) ** 2 * basis.dx, axis=1)
    sides = [skfem.InteriorFacetBasis(mesh, basis.elem, side=s, intorder=system.quadrature_order)
             for s in (0, 1)]
    kappa = 1.0 if system.kappa is None else at_quadrature(system.kappa, sides[0])
    normal = sides[0].normals  # the jump of the normal flux across each interior facet
    jump = (_normal_flux(sides[0], u, kappa, p, normal)
            - _normal_flux(sides[1], u, kappa, p, normal))
    eta_facets = _facet_sizes(mesh, sides[0].find) * np.sum(jump**2 * sides[0].dx, axis=1)
    for side in sides:
        np.add.at(eta, side.tind, 0.5 * eta_facets)
    for part in system.flux_parts:
        facet = part.basis
        kappa_f = 1.0 if system.kappa is None else at_quadrature(system.kappa, facet)
        r = part.h - _normal_flux(facet, u, kappa_f, p, facet.normals)
        if part.alpha is not None:
            r = r - part.alpha * np.asarray(facet.interpolate(u))
        np.add.at(eta, facet.tind, _facet_sizes(mesh, facet.find) * np.sum(r**2 * facet.dx,
                                                                            axis=1))
    return eta


def _cell_diameters(mesh: skfem.Mesh) -> np.ndarray:
    """Longest edge of every cell, (nelems,)."""
    corners = mesh.p[:, mesh.t]
    d = mesh.dim() + 1
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    return np.max([np.linalg.norm(corners[:, i] - corners[:, j], axis=0) for i, j in pairs], axis=0)


def _facet_sizes(mesh: skfem.Mesh, facets: np.ndarray) -> np.ndarray:
    """Diameter of each facet, (nf,)."""
    corners = mesh.p[:, mesh.facets[:, facets]]
    k = corners.shape[1]
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    return np.max([np.linalg.norm(corners[:, i] - corners[:, j], axis=0) for i, j in pairs], axis=0)
