"""The pdesolve command: bad input messages, exit codes, run/report/list, resume after SIGKILL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pdesolve.cli import main

from .helpers import kill_when
from .test_harness_solvers import register

register()

ROOT = Path(__file__).resolve().parents[1]
TOY = textwrap.dedent("""
    [problem]
    name = "poisson_sine"
    dim = 1

    [[solver]]
    kind = "toy"
    n = [2, 4]
""")
# run the CLI in a fresh interpreter that knows the toy solvers
CLI = [sys.executable, "-c", "import sys; from tests.test_harness_solvers import register; "
       "register(); from pdesolve.cli import main; sys.exit(main(sys.argv[1:]))"]


def write(tmp_path, text, name="case.toml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


BAD_CASES = [
    ("missing", None, "case file not found"),
    ("syntax", 'name = "x"\n[problem]\nname = poisson_sine\n', "TOML syntax error: "),
    ("top-level", TOY + "\n[solvers]\nkind = 1\n",
     "unknown top-level key 'solvers'; allowed: name, description, seed, problem"),
    ("problem", TOY.replace('"poisson_sine"', '"poisson_cosine"'),
     "unknown problem 'poisson_cosine'; available: "),
    ("type", "seed = 'zero'\n" + TOY, "seed: expected a non-negative integer, got 'zero'"),
    ("size", TOY.replace("[2, 4]", "[2, 0]"), "solver[0] (toy).n: must be >= 1, got 0"),
    ("option", TOY + "colour = 'red'\n", "unknown option 'colour'; allowed: n, seed"),
    ("solver", TOY.replace('"toy"', '"magic"'), "unknown solver 'magic'; available: fem"),
    ("plot", TOY + "[report]\nplots = ['pie']\n",
     "report.plots: 'pie' is not allowed; allowed: error_vs_dofs, error_vs_time"),
    ("table", TOY + "[evaluation]\ncells = 0\n", "evaluation.cells: must be a positive integer"),
]


@pytest.mark.parametrize("what, text, message", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_case_files_get_one_sentence_and_exit_2(tmp_path, capsys, what, text, message):
    path = write(tmp_path, text) if text else str(tmp_path / "missing.toml")
    assert main(["run", path, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_syntax_error_names_the_line(tmp_path, capsys):
    main(["run", write(tmp_path, 'name = "x"\n[problem]\nname = poisson_sine\n'), "--quiet"])
    assert "line 3" in capsys.readouterr().err


def test_bad_input_in_a_fresh_process_prints_no_traceback(tmp_path):
    path = write(tmp_path, TOY.replace("[2, 4]", "[2, -3]"))
    proc = subprocess.run([sys.executable, "-m", "pdesolve.cli", "run", path, "--quiet"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert "unknown solver 'toy'" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "pdesolve.cli", "run", path, "--workers", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2 and "expected a positive integer, got '0'" in proc.stderr


def test_report_of_a_missing_directory(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "results directory not found" in capsys.readouterr().err


def test_failed_runs_make_the_exit_code_nonzero(tmp_path, capsys):
    path = write(tmp_path, TOY + 'mode = ["ok", "raise"]\n[report]\nplots = ["error_vs_dofs"]\n')
    out = tmp_path / "out"
    assert main(["run", path, "--out", str(out), "--quiet"]) == 1
    stdout = capsys.readouterr().out
    assert "4 runs, 4 executed (2 failed), 0 already finished" in stdout
    assert (out / "summary.csv").read_text().count(",failed,") == 2
    assert main(["run", path, "--out", str(out), "--quiet"]) == 1
    assert "2 executed (2 failed), 2 already finished" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0


def test_list_shows_problems_and_solver_options(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "poisson_sine(dim=2, k=1.0)" in out
    assert "toy (classical, user; DOFs: toy unknowns)" in out and "n: an integer, default 4 - resolution" in out


@pytest.mark.slow
def test_sigkill_mid_sweep_then_rerun_completes_and_keeps_finished_files(tmp_path):
    path = write(tmp_path, TOY.replace("[2, 4]", "[1, 2, 3, 4, 5, 6]") + "delay = 0.4\n")
    out = tmp_path / "out"
    runs = out / "runs"
    command = CLI + ["run", path, "--out", str(out), "--quiet"]
    kill_when(command, ROOT, lambda: len(list(runs.glob("*.json"))) >= 2, timeout=60)
    before = {p.name: p.read_bytes() for p in runs.glob("*.json")}
    assert 2 <= len(before) < 6
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} already finished" in rerun.stdout
    after = {p.name: p.read_bytes() for p in runs.glob("*.json")}
    assert len(after) == 6
    assert all(after[name] == data for name, data in before.items())
    assert not list(runs.glob(".*.tmp"))


def test_experiment_subcommand_lists_and_refuses_unknown_names(capsys):
    assert main(["list"]) == 0
    assert "shallow_relu" in capsys.readouterr().out
    assert main(["experiment", "no_such_experiment"]) == 2
    err = capsys.readouterr().err
    assert "experiment: unknown name 'no_such_experiment'; available: " in err
