"""Entry points of installed packages: what plugs into pdesolve's registries.

A plugin that fails to load becomes a warning, never a crash (xarray's engines do the same).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Container, Iterator
from importlib.metadata import entry_points


def load_entry_points(group: str, what: str, skip: Container[str] = (),
                      check: Callable[[str, object], None] | None = None
                      ) -> Iterator[tuple[str, object, str]]:
    """(name, loaded object, "entry point <distribution>") of each entry point of ``group``
    whose name is not in ``skip``.

    One that fails to load, or that ``check(name, object)`` rejects by raising, is a warning
    ("<what> plugin 'name' (value) failed to load: ...") and left out.
    """
    for ep in entry_points(group=group):
        if ep.name in skip:
            continue
        try:
            loaded = ep.load()
            if check is not None:
                check(ep.name, loaded)
        except Exception as exc:  # a broken plugin must not break the tool
            warnings.warn(f"{what} plugin {ep.name!r} ({ep.value}) failed to load: "
                          f"{type(exc).__name__}: {exc}", stacklevel=3)
            continue
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.value
        yield ep.name, loaded, f"entry point {dist}"
