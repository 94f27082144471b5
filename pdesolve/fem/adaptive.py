"""Adaptive refinement: residual error estimator, Doerfler marking, newest-vertex bisection.

For u_h in the Lagrange space on a mesh T (Verfuerth's residual estimator),

    eta_K^2 = h_K^2 || f + div(kappa grad u_h) ||_K^2 + 1/2 sum_{E in dK interior} h_E || [kappa du_h/dn] ||_E^2,

eta^2 = sum_K eta_K^2 bounds the energy error from above and below (up to constants and
data oscillation). Doerfler marking refines the fewest cells M with
sum_{K in M} eta_K^2 >= theta eta^2 (theta = 0.5); scikit-fem refines them (red-green-blue in
2-D, bisection in 3-D) and :func:`~pdesolve.domains.meshing.retag` restores the boundary
parts. On the L-shape this restores the optimal rate H1 ~ DOFs^(-1/2) that uniform
refinement loses to the corner singularity (DOFs^(-1/3)).
"""

from __future__ import annotations

import numpy as np
import skfem
from skfem.helpers import grad

from .unstructured import MeshSystem, at_quadrature, coordinates

THETA = 0.5
"""Doerfler's bulk parameter."""

KAPPA_STEP = 1e-6
"""Relative step of the central differences for grad kappa in the interior residual."""


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


def residual_estimator(system: MeshSystem, u: np.ndarray, f, kappa=None) -> np.ndarray:
    """eta_K^2 for every cell of the system's mesh, (nelems,); P1 (Lap u_h = 0 in each cell,
    so div(kappa grad u_h) = grad kappa . grad u_h)."""
    if system.degree != 1:
        raise ValueError("the residual estimator is implemented for P1 elements")
    basis, mesh = system.basis, system.mesh
    field = basis.interpolate(u)
    points = coordinates(basis)
    residual = at_quadrature(f, basis)
    if kappa is not None:
        gk = _kappa_gradient(kappa, points, float(np.ptp(mesh.p, axis=1).max()))
        gk = gk.T.reshape(field.grad.shape)
        residual = residual + np.sum(gk * field.grad, axis=0)
    eta = _cell_diameters(mesh) ** 2 * np.sum(residual**2 * basis.dx, axis=1)
    sides = [skfem.InteriorFacetBasis(mesh, basis.elem, side=s, intorder=system.quadrature_order)
             for s in (0, 1)]
    normal = sides[0].normals  # the jump of the normal flux across each interior facet
    kappa_facet = np.ones(sides[0].dx.shape) if kappa is None else at_quadrature(kappa, sides[0])
    flux = [np.sum(grad(side.interpolate(u)) * normal, axis=0) for side in sides]
    jump = kappa_facet * (flux[0] - flux[1])
    facet_h = _facet_sizes(mesh, sides[0].find)
    eta_facets = facet_h * np.sum(jump**2 * sides[0].dx, axis=1)
    for side in sides:
        np.add.at(eta, side.tind, 0.5 * eta_facets)
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
