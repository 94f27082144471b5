"""Two ``pdesolve run`` processes on one case and one results directory: no crash, every
run done once, records equal to a serial run's up to the fields that measure one
execution (times, pid, load: ``pdesolve.harness.execute.without_measurements``).

The full acceptance version (20 trials, starts 0-20 s apart, real solvers) is
``benchmarks/concurrent_runs.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from pdesolve.harness.execute import without_measurements

from .test_cli import CLI

ROOT = Path(__file__).resolve().parents[1]
CASE = textwrap.dedent("""
    [problem]
    name = "poisson_sine"
    dim = 1

    [[solver]]
    kind = "toy"
    n = [1, 2, 3, 4, 5, 6, 7, 8]
    delay = 0.15

    [report]
    plots = ["error_vs_dofs"]
""")


def records(out: Path) -> dict[str, str]:
    """Run id -> canonical JSON of its record without measurements."""
    return {p.stem: json.dumps(without_measurements(json.loads(p.read_text())), sort_keys=True)
            for p in (out / "runs").glob("*.json")}


def executed(stdout: str) -> int:
    return int(re.search(r"(\d+) executed", stdout).group(1))


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    (tmp / "case.toml").write_text(CASE)
    proc = subprocess.run(CLI + ["run", str(tmp / "case.toml"), "--out", str(tmp / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return records(tmp / "out")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 1.0])
def test_two_processes_on_one_directory(tmp_path, serial, delay):
    case, out = tmp_path / "case.toml", tmp_path / "out"
    case.write_text(CASE)
    command = CLI + ["run", str(case), "--out", str(out)]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    time.sleep(delay)
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    stdout, stderr = first.communicate(timeout=120)
    for code, err in ((first.returncode, stderr), (second.returncode, second.stderr)):
        assert code == 0 and "Traceback" not in err, err
    assert executed(stdout) + executed(second.stdout) == len(serial)  # each run done once
    assert records(out) == serial
    assert not list((out / "runs").glob(".*.tmp"))
    assert "8 runs, 8 finished, 0 failed." in (out / "report.md").read_text()


def test_a_second_process_leaves_a_claimed_temporary_alone(tmp_path):
    from pdesolve.harness import Store

    store = Store(tmp_path)
    claim = store.claim("abc123abc123")
    (tmp_path / "runs" / ".abc123abc123.x1.tmp").write_text("{")
    (tmp_path / "runs" / ".def456def456.x2.tmp").write_text("{")
    store.remove_stale_temporaries()
    assert [p.name for p in (tmp_path / "runs").glob(".*.tmp")] == [".abc123abc123.x1.tmp"]
    claim.release()
    store.remove_stale_temporaries()
    assert not list((tmp_path / "runs").glob(".*.tmp"))
