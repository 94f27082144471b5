"""New problems without editing pdesolve: a user module, an installed plugin package."""

import csv
import importlib
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from pdesolve import ConfigError
from pdesolve.cli import main
from pdesolve.problems import list_problems, refresh_entry_points
from pdesolve.problems.tables import problem_from_table

REPO = Path(__file__).resolve().parents[1]
PLUGIN_SRC = Path(__file__).parent / "plugin_pkg"
CASES = REPO / "cases"


def doc_files(path: Path) -> dict[str, str]:
    """The code blocks of a markdown page whose first line is ``# file: NAME``."""
    files = {}
    for block in path.read_text().split("```")[1::2]:
        body = block.split("\n", 1)[1] if "\n" in block else ""
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = rest
    return files


def make_venv(directory: Path) -> Path:
    """A virtual environment that sees the packages of *this* environment (never those of
    the base interpreter): a ``.pth`` file in it runs ``site.addsitedir`` on this
    interpreter's site directories, so their own ``.pth`` files (the editable install of
    pdesolve) apply too. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True)
    python = directory / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    child_site = subprocess.run([str(python), "-c", "import sysconfig; "
                                 "print(sysconfig.get_paths()['purelib'])"],
                                check=True, capture_output=True, text=True).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(child_site, "_pdesolve_test_parent.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({d!r})" for d in ours) + "\n")
    return python


def pip_install(python: Path, source: Path) -> None:
    """Build and install ``source`` into the environment of ``python`` with the build tools of
    this environment (the test extra brings setuptools), offline."""
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", str(source)], check=True)


def run_case(case: Path, out: Path, python: Path | None = None) -> list[dict]:
    """``pdesolve run CASE`` (in a subprocess with ``python``); the summary rows, as dicts."""
    args = ["run", str(case), "--quiet", "--out", str(out)]
    if python is None:
        assert main(args) == 0
    else:
        proc = subprocess.run([str(python), "-m", "pdesolve.cli", *args], text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return summary(out)


def summary(out: Path) -> list[dict]:
    """The rows of ``out/summary.csv``, each a dict."""
    with (out / "summary.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_module_path_from_the_case_file_directory():
    table = {"module": "../examples/my_problem.py", "name": "gaussian_bump", "dim": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its f matches its exact solution
        problem = problem_from_table(table, base_dir=CASES)
        again = problem_from_table(table, base_dir=CASES)  # imported once, registered once
    assert problem.name == "gaussian_bump" and problem.dim == 3 and again.params == problem.params
    assert list_problems()["gaussian_bump"].source == "user"
    x = np.full((1, 3), 0.5)
    assert problem.exact(x)[0] == 1.0


@pytest.mark.slow
def test_user_module_case_runs(tmp_path):
    assert main(["run", str(CASES / "user_module.toml"), "--quick", "--quiet",
                 "--out", str(tmp_path)]) == 0
    rows = summary(tmp_path)
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    assert all(r["problem"] == "gaussian_bump(dim=2, width=0.3)" for r in rows)


def write_module(directory: Path, name: str, body: str) -> Path:
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


USER_MODULE = """
    from array_api_compat import array_namespace
    from pdesolve import Box, Problem, register_problem

    @register_problem("{name}")
    def factory(scale: float = 1.0):
        if scale < 0:
            raise ValueError("scale must be >= 0")

        def exact(x):
            xp = array_namespace(x)
            return xp.sin(x[:, 0]) * xp.exp(x[:, 1])

        def f(x):  # -Lap u = 0: only right with scale = 0
            return scale * exact(x)

        return Problem(name="{name}", domain=Box.cube(2), f=f, g=exact, exact=exact)
"""


def test_importable_module_name_and_a_single_registered_problem(tmp_path, monkeypatch):
    write_module(tmp_path, "tmp_user_problems", USER_MODULE.format(name="tmp_harmonic"))
    monkeypatch.syspath_prepend(str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        problem = problem_from_table({"module": "tmp_user_problems", "scale": 0.0})
    assert problem.name == "tmp_harmonic"
    with pytest.raises(ConfigError, match=r"problem.f: does not match its exact solution: .* = "
                       r"\d\.\d+ \(relative"):
        problem_from_table({"module": "tmp_user_problems", "name": "tmp_harmonic"})


@pytest.fixture(scope="module")
def user_modules(tmp_path_factory):
    """One directory for all cases: a file registers its problem once per process."""
    directory = tmp_path_factory.mktemp("user_modules")
    write_module(directory, "broken", "x = 1 / 0\n")
    write_module(directory, "empty", "\n")
    write_module(directory, "ok", USER_MODULE.format(name="tmp_ok"))
    return directory


@pytest.mark.parametrize("table,message", [
    ({"module": "no_such_module_xyz", "name": "a"},
     "problem.module: no module named 'no_such_module_xyz'"),
    ({"module": "missing/file.py"}, "problem.module: file 'missing/file.py' not found"),
    ({"module": "broken.py"}, "problem.module: importing 'broken.py' failed: ZeroDivisionError"),
    ({"module": "empty.py"}, "problem.name: needed to choose a problem of"),
    ({"module": "ok.py", "name": "tmp_ok", "colour": 1}, "problem: unknown parameter 'colour'"),
    ({"module": "ok.py", "name": "tmp_ok", "scale": -1},
     "problem: building 'tmp_ok' with {'scale': -1} failed: ValueError"),
    ({"name": 3}, "problem.name: expected a non-empty string"),
    ({"dim": 2}, 'problem: give name = "..."'),
])
def test_module_mistakes_get_one_message(user_modules, table, message):
    with pytest.raises(ConfigError) as err:
        problem_from_table(table, base_dir=user_modules)
    assert str(err.value).startswith(message)


def fake_site(root: Path) -> Path:
    """A directory laid out like site-packages: the plugin's package and its .dist-info
    (METADATA, entry_points.txt), as pip writes them; plus a plugin that cannot load."""
    site = root / "site"
    shutil.copytree(PLUGIN_SRC / "pdesolve_demo_plugin", site / "pdesolve_demo_plugin")
    for dist, entry in [
        ("pdesolve_demo_plugin-0.1.0", "demo_paraboloid = pdesolve_demo_plugin:paraboloid"),
        ("broken_plugin-0.1.0", "demo_broken = no_such_plugin_module:factory"),
    ]:
        info = site / f"{dist}.dist-info"
        info.mkdir()
        name, version = dist.rsplit("-", 1)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[pdesolve.problems]\n{entry}\n")
    return site


def test_entry_points_found_by_importlib_metadata(tmp_path):
    site = str(fake_site(tmp_path))
    sys.path.insert(0, site)
    importlib.invalidate_caches()
    try:
        refresh_entry_points()
        with pytest.warns(UserWarning, match="problem plugin 'demo_broken' .* failed to load"):
            problems = list_problems()
        assert problems["demo_paraboloid"].source == "entry point pdesolve_demo_plugin"
        assert "demo_broken" not in problems
        problem = problem_from_table({"name": "demo_paraboloid", "dim": 3})
        assert problem.f(np.zeros((2, 3))).tolist() == [6.0, 6.0]
    finally:
        sys.path.remove(site)
        sys.modules.pop("pdesolve_demo_plugin", None)
        importlib.invalidate_caches()
        refresh_entry_points()
    assert "demo_paraboloid" not in list_problems()  # uninstalled: gone after a rescan


@pytest.mark.slow
def test_plugin_installed_by_pip_is_listed_and_runs_a_case(tmp_path):
    python = make_venv(tmp_path / "venv")
    pip_install(python, shutil.copytree(PLUGIN_SRC, tmp_path / "plugin"))  # builds write there
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    listing = subprocess.run([str(python), "-m", "pdesolve.cli", "list"], env=env, check=True,
                             capture_output=True, text=True).stdout
    assert "demo_paraboloid(dim=2)" in listing
    assert "sine_series" in listing and "sine modes" in listing  # the solver plug-in
    case = tmp_path / "plugin_case.toml"
    case.write_text(textwrap.dedent("""
        [problem]
        name = "demo_paraboloid"
        dim = 2

        [[solver]]
        kind = "fem"
        element = "P2"
        n = [2, 4]

        [evaluation]
        cells = 4
        order = 3

        [report]
        plots = []
    """))
    rows = run_case(case, tmp_path / "results", python)
    assert len(rows) == 2
    for record in rows:
        assert record["status"] == "ok" and record["problem"] == "demo_paraboloid(dim=2)"
        assert float(record["l2_rel"]) < 1e-12  # P2 reproduces the quadratic exactly
    beside = tmp_path / "solver_plugin_case.toml"
    beside.write_text(textwrap.dedent("""
        [problem]
        name = "poisson_sine"
        dim = 2
        k = 2.0

        [[solver]]
        kind = "fem"
        element = "P1"
        n = 8

        [[solver]]
        kind = "sine_series"
        n = [4, 8]

        [evaluation]
        cells = 8
        order = 4

        [report]
        plots = []
    """))
    rows = {(r["solver"], r["dofs"]): r for r in run_case(beside, tmp_path / "res2", python)}
    assert set(rows) == {("fem", "49"), ("sine_series", "16"), ("sine_series", "64")}
    assert all(r["status"] == "ok" and r["family"] == "classical" for r in rows.values())
    # sin(2 pi x) sin(2 pi y) is one of the modes: the series is exact up to round-off
    assert float(rows["sine_series", "16"]["l2_rel"]) < 1e-12
    assert float(rows["fem", "49"]["l2_rel"]) > 1e-2


@pytest.mark.slow
def test_every_example_of_the_how_to_guides_runs(tmp_path):
    """Every block of docs/howto/add-problem.md and docs/howto/add-solver.md: the files, the
    cases run with them, the plugin installed and listed."""
    files = {**doc_files(REPO / "docs/howto/add-problem.md"),
             **doc_files(REPO / "docs/howto/add-solver.md")}
    assert len(files) == 10
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "use_my_problem.py"], cwd=tmp_path, env=env,
                         check=True, capture_output=True, text=True).stdout
    assert out.startswith("961 unknowns")
    for case in ("my_case", "formula_case", "source_case"):
        rows = run_case(tmp_path / f"{case}.toml", tmp_path / f"out_{case}")
        assert rows and all(r["status"] == "ok" and float(r["l2_rel"]) < 0.1 for r in rows)
    assert list((tmp_path / "out_source_case" / "reference").glob("formula-*.npz"))
    rows = {(r["solver"], int(r["dofs"])): r for r in run_case(tmp_path / "solver_case.toml",
                                                                 tmp_path / "out_solver")}
    assert all(r["status"] == "ok" for r in rows.values()) and len(rows) == 6
    fd = [float(rows["five_point", n * n]["l2_rel"]) for n in (15, 31, 63)]
    assert [fd[0] / fd[1], fd[1] / fd[2]] == pytest.approx([4, 4], rel=0.15)  # second order
    python = make_venv(tmp_path / "venv")
    pip_install(python, tmp_path / "my_plugin")
    listing = subprocess.run([str(python), "-m", "pdesolve.cli", "list"], env=env, check=True,
                             capture_output=True, text=True).stdout
    assert "cosine_bowl(dim=2)" in listing
    rows = run_case(tmp_path / "bowl_case.toml", tmp_path / "out_bowl", python)
    assert len(rows) == 3 and all(r["status"] == "ok" for r in rows)
