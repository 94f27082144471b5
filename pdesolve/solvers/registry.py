"""Solver kinds by name: the built-in modules, decorator registrations and entry points.

A solver kind is a module that declares, at module level,

    FAMILY                       "classical" or "neural" (reports fit convergence rates of
                                 the classical ones),
    DOFS                         what ``Result.dofs`` counts, in words ("unknowns solved for"),
    Options                      a dataclass of keyword options (see pdesolve.config),
    supports(problem) -> str|None  None if it can solve the problem, else the reason,
    check(problem, options)      optional: raises ConfigError ("<option>: ...") for a
                                 configuration that cannot run (too large for the machine,
                                 options the problem rules out); called before any run,
    solve(problem, options, *, progress=False) -> Result

Built-in kinds are the modules ``pdesolve.solvers.<kind>`` (:data:`BUILTIN`), imported only
when their kind is used, so FEM runs never import torch. A module of one's own registers
itself with ``@register_solver("kind")`` on its ``solve``; a package exposes its modules
under the entry-point group ``pdesolve.solvers`` (the entry point's name is the kind, its
value the module). A plugin that fails to import is a warning, never a crash; a module that
breaks the contract, and an unknown kind, are ConfigErrors (the latter listing the kinds).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import sys
from dataclasses import dataclass
from types import ModuleType

from ..errors import ConfigError
from ..plugins import load_entry_points

ENTRY_POINT_GROUP = "pdesolve.solvers"

BUILTIN = ("fem", "grid", "spectral", "sparse_grid", "jacobi", "deep_ritz", "pinn",
           "random_features")
"""Kinds whose module is ``pdesolve.solvers.<kind>``."""

FAMILIES = ("classical", "neural")


@dataclass(frozen=True)
class SolverEntry:
    """A registered kind: its module's name and where it came from."""

    kind: str
    module_name: str
    source: str  # "builtin", "user" or "entry point <dist>"

    @property
    def module(self) -> ModuleType:
        """The module, imported, with its declarations checked (ConfigError if broken)."""
        return _checked(self.kind, self.module_name)


_REGISTRY: dict[str, SolverEntry] = {
    kind: SolverEntry(kind, f"{__package__}.{kind}", "builtin") for kind in BUILTIN}


def register_solver(kind: str, module: ModuleType | str | None = None, *,
                    replace: bool = False):
    """Register a solver module as ``kind``.

    As a decorator on the module's ``solve`` (``@register_solver("my_kind")``) it registers
    the module that defines the function; called with ``module`` (a module or its importable
    name) it registers that module at once. The module follows the contract of this
    module's docstring (checked when the kind is first used). Registering another module
    under a taken kind is a ConfigError unless ``replace``.
    """
    def add(name: str) -> None:
        old = _REGISTRY.get(kind)
        if old is not None and old.module_name != name and not replace:
            raise ConfigError(f"solver kind {kind!r} is already registered ({old.source}: "
                              f"{old.module_name})")
        _REGISTRY[kind] = SolverEntry(kind, name, "user")
        _checked.cache_clear()

    if module is not None:
        add(module if isinstance(module, str) else module.__name__)
        return None

    def decorate(solve):
        add(solve.__module__)
        return solve
    return decorate


@functools.lru_cache(maxsize=None)
def _checked(kind: str, module_name: str) -> ModuleType:
    """The module of ``kind``, imported; ConfigError naming what its declarations lack."""
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    where = f"solver {kind!r} ({module_name})"
    family = getattr(module, "FAMILY", None)
    if family not in FAMILIES:
        raise ConfigError(f"{where}: FAMILY must be one of {', '.join(map(repr, FAMILIES))}, "
                          f"got {family!r}")
    if not isinstance(getattr(module, "DOFS", None), str):
        raise ConfigError(f"{where}: DOFS must be a string saying what the DOFs count")
    if not dataclasses.is_dataclass(getattr(module, "Options", None)):
        raise ConfigError(f"{where}: Options must be a dataclass of the solver's options")
    for name in ("supports", "solve"):
        if not callable(getattr(module, name, None)):
            raise ConfigError(f"{where}: needs a function {name}()")
    return module


def _check_plugin(kind: str, module) -> None:
    if not isinstance(module, ModuleType):
        raise TypeError(f"it names a {type(module).__name__}, not a module")
    _checked(kind, module.__name__)


@functools.lru_cache(maxsize=1)
def _load_entry_points() -> None:
    for kind, module, source in load_entry_points(ENTRY_POINT_GROUP, "solver", _REGISTRY,
                                                  _check_plugin):
        _REGISTRY[kind] = SolverEntry(kind, module.__name__, source)


def refresh_entry_points() -> None:
    """Scan the entry points again (after installing or removing a plugin at run time)."""
    for kind in [k for k, e in _REGISTRY.items() if e.source.startswith("entry point")]:
        del _REGISTRY[kind]
    _load_entry_points.cache_clear()
    _checked.cache_clear()


def solvers() -> dict[str, SolverEntry]:
    """Every registered kind, built-ins first, then in the order of registration."""
    _load_entry_points()
    return dict(_REGISTRY)


def list_solvers() -> list[str]:
    """The names of the registered solver kinds."""
    return list(solvers())


def solver_module(kind: str, where: str = "solver") -> ModuleType:
    """The module implementing ``kind``; ConfigError ("<where>.kind: ...") listing the kinds
    if unknown."""
    found = solvers()
    if kind not in found:
        raise ConfigError(f"{where}.kind: unknown solver {kind!r}; available: "
                          f"{', '.join(found)}")
    return found[kind].module
