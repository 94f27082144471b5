"""The case-file reference (docs/case-files.md) against the options the solvers declare.

Both ways: every option the reference names under "Options of each kind" is declared by
that kind's ``Options`` dataclass, and every declared option is documented there, with the
declared default where the table has a default column. The reference's TOML examples use
only options that exist.
"""

import dataclasses
import math
import re
import tomllib
from pathlib import Path

import pytest

from pdesolve.solvers import solvers as registered


def solvers() -> dict:
    """The solver kinds pdesolve ships (test modules register toy kinds of their own)."""
    return {kind: s for kind, s in registered().items()
            if s.module.__name__.startswith("pdesolve.")}

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "case-files.md"
GENERIC_KEYS = {"kind", "label", "module", "zip", "seeds", "quick"}
"""Keys of a ``[[solver]]`` table that are not solver options (the reference's generic table)."""


def _section() -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    return text.split("\n## Options of each kind\n", 1)[1].split("\n## ", 1)[0]


def documented() -> dict[str, dict[str, str | None]]:
    """kind -> {option: its default cell, or None where the table has no default column}."""
    found: dict[str, dict[str, str | None]] = {}
    for block in _section().split("\n### ")[1:]:
        heading, body = block.split("\n", 1)
        kinds = re.findall(r"`(\w+)`", heading)
        options: dict[str, str | None] = {}
        columns: list[str] = []
        for line in body.splitlines():
            if not line.startswith("|"):
                columns = []
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not columns:
                columns = cells
                continue
            names = re.findall(r"`(\w+)`", cells[0])
            if not names or set(cells[0]) <= set("-: "):
                continue
            default = cells[columns.index("default")] if "default" in columns else None
            for name in names:
                options[name] = default
        for kind in kinds:
            found[kind] = options
    return found


def declared(kind: str) -> dict[str, object]:
    fields = dataclasses.fields(solvers()[kind].module.Options)
    return {f.name: (f.default if f.default is not dataclasses.MISSING else f.default_factory())
            for f in fields}


def _value(cell: str):
    if cell == "absent":
        return None
    return tomllib.loads(f"v = {cell.strip('`')}")["v"]


def test_every_kind_has_its_options_documented():
    assert set(documented()) == set(solvers()), "a kind without a section, or one too many"


@pytest.mark.parametrize("kind", sorted(solvers()))
def test_documented_options_are_the_declared_ones(kind):
    docs, code = documented()[kind], declared(kind)
    assert not set(docs) - set(code), f"documented but not declared: {sorted(set(docs) - set(code))}"
    assert not set(code) - set(docs), f"declared but not documented: {sorted(set(code) - set(docs))}"
    for name, cell in docs.items():
        if cell is None:
            continue
        per_kind = dict((k, v) for v, k in re.findall(r"(`[^`]+`) \(`(\w+)`\)", cell))
        value, default = _value(per_kind.get(kind, cell)), code[name]
        if isinstance(default, float) and isinstance(value, (int, float)):
            assert math.isclose(value, default), (name, cell, default)
        else:
            assert value == default, (name, cell, default)


def _toml_blocks():
    """Every ``toml`` block of the README and the site, with the page it is on."""
    root = REFERENCE.parents[1]
    for page in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
        for block in re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            yield page.relative_to(root).as_posix(), block


def test_the_examples_use_only_declared_options():
    """Every ``[[solver]]`` table of a TOML example (README and site) uses options its kind
    declares; a TOML fragment without tables (lines of a solver table) uses declared options."""
    every = set().union(*(declared(kind) for kind in solvers()))
    checked = 0
    for page, block in _toml_blocks():
        data = tomllib.loads(block)
        if "solver" in data:
            for table in data["solver"]:
                if table["kind"] not in solvers():  # a kind the page itself adds
                    continue
                allowed = set(declared(table["kind"])) | GENERIC_KEYS
                unknown = sorted(set(table) - allowed)
                assert not unknown, (page, table["kind"], unknown)
                checked += 1
        elif data and not any(isinstance(v, dict) for v in data.values()):  # table lines
            assert not set(data) - every, (page, sorted(set(data) - every))
            checked += 1
    assert checked >= 10
