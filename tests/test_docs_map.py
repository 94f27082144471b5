"""docs/CONTRIBUTING.md's layout names every module and package of pdesolve."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_contributing_map_names_every_module():
    text = (ROOT / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"[A-Za-z_]\w*(?:\.py|/)", layout))
    package = ROOT / "pdesolve"
    wanted = {f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    wanted |= {p.name for p in package.rglob("*.py") if p.stem not in ("__init__", "__main__")}
    assert not wanted - named, f"not in docs/CONTRIBUTING.md's layout: {sorted(wanted - named)}"
