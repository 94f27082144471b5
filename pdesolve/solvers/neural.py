"""What the neural solver kinds (deep_ritz, pinn) share: their family, what their DOFs count,
the problems they apply to, the option checks that need the problem. Each kind declares its
own loss and option defaults."""

from __future__ import annotations

from ..errors import ConfigError
from ..nn.options import check_combinations
from ..problems.base import Problem

FAMILY = "neural"
DOFS = "trainable parameters"


def supports(problem: Problem) -> str | None:
    """Any problem of the family on any domain: the Ritz energy exists for every p >= 2 and
    kappa > 0, the strong-form residual needs f, kappa and g only, and the samplers and the
    boundary ansatz work through the Domain interface."""
    return None


def check(problem: Problem, options) -> None:
    """Refuse options that need a box on a domain that is not one (the parity ansatz mirrors
    about the box's centre, the per-frequency errors are DFTs on its tensor grid), and those
    that cannot run together or on this problem
    (:func:`pdesolve.nn.options.check_combinations`)."""
    if options.boundary == "exact" and problem.fluxes:
        raise ConfigError(f"boundary: 'exact' builds u = g in on the whole boundary; the problem "
                          f"has {problem.beyond_dirichlet}; use boundary = 'penalty'")
    if not problem.domain.structured:
        if options.parity != "none":
            raise ConfigError(f"parity: {options.parity!r} mirrors about a box's centre; the "
                              f"problem is posed on a {problem.domain.kind}; use parity = 'none'")
        if options.freq_history:
            raise ConfigError(f"freq_history: per-frequency errors are measured on a box's "
                              f"tensor grid; the problem is posed on a {problem.domain.kind}")
    check_combinations(problem, options)
