"""The network's residuals, defined once as functions of (params, x) that act point by point.

Each function takes the parameters (a dict by name, :func:`torch.func.functional_call`; None: the
model's own) and points x (n, d), and returns one value (or a short vector) per point, the value
at x_i depending on x_i alone; derivatives in x are torch.func transforms (the gradient of
sum_i u(x_i) in x is grad u at every point, as the points are independent). The two users apply
the same functions:

- the losses (:mod:`.losses`) on the whole batch with the model's own parameters, so that
  ordinary autograd differentiates the loss in them;
- the Gauss-Newton Jacobians (:mod:`.gauss_newton`) one point at a time, :func:`jacobian`:
  ``vmap`` over the points of ``jacrev`` in the (detached) parameters of the function on a batch
  of one point, in chunks of :data:`CHUNK` points to bound memory.

The losses do not vmap the one-point function: on this 2-core CPU a whole Adam step
(float32, 2-64-64-64-1 tanh, 1024 points, 1 thread) took 1.7-2.3x longer with the loss vmapped
over points (p-Laplacian residual 51 ms against 29 ms, built-in boundary values 127 against
56 ms, Ritz energy 23 against 12 ms), and within a few per cent of batched autograd applied to the
batch as here.

For -div(kappa |grad u|^(p-2) grad u) + c u = f with Neumann/Robin data
kappa |grad u|^(p-2) du/dn + alpha u = h:

    residual        r(x) = -div(flux(grad u)) + c u - f,
    flux residual   q(y) = flux(grad u) . n + alpha u - h,
    energy density  e(x) = psi(kappa, |grad u|^2) + c u^2 / 2 - f u
                    (:meth:`pdesolve.problems.base.Problem.energy_density`),

flux and psi from :mod:`pdesolve.problems.operator`. The divergence uses the forward Laplacian
(:mod:`.laplacian`) for Poisson (p = 2, kappa = 1) on an MLP, otherwise one reverse pass of the
flux per direction.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, jacrev, vjp, vmap

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


def _divergence(field, x: torch.Tensor) -> torch.Tensor:
    """sum_i d field_i / d x_i at x (n, d), (n,), for a field (n, d) -> (n, d) that acts point
    by point: one reverse pass per direction (the pull-back of the unit vector e_i at every
    point gives d field_i / dx at every point)."""
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
        points are independent."""

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
        if self.laplacian is not None:
            prefixed = None if params is None else {f"model.{k}": v for k, v in params.items()}
            div = operator.flux_weight(1.0, None, 2) * _values(self.laplacian, prefixed, x)
        else:
            div = _divergence(lambda y: self._flux(params, y), x)
        if self.problem.reaction is None:
            return -div - f
        return -div + c * _values(self.model, params, x) - f

    def flux_residual(self, params: dict, y: torch.Tensor, normal: torch.Tensor,
                      alpha: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """q = kappa |grad u|^(p-2) grad u . n + alpha u - h at boundary points y (m, d), (m,)."""
        return (torch.sum(self._flux(params, y) * normal, dim=1)
                + alpha * _values(self.model, params, y) - h)

    def _flux(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        kappa = None if self.problem.constant_kappa else self.problem.kappa(x)
        return operator.flux(kappa, self.value_and_grad(params, x)[1], self.problem.p)


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
