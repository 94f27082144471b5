"""PINN: a network trained on the strong-form residual (the peers' default method).

Minimises  mean r^2 + beta mean (u - g)^2,  r = -div(kappa |grad u|^(p-2) grad u) - f,
with the divergence by automatic differentiation (:mod:`pdesolve.nn.losses`).
Network, optimiser and sampling options: :class:`pdesolve.nn.options.NeuralOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import opt
from ..nn.options import NeuralOptions
from ..problems.base import Problem
from ..result import Result
from .neural import DOFS, FAMILY, check, supports  # noqa: F401 - this kind's declarations

KIND = "pinn"


@dataclass
class Options(NeuralOptions):
    """PINN options: see :class:`pdesolve.nn.options.NeuralOptions` (beta0 = 1: residual and
    boundary mean squares weighed equally, as DeepXDE does)."""

    beta: float = opt(1.0, help="weight of the boundary mean square", min=0)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Train a network on the strong-form residual of ``problem``."""
    from ..nn.losses import ResidualLoss
    from ..nn.runner import train

    loss = ResidualLoss(problem, exact_boundary=options.boundary == "exact")
    return train(problem, options, loss, name=KIND, progress=progress)
