"""Parameter Jacobians of the training losses: the linear models behind a Gauss-Newton step.

With theta the P trainable parameters, points x_i (weights w_i, N of them) and boundary
points y_j (weights w_j, M of them), as in :mod:`pdesolve.nn.losses`:

Residual loss. The loss is a sum of squares, L(theta) = |rho(theta)|^2 with

    rho = [ sqrt(w_i / |Omega|) r(x_i) ;  sqrt(beta w_j / |dOmega|) (u(y_j) - g(y_j)) ;
            sqrt(beta w_k / |dOmega|) q(z_k) ],
    r = -div(kappa |grad u|^(p-2) grad u) + c u - f,  q = kappa |grad u|^(p-2) du/dn + alpha u - h
    at the points z_k of the Neumann/Robin parts (:mod:`.flux_points`),

and :func:`residual_system` returns rho (N + M,) and its Jacobian J = d rho / d theta (N + M, P).
Gauss-Newton linearises rho: L(theta + d) ~ |rho + J d|^2; J^T J is the Gram matrix of the
linearised residual operator integrated with the loss's own quadrature (the ENGD Gram).

Ritz loss. The loss E(theta) = sum_i w_i e(grad u, u, x_i) + beta sum_j w_j (u(y_j) - g(y_j))^2
(e = kappa/p |grad u|^p - f u, :meth:`pdesolve.problems.base.Problem.energy_density`) is not a
sum of squares. Linearising u in theta (u + Phi d, Phi = du/dtheta) and expanding the energy to
second order gives E(theta + d) ~ E + g.d + d^T G d / 2 with g = dE/dtheta and

    G = sum_i w_i (D Phi_i)^T H_i (D Phi_i) + 2 beta sum_j w_j Phi(y_j)^T Phi(y_j),

D Phi_i = d(u, grad u)(x_i)/dtheta ((d + 1) x P) and H_i the Hessian of e in (u, grad u) at the
network's values: for p = 2 the bilinear form a(dv/dtheta_k, dv/dtheta_l) plus the boundary
term, for p > 2 the energy's second variation at the current network (a Gauss-Newton step on
the Ritz energy). :func:`ritz_system` returns E, g and B with G = B^T B, the rows of B being
sqrt(w_i) H_i^(1/2) D Phi_i and sqrt(2 beta w_j) Phi(y_j), so G is factored through B and never
formed. H and its square root come from the energy density by automatic differentiation.

All derivatives are torch.func transforms of the per-point residuals of :mod:`.pointwise`
(the functions the losses batch), vmapped over the points in chunks of
:data:`.pointwise.CHUNK` points to bound the memory of the intermediates; J and B take
8 (N + M) P bytes (float64).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import jacfwd, jacrev, vmap

from ..problems.base import Problem
from .pointwise import ParameterVector, PointFunctions, jacobian


def _weights(weight, x: torch.Tensor) -> torch.Tensor:
    """Interior weights as a tensor (n,): ``weight`` is one number or one per point."""
    return torch.as_tensor(weight, dtype=x.dtype, device=x.device).expand(len(x))


def residual_system(model: nn.Module, problem: Problem, batch, weight, beta: float,
                    exact_boundary: bool, flux=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(rho (N + M,), J (N + M, P)) of the residual loss |rho|^2 on ``batch`` = (x, y, w_y) with
    interior weights ``weight`` (a number or (N,)); ``exact_boundary``: no Dirichlet rows;
    ``flux`` (:class:`.flux_points.FluxPoints`): the rows sqrt(beta w_j / |dOmega|) q_j of the
    Neumann/Robin parts."""
    x, y, wy = (t.detach() for t in batch)
    vector, points = ParameterVector(model), PointFunctions(model, problem)
    params = vector.tensors()
    jac, r = jacobian(points.residual, params, vector, x, *points.sources(x))
    scale = torch.sqrt(_weights(weight, x) / problem.domain.volume)
    rho, rows = [r * scale], [jac * scale[:, None]]
    if not exact_boundary:
        jb, ub = jacobian(points.u, params, vector, y)
        weight = torch.sqrt(beta * wy / problem.domain.boundary_measure)
        rho.append(weight * (ub - problem.g(y)))
        rows.append(weight[:, None] * jb)
    if flux is not None:
        jq, q = jacobian(points.flux_residual, params, vector, flux.y, flux.normals, flux.alpha,
                         flux.h)
        weight = torch.sqrt(beta * flux.weights / problem.domain.boundary_measure)
        rho.append(weight * q)
        rows.append(weight[:, None] * jq)
    return torch.cat(rho), torch.cat(rows)


def _density_hessian(problem: Problem, z: torch.Tensor, x: torch.Tensor):
    """(de/dz (n, d + 1), d2e/dz2 (n, d + 1, d + 1)) of the energy density at z = (u, grad u)."""

    def density(zi, xi):
        return problem.energy_density(zi[None, 1:], zi[None, 0], xi[None])[0]

    first = vmap(jacrev(density))(z, x)
    second = vmap(jacfwd(jacrev(density)))(z, x)
    return first, torch.nan_to_num(second)


def _psd_sqrt(h: torch.Tensor) -> torch.Tensor:
    """Symmetric square roots of the (n, k, k) matrices h, negative eigenvalues set to 0."""
    values, vectors = torch.linalg.eigh(h)
    return (vectors * torch.sqrt(torch.clamp(values, min=0))[:, None, :]) @ vectors.mT


def ritz_system(model: nn.Module, problem: Problem, batch, weight, beta: float,
                exact_boundary: bool, flux=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(E, g (P,), B (rows, P)) of the Ritz loss on ``batch``: E its value, g = dE/dtheta, and
    G = B^T B the Gauss-Newton matrix of the energy (see the module docstring). With ``flux``
    the boundary energy sum_j w_j (alpha u^2 / 2 - h u) adds its gradient and the rows
    sqrt(w_j alpha_j) Phi(y_j)."""
    x, y, wy = (t.detach() for t in batch)
    vector, points = ParameterVector(model), PointFunctions(model, problem)
    params = vector.tensors()
    jac, z = jacobian(points.u_and_grad, params, vector, x)  # (n, d + 1, P), (n, d + 1)
    first, second = _density_hessian(problem, z, x)
    w = _weights(weight, x)
    energy = torch.sum(w * problem.energy_density(z[:, 1:], z[:, 0], x))
    grad = torch.einsum("n,nk,nkp->p", w, first, jac)
    rows = [(torch.sqrt(w)[:, None, None] * (_psd_sqrt(second) @ jac)).reshape(-1, jac.shape[-1])]
    if flux is not None:
        jf, uf = jacobian(points.u, params, vector, flux.y)
        energy = energy + torch.sum(flux.weights * problem.boundary_energy_density(
            uf, flux.alpha, flux.h))
        grad = grad + (flux.weights * (flux.alpha * uf - flux.h)) @ jf
        robin = flux.alpha > 0
        rows.append(torch.sqrt(flux.weights * flux.alpha)[robin, None] * jf[robin])
    if not exact_boundary:
        jb, ub = jacobian(points.u, params, vector, y)
        miss = ub - problem.g(y)
        energy = energy + beta * torch.sum(wy * miss * miss)
        grad = grad + 2 * beta * (wy * miss) @ jb
        rows.append(torch.sqrt(2 * beta * wy)[:, None] * jb)
    return energy, grad, torch.cat(rows)
