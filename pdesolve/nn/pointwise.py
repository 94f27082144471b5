"""The network's residuals at one point, defined once and batched by ``vmap``.

Each function takes the parameters (a dict by name, :func:`torch.func.functional_call`) and one
point x (d,), and returns a scalar or a short vector; derivatives in x are torch.func
transforms of the point's value. The two users batch the same functions over the points:

- the losses (:mod:`.losses`): :func:`batched`, with the model's own parameters, so that
  ordinary autograd differentiates the loss in them;
- the Gauss-Newton Jacobians (:mod:`.gauss_newton`): :func:`jacobian`, ``vmap(jacrev(...))`` in
  the (detached) parameters, in chunks of :data:`CHUNK` points to bound memory.

For -div(kappa |grad u|^(p-2) grad u) + c u = f with Neumann/Robin data
kappa |grad u|^(p-2) du/dn + alpha u = h:

    residual        r(x) = -div(flux(grad u)) + c u - f,
    flux residual   q(y) = flux(grad u) . n + alpha u - h,
    energy density  e(x) = psi(kappa, |grad u|^2) + c u^2 / 2 - f u
                    (:meth:`pdesolve.problems.base.Problem.energy_density`),

flux and psi from :mod:`pdesolve.problems.operator`. The divergence uses the forward Laplacian
(:mod:`.laplacian`) for Poisson (p = 2, kappa = 1) on an MLP, otherwise the trace of the flux's
Jacobian by forward-over-reverse differentiation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, jacfwd, jacrev, vmap

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


def _value(module, params: dict, x: torch.Tensor) -> torch.Tensor:
    """The module at one point x (d,) with ``params``: a scalar (a plain function of x (n, d),
    such as an exact solution, takes no parameters)."""
    if not isinstance(module, nn.Module):
        return module(x[None])[0]
    return functional_call(module, params, (x[None],))[0]


class PointFunctions:
    """The per-point functions of ``model`` on ``problem``: each (params, x (d,), ...) -> value."""

    def __init__(self, model: nn.Module, problem: Problem):
        self.model, self.problem = model, problem
        self.laplacian = (_ForwardLaplacian(model)
                          if problem.p == 2 and problem.constant_kappa
                          and supports_forward_laplacian(model) else None)

    def u(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """u(x), a scalar."""
        return _value(self.model, params, x)

    def grad(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """grad u(x), (d,)."""
        return jacrev(lambda y: _value(self.model, params, y))(x)

    def u_and_grad(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """(u, grad u) stacked, shape (d + 1,)."""
        return torch.cat([_value(self.model, params, x)[None], self.grad(params, x)])

    def energy_density(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        """e(u, grad u, x), a scalar."""
        z = self.u_and_grad(params, x)
        return self.problem.energy_density(z[None, 1:], z[None, 0], x[None])[0]

    def residual(self, params: dict, x: torch.Tensor, f: torch.Tensor,
                 c: torch.Tensor) -> torch.Tensor:
        """r = -div(kappa |grad u|^(p-2) grad u) + c u - f at one point (c unused without a
        reaction term)."""
        if self.laplacian is not None:
            prefixed = {f"model.{k}": v for k, v in params.items()}
            div = operator.flux_weight(1.0, None, 2) * _value(self.laplacian, prefixed, x)
        else:
            div = torch.trace(jacfwd(lambda y: self._flux(params, y))(x))
        if self.problem.reaction is None:
            return -div - f
        return -div + c * _value(self.model, params, x) - f

    def flux_residual(self, params: dict, y: torch.Tensor, normal: torch.Tensor,
                      alpha: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """q = kappa |grad u|^(p-2) grad u . n + alpha u - h at one boundary point."""
        return (torch.dot(self._flux(params, y), normal) + alpha * _value(self.model, params, y)
                - h)

    def _flux(self, params: dict, x: torch.Tensor) -> torch.Tensor:
        kappa = None if self.problem.constant_kappa else self.problem.kappa(x[None])[0]
        return operator.flux(kappa, self.grad(params, x), self.problem.p)


def live_parameters(model) -> dict[str, torch.Tensor]:
    """The model's parameters and buffers by name, not detached: a loss built on them is
    differentiable in them by ordinary autograd (none for a plain function)."""
    if not isinstance(model, nn.Module):
        return {}
    return {**dict(model.named_parameters()), **dict(model.named_buffers())}


def batched(fn, params: dict, *inputs: torch.Tensor) -> torch.Tensor:
    """fn(params, *point_inputs) at every point: vmapped over the leading dimension of
    ``inputs``."""
    return vmap(fn, in_dims=(None,) + (0,) * len(inputs))(params, *inputs)


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
    """(Jacobian in the parameters (n, k, P) or (n, P), values (n, k) or (n,)) of the per-point
    fn(params, *point_inputs), vmapped over the leading dimension of ``inputs``."""

    def with_value(p, *point):
        value = fn(p, *point)
        return value, value

    jac, value = vmap(jacrev(with_value, has_aux=True), in_dims=(None,) + (0,) * len(inputs),
                      chunk_size=CHUNK)(params, *inputs)
    return vector.flatten(jac, value.numel()).reshape(*value.shape, -1), value
