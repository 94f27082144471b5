"""Networks u_theta: R^d -> R: plain/residual MLPs and the two MscaleDNN variants.

- ``mlp``: x -> sigma(W_1 x + b_1) -> ... -> W_out h + b_out. With ``residual``, a hidden
  layer whose input and output widths are equal adds its input (h <- sigma(W h + b) + h),
  the skip rule of the MscaleDNN code and the spirit of the Deep Ritz blocks.
- ``mscale1`` (MscaleDNN-1): as ``mlp``, but the first hidden layer's neurons are split into
  M groups; neurons of group i compute sigma(a_i (w . x) + b) -- the product is scaled,
  the bias is not.
- ``mscale2`` (MscaleDNN-2): u(x) = sum_i h_i(a_i x), M independent MLP subnetworks.

Initialisation (the MscaleDNN code's): every weight and bias ~ N(0, s^2), with
s = init_scale * sqrt(2 / (n_in + n_out)) of its layer. Every network maps (n, d) -> (n,).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from .options import check_scales

NETWORKS = ("mlp", "mscale1", "mscale2")


class MLP(nn.Module):
    """Fully connected network (n, d) -> (n,), optionally with per-neuron first-layer scales.

    Parameters
    ----------
    dim : input dimension d.
    widths : hidden widths (at least one).
    activation : the module applied after every hidden layer.
    residual : add the layer input where a hidden layer keeps the width.
    first_scales : (widths[0],) multipliers of w . x in the first layer (MscaleDNN-1), or None.
    """

    def __init__(self, dim: int, widths: Sequence[int], activation: nn.Module,
                 residual: bool = False, first_scales: Sequence[float] | None = None):
        super().__init__()
        sizes = [dim, *widths]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(sizes))
        self.out = nn.Linear(sizes[-1], 1)
        self.activation = activation
        self.skip = [residual and a == b for a, b in pairwise(sizes)]
        if first_scales is None:
            self.first_scales = None
        else:
            self.register_buffer("first_scales", torch.as_tensor(first_scales, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, layer in enumerate(self.hidden):
            if i == 0 and self.first_scales is not None:
                z = torch.addcmul(layer.bias, h @ layer.weight.T, self.first_scales)
            else:
                z = layer(h)
            z = self.activation(z)
            h = z + h if self.skip[i] else z
        return self.out(h).squeeze(-1)


class ScaleSum(nn.Module):
    """MscaleDNN-2: u(x) = sum_i h_i(a_i x) over subnetworks h_i, (n, d) -> (n,)."""

    def __init__(self, subnets: Sequence[nn.Module], scales: Sequence[float]):
        super().__init__()
        self.subnets = nn.ModuleList(subnets)
        self.scales = [float(a) for a in scales]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.subnets[0](self.scales[0] * x)
        for a, net in zip(self.scales[1:], self.subnets[1:]):
            out = out + net(a * x)
        return out


def group_scales(width: int, scales: Sequence[float]) -> np.ndarray:
    """Per-neuron scales: ``width`` neurons split into len(scales) nearly equal groups."""
    check_scales(width, scales)
    return np.concatenate([np.full(len(g), a, dtype=float)
                           for g, a in zip(np.array_split(np.arange(width), len(scales)), scales)])


def init_normal_(model: nn.Module, generator: torch.Generator, init_scale: float = 1.0) -> None:
    """Every Linear's weight and bias ~ N(0, (init_scale sqrt(2/(n_in+n_out)))^2), in place."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                std = init_scale * math.sqrt(2.0 / (layer.in_features + layer.out_features))
                for p in (layer.weight, layer.bias):
                    p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) * std)


def build_network(kind: str, dim: int, widths: Sequence[int], activation: nn.Module, *,
                  scales: Sequence[float] = (1.0,), residual: bool = False,
                  init_scale: float = 1.0, seed: int = 0,
                  dtype: torch.dtype = torch.float32) -> nn.Module:
    """A freshly initialised network of ``kind`` (one of NETWORKS), on the CPU.

    ``scales`` are used by mscale1/mscale2 only. Initialisation draws from a generator
    seeded with ``seed``, so the same options give the same network.
    """
    if kind not in NETWORKS:
        raise ConfigError(f"network: unknown network {kind!r}; valid: {', '.join(NETWORKS)}")
    if not widths:
        raise ConfigError("widths: at least one hidden layer is needed")
    if kind == "mlp":
        model = MLP(dim, widths, activation, residual)
    elif kind == "mscale1":
        model = MLP(dim, widths, activation, residual, group_scales(widths[0], scales))
    else:
        model = ScaleSum([MLP(dim, widths, activation, residual) for _ in scales], scales)
    model = model.to(dtype)
    init_normal_(model, torch.Generator().manual_seed(seed), init_scale)
    return model


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars (the DOFs of a network)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
