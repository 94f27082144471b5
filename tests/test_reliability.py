"""Nothing stale, nothing hangs, nothing silently wrong (issue 27).

- more bad inputs (numbers, domains, boundary parts, modules, formulas, adaptivity, command
  line), each in its own process: exit 2, at most 3 lines, the field named, nothing created;
- an edited mesh file or problem module reruns, an unchanged case does not;
- a mesher that crashes or hangs fails its run only (serial and with --workers 2);
- a results folder that turns read-only mid-run: one line, the record kept, nothing damaged.

Command lines run through ``tests/cli_batch.py`` (forked from one warm interpreter).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from .test_bad_input import batch, snapshot
from .test_harness_solvers import register
from pdesolve.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

HEAD = 'name = "bad"\n'
TOY = HEAD + '[problem]\nname = "poisson_sine"\ndim = 1\n[[solver]]\nkind = "toy"\n'
FEM2 = HEAD + '[problem]\nname = "poisson_sine"\ndim = 2\n[[solver]]\nkind = "fem"\n'
FEM1 = FEM2.replace("dim = 2", "dim = 1")
FORMULA = HEAD + '[[solver]]\nkind = "fem"\nn = 2\n[problem]\ndim = 2\n'


def _neural(kind: str, body: str) -> str:
    return (HEAD + f'[problem]\nname = "poisson_sine"\ndim = 1\n[[solver]]\nkind = "{kind}"\n'
            f"steps = 1\n{body}\n")


def _domain(table: str) -> str:
    return (HEAD + '[problem]\nname = "poisson_sine"\ndim = 2\n[problem.domain]\n'
            f'{table}\n[[solver]]\nkind = "fem"\nn = 2\n')


def _boundary(entry: str) -> str:
    return FORMULA + f'exact = "x + y"\n[problem.boundary]\n{entry}\n'


def _hole(disk: str) -> str:
    """The unit disk without the disk ``disk`` (its keys)."""
    return _domain('kind = "difference"\nbase = { kind = "disk", center = [0, 0], radius = 1 }\n'
                   f'remove = [{{ kind = "disk", {disk} }}]')


LONG = " + ".join(f"{i % 7 + 1}*x^{i % 5}*y" for i in range(3000))

# (id, case-file text, extra arguments, expected text of the error line)
CASES = [
    *[(f"{kind} {key} = {value}", _neural(kind, f"{key} = {value}"), [],
       f"solver[0] ({kind}).{key}: must be a finite number")
      for kind, key, value in [
          ("pinn", "lr", "nan"), ("pinn", "lr", "inf"), ("deep_ritz", "lr", "-inf"),
          ("pinn", "beta", "nan"), ("deep_ritz", "beta", "inf"), ("pinn", "max_seconds", "nan"),
          ("deep_ritz", "max_seconds", "inf"), ("pinn", "engd_cutoff", "nan"),
          ("pinn", "lr_decay", "nan"), ("pinn", "init_scale", "-inf"),
          ("deep_ritz", "engd_cutoff", "inf"), ("deep_ritz", "lr_decay", "-inf")]],
    ("fem tol nan", FEM2 + "tol = nan\n", [],
     "solver[0] (fem).tol: must be a finite number between 1e-16 and 1, got nan"),
    ("fem tol inf", FEM2 + "tol = inf\n", [], "solver[0] (fem).tol: must be a finite number"),
    ("fem newton_tol nan", FEM2 + "newton_tol = nan\n", [], "(fem).newton_tol: must be a finite"),
    ("grid tol nan", FEM2.replace('"fem"', '"grid"') + "tol = nan\n", [],
     "(grid).tol: must be a finite number >= 0"),
    ("toy delay inf", TOY + "delay = inf\n", [], "(toy).delay: must be a finite number >= 0"),
    ("pinn steps 0", _neural("pinn", "").replace("steps = 1", "steps = 0"), [],
     "solver[0] (pinn).steps: must be >= 1, got 0"),
    ("resume without a checkpoint folder", _neural("pinn", "resume = true"), [],
     "solver[0] (pinn).resume: needs checkpoint_dir"),
    ("freq_history without an exact solution",
     HEAD + '[problem]\ndim = 1\nf = "1"\ng = "0"\n[[solver]]\nkind = "deep_ritz"\nsteps = 1\n'
     "freq_history = true\n", [], "solver[0] (deep_ritz).freq_history: needs a problem with an "
     "exact solution"),
    ("deep_ritz steps 0", _neural("deep_ritz", "").replace("steps = 1", "steps = 0"), [],
     "solver[0] (deep_ritz).steps: must be >= 1, got 0"),
    ("quick nan without --quick", _neural("pinn", "quick = { lr = nan }"), [],
     "solver[0] (pinn).quick.lr: must be a finite number"),
    ("quick unknown without --quick", TOY + "quick = { colour = 1 }\n", [],
     "solver[0] (toy).quick: unknown option 'colour'"),
    ("quick bound without --quick", TOY + "quick = { n = 0 }\n", [],
     "solver[0] (toy).quick.n: must be >= 1"),
    ("same label", TOY + 'label = "A"\n[[solver]]\nkind = "toy"\nlabel = "A"\n', [],
     "solver[1].label: 'A' is also the label of solver[0] (toy)"),
    ("same default label", FEM2 + 'element = "P1"\n[[solver]]\nkind = "fem"\nelement = "P2"\n',
     [], "solver[1].label: 'fem' is also the label of solver[0] (fem)"),
    ("long name", TOY.replace('"bad"', '"' + "a" * 300 + '"'), [],
     "name: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ("mesh scale 0", _domain('mesh = "plate.msh"\nscale = 0'), [],
     "problem.domain.scale: must be a finite number > 0, got 0.0"),
    ("mesh scale negative", _domain('mesh = "plate.msh"\nscale = -1'), [],
     "problem.domain.scale: must be a finite number > 0"),
    ("mesh scale nan", _domain('mesh = "plate.msh"\nscale = nan'), [],
     "problem.domain.scale: must be a finite number"),
    ("mesh scale inf", _domain('mesh = "plate.msh"\nscale = inf'), [],
     "problem.domain.scale: must be a finite number"),
    ("module is a mesh", HEAD + '[problem]\nmodule = "plate.msh"\n[[solver]]\nkind = "fem"\n', [],
     "problem.module: 'plate.msh' is not a Python file"),
    ("module path is a mesh", HEAD + '[problem]\nmodule = "sub/plate.msh"\n[[solver]]\n'
     'kind = "fem"\n', [], "problem.module: 'sub/plate.msh' is not a Python file"),
    ("solver module is a mesh", TOY + 'module = "plate.msh"\n', [],
     "solver[0].module: 'plate.msh' is not a Python file"),
    ("module exits", HEAD + '[problem]\nmodule = "exits.py"\n[[solver]]\nkind = "fem"\n', [],
     "problem.module: importing 'exits.py' raised SystemExit(3)"),
    ("module aborts", HEAD + '[problem]\nmodule = "aborts.py"\n[[solver]]\nkind = "fem"\n', [],
     "problem.module: importing 'aborts.py' crashed (SIGABRT)"),
    ("empty difference", _hole("center = [0, 0], radius = 2"), [],
     "problem.domain: the difference is empty"),
    ("empty intersection", _domain('kind = "intersection"\nmembers = [{ kind = "disk", center = '
                                   '[0, 0], radius = 1 }, { kind = "disk", center = [3, 0], '
                                   'radius = 1 }]'), [],
     "problem.domain: the intersection is empty"),
    ("hole outside", _hole("center = [5, 5], radius = 0.5"), [],
     "problem.domain.remove[0]: lies outside the base"),
    ("crossing polygon", _domain('kind = "polygon"\nvertices = [[0, 0], [2, 0], [2, 2], [1, -1], '
                                 '[0, 2]]'), [],
     "problem.domain.vertices: the polygon crosses itself"),
    ("folded polygon", _domain('kind = "polygon"\nvertices = [[0, 0], [2, 0], [1, 0], [1, 1]]'),
     [], "problem.domain.vertices: the polygon crosses itself"),
    ("repeated edge names", _domain('kind = "polygon"\nvertices = [[0, 0], [1, 0], [0, 1]]\n'
                                    'edge_names = ["a", "a", "b"]'), [],
     "problem.domain.edge_names: the name 'a' is used twice or is reserved"),
    ("reserved edge name", _domain('kind = "polygon"\nvertices = [[0, 0], [1, 0], [0, 1]]\n'
                                   'edge_names = ["a", "boundary", "b"]'), [],
     "problem.domain.edge_names: the name 'boundary' is used twice or is reserved"),
    ("reserved hole name", _hole('center = [0, 0], radius = 0.5, name = "outer"'), [],
     "problem.domain.remove: the name 'outer' is used twice or is reserved"),
    ("vertex nan", _domain('kind = "polygon"\nvertices = [[0, 0], [1, nan], [0, 1]]'), [],
     "problem.domain.vertices[1][1]: must be a finite number"),
    ("radius inf", _domain('kind = "disk"\ncenter = [0, 0]\nradius = inf'), [],
     "problem.domain.radius: must be a finite number"),
    ("annulus nan", _domain('kind = "annulus"\ncenter = [0, 0]\ninner = nan\nouter = 1'), [],
     "problem.domain.inner: must be a finite number"),
    ("box bound inf", _domain('kind = "box"\nbounds = [[0, 1], [0, inf]]'), [],
     "problem.domain.bounds[1][1]: must be a finite number, got inf"),
    ("formula box inf", FORMULA + 'exact = "x + y"\nbox = [0, inf]\n', [],
     "problem.box: domain: lower bound must be below upper bound, both finite"),
    ("robin alpha negative", _boundary('x1max = { kind = "robin", alpha = "-1" }'), [],
     "problem.boundary.x1max.alpha: must be >= 0"),
    ("robin alpha negative somewhere", _boundary('x2min = { kind = "robin", alpha = "x - 0.5" }'),
     [], "problem.boundary.x2min.alpha: must be >= 0"),
    ("flux jumps", FORMULA + 'exact = "x*y"\nkappa = "where(x < 0.5, 1, 10)"\n', [],
     "problem.exact: its flux kappa |grad u|^(p-2) du/dn jumps"),
    ("flux kinks", FORMULA + 'exact = "where(x < 0.5, x, 1 - x) + y"\n', [],
     "problem.exact: its flux kappa |grad u|^(p-2) du/dn jumps"),
    ("u jumps", FORMULA + 'exact = "where(y < 0.25, 0, 1) + x"\n', [],
     "problem.exact: u jumps by 1 across the switch x2 < "),
    ("p inf", FORMULA + 'exact = "x + y"\np = inf\n', [],
     "problem.p: must be a finite number >= 2"),
    ("adaptive in 1-D", FEM1 + 'refine = "adaptive"\n', [],
     "solver[0] (fem).refine: 'adaptive' needs a 2-D or 3-D domain; allowed for d = 1: "
     "'uniform'"),
    ("adaptive Q1", FEM2 + 'refine = "adaptive"\nelement = "Q1"\n', [],
     "solver[0] (fem).refine: 'adaptive' bisects simplices; Q1 needs tensor cells; allowed: "
     "P1, P2, P3, P4"),
    ("adaptive steps", FEM2 + 'refine = "adaptive"\nadapt_steps = 60\n', [],
     "solver[0] (fem).adapt_steps: 60 steps from n = 16 (up to 1.54e+19 DOFs at 1.9x per step) "
     "needs about"),
    ("overflow", FORMULA + 'exact = "exp(1000*x1)"\n', [], "problem.exact: not finite on the"),
    ("3000 terms", FORMULA + f'exact = "{LONG}"\n', [],
     "problem.exact: the formula '1*x^0*y + 2*x^1*y"),
    ("published inf", TOY + '[report]\npublished = [{ label = "paper", value = inf }]\n', [],
     "report.published[0].value: must be a finite positive number, got inf"),
    ("scheduler", TOY, ["--scheduler", "not-an-address", "--out", "fresh"],
     "--scheduler: 'not-an-address' is not a scheduler address; give [protocol://]host:port"),
    ("scheduler without port", TOY, ["--scheduler", "tcp://host", "--out", "fresh"],
     "--scheduler: 'tcp://host' is not a scheduler address"),
]
COMMANDS = [
    ("report of a folder without runs", ["report", "sub"],
     "sub: not a results directory (it has no runs/ folder)"),
]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reliability")
    shutil.copy(ROOT / "cases" / "meshes" / "plate.msh", tmp / "plate.msh")
    (tmp / "sub").mkdir()
    shutil.copy(ROOT / "cases" / "meshes" / "plate.msh", tmp / "sub" / "plate.msh")
    (tmp / "exits.py").write_text("import sys\nsys.exit(3)\n")
    (tmp / "aborts.py").write_text("import os\nos.abort()\n")
    (tmp / "good.toml").write_text(TOY + "n = [2, 4]\n[report]\nplots = []\n")
    register()
    assert main(["run", str(tmp / "good.toml"), "--out", str(tmp / "out"), "--quiet"]) == 0
    before = snapshot(tmp / "out")
    jobs = []
    for i, (_, text, extra, _) in enumerate(CASES):
        (tmp / f"case{i}.toml").write_text(textwrap.dedent(text))
        out = [] if "--out" in extra else ["--out", "out"]
        jobs.append({"argv": ["run", f"case{i}.toml", "--quiet", *extra, *out], "cwd": str(tmp)})
    jobs += [{"argv": argv, "cwd": str(tmp)} for _, argv, _ in COMMANDS]
    return tmp, batch(jobs), before, snapshot(tmp / "out")


def test_new_bad_inputs_get_at_most_three_lines_and_exit_2_and_touch_nothing(bad_runs):
    tmp, results, before, after = bad_runs
    expected = [message for *_, message in CASES] + [message for *_, message in COMMANDS]
    names = [name for name, *_ in CASES] + [name for name, *_ in COMMANDS]
    assert len(expected) >= 60
    wrong = []
    for name, message, result in zip(names, expected, results):
        lines = result["stderr"].splitlines()
        if not (result["code"] == 2 and 1 <= len(lines) <= 3 and message in lines[0]
                and all(line.startswith("error: ") for line in lines)
                and "Traceback" not in result["stderr"] and not result["stdout"]):
            wrong.append((name, result))
    assert not wrong
    assert after == before  # the finished runs untouched
    assert not (tmp / "fresh").exists() and not (tmp / "results").exists()
    assert not (tmp / "sub" / ".report.lock").exists()


MESH = """$MeshFormat
2.2 0 8
$EndMeshFormat
$Nodes
{count}
{nodes}
$EndNodes
$Elements
{cells}
{elements}
$EndElements
"""


def _mesh_file(k: int) -> str:
    """The unit square cut into k x k squares of two triangles each, as a gmsh 2.2 file."""
    nodes = [f"{i * (k + 1) + j + 1} {j / k} {i / k} 0" for i in range(k + 1) for j in range(k + 1)]
    cells = []
    for i in range(k):
        for j in range(k):
            a = i * (k + 1) + j + 1
            cells += [(a, a + 1, a + k + 2), (a, a + k + 2, a + k + 1)]
    elements = [f"{n + 1} 2 2 0 0 {a} {b} {c}" for n, (a, b, c) in enumerate(cells)]
    return MESH.format(count=len(nodes), nodes="\n".join(nodes), cells=len(cells),
                       elements="\n".join(elements))


MODULE = """
import dataclasses
from pdesolve.problems import get_problem, register_problem

A = {a}


@register_problem("stale_demo")
def stale_demo():
    base = get_problem("poisson_sine", dim=2)
    return dataclasses.replace(base, name="stale_demo", params={{"A": A}})
"""
STALE = """
name = "stale"
[problem]
module = "demo.py"
[problem.domain]
mesh = "square.msh"
[[solver]]
kind = "fem"
n = 2
[report]
plots = []
"""


def _stored(out: Path) -> list[dict]:
    manifest = json.loads((out / "manifest.json").read_text())["runs"]
    return [json.loads((out / "runs" / f"{r}.json").read_text()) for r in manifest]


def test_an_edited_mesh_file_or_module_reruns_and_an_unchanged_case_does_not(scenarios):
    folder, results = scenarios["stale"]
    assert [r["code"] for r in results] == [0, 0, 0, 0], results
    summaries = [r["stdout"].splitlines()[0] for r in results]
    assert [s.split(", ")[1:3] for s in summaries] == [
        ["1 executed (0 failed)", "0 already finished"]] * 3 + [
        ["0 executed (0 failed)", "1 already finished"]]
    (record,) = _stored(folder / "out")
    assert record["problem"]["params"] == {"A": 2.0}
    assert len(list((folder / "out" / "runs").glob("*.json"))) == 3


TRAP = """
import dataclasses
import os
import time

import pdesolve.domains.meshing as meshing
from pdesolve.domains import Polygon
from pdesolve.problems import get_problem, register_problem

meshing.GMSH_SECONDS = 1.5


class Trap(Polygon):
    '''The unit square, whose gmsh shape aborts for h = 1/3 and hangs for h = 1/4.'''

    def mesh(self, h, order=1):
        object.__setattr__(self, "asked", h)
        return super().mesh(h, order)

    def build_occ(self, occ):
        h = getattr(self, "asked", 0.0)
        if abs(h - 1 / 3) < 1e-9:
            os.abort()
        if abs(h - 1 / 4) < 1e-9:
            time.sleep(3600)
        return super().build_occ(occ)


@register_problem("trap")
def trap():
    return dataclasses.replace(get_problem("poisson_sine", dim=2), name="trap",
                               domain=Trap(((0, 0), (1, 0), (1, 1), (0, 1))))
"""
CRASH = """
name = "crash"
[problem]
module = "trap.py"
[[solver]]
kind = "fem"
n = [2, 3, 4]
[report]
plots = []
"""


def test_a_mesher_that_crashes_or_hangs_fails_its_run_only(scenarios):
    folder, results = scenarios["crash"]
    for out, result in zip(("serial", "workers"), results):
        assert result["code"] == 1 and "Traceback" not in result["stderr"], result
        assert "3 executed (2 failed)" in result["stdout"]
        records = {r["options"]["n"]: r for r in _stored(folder / out)}
        assert [records[n]["status"] for n in (2, 3, 4)] == ["ok", "failed", "failed"]
        assert "gmsh meshing the polygon (h = 0.333) crashed (SIGABRT)" in records[3]["message"]
        assert "did not finish within 1.5 s (killed)" in records[4]["message"]
        report = (folder / out / "report.md").read_text()
        assert "crashed (SIGABRT)" in report and "did not finish" in report


FREEZE = """
from dataclasses import dataclass

from pdesolve.config import opt
from pdesolve.result import Result
from pdesolve.solvers import register_solver

FAMILY = "classical"
DOFS = "unknowns"


@dataclass
class Options:
    n: int = opt(2, min=1)


def supports(problem):
    return None


@register_solver("freeze")
def solve(problem, options, *, progress=False):
    if options.n == 4:  # the results folder turns read-only while this run computes
        {freeze}
    return Result(solver="freeze", u=problem.exact, grad=problem.exact_grad, dofs=options.n,
                  seconds=0.0)
"""


def _read_only(folder: Path) -> tuple[str, str] | None:
    """Python statements that make ``folder`` read-only and writable again, for this user
    (root ignores permissions: the immutable attribute), or None when neither works."""
    if os.geteuid() != 0:
        return (f"__import__('os').chmod({str(folder)!r}, 0o500)",
                f"__import__('os').chmod({str(folder)!r}, 0o700)")
    if shutil.which("chattr") is None:
        return None
    probe = folder.parents[1] / "probe"
    probe.mkdir()
    locked = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
    if not locked:
        return None
    return tuple(f"__import__('subprocess').run(['chattr', '{flag}', {str(folder)!r}])"
                 for flag in ("+i", "-i"))


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """The command lines of the stale-input, crashing-mesher and read-only tests, run in one
    batch: {scenario: (its folder, its results)}."""
    folders = {name: tmp_path_factory.mktemp(name) for name in ("stale", "crash", "ro")}
    jobs = {}
    run = ["run", "stale.toml", "--out", "out", "--quiet"]
    (folders["stale"] / "stale.toml").write_text(STALE)
    steps = [{"square.msh": _mesh_file(2), "demo.py": MODULE.format(a=1.0)},
             {"square.msh": _mesh_file(4)}, {"demo.py": MODULE.format(a=2.0)}, {}]
    jobs["stale"] = [{"argv": run, "write": w} for w in steps]
    (folders["crash"] / "trap.py").write_text(TRAP)
    (folders["crash"] / "crash.toml").write_text(CRASH)
    jobs["crash"] = [{"argv": ["run", "crash.toml", "--out", out, "--quiet", *extra]}
                     for out, extra in (("serial", []), ("workers", ["--workers", "2"]))]
    statements = _read_only(folders["ro"] / "out" / "runs")
    if statements is not None:
        (folders["ro"] / "freeze.py").write_text(FREEZE.format(freeze=statements[0]))
        (folders["ro"] / "ro.toml").write_text(TOY.replace('"toy"', '"freeze"')
                                               + 'module = "freeze.py"\nn = [2, 4, 8]\n'
                                               "[report]\nplots = []\n")
        jobs["ro"] = [{"argv": ["run", "ro.toml", "--out", "out", "--quiet"]}] * 2
    flat = [{**job, "cwd": str(folders[name])} for name, some in jobs.items() for job in some]
    try:
        results = iter(batch(flat))
    finally:
        if statements is not None:
            exec(statements[1])  # noqa: S102 - the test's own statement
    return {name: (folders[name], [next(results) for _ in some]) for name, some in jobs.items()}


def test_runs_turning_read_only_mid_sweep_gives_one_line_and_keeps_every_record(scenarios):
    if "ro" not in scenarios:
        pytest.skip("cannot make a folder read-only here")
    folder, (result, again) = scenarios["ro"]
    errors = [line for line in result["stderr"].splitlines() if not line.startswith("INFO")]
    assert result["code"] == 1 and len(errors) == 1, result
    assert errors[0].startswith("error: cannot write run ") and "the sweep stopped" in errors[0]
    held = Path(errors[0].split("its record is kept in ")[1].split(";")[0])
    assert json.loads(held.read_text())["options"]["n"] == 4
    assert again["code"] == 2 and again["stderr"].count("\n") == 1
    assert "--out: cannot write in out/runs" in again["stderr"]
    runs = folder / "out" / "runs"
    records = [json.loads(p.read_text()) for p in runs.glob("*.json")]
    assert [(r["options"]["n"], r["status"]) for r in records] == [(2, "ok")]
    assert not list(runs.glob(".*.tmp"))


def test_workers_are_capped_at_the_cpus_and_the_runs_with_a_note(caplog):
    from pdesolve.cli import _workers

    with caplog.at_level("INFO", logger="pdesolve.cli"):
        assert _workers(100000, 3) == min(os.cpu_count() or 1, 3)
        assert _workers(1, 3) == 1
    (note,) = [r.getMessage() for r in caplog.records]
    assert note.startswith("--workers 100000: using ")


def _sleep_forever():
    import time

    time.sleep(3600)


def _abort():
    import faulthandler

    faulthandler.disable()  # pytest's: it would print the child's stack
    os.abort()


@pytest.mark.parametrize("fn, args, error", [
    (_abort, (), "the call crashed (SIGABRT)"),
    (_sleep_forever, (), "the call did not finish within 0.3 s (killed)"),
    (__import__("sys").exit, (3,), "the call raised SystemExit(3)"),
    (int, ("x",), "invalid literal for int() with base 10: 'x'"),
])
def test_isolated_code_returns_raises_or_is_stopped(fn, args, error):
    from pdesolve.isolation import run_isolated

    assert run_isolated(sum, [1, 2], seconds=5, what="the call") == 3
    with pytest.raises(Exception, match=None) as caught:
        run_isolated(fn, *args, seconds=0.3, what="the call")
    assert str(caught.value) == error


def test_a_module_that_hangs_at_import_is_stopped(tmp_path, monkeypatch):
    import pdesolve.user_code as user_code
    from pdesolve.errors import ConfigError

    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(3600)\n")
    monkeypatch.setattr(user_code, "IMPORT_SECONDS", 0.3)
    with pytest.raises(ConfigError, match=r"^problem.module: importing 'hangs.py' did not "
                                          r"finish within 0.3 s \(killed\)$"):
        user_code.import_user_module("hangs.py", tmp_path, "problem.module")
