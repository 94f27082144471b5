"""What the neural solver kinds (deep_ritz, pinn) share: their family, what their DOFs count,
the problems they apply to. Each kind declares its own loss and option defaults."""

from __future__ import annotations

from ..domains import box_only
from ..problems.base import Problem

FAMILY = "neural"
DOFS = "trainable parameters"


def supports(problem: Problem) -> str | None:
    """Any problem of the family on a box: the Ritz energy exists for every p >= 2 and
    kappa > 0, and the strong-form residual needs f, kappa and g only. Other domains wait for
    sampling and boundary ansatz through the Domain interface."""
    return box_only(problem.domain, "the network solvers (for now)")
