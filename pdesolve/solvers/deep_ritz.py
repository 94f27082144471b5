"""Deep Ritz: a network trained on the Ritz energy (E and Yu, arXiv 1710.00211).

Minimises  |Omega| mean kappa/p |grad u|^p - f u  +  beta |dOmega| mean (u - g)^2
(:mod:`pdesolve.nn.losses`), or the energy alone with ``boundary="exact"``. The energy is
minimised by the weak solution of -div(kappa |grad u|^(p-2) grad u) = f for p >= 2.
Network, optimiser and sampling options: :class:`pdesolve.nn.options.NeuralOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import opt
from ..nn.options import NeuralOptions
from ..problems.base import Problem
from ..result import Result
from .neural import DOFS, FAMILY, check, supports  # noqa: F401 - this kind's declarations

KIND = "deep_ritz"


@dataclass
class Options(NeuralOptions):
    """Deep Ritz options: see :class:`pdesolve.nn.options.NeuralOptions` (beta0 = 1e3, the
    MscaleDNN code's)."""

    beta: float = opt(1000.0, help="boundary penalty weight beta0", min=0)


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Train a network on the Ritz energy of ``problem``."""
    from ..nn.losses import RitzLoss
    from ..nn.runner import train

    loss = RitzLoss(problem, exact_boundary=options.boundary == "exact")
    return train(problem, options, loss, name=KIND, progress=progress)
