"""Every bad input gets exit status 2 and one line naming the field and what is allowed,
before anything runs: no traceback, no finished run touched.

Each command line runs in its own process (forked from one warm interpreter by
``tests/cli_batch.py``, so the 56 of them take seconds); a few run as fresh
``python -m pdesolve.cli`` processes too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

GOOD = """
    name = "bad"
    [problem]
    name = "poisson_sine"
    dim = 1

    [[solver]]
    kind = "toy"
    n = [2, 4]

    [report]
    plots = []
"""
TOY = 'name = "bad"\n[problem]\nname = "poisson_sine"\ndim = 1\n[[solver]]\nkind = "toy"\n'
FORMULA = 'name = "bad"\n[[solver]]\nkind = "fem"\nn = 2\n[problem]\n'
FEM2 = 'name = "bad"\n[problem]\nname = "poisson_sine"\ndim = 2\n[[solver]]\nkind = "fem"\n'


def _solver(kind: str, body: str, dim: int = 1) -> str:
    return (f'name = "bad"\n[problem]\nname = "poisson_sine"\ndim = {dim}\n[[solver]]\n'
            f'kind = "{kind}"\n{body}\n')


# (id, case-file text (None: no file written), extra arguments, expected text of the line)
CASES = [
    ("missing file", None, [], "missing.toml: case file not found"),
    ("directory", "DIR", [], "is a directory, not a case file; give the path of a .toml"),
    ("toml syntax", 'name = "bad"\n[problem]\nname = poisson_sine\n', [], "TOML syntax error"),
    ("not utf-8", b"name = '\xff'\n", [], "not a text file (expected UTF-8 TOML)"),
    ("top-level key", TOY + "[solvers]\nkind = 1\n", [],
     "case: unknown top-level key 'solvers'; allowed: name, description, seed"),
    ("name", TOY.replace('"bad"', '"a b"'), [], "name: 'a b' is not allowed; use letters"),
    ("negative seed", "seed = -1\n" + TOY, [], "seed: must be a non-negative integer, got -1"),
    ("seed type", "seed = 'zero'\n" + TOY, [], "seed: expected a non-negative integer"),
    ("description type", "description = 3\n" + TOY, [], "description: expected a string"),
    ("no problem", 'name = "bad"\n[[solver]]\nkind = "toy"\n', [],
     "problem: missing; a case needs a [problem] table"),
    ("unknown problem", TOY.replace("poisson_sine", "poisson_cosine"), [],
     "unknown problem 'poisson_cosine'; available: "),
    ("problem parameter", TOY.replace("dim = 1", "dim = 1\ncolour = 2"), [],
     "problem: unknown parameter 'colour'"),
    ("no solver", 'name = "bad"\n[problem]\nname = "poisson_sine"\n', [],
     "solver: missing; a case needs at least one [[solver]] table"),
    ("solver kind missing", TOY.replace('kind = "toy"', "n = 2"), [],
     "solver[0]: missing 'kind'"),
    ("unknown solver", TOY.replace('"toy"', '"magic"'), [],
     "unknown solver 'magic'; available: fem"),
    ("unknown option", TOY + "colour = 'red'\n", [], "unknown option 'colour'; allowed: n, seed"),
    ("option type", TOY + "n = 'many'\n", [], "solver[0] (toy).n: expected an integer"),
    ("option bound", TOY + "n = 0\n", [], "solver[0] (toy).n: must be >= 1, got 0"),
    ("option choice", FEM2 + "element = 'P7'\n", [],
     "solver[0] (fem).element: 'P7' is not allowed; allowed: 'P1', 'P2'"),
    ("empty sweep", TOY + "n = []\n", [], "solver[0] (toy).n: an empty list sweeps nothing"),
    ("empty widths", _solver("pinn", "widths = []\nsteps = 1"), [],
     "solver[0] (pinn).widths: needs at least 1 value(s), got []"),
    ("nested table", _solver("pinn", 'network = { type = "mlp", widths = [16, 16] }'), [],
     "(pinn).network: nested tables are not options; write them as flat keys of the table: "
     "network = 'mlp', widths = [16, 16]"),
    ("zip lengths", TOY + "n = [2, 4]\nsteps = [1]\nzip = ['n', 'steps']\n", [],
     "zipped options need lists of equal length"),
    ("seed and seeds", TOY + "seed = 1\nseeds = [1, 2]\n", [], "give either 'seed' or 'seeds'"),
    ("seeds without seed", FEM2 + "seeds = [1, 2]\n", [],
     "solver[0] (fem).seeds: solver 'fem' has no 'seed' option"),
    ("label type", TOY + "label = 3\n", [], "solver[0].label: expected a string"),
    ("quick option", TOY + "quick = { colour = 1 }\n", ["--quick"],
     "solver[0] (toy).quick: unknown option 'colour'"),
    ("plot name", TOY + "[report]\nplots = ['pie']\n", [],
     "report.plots: 'pie' is not allowed; allowed: error_vs_dofs"),
    ("metric", TOY + "[report]\nmetric = 'l3'\n", [],
     "report.metric: 'l3' is not allowed; allowed: l2_rel"),
    ("evaluation", TOY + "[evaluation]\ncells = 0\n", [],
     "evaluation.cells: must be a positive integer"),
    ("quick table", TOY + "[quick]\nsolver = 1\n", [], "quick: unknown key 'solver'; allowed"),
    ("fem too large", FEM2 + "n = 1000000000\n", [],
     "solver[0] (fem).n: n = 1000000000 (P1, d = 2, 1e+18 DOFs) needs about"),
    ("grid too large", _solver("grid", "n = 100000", dim=2), [],
     "solver[0] (grid).n: n = 100000 in d = 2 gives (n + 2)^d = 1e+10 grid nodes; at most"),
    ("spectral too large", _solver("spectral", "n = 60", dim=5), [],
     "solver[0] (spectral).n: degree n = 60 in d = 5 (7.15e+08 unknowns) needs about"),
    ("sparse grid too large", _solver("sparse_grid", "level = 9", dim=10), [],
     "solver[0] (sparse_grid).level: level 9 in d = 10 (92378 component grids) needs about"),
    ("spectral off a box", 'name = "bad"\n[problem]\nname = "lshape_corner"\n[[solver]]\n'
     'kind = "spectral"\n', [], "(spectral).kind: 'spectral' cannot solve this problem (the "
     "spectral solver needs a box domain; the problem's domain is a polygon"),
    ("sparse grid with Robin faces", 'name = "bad"\n[problem]\nname = "pinnacle_poisson2d_ms"\n'
     '[[solver]]\nkind = "sparse_grid"\n', [], "the sparse grid poses u = g on the whole "
     "boundary; the problem has a robin condition on 'x1min'"),
    ("fem in 4-D", FEM2.replace("dim = 2", "dim = 4"), [],
     "solver[0] (fem).kind: 'fem' cannot solve this problem (FEM needs d <= 3, the problem has "
     "d = 4); kinds that can: grid"),
    ("random features activation", _solver("random_features", "activation = 'swish'"), [],
     "solver[0] (random_features).activation: 'swish' is not allowed; allowed: 'relu', 'tanh'"),
    ("random features count", _solver("random_features", "features = -5"), [],
     "solver[0] (random_features).features: must be >= 1, got -5"),
    ("jacobi modes in 2-D", _solver("jacobi", "n = 7\nmodes = [1]", dim=2), [],
     "solver[0] (jacobi).modes: sine modes are tracked in 1-D only"),
    ("jacobi exact reference", 'name = "bad"\n[problem]\nf = "1"\ng = "0"\ndim = 1\n'
     '[[solver]]\nkind = "jacobi"\nn = 7\n', [],
     "(jacobi).reference: problem 'formula' has no exact solution; use reference"),
    ("pole inside the box", FORMULA + 'exact = "x2/(x1 - 0.3)"\n', [],
     "problem.exact: not finite at x = (0.3, 0.5): division by x1 - 0.3, which is 0 there"),
    ("unknown function", FORMULA + 'exact = "besselj(0, x1) * x2"\n', [],
     "problem.exact: unknown function 'besselj'; available: sin, cos"),
    ("unknown symbol", FORMULA + 'exact = "x1 + q"\n', [],
     "problem.exact: unknown symbol 'q'; use x1"),
    ("formula syntax", FORMULA + 'exact = "x1 +* x2"\n', [], "cannot read 'x1 +* x2' as a formula"),
    ("log of a negative", FORMULA + 'exact = "log(x1 - 0.5) + x2"\n', [],
     "problem.exact: not finite at x = (0.5, 0.5): log(x1 - 0.5) with x1 - 0.5 = 0"),
    ("root of a negative", FORMULA + 'exact = "sqrt(x1 - 0.25)"\ndim = 1\n', [],
     "problem.exact: not real at x = ("),
    ("wrong source", FORMULA + 'exact = "sin(pi x) sin(pi y)"\nf = "pi^2 sin(pi x) sin(pi y)"\n',
     [], "problem.f: does not match the exact solution: max difference"),
    ("wrong boundary data", FORMULA + 'exact = "x y"\ng = "0"\n', [],
     "problem.g: does not match the exact solution"),
    ("kappa not positive", FORMULA + 'exact = "x y"\nkappa = "x - 0.5"\n', [],
     "problem.kappa: must be positive inside the domain"),
    ("kink", FORMULA + 'exact = "abs(x - 0.5) + y"\n', [], "problem.exact: has a kink"),
    ("p below 2", FORMULA + 'exact = "x y"\np = 1.5\n', [],
     "problem.p: must be a finite number >= 2"),
    ("coordinate beyond dim", FORMULA + 'exact = "x1 + x3"\ndim = 2\n', [],
     "problem.exact: x3 is beyond the problem's dimension 2"),
    ("module not found", 'name = "bad"\n[problem]\nmodule = "nowhere.py"\n[[solver]]\n'
     'kind = "fem"\n', [], "problem.module: file 'nowhere.py' not found"),
    ("out is a file", GOOD, ["--out", "FILE"], "--out: FILE is a file; give a directory"),
    ("out under a file", GOOD, ["--out", "FILE/sub"],
     "--out: cannot create FILE/sub: FILE is a file, not a directory"),
    ("workers", GOOD, ["--workers", "0"],
     "pdesolve run: argument --workers: expected a positive integer, got '0'"),
    ("unknown flag", GOOD, ["--colour"], "pdesolve: unrecognized arguments: --colour"),
]
COMMANDS = [
    ("report of a missing directory", ["report", "nowhere"],
     "nowhere: results directory not found"),
    ("unknown experiment", ["experiment", "nope"], "experiment: unknown name 'nope'; available"),
    ("no command", [], "pdesolve: the following arguments are required: command"),
]


def batch(jobs: list[dict]) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "tests.cli_batch"], input=json.dumps(jobs),
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*")) if p.is_file()}


MANY = (TOY.replace("dim = 1", "dim = 1\ncolour = 2") + "n = 0\nmode = 'maybe'\n[report]\n"
        "plots = ['pie']\n[[solver]]\nkind = 'pinn'\nnetwork = { type = 'mlp' }\n")


def _unwritable(tmp_path: Path) -> Path | None:
    """A directory this process cannot write in: a read-only one, or /sys when root."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if not os.access(locked, os.W_OK):
        return locked
    return Path("/sys") if Path("/sys").is_dir() else None


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every command line of this module, run once: (tmp, {id: result}, snapshot of the
    finished runs of ``out`` before and after the bad inputs)."""
    tmp = tmp_path_factory.mktemp("bad_input")
    out = tmp / "out"
    (tmp / "good.toml").write_text(textwrap.dedent(GOOD))
    (tmp / "many.toml").write_text(MANY)
    (tmp / "FILE").write_text("not a directory\n")
    (tmp / "DIR").mkdir()
    jobs = {"good": ["run", "good.toml", "--out", str(out)]}
    for i, (what, text, extra, _) in enumerate(CASES):
        name = "missing.toml" if text is None else "DIR" if text == "DIR" else f"case{i}.toml"
        if isinstance(text, bytes):
            (tmp / name).write_bytes(text)
        elif text not in (None, "DIR"):
            (tmp / name).write_text(textwrap.dedent(text))
        jobs[what] = ["run", name, "--quiet", *(extra if "--out" in extra
                                                 else [*extra, "--out", str(out)])]
    jobs.update({what: argv for what, argv, _ in COMMANDS})
    jobs["many"] = ["run", "many.toml", "--out", "FILE"]
    unwritable = _unwritable(tmp)
    if unwritable is not None:
        jobs["unwritable"] = ["run", "good.toml", "--out", str(unwritable / "out")]
    names = list(jobs)
    first = batch([{"argv": jobs["good"], "cwd": str(tmp)}])
    before = snapshot(out)
    results = batch([{"argv": jobs[n], "cwd": str(tmp)} for n in names[1:]])
    (tmp / "locked").chmod(0o700)  # so that the temporary directory can be removed
    return tmp, dict(zip(names, first + results)), before, snapshot(out), unwritable


def test_every_bad_input_gets_one_line_and_exit_2_and_touches_nothing(runs):
    _, results, before, after, _ = runs
    assert results["good"]["code"] == 0, results["good"]["stderr"]
    assert len([k for k in before if k.startswith("runs/") and k.endswith(".json")]) == 2
    expected = {what: message for what, *_, message in CASES} | {
        what: message for what, _, message in COMMANDS}
    clean = []
    for what, message in expected.items():
        result = results[what]
        lines = result["stderr"].splitlines()
        ok = (result["code"] == 2 and len(lines) == 1 and lines[0].startswith("error: ")
              and message in lines[0] and "Traceback" not in result["stderr"]
              and not result["stdout"])
        clean.append(ok)
        assert ok, (what, result)
    assert sum(clean) == len(expected) >= 50
    assert after == before  # no file of the finished runs changed, none added


def test_all_mistakes_of_a_case_file_are_listed_at_once(runs):
    tmp, results, *_ = runs
    result = results["many"]
    lines = result["stderr"].splitlines()
    assert result["code"] == 2 and all(line.startswith("error: ") for line in lines)
    fields = [line.removeprefix("error: ").removeprefix("many.toml: ").split(":")[0]
              for line in lines]
    assert fields == ["--out", "report.plots", "problem", "solver[0] (toy).n",
                      "solver[0] (toy).mode", "solver[1] (pinn).network"]
    assert not (tmp / "results").exists()


def test_an_unwritable_output_directory_is_refused_before_running(runs):
    *_, unwritable = runs
    if unwritable is None:
        pytest.skip("no directory this process cannot write in")
    result = runs[1]["unwritable"]
    assert result["code"] == 2 and result["stderr"].count("\n") == 1
    assert f"--out: cannot write in {unwritable} (" in result["stderr"]
    assert "give a directory you can write to" in result["stderr"]


@pytest.mark.parametrize("argv, message", [
    (["run", "cases/quickstart.toml", "--out", "/proc/version"], "--out: /proc/version is a file"),
    (["run", "cases", "--quiet"], "cases: is a directory, not a case file"),
    (["run", "cases/quickstart.toml", "--workers", "-1"], "expected a positive integer"),
])
def test_a_fresh_process_prints_one_line(argv, message):
    proc = subprocess.run([sys.executable, "-m", "pdesolve.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and message in proc.stderr
