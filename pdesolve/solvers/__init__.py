"""Solvers: every kind behind one entry point (:func:`solve`), found by name in a registry
(:mod:`.registry`: the solver contract, plug-ins by decorator or entry point)."""

from __future__ import annotations

from ..config import build_options
from ..errors import ConfigError
from ..problems.base import Problem
from ..result import Result
from .registry import (
    ENTRY_POINT_GROUP,
    FAMILIES,
    list_solvers,
    refresh_entry_points,
    register_solver,
    solver_module,
    solvers,
)

__all__ = ["ENTRY_POINT_GROUP", "FAMILIES", "configure", "list_solvers", "refresh_entry_points",
           "register_solver", "solve", "solver_module", "solvers"]


def configure(problem: Problem, kind: str, options: dict, where: str | None = None):
    """(module, validated options) of solver ``kind`` for ``problem``.

    ConfigError for an unknown kind, a bad option, a problem the solver does not support
    or a configuration its ``check`` refuses; messages start with ``where`` (default
    "solver '<kind>'").
    """
    named = f"solver {kind!r}"
    module = solver_module(kind, where or "solver")
    opts = build_options(module.Options, options, where=where or named)
    reason = module.supports(problem)
    if reason:
        text = f"{named} cannot solve problem {problem.name!r}: {reason}"
        raise ConfigError(f"{where}: {text}" if where else text)
    if hasattr(module, "check"):
        try:
            module.check(problem, opts)
        except ConfigError as exc:
            raise exc.prefixed(f"{where or named}.") from None
    return module, opts


def solve(problem: Problem, kind: str, *, progress: bool = False, **options) -> Result:
    """Solve ``problem`` with solver ``kind`` and keyword options (validated).

    >>> from pdesolve import get_problem, solve          # doctest: +SKIP
    >>> result = solve(get_problem("poisson_sine", dim=2), "fem", n=32, element="P2")
    """
    module, opts = configure(problem, kind, options)
    return module.solve(problem, opts, progress=progress)
