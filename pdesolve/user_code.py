"""Import a user's module (a file path or an importable name) named by a case file.

Problems and solvers of one's own are modules that register themselves when imported
(``@register_problem``, ``@register_solver``); a case file names them with ``module = ...``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from .errors import ConfigError


def import_user_module(spec: str, base_dir: Path | str = ".", field: str = "module") -> ModuleType:
    """Import a user module so that its decorators register what it defines.

    ``spec`` ending in ``.py`` (or containing a ``/``) is a file path, relative to
    ``base_dir``; anything else is an importable module name. A file is imported once
    per process (under a name derived from its resolved path, :func:`file_module_name`), so
    its decorators do not register twice. A missing or broken module is a ConfigError
    starting with ``field``.
    """
    if not (spec.endswith(".py") or "/" in spec):
        try:
            return importlib.import_module(spec)
        except ModuleNotFoundError as exc:
            if exc.name and spec.startswith(exc.name):
                raise ConfigError(f"{field}: no module named {spec!r}; give an importable "
                                  f"module or a path to a .py file") from None
            raise ConfigError(f"{field}: importing {spec!r} failed: {exc}") from None
        except Exception as exc:  # the user's module is broken: report, do not crash
            raise ConfigError(f"{field}: importing {spec!r} failed: "
                              f"{type(exc).__name__}: {exc}") from None
    path = (Path(base_dir) / spec).resolve()
    if not path.is_file():
        raise ConfigError(f"{field}: file {spec!r} not found (looked in {path.parent})")
    name = file_module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigError(f"{field}: importing {spec!r} failed: "
                          f"{type(exc).__name__}: {exc}") from None
    return module


def file_module_name(path: Path) -> str:
    """The module name a file is imported under: its stem and a hash of its resolved path."""
    return f"pdesolve_user_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
