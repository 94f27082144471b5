"""Laplacian of an MLP by forward propagation of (value, Jacobian, Laplacian).

For a hidden layer z = W h + b followed by a = sigma(z), with J = dh/dx (n, d, w) and
L = Lap h (n, w):

    dz/dx = J W^T,   Lap z = L W^T,
    da/dx = sigma'(z) dz/dx,   Lap a = sigma''(z) |dz/dx|^2 + sigma'(z) Lap z,

summed over the d input directions. One forward pass and, for training, one ordinary
backward pass -- instead of a reverse pass per dimension through the graph of a reverse
pass (double backward). Used for the strong-form residual of linear problems with constant
kappa when the network is a plain or MscaleDNN-1 :class:`~pdesolve.nn.networks.MLP` whose
activation knows its first two derivatives; anything else falls back to double backward.
"""

from __future__ import annotations

import torch
from torch import nn

from .networks import MLP


def supports_forward_laplacian(model: nn.Module) -> bool:
    """True when :func:`mlp_laplacian` applies to ``model``."""
    return isinstance(model, MLP) and getattr(model.activation, "derivatives", None) is not None


def mlp_laplacian(model: MLP, x: torch.Tensor) -> torch.Tensor:
    """Lap u(x) of ``model`` at x (n, d), shape (n,)."""
    derivatives = model.activation.derivatives
    h = jac = lap = None
    for i, layer in enumerate(model.hidden):
        weight = layer.weight
        if i == 0:
            if model.first_scales is not None:
                weight = weight * model.first_scales[:, None]
            z = torch.addmm(layer.bias, x, weight.T)
            a, da, d2a = derivatives(z)
            # the first layer is affine in x: dz/dx = W^T for every point, Lap z = 0
            new_jac = da[:, None, :] * weight.T
            new_lap = d2a * torch.sum(weight * weight, dim=1)
        else:
            z = layer(h)
            dz = jac @ weight.T
            a, da, d2a = derivatives(z)
            new_jac = da[:, None, :] * dz
            new_lap = d2a * torch.sum(dz * dz, dim=1) + da * (lap @ weight.T)
        if model.skip[i]:
            h, jac, lap = a + h, new_jac + jac, new_lap + lap
        else:
            h, jac, lap = a, new_jac, new_lap
    return (lap @ model.out.weight.T).squeeze(-1)
