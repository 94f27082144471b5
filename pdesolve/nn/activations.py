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


class Activation(nn.Module):
    """An elementwise function sigma(x) with a name (shown in ``repr``)."""

    def __init__(self, name: str, fn: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.name = name
        self.fn = fn

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
    return Activation(label, ACTIVATIONS[key](power))
