"""Activation functions by name, including the compactly supported ones of MscaleDNN.

    relu     max(x, 0)
    tanh     tanh(x)
    sin      sin(x)
    relu2    ReLU(x)^2,  relu3  ReLU(x)^3,  reluk  ReLU(x)^k (k = the ``power`` option)
    srelu    sReLU(x) = ReLU(x) ReLU(1 - x)                      (support [0, 1])
    s2relu   s2ReLU(x) = sin(2 pi x) ReLU(x) ReLU(1 - x)         (support [0, 1])
    phi      x_+^2 - 3 (x-1)_+^2 + 3 (x-2)_+^2 - (x-3)_+^2      (quadratic B-spline, support [0, 3];
             the MscaleDNN paper's form, without the 1/2 factor; alias ``bspline2``)

Each is a :class:`torch.nn.Module` so that networks print and serialise cleanly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from ..errors import ConfigError

Derivatives = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
"""z -> (sigma(z), sigma'(z), sigma''(z)), for the forward Laplacian (:mod:`.laplacian`)."""


class Activation(nn.Module):
    """An elementwise function sigma(x) with a name (shown in ``repr``).

    ``derivatives``, when known, returns sigma and its first two derivatives at once.
    """

    def __init__(self, name: str, fn: Callable[[torch.Tensor], torch.Tensor],
                 derivatives: Derivatives | None = None):
        super().__init__()
        self.name = name
        self.fn = fn
        self.derivatives = derivatives

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def srelu(x: torch.Tensor) -> torch.Tensor:
    """sReLU(x) = ReLU(x) ReLU(1 - x)."""
    return torch.relu(x) * torch.relu(1 - x)


def s2relu(x: torch.Tensor) -> torch.Tensor:
    """s2ReLU(x) = sin(2 pi x) ReLU(x) ReLU(1 - x)."""
    return torch.sin(2 * math.pi * x) * srelu(x)


def phi(x: torch.Tensor) -> torch.Tensor:
    """Quadratic B-spline x_+^2 - 3 (x-1)_+^2 + 3 (x-2)_+^2 - (x-3)_+^2."""
    r = torch.relu
    return r(x) ** 2 - 3 * r(x - 1) ** 2 + 3 * r(x - 2) ** 2 - r(x - 3) ** 2


def relu_power(k: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """ReLU(x)^k."""

    def fn(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) ** k

    return fn


def relu_power_derivatives(k: float) -> Derivatives:
    """ReLU(x)^k and its first two derivatives (k >= 1; sigma'' = 0 for k = 1)."""

    def fn(x):
        r = torch.relu(x)
        positive = x > 0
        if k == 1:
            return r, positive.to(x.dtype), torch.zeros_like(x)
        # r^(k-2) is infinite at 0 for k < 2: evaluate it on positive values only
        safe = torch.where(positive, r, torch.ones_like(r))
        second = torch.where(positive, k * (k - 1) * safe ** (k - 2), torch.zeros_like(r))
        return r**k, k * r ** (k - 1), second

    return fn


def tanh_derivatives(x):
    a = torch.tanh(x)
    da = 1 - a * a
    return a, da, -2 * a * da


def sin_derivatives(x):
    s = torch.sin(x)
    return s, torch.cos(x), -s


def srelu_derivatives(x):
    inside = ((x > 0) & (x < 1)).to(x.dtype)
    return srelu(x), inside * (1 - 2 * x), -2 * inside


def s2relu_derivatives(x):
    inside = ((x > 0) & (x < 1)).to(x.dtype)
    w = 2 * math.pi
    s, c, q, dq = torch.sin(w * x), torch.cos(w * x), x * (1 - x), 1 - 2 * x
    value = inside * s * q
    first = inside * (w * c * q + s * dq)
    second = inside * (-(w**2) * s * q + 2 * w * c * dq - 2 * s)
    return value, first, second


def phi_derivatives(x):
    r = torch.relu
    first = 2 * r(x) - 6 * r(x - 1) + 6 * r(x - 2) - 2 * r(x - 3)
    second = sum(c * (x > t).to(x.dtype) for c, t in ((2, 0), (-6, 1), (6, 2), (-2, 3)))
    return phi(x), first, second


DERIVATIVES: dict[str, Callable[[float], Derivatives]] = {
    "relu": lambda power: relu_power_derivatives(1),
    "tanh": lambda power: tanh_derivatives,
    "sin": lambda power: sin_derivatives,
    "relu2": lambda power: relu_power_derivatives(2),
    "relu3": lambda power: relu_power_derivatives(3),
    "reluk": relu_power_derivatives,
    "srelu": lambda power: srelu_derivatives,
    "s2relu": lambda power: s2relu_derivatives,
    "phi": lambda power: phi_derivatives,
    "bspline2": lambda power: phi_derivatives,
}
"""name -> factory of (sigma, sigma', sigma'') for the same names as ACTIVATIONS."""


ACTIVATIONS: dict[str, Callable[[float], Callable[[torch.Tensor], torch.Tensor]]] = {
    "relu": lambda power: torch.relu,
    "tanh": lambda power: torch.tanh,
    "sin": lambda power: torch.sin,
    "relu2": lambda power: relu_power(2),
    "relu3": lambda power: relu_power(3),
    "reluk": relu_power,
    "srelu": lambda power: srelu,
    "s2relu": lambda power: s2relu,
    "phi": lambda power: phi,
    "bspline2": lambda power: phi,
}
"""name -> factory taking the ``power`` option (used by ``reluk`` only)."""


def get_activation(name: str | Callable, power: float = 3.0) -> nn.Module:
    """The activation called ``name`` (case-insensitive), or wrap a callable.

    Raises
    ------
    ConfigError
        For an unknown name, listing the valid names.
    """
    if callable(name):
        return Activation(getattr(name, "__name__", "custom"), name)
    key = name.lower()
    if key not in ACTIVATIONS:
        raise ConfigError(
            f"activation: unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}"
        )
    label = f"reluk(power={power:g})" if key == "reluk" else key
    return Activation(label, ACTIVATIONS[key](power), DERIVATIVES[key](power))
