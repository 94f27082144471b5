"""Training losses, objects a solver hands to training: the Ritz energy and the strong-form
residual, any network.

For -div(kappa |grad u|^(p-2) grad u) + c u = f in Omega, u = g on the Dirichlet parts, with
interior points x_i (weights w_i) and Dirichlet points y_j (weights w_j) from
:mod:`pdesolve.nn.sampling`:

    RitzLoss:      sum_i w_i [psi(kappa, |grad u|^2) + c u^2 / 2 - f u](x_i)
                   +  beta sum_j w_j (u(y_j) - g(y_j))^2,
    ResidualLoss:  sum_i w_i r(x_i)^2 / |Omega|  +  beta sum_j w_j (u(y_j) - g(y_j))^2 / |dOmega|,
                   r = -div(flux(grad u)) + c u - f,

plus, on Neumann/Robin parts, the flux terms of :mod:`.flux_points` (the boundary energy for
Ritz, the flux residual's mean square for the residual loss).

with psi and the flux d psi / d grad u of :mod:`pdesolve.problems.operator`.

The Ritz term is a Monte-Carlo (or quadrature) estimate of the energy
J(u) = int kappa/p |grad u|^p - f u; the penalty estimates beta int_dOmega (u - g)^2.
The residual terms are mean squares (the peers' convention; beta = 1 weighs them equally): with
equal weights w_i = |Omega| / n the interior term is mean_i r(x_i)^2.
With ``boundary="exact"`` the network is wrapped in :class:`DirichletAnsatz` and the
penalty is dropped.

Every term is a sum over points of a residual of :class:`.gauss_newton.PointFunctions`, the
functions the Gauss-Newton Jacobians differentiate point by point: the residual's divergence by
the forward Laplacian of :mod:`.laplacian` for Poisson on an MLP/MscaleDNN-1, otherwise by one
reverse pass per dimension (faster than torch.func ``vmap(hessian)`` on CPU; neither needs
compilation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

from ..domains import Domain
from ..problems.base import Problem
from .factor import factor
from .flux_points import FluxPoints
from .gauss_newton import PointFunctions, residual_system, ritz_system


class DirichletAnsatz(nn.Module):
    """u(x) = G(x) + phi(x) N(x): the Dirichlet data built in (an output transform).

    phi is the domain's approximate distance function (:meth:`Domain.distance`: on a box
    prod_i 4 (x_i - a_i)(b_i - x_i) / (b_i - a_i)^2, 1 at the centre; elsewhere the
    R-function composition of its pieces' distances), zero exactly on dOmega. G extends g
    from the boundary using boundary values only (never g inside the domain, which for
    manufactured problems is the exact solution): with P_i x the closest point of boundary
    piece i and phi_i its distance,

        G(x) = sum_i w_i(x) g(P_i x),   w_i = (1/phi_i) / sum_i' (1/phi_i'),

    so G = g on every piece (:meth:`Domain.extension`; phi_i is clamped at 1e-14 times the
    domain's diameter to stay finite).
    """

    def __init__(self, net: nn.Module, domain: Domain, g):
        super().__init__()
        self.net = net
        self.domain = domain
        self.values = [g] * len(domain.parts)

    def distance(self, x: torch.Tensor) -> torch.Tensor:
        """phi(x), shape (n,)."""
        return self.domain.distance(x)

    def extension(self, x: torch.Tensor) -> torch.Tensor:
        """G(x), shape (n,), from g at the closest points of the boundary pieces."""
        return self.domain.extension(x, self.values)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.extension(x) + self.distance(x) * self.net(x)


def boundary_penalty(model: nn.Module, problem: Problem, y: torch.Tensor,
                     wy: torch.Tensor) -> torch.Tensor:
    """sum_j w_j (u(y_j) - g(y_j))^2, the estimate of int_dOmega (u - g)^2."""
    r = PointFunctions(model, problem).u(None, y) - problem.g(y)
    return torch.sum(wy * r * r)


def ritz_energy(model: nn.Module, problem: Problem, x: torch.Tensor, w) -> torch.Tensor:
    """sum_i w_i e(x_i), e = kappa/p |grad u|^p + c u^2 / 2 - f u, at the interior points
    x (n, d); w a number or (n,)."""
    return torch.sum(w * PointFunctions(model, problem).energy_density(None, x.detach()))


def residual(model: nn.Module, problem: Problem, x: torch.Tensor) -> torch.Tensor:
    """r = -div(kappa |grad u|^(p-2) grad u) + c u - f at x (n, d), shape (n,)
    (:meth:`.gauss_newton.PointFunctions.residual`); ``model`` may be any function of x."""
    x, points = x.detach(), PointFunctions(model, problem)
    return points.residual(None, x, *points.sources(x))


def flux_residual(model: nn.Module, problem: Problem, points: FluxPoints) -> torch.Tensor:
    """q = kappa |grad u|^(p-2) grad u . n + alpha u - h at the flux points, (m,)."""
    return PointFunctions(model, problem).flux_residual(None, points.y, points.normals,
                                                        points.alpha, points.h)


def boundary_energy(model: nn.Module, problem: Problem, points: FluxPoints) -> torch.Tensor:
    """sum_j w_j (alpha u^2 / 2 - h u) at the flux points: the flux parts' Ritz energy."""
    u = model(points.y)
    return torch.sum(points.weights * problem.boundary_energy_density(u, points.alpha, points.h))


class Loss(ABC):
    """A training loss: ``loss(model, x, w, y, wy, beta) -> (total, boundary term)``, total =
    interior term + beta * boundary term.

    Parameters
    ----------
    problem : the PDE.
    exact_boundary : the model enforces u = g itself; no boundary term.
    """

    boundary_scale: float
    """The factor on sum_j w_j (u(y_j) - g(y_j))^2 in the boundary term."""

    def __init__(self, problem: Problem, exact_boundary: bool = False):
        self.problem = problem
        self.exact_boundary = exact_boundary
        self.penalised = not exact_boundary and bool(problem.dirichlet_parts)
        self.flux: FluxPoints | None = None

    def draw_flux_points(self, n: int, seed: int, dtype: torch.dtype, device,
                         kind: str = "uniform", order: int = 4) -> None:
        """Draw the fixed points of the Neumann/Robin parts (none without such parts)."""
        if self.problem.fluxes:
            self.flux = FluxPoints.draw(self.problem, n, seed, dtype, device, kind, order)

    @abstractmethod
    def interior(self, model: nn.Module, x: torch.Tensor, w) -> torch.Tensor:
        """The interior term at the points x (n, d) with weights w (a number or (n,))."""

    @abstractmethod
    def gauss_newton(self, model: nn.Module, batch, weight, beta: float):
        """(factor of the Gauss-Newton model, its coefficients, share): the truncated step is
        d = -V (c / s) over the kept singular values and predicts the decrease
        share * |c|^2 (see :mod:`.engd`)."""

    @abstractmethod
    def linear_model(self, model: nn.Module, batch, weight, beta: float):
        """(g (P,), B (rows, P), w): the Gauss-Newton model of the loss, under which the step
        -phi decreases it by w (g . phi - |B phi|^2 / 2) (:mod:`.spring`)."""

    def __call__(self, model: nn.Module, x: torch.Tensor, w, y: torch.Tensor,
                 wy: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
        interior = self.interior(model, x, w)
        bnd = torch.zeros((), dtype=interior.dtype, device=interior.device)
        if self.penalised:
            bnd = self.boundary_scale * boundary_penalty(model, self.problem, y, wy)
        return interior + beta * bnd + self.flux_term(model, beta), bnd

    def flux_term(self, model: nn.Module, beta: float) -> torch.Tensor | float:
        """The term of the Neumann/Robin parts (0 without them)."""
        return 0.0


class RitzLoss(Loss):
    """The Ritz energy with the boundary penalty beta sum_j w_j (u - g)^2."""

    boundary_scale = 1.0

    def interior(self, model: nn.Module, x: torch.Tensor, w) -> torch.Tensor:
        return ritz_energy(model, self.problem, x, w)

    def flux_term(self, model: nn.Module, beta: float) -> torch.Tensor | float:
        """The boundary energy sum_j w_j (alpha u^2 / 2 - h u) (part of the energy: no beta)."""
        return 0.0 if self.flux is None else boundary_energy(model, self.problem, self.flux)

    def gauss_newton(self, model: nn.Module, batch, weight, beta: float):
        """E ~ E + g.d + d^T B^T B d / 2 (:func:`.gauss_newton.ritz_system`), B = U diag(s) V^T:
        c = V^T g / s, predicted decrease |c|^2 / 2."""
        _, grad, rows = ritz_system(model, self.problem, batch, weight, beta, not self.penalised,
                                    self.flux)
        f = factor(rows)
        return f, f.right_t(grad) / f.s.clamp_min(torch.finfo(f.s.dtype).tiny), 0.5

    def linear_model(self, model: nn.Module, batch, weight, beta: float):
        """E ~ E + g.d + |B d|^2 / 2: (g, B, 1)."""
        _, grad, rows = ritz_system(model, self.problem, batch, weight, beta, not self.penalised,
                                    self.flux)
        return grad, rows, 1.0


class ResidualLoss(Loss):
    """The mean square of the strong-form residual with the boundary mean square."""

    def __init__(self, problem: Problem, exact_boundary: bool = False):
        super().__init__(problem, exact_boundary)
        self.boundary_scale = 1.0 / problem.domain.boundary_measure
        self.volume = problem.domain.volume

    def interior(self, model: nn.Module, x: torch.Tensor, w) -> torch.Tensor:
        r = residual(model, self.problem, x)
        return torch.sum(w * r * r) / self.volume

    def flux_term(self, model: nn.Module, beta: float) -> torch.Tensor | float:
        """beta sum_j w_j q_j^2 / |dOmega|, q the flux residual."""
        if self.flux is None:
            return 0.0
        q = flux_residual(model, self.problem, self.flux)
        return beta * self.boundary_scale * torch.sum(self.flux.weights * q * q)

    def gauss_newton(self, model: nn.Module, batch, weight, beta: float):
        """L = |rho|^2 (:func:`.gauss_newton.residual_system`), J = U diag(s) V^T: c = U^T rho,
        predicted decrease |c|^2."""
        rho, jac = residual_system(model, self.problem, batch, weight, beta, not self.penalised,
                                   self.flux)
        f = factor(jac, rho)
        return f, f.c, 1.0

    def linear_model(self, model: nn.Module, batch, weight, beta: float):
        """|rho + J d|^2 = |rho|^2 + 2 (J^T rho) . d + |J d|^2: (J^T rho, J, 2)."""
        rho, jac = residual_system(model, self.problem, batch, weight, beta, not self.penalised,
                                   self.flux)
        return jac.mT @ rho, jac, 2.0
