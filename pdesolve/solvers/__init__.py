"""Solver registry: every solver kind behind one entry point.

A solver kind is a module exposing

    Options                      a dataclass of keyword options (see pdesolve.config),
    supports(problem) -> str|None  None if it can solve the problem, else the reason,
    check(problem, options)      optional: raises ConfigError ("<option>: ...") for a
                                 configuration that cannot run (too large for the machine,
                                 options the problem rules out); called before any run,
    solve(problem, options, *, progress=True) -> Result

Modules are imported only when their kind is used, so FEM runs never import torch.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..config import build_options
from ..errors import ConfigError
from ..problems.base import Problem
from ..result import Result

SOLVER_MODULES = {
    "fem": "pdesolve.solvers.fem",
    "grid": "pdesolve.solvers.grid",
    "jacobi": "pdesolve.solvers.jacobi",
    "deep_ritz": "pdesolve.solvers.deep_ritz",
    "pinn": "pdesolve.solvers.pinn",
}

SOLVER_FAMILIES = {"fem": "classical", "grid": "classical", "jacobi": "classical",
                   "deep_ritz": "neural", "pinn": "neural"}


def list_solvers() -> list[str]:
    return list(SOLVER_MODULES)


def register_solver(kind: str, module_path: str, family: str = "classical") -> None:
    """Make the module at ``module_path`` available as solver ``kind``.

    The module follows the solver contract above (``Options``, ``supports``,
    ``solve``). ``family`` ("classical" or "neural") decides whether reports fit
    convergence rates for it. Re-registering a kind replaces it.
    """
    if family not in ("classical", "neural"):
        raise ConfigError(f"solver family: {family!r} is not allowed; allowed: 'classical', 'neural'")
    SOLVER_MODULES[kind] = module_path
    SOLVER_FAMILIES[kind] = family


def solver_module(kind: str) -> ModuleType:
    """The module implementing ``kind``; ConfigError listing the kinds if unknown."""
    if kind not in SOLVER_MODULES:
        raise ConfigError(f"solver.kind: unknown solver {kind!r}; available: {', '.join(SOLVER_MODULES)}")
    return importlib.import_module(SOLVER_MODULES[kind])


def solve(problem: Problem, kind: str, *, progress: bool = False, **options) -> Result:
    """Solve ``problem`` with solver ``kind`` and keyword options (validated).

    >>> from pdesolve import get_problem, solve          # doctest: +SKIP
    >>> result = solve(get_problem("poisson_sine", dim=2), "fem", n=32, element="P2")
    """
    module = solver_module(kind)
    opts = build_options(module.Options, options, where=f"solver {kind!r}")
    reason = module.supports(problem)
    if reason:
        raise ConfigError(f"solver {kind!r} cannot solve problem {problem.name!r}: {reason}")
    if hasattr(module, "check"):
        try:
            module.check(problem, opts)
        except ConfigError as exc:
            raise exc.prefixed(f"solver {kind!r}.") from None
    return module.solve(problem, opts, progress=progress)
