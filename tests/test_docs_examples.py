"""Every Python and shell block of the README and of the documentation site runs.

Each page runs in a folder of its own (``cases/`` and ``examples/`` there are links to the
repository's, so the pages' relative paths work and nothing is written into the
repository): first its ``# file: NAME`` blocks are written there, then its Python and
``bash`` blocks run in the order of the page, in one subprocess each, and must exit with
status 0. Blocks in other fences (``text``, ``toml``) are not run; ``toml`` blocks are
checked by tests/test_docs_options.py.

What a shell block runs is the page's command, at its quick size:

- ``pdesolve run CASE`` without ``--quick`` runs with ``--quick --out results/<case name>``
  (the results folder the full run would write, so a later ``pdesolve report`` of it works),
  and ``pdesolve experiment NAME`` / ``python -m pdesolve.experiments NAME`` with
  ``--quick --out results/NAME``;
- ``pdesolve``, ``dask`` and ``python`` are this interpreter, with this checkout first on
  the path; background jobs a block leaves are stopped when it ends;
  ``pip install ./DIR`` installs offline into a virtual environment of the page's own that
  sees this one's packages (never into this environment).

Some blocks are run elsewhere, and this test checks that they are: the README's quick start
(``.ci/run`` runs its two commands verbatim in a fresh environment; here the command after
``pip install -e . &&`` runs), the README's Python example (tests/test_readme.py compares
its output with the README's), and the pages whose every block tests/test_plugins.py runs and
checks in detail (the add-a-problem and add-a-solver guides).
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .test_plugins import make_venv

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUN = ("python", "bash")
PLUGIN_TEST = ("test_plugins.py", "test_every_example_of_the_how_to_guides_runs")
RUN_ELSEWHERE = {
    "README.md": ("test_readme.py", "test_python_usage_example_prints_what_the_readme_shows"),
    "docs/howto/add-problem.md": PLUGIN_TEST,
    "docs/howto/add-solver.md": PLUGIN_TEST,
}
"""Pages whose blocks another test runs and checks in detail: page -> (test file, test)."""
SLOW = {"docs/getting-started.md", "docs/case-files.md", "docs/howto/dask.md",
        "docs/reproduced/shallow-relu.md"}
"""Pages whose blocks take more than a few seconds at quick size (the slow tier)."""
BLOCK_SECONDS = 900
"""A block that runs longer has hung (a job that outlived it holds its output open)."""
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)


def blocks(path: Path) -> list[tuple[str, str]]:
    """(language, text) of every fenced block of a Markdown file, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(path.read_text(encoding="utf-8"))]


def pages() -> list[str]:
    """Repository-relative paths of the README and the site's pages with blocks to run."""
    found = [README, *sorted((ROOT / "docs").rglob("*.md"))]
    return [p.relative_to(ROOT).as_posix() for p in found
            if any(lang in RUN or lang in ("sh", "console", "shell") for lang, _ in blocks(p))]


def _case_name(case: Path) -> str:
    return tomllib.loads(case.read_text(encoding="utf-8")).get("name", case.stem)


def quick_command(line: str, folder: Path) -> str:
    """The command of ``line`` at its quick size, writing where the full command would."""
    def run(m):
        case, rest = m.group(1), m.group(2)
        if "--quick" in rest:
            return f"pdesolve run {case}{rest} --quiet"
        return f"pdesolve run {case}{rest} --quick --quiet --out results/{_case_name(folder / case)}"

    def experiment(m):
        name, rest = m.group(2), m.group(3)
        return f"{m.group(1)} {name}{rest}" + ("" if "--quick" in rest else
                                                f" --quick --out results/{name}")

    line = re.sub(r"pdesolve run (\S+)([^&|;#\n]*?)(?=\s*(?:#|&&|$))", run, line)
    return re.sub(r"(pdesolve experiment|python -m pdesolve\.experiments) (\w+)"
                  r"([^&|;#\n]*?)(?=\s*(?:#|&&|$))", experiment, line)


def shell_script(text: str, folder: Path, python: str) -> str:
    """A bash script running the block ``text`` with the interpreter ``python``."""
    commands = folder / ".commands"  # python, pip, pdesolve, dask: exec'd, so a job is its pid
    commands.mkdir(exist_ok=True)
    for name, line in {"python": f'exec "{python}" "$@"', "pip": 'exec python -m pip "$@"',
                       "pdesolve": 'exec python -m pdesolve.cli "$@"',
                       "dask": 'exec python -m dask "$@"'}.items():
        (commands / name).write_text(f"#!/bin/sh\n{line}\n")
        (commands / name).chmod(0o755)
    lines = [quick_command(line, folder) for line in text.splitlines()]
    lines = [re.sub(r"\bpip install (\./\S+)", r"pip install --quiet --no-deps "
                    r"--no-build-isolation --no-index \1", line) for line in lines]
    prelude = ["set -euo pipefail", f'export PATH="{commands}:$PATH"',
               "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]  # no job outlives the block
    return "\n".join(prelude + lines) + "\n"


def run_page(page: str, folder: Path) -> None:
    for name in ("cases", "examples"):
        (folder / name).symlink_to(ROOT / name)
    found = blocks(ROOT / page)
    files = {}
    for _, text in found:
        first, _, rest = text.partition("\n")
        if first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = rest
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    python = sys.executable
    for index, (lang, text) in enumerate(found):
        if lang == "bash" and text.splitlines() == quick_start(README):
            continue  # .ci/run runs it: see test_the_quick_start_is_the_one_ci_runs...
        if lang not in RUN:
            assert lang not in ("sh", "console", "shell"), \
                f"{page}: block {index} is a {lang!r} block: write it as bash (runs) or text"
            continue
        if lang == "python":
            first = text.partition("\n")[0]
            script = first.removeprefix("# file: ").strip() if first.startswith("# file: ") \
                else f"_block{index}.py"
            if script not in files:
                (folder / script).write_text(text)
            command = [python, script]
        else:
            if "pip install ./" in text and python == sys.executable:
                python = str(make_venv(folder / "venv"))
            command = ["bash", "-c", shell_script(text, folder, python)]
        proc = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=BLOCK_SECONDS)
        assert proc.returncode == 0, (f"{page}, block {index} ({lang}) failed:\n{text}\n"
                                      f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _params():
    for page in pages():
        if page in RUN_ELSEWHERE:
            continue
        marks = [pytest.mark.slow] if page in SLOW else []
        yield pytest.param(page, marks=marks, id=page)


@pytest.mark.parametrize("page", list(_params()))
def test_every_block_of_the_page_runs(page, tmp_path):
    run_page(page, tmp_path)


def quick_start(path: Path) -> list[str]:
    """The commands of the ``bash`` block under a page's quick-start heading, as .ci/run reads
    them from the README (the first bash block after the heading)."""
    text = path.read_text(encoding="utf-8")
    section = re.split(r"^## (?:Quick start|Install and run the quick start)\n", text,
                       flags=re.M)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_quick_start_is_the_one_ci_runs_and_its_case_runs(tmp_path):
    readme = quick_start(README)
    assert readme == ['pip install -e . && pdesolve run cases/quickstart.toml',
                      'pip install -e ".[test]" && python -m pytest -q -n auto']
    assert quick_start(ROOT / "docs" / "getting-started.md") == readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'split("## Quick start", 1)' in ci and "README.md" in ci
    (tmp_path / "cases").symlink_to(ROOT / "cases")
    case = readme[0].split(" && ", 1)[1]
    proc = subprocess.run(["bash", "-c", shell_script(case, tmp_path, sys.executable)],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "results" / "quickstart" / "summary.csv").is_file()


def test_the_pages_run_elsewhere_are_run_there():
    for page, (module, test) in RUN_ELSEWHERE.items():
        source = (ROOT / "tests" / module).read_text(encoding="utf-8")
        assert f"def {test}(" in source, (page, module, test)
        assert page in source or (page == "README.md" and "README" in source), (page, module)


def test_the_readme_case_excerpt_matches_its_case_file():
    """The README's worked comparison quotes tables of cases/compare_poisson2d.toml."""
    (excerpt,) = [t for lang, t in blocks(README) if lang == "toml"]
    shown = tomllib.loads(excerpt)
    case = tomllib.loads((ROOT / "cases" / "compare_poisson2d.toml").read_text())
    assert shown["problem"] == case["problem"]
    tables = {t["label"]: t for t in case["solver"]}
    for table in shown["solver"]:
        assert table.items() <= tables[table["label"]].items(), table["label"]
