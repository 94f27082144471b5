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
from .isolation import Crashed, run_isolated

IMPORT_SECONDS = 120.0
"""Time limit of importing a user's module (in a child process first, see
:func:`import_user_module`)."""


def import_user_module(spec: str, base_dir: Path | str = ".", field: str = "module") -> ModuleType:
    """Import a user module so that its decorators register what it defines.

    ``spec`` ending in ``.py``, containing a ``/`` or naming a file of ``base_dir`` is a file
    path, relative to ``base_dir`` (a .py file); anything else is an importable module name.
    A file is imported once per process (under a name derived from its resolved path,
    :func:`file_module_name`), so its decorators do not register twice. The module is
    imported in a child process first (:data:`IMPORT_SECONDS`), so that one which crashes,
    hangs or exits is reported too. A missing or broken module is a ConfigError starting
    with ``field``.
    """
    path = (Path(base_dir) / spec).resolve()
    if not (spec.endswith(".py") or "/" in spec or path.is_file()):
        if spec in sys.modules:
            return sys.modules[spec]
        try:
            _try_in_child(importlib.import_module, spec, spec=spec, field=field)
            return importlib.import_module(spec)
        except ConfigError:
            raise
        except ModuleNotFoundError as exc:
            if exc.name and spec.startswith(exc.name):
                raise ConfigError(f"{field}: no module named {spec!r}; give an importable "
                                  f"module or a path to a .py file") from None
            raise ConfigError(f"{field}: importing {spec!r} failed: {exc}") from None
        except Exception as exc:  # the user's module is broken: report, do not crash
            raise ConfigError(f"{field}: importing {spec!r} failed: "
                              f"{type(exc).__name__}: {exc}") from None
    if not path.is_file():
        raise ConfigError(f"{field}: file {spec!r} not found (looked in {path.parent})")
    if path.suffix != ".py":
        raise ConfigError(f"{field}: {spec!r} is not a Python file; give a .py file or an "
                          f"importable module name")
    name = file_module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    try:
        _try_in_child(_exec_file, name, path, spec=spec, field=field)
        return _exec_file(name, path)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"{field}: importing {spec!r} failed: "
                          f"{type(exc).__name__}: {exc}") from None


def _exec_file(name: str, path: Path) -> ModuleType:
    """Import the file ``path`` as module ``name`` (in sys.modules while it runs)."""
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _try_in_child(importer, *args, spec: str, field: str) -> None:
    """``importer(*args)`` first in a child process, so that a module that crashes, hangs
    (:data:`IMPORT_SECONDS`) or exits at import is a ConfigError naming ``field``; its own
    exception is raised as is."""
    try:
        run_isolated(_imported, importer, *args, seconds=IMPORT_SECONDS,
                     what=f"importing {spec!r}")
    except Crashed as exc:
        raise ConfigError(f"{field}: {exc}") from None


def _imported(importer, *args) -> None:
    importer(*args)  # the module itself cannot be sent back: only whether it imports


def file_module_name(path: Path) -> str:
    """The module name a file is imported under: its stem and a hash of its resolved path."""
    return f"pdesolve_user_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
