"""Experiment 1 (arXiv 1901.06523): opposite frequency orders of Jacobi and a network; hybrid.

The quick experiment runs once, killed half-way and resumed (finished runs not redone),
then its report is written again from the stored records alone.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pdesolve import get_problem, solve
from pdesolve.cli import main
from pdesolve.experiments import fprinciple as fp
from pdesolve.experiments.stored import experiment_case
from pdesolve.harness import expand_case

from .helpers import kill_when

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = get_problem("poisson_multifreq_1d")


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """The quick experiment killed by SIGKILL once 2 of its 6 runs are stored, then rerun:
    (output directory, run files before the rerun, after it, the rerun's stdout)."""
    out = tmp_path_factory.mktemp("fprinciple")
    command = [sys.executable, "-m", "pdesolve.cli", "experiment", "fprinciple", "--quick",
               "--out", str(out)]
    kill_when(command, ROOT, lambda: len(list(out.glob("*/runs/*.json"))) >= 2)
    before = {p: p.read_bytes() for p in out.glob("*/runs/*.json")}
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    after = {p: p.read_bytes() for p in out.glob("*/runs/*.json")}
    return out, before, after, rerun.stderr


@pytest.mark.slow
def test_killed_experiment_resumes_without_redoing_finished_runs(killed_and_resumed):
    out, before, after, log = killed_and_resumed
    assert 2 <= len(before) < 6 and len(after) == 6
    assert all(after[path] == data for path, data in before.items())
    executed = sum(int(line.split(" runs executed")[0].rsplit(" ", 1)[1])
                   for line in log.splitlines() if " runs executed " in line)
    assert executed == 6 - len(before)
    assert not list(out.glob("*/runs/.*.tmp"))


@pytest.mark.slow
def test_report_shows_opposite_orders_and_the_hybrid(killed_and_resumed):
    out = killed_and_resumed[0]
    text = (out / "report.md").read_text()
    assert "| jacobi | never |" in text  # Jacobi: the low peak k = 1 never converges here
    network = next(line for line in text.splitlines() if line.startswith("| network |"))
    assert network.endswith("| never |")  # the network: the high peak k = 8 never does
    size = expand_case(experiment_case("fprinciple_hybrid"), quick=True)
    assert text.count("| hybrid M = ") == len(size) - 1
    assert text.count(", plain network |") == 1
    for png in ("frequency_histories.png", "hybrid_time.png"):
        assert (out / png).stat().st_size > 1000


@pytest.mark.slow
def test_report_is_written_again_from_the_stored_records(killed_and_resumed, capsys):
    out = killed_and_resumed[0]
    written = (out / "report.md").read_text()
    (out / "report.md").unlink()
    (out / "hybrid_time.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_text() == written and (out / "hybrid_time.png").is_file()
    assert (out / "fprinciple_hybrid" / "report.md").is_file()


def test_slow_sweeps_follow_the_amplification_factor():
    n, a = 399, np.array([1e-3, 0.5])
    s1, s2 = fp.slow_sweeps(a, n)
    assert s1 == pytest.approx(np.log(10) / -np.log(np.cos(np.pi / (n + 1))))
    assert s2 == pytest.approx(np.log(5000) / -np.log(np.cos(2 * np.pi / (n + 1))))
    assert fp.slow_sweeps(np.array([1e-5]), n)[0] == 0.0  # already below the target


def test_symmetric_network_leaves_the_slowest_jacobi_mode_out():
    """The odd network's error has no even part: mode 1 stays at round-off in the start."""
    n = 199
    table = next(t for t in experiment_case("fprinciple_hybrid").solvers
                 if t["label"] == "hybrid")["initial"]
    result = solve(PROBLEM, "jacobi", n=n, sweeps=1, record_every=1, modes=[1, 2],
                   initial={**table, "steps": 20, "batch_interior": n + 1, "log_every": 10})
    start = result.history[0]["mode_amp"]
    assert start["k=1"] < 1e-6 * start["k=2"]
    assert result.info["initial"]["dofs"] == 1153 and result.info["initial"]["max_err"] > 0
