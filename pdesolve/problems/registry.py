"""Problems by name: a registry filled by decorators and by entry points.

Built-in problems register with :func:`register_problem`; third-party packages
expose factories under the entry-point group ``pdesolve.problems`` (the entry
point's name is the problem's name). A plugin that fails to load becomes a
warning, never a crash; an unknown name raises :class:`ConfigError` listing the
installed names.
"""

from __future__ import annotations

import functools
import inspect
import logging
from dataclasses import dataclass
from typing import Callable

from ..errors import ConfigError
from ..plugins import load_entry_points
from .base import Problem

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "pdesolve.problems"

ProblemFactory = Callable[..., Problem]


@dataclass(frozen=True)
class ProblemEntry:
    """A registered factory and where it came from."""

    name: str
    factory: ProblemFactory
    source: str  # "builtin", "user", or "entry point <dist>"

    @property
    def parameters(self) -> dict:
        """Parameter name -> default (inspect.Parameter.empty when required)."""
        sig = inspect.signature(self.factory)
        return {
            n: p.default
            for n, p in sig.parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.factory) or ""
        return doc.splitlines()[0] if doc else ""


_REGISTRY: dict[str, ProblemEntry] = {}


def register_problem(name: str | None = None, *, source: str = "user", replace: bool = False):
    """Decorator: register a factory ``(**params) -> Problem`` under ``name``.

    Example
    -------
    >>> @register_problem("my_problem")        # doctest: +SKIP
    ... def my_problem(dim=2, k=3.0) -> Problem: ...
    """

    def decorate(factory: ProblemFactory) -> ProblemFactory:
        key = name or factory.__name__
        if key in _REGISTRY and not replace and _REGISTRY[key].factory is not factory:
            raise ConfigError(f"problem name {key!r} is already registered ({_REGISTRY[key].source})")
        _REGISTRY[key] = ProblemEntry(key, factory, source)
        return factory

    return decorate


@functools.lru_cache(maxsize=1)
def _load_entry_points() -> None:
    from . import builtin, pinnacle  # noqa: F401  (register the built-in problems)

    for name, factory, source in load_entry_points(ENTRY_POINT_GROUP, "problem", _REGISTRY):
        _REGISTRY[name] = ProblemEntry(name, factory, source)


def refresh_entry_points() -> None:
    """Scan the entry points again (after installing or removing a plugin at run time).

    Problems registered from entry points are forgotten first, so that a removed
    plugin's problems disappear; built-ins and decorator registrations stay.
    """
    for name in [n for n, e in _REGISTRY.items() if e.source.startswith("entry point")]:
        del _REGISTRY[name]
    _load_entry_points.cache_clear()


def list_problems() -> dict[str, ProblemEntry]:
    """All registered problems, built-ins and plugins, by name."""
    _load_entry_points()
    return dict(sorted(_REGISTRY.items()))


def get_problem(name: str, **params) -> Problem:
    """Build the registered problem ``name`` with keyword parameters.

    Raises ConfigError for an unknown name or parameter, naming the allowed ones.
    """
    problems = list_problems()
    if name not in problems:
        raise ConfigError(
            f"problem.name: unknown problem {name!r}; available: {', '.join(problems)}"
        )
    entry = problems[name]
    allowed = entry.parameters
    accepts_any = any(
        p.kind == p.VAR_KEYWORD for p in inspect.signature(entry.factory).parameters.values()
    )
    unknown = sorted(set(params) - set(allowed))
    if unknown and not accepts_any:
        raise ConfigError(
            f"problem: unknown parameter {unknown[0]!r} for {name!r}; "
            f"allowed: {', '.join(allowed) or '(none)'}"
        )
    missing = [k for k, v in allowed.items() if v is inspect.Parameter.empty and k not in params]
    if missing:
        raise ConfigError(f"problem: {name!r} needs parameter {missing[0]!r}")
    problem = entry.factory(**params)
    if not isinstance(problem, Problem):
        raise ConfigError(f"problem {name!r}: its factory returned {type(problem).__name__}, not a Problem")
    return problem
