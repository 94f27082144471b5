"""The network's residuals, defined once, and their parameter Jacobians: the linear models
behind a Gauss-Newton step.

Each function takes the parameters (a dict by name, :func:`torch.func.functional_call`; None: the
model's own) and points x (n, d), and returns one value (or a short vector) per point, the value
at x_i depending on x_i alone (the gradient of sum_i u(x_i) in x is grad u at every point, as the
points are independent). The two users apply the same functions:

- the losses (:mod:`.losses`) on the whole batch with the model's own parameters (``params``
  None): the derivatives in x by ordinary autograd, which keeps the graph for the loss's
  gradient in the parameters;
- the Gauss-Newton Jacobians (:func:`residual_system`, :func:`ritz_system`) one point at a
  time (:func:`jacobian`): ``vmap`` over the points of ``jacrev`` in the (detached) parameters
  of the function on a batch of one point, the derivatives in x by torch.func, in chunks of
  :data:`CHUNK` points to bound memory.

The losses do not vmap the one-point function: with the divergence or the Ritz energy that made
a whole Adam step 1.7-2.3x slower on CPU than the batch form. Ordinary autograd on the batch
also keeps float32 training bit for bit what it was (torch.func orders the sums of the boundary
ansatz's gradient differently, at round-off).

For -div(kappa |grad u|^(p-2) grad u) + c u = f with Neumann/Robin data
kappa |grad u|^(p-2) du/dn + alpha u = h:

    residual        r(x) = -div(flux(grad u)) + c u - f,
    flux residual   q(y) = flux(grad u) . n + alpha u - h,
    energy density  e(x) = psi(kappa, |grad u|^2) + c u^2 / 2 - f u
                    (:meth:`pdesolve.problems.base.Problem.energy_density`),

flux and psi from :mod:`pdesolve.problems.operator`. The divergence uses the forward Laplacian
(:mod:`.laplacian`) for Poisson (p = 2, kappa = 1) on an MLP, otherwise one reverse pass of the
flux per direction.

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

J and B take 8 (N + M) P bytes (float64).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, jacfwd, jacrev, vjp, vmap

from ..problems import operator
from ..problems.base import Problem
from .laplacian import mlp_laplacian, supports_forward_laplacian

CHUNK = 2048
"""Points per vmapped chunk of a Jacobian."""


class _ForwardLaplacian(nn.Module):
    """x -> Lap u(x) of an MLP as a module, so that functional_call can swap its parameters."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mlp_laplacian(self.model, x)


def _values(module, params: dict | None, x: torch.Tensor) -> torch.Tensor:
    """The module at the points x (n, d) with ``params`` (None: its own), (n,)."""
    if params is None:
        return module(x)
    return functional_call(module, params, (x,))


def _divergence(field, x: torch.Tensor, autograd: bool) -> torch.Tensor:
    """sum_i d field_i / d x_i at x (n, d), (n,), for a field (n, d) -> (n, d) that acts point
    by point: one reverse pass per direction (the pull-back of the unit vector e_i at every
    point gives d field_i / dx at every point); by ordinary autograd with ``autograd``, else by
    torch.func (inside the transforms of :func:`jacobian`)."""
    if autograd:
        x = x.detach().requires_grad_(True)
        value = field(x)
        return sum(torch.autograd.grad(value[:, i].sum(), x, create_graph=True)[0][:, i]
                   for i in range(x.shape[1]))
    value, pullback = vjp(field, x)
    total = 0
    for i in range(x.shape[1]):
        unit = torch.zeros_like(value)
        unit[:, i] = 1
        total = total + pullback(unit)[0][:, i]
    return total


class PointFunctions:
    """The residuals of ``model`` on ``problem``: each (params, x (n, d), data...) -> (n,) or
    (n, k), acting point by point; ``params`` None means the model's own parameters (ordinary
    autograd differentiates the result in them), ``model`` may then be any function of x."""

    def __init__(self, model, problem: Problem):
        self.model, self.problem = model, problem
        self.laplacian = (_ForwardLaplacian(model)
                          if problem.p == 2 and problem.constant_kappa
                          and supports_forward_laplacian(model) else None)

    def u(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """u(x), (n,)."""
        return _values(self.model, params, x)

    def value_and_grad(self, params: dict, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(u (n,), grad u (n, d)) at x: grad u is the gradient of sum_i u(x_i) in x, as the
        points are independent; with ``params`` None (the losses) by ordinary autograd, which
        keeps the graph for the parameters' gradients and differentiates in x a leaf that asks
        for it (the divergence's), else by torch.func."""
        if params is None:
            x = x if x.requires_grad else x.detach().requires_grad_(True)
            u = self.model(x)
            (grad,) = torch.autograd.grad(u.sum(), x, create_graph=True)
            return u, grad

        def total(y):
            u = _values(self.model, params, y)
            return u.sum(), u

        grad, u = torch.func.grad(total, has_aux=True)(x)
        return u, grad

    def u_and_grad(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """(u, grad u) side by side, (n, d + 1)."""
        u, grad = self.value_and_grad(params, x)
        return torch.cat([u[:, None], grad], dim=1)

    def energy_density(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """e(u, grad u, x), (n,)."""
        u, grad = self.value_and_grad(params, x)
        return self.problem.energy_density(grad, u, x)

    def sources(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(f (n,), c (n,)) at x (n, d), the data of :meth:`residual` (c = 0 without a reaction
        term)."""
        c = (self.problem.reaction(x) if self.problem.reaction is not None
             else torch.zeros_like(x[:, 0]))
        return self.problem.f(x), c

    def residual(self, params: dict, x: torch.Tensor, f: torch.Tensor,
                 c: torch.Tensor) -> torch.Tensor:
        """r = -div(kappa |grad u|^(p-2) grad u) + c u - f, (n,), with f (n,) and c (n,) the
        source and reaction at x (c unused without a reaction term)."""
        # the reaction term first: the order in which autograd accumulates the parameters'
        # gradients, so float32 training runs as it did before this function was shared
        reaction = 0.0 if self.problem.reaction is None else c * _values(self.model, params, x)
        if self.laplacian is not None:
            prefixed = None if params is None else {f"model.{k}": v for k, v in params.items()}
            div = operator.flux_weight(1.0, None, 2) * _values(self.laplacian, prefixed, x)
        else:
            div = _divergence(lambda y: self._flux(self.value_and_grad(params, y)[1], y), x,
                              autograd=params is None)
        return -div + reaction - f

    def flux_residual(self, params: dict, y: torch.Tensor, normal: torch.Tensor,
                      alpha: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """q = kappa |grad u|^(p-2) grad u . n + alpha u - h at boundary points y (m, d), (m,)."""
        u, grad = self.value_and_grad(params, y)
        return torch.sum(self._flux(grad, y) * normal, dim=1) + alpha * u - h

    def _flux(self, grad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """kappa |grad u|^(p-2) grad u at x from grad u there."""
        kappa = None if self.problem.constant_kappa else self.problem.kappa(x)
        return operator.flux(kappa, grad, self.problem.p)


class ParameterVector:
    """The trainable parameters of ``model`` as one flat vector (names in model order)."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.buffers = dict(model.named_buffers())

    @property
    def size(self) -> int:
        return sum(p.numel() for _, p in self.named)

    def get(self) -> torch.Tensor:
        """theta, shape (P,), detached."""
        return torch.cat([p.detach().reshape(-1) for _, p in self.named])

    def set(self, theta: torch.Tensor) -> None:
        """Write theta (P,) into the model's parameters."""
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(theta, [p for _, p in self.named])

    def tensors(self) -> dict[str, torch.Tensor]:
        """The current parameters and buffers by name (detached), for functional_call."""
        return {**{n: p.detach() for n, p in self.named}, **self.buffers}

    def flatten(self, jacobians: dict[str, torch.Tensor], rows: int) -> torch.Tensor:
        """Per-parameter Jacobians {name: (rows, ...)} -> (rows, P) in the vector's order."""
        return torch.cat([jacobians[n].reshape(rows, -1) for n, _ in self.named], dim=1)


def jacobian(fn, params: dict, vector: ParameterVector,
             *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Jacobian in the parameters (n, k, P) or (n, P), values (n, k) or (n,)) of the point-by-point
    fn(params, *inputs), one point at a time: ``jacrev`` of fn on a batch of one point, vmapped
    over the leading dimension of ``inputs``."""

    def with_value(p, *point):
        value = fn(p, *(a[None] for a in point))[0]
        return value, value

    jac, value = vmap(jacrev(with_value, has_aux=True), in_dims=(None,) + (0,) * len(inputs),
                      chunk_size=CHUNK)(params, *inputs)
    return vector.flatten(jac, value.numel()).reshape(*value.shape, -1), value


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
