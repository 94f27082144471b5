"""The files a case reads, and hashes of their contents for the run ids.

A case reads mesh files (``mesh = "..."`` anywhere in its ``[problem]`` table), Python
files named by ``module = "..."`` (of the problem or a solver table) and the modules those
import from their own folder (found by reading their ``import`` statements). A run id
covers the contents of every one of them, so that an edited input reruns.
"""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path


def _meshes(table, base_dir: Path) -> list[Path]:
    """Paths of the ``mesh`` keys anywhere in a (nested) table."""
    if isinstance(table, list):
        return [p for item in table for p in _meshes(item, base_dir)]
    if not isinstance(table, dict):
        return []
    own = [base_dir / table["mesh"]] if isinstance(table.get("mesh"), str) else []
    return own + [p for v in table.values() for p in _meshes(v, base_dir)]


def _module_file(spec, base_dir: Path) -> Path | None:
    """The file of a ``module = ...`` value that names a file, else None."""
    if not isinstance(spec, str):
        return None
    path = base_dir / spec
    return path if spec.endswith(".py") or "/" in spec or path.is_file() else None


def _local_imports(path: Path) -> list[Path]:
    """Files of the folder of ``path`` that its import statements name (``import a.b``:
    ``a/b.py``, ``a/b/__init__.py`` and ``a.py`` or ``a/__init__.py``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module and not n.level]
    found = []
    for name in names:
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            stem = path.parent.joinpath(*parts[:k])
            found += [f for f in (stem.with_suffix(".py"), stem / "__init__.py") if f.is_file()]
    return found


def input_files(problem: dict | None, modules: list, base_dir: str) -> list[Path]:
    """Every file the case reads: the problem's meshes and module file, the solver tables'
    ``modules`` files, and what those import from their folders; sorted, existing only."""
    base = Path(base_dir)
    problem = problem or {}
    todo = [p for p in (_module_file(m, base) for m in [problem.get("module"), *modules])
            if p is not None]
    seen: set[Path] = set()
    while todo:
        path = todo.pop().resolve()
        if path not in seen and path.is_file():
            seen.add(path)
            todo += _local_imports(path)
    seen |= {p.resolve() for p in _meshes(problem, base) if p.is_file()}
    return sorted(seen)


def input_hashes(problem: dict | None, modules: list, base_dir: str) -> dict[str, str]:
    """{path relative to the case's folder: 16 hex digits of SHA-256 of its contents} for
    :func:`input_files`."""
    return {os.path.relpath(path, Path(base_dir).resolve()):
            hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            for path in input_files(problem, modules, base_dir)}
