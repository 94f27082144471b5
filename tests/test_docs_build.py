"""The documentation site builds in strict mode, and every link of the README resolves.

Strict mode (mkdocs.yml) fails the build on any warning: a broken link or anchor, a page
missing from the navigation, a figure under ``results/`` that is not there, a report section
the pages include that is gone, a docstring the API reference cannot render.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pdesolve

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BUILD_SECONDS = 60
"""Generous bound on the build (about 5 s on the 2-core development machine)."""


def test_the_site_builds_in_strict_mode(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: "
                                         "pip install -e '.[docs]' (the test extra brings it)")
    pytest.importorskip("mkdocstrings_handlers.python", reason="mkdocstrings[python] is missing")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    seconds = time.perf_counter() - start
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line]
    assert proc.returncode == 0 and not warnings, "\n".join(warnings) or proc.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").is_file()
    included = (tmp_path / "site" / "reproduced" / "verdict" / "index.html").read_text()
    assert "verdict:start" in included, "the README's verdict section is not in the site"
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    missing = [name for name in pdesolve.__all__
               if not name.startswith("__") and f'id="pdesolve.{name}"' not in api]
    assert not missing, f"pdesolve.__all__ names without an entry in the API reference: {missing}"
    assert seconds < BUILD_SECONDS


def test_every_link_of_the_readme_resolves():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        path, _, anchor = link.partition("#")
        if not path:
            heading = [h for h in re.findall(r"^#+ (.+)$", text, flags=re.M)
                       if _slug(h) == anchor]
            assert heading, f"README.md: no heading for #{anchor}"
            continue
        target = ROOT / path
        assert target.exists(), f"README.md links {link}: no such file"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(encoding="utf-8"), flags=re.M)
            assert anchor in {_slug(h) for h in headings}, f"README.md links {link}: no anchor"


def _slug(heading: str) -> str:
    """The anchor MkDocs (and GitHub) give a heading: lower case, punctuation dropped."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text.strip())


def test_the_readme_stays_short():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250


def test_getting_started_lists_every_shipped_case():
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    listed = text.split("Shipped cases", 1)[1].split("\n\n", 2)[1]
    shipped = {p.stem for p in (ROOT / "cases").glob("*.toml")}
    assert set(re.findall(r"`(\w+)`", listed)) == shipped
