"""Two ``pdesolve run`` processes on one case and one ``--out``, started 0-20 s apart.

For each trial the first process starts, the second follows after the trial's delay
(spread evenly over 0..--max-delay); both must exit 0 without a traceback, every run
must be executed exactly once (the two "N executed" counts add up to the sweep), stored
once, and every record must equal the record of a serial run of the same case, except
the fields that measure one execution (``pdesolve.harness.execute.without_measurements``:
times such as seconds, eval_seconds, info.timings, history seconds, the CPU and wall time,
and the pid and load average). The case (Jacobi, FEM and grid runs on the 1-D sine problem,
about 25 s serially on an idle 2-core machine) is written to a temporary directory.

    python benchmarks/concurrent_runs.py                  # 20 trials, 0-20 s apart
    python benchmarks/concurrent_runs.py --trials 3 --max-delay 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pdesolve.harness.execute import without_measurements

CASE = """
name = "concurrent"
[problem]
name = "poisson_sine"
dim = 1

[[solver]]
kind = "jacobi"
n = 499
sweeps = [200000, 400000, 600000, 800000, 1000000, 1200000]
record_every = 1000

[[solver]]
kind = "fem"
element = ["P1", "P2"]
n = [16, 64, 256, 1024]

[[solver]]
kind = "grid"
n = [15, 63, 255]

[report]
plots = ["error_vs_dofs"]
"""


def command() -> list[str]:
    script = shutil.which("pdesolve", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "pdesolve.cli"]


def records(out: Path) -> dict[str, str]:
    return {p.stem: json.dumps(without_measurements(json.loads(p.read_text())), sort_keys=True)
            for p in (out / "runs").glob("*.json")}


def executed(stdout: str) -> int:
    found = re.search(r"(\d+) executed", stdout)
    return int(found.group(1)) if found else -1


def trial(case: Path, out: Path, delay: float, reference: dict) -> dict:
    argv = command() + ["run", str(case), "--out", str(out), "--quiet"]
    start = time.perf_counter()
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    second = subprocess.run(argv, capture_output=True, text=True)
    out1, err1 = first.communicate()
    wall = time.perf_counter() - start
    stored = records(out)
    problems = []
    for name, code, err in (("first", first.returncode, err1),
                            ("second", second.returncode, second.stderr)):
        if code != 0 or "Traceback" in err:
            problems.append(f"{name} exited {code}: {err[-500:]}")
    counts = executed(out1), executed(second.stdout)
    if sum(counts) != len(reference):
        problems.append(f"executed {counts}, expected {len(reference)} in all")
    if stored != reference:
        differ = sorted(k for k in set(stored) | set(reference)
                        if stored.get(k) != reference.get(k))
        problems.append(f"records differ from the serial run: {differ}")
    if list((out / "runs").glob(".*.tmp")):
        problems.append("temporary files left")
    return {"delay": delay, "executed": counts, "wall": wall, "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--max-delay", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        case = tmp / "concurrent.toml"
        case.write_text(CASE)
        t0 = time.perf_counter()
        serial = subprocess.run(command() + ["run", str(case), "--out", str(tmp / "serial"),
                                             "--quiet"], capture_output=True, text=True)
        if serial.returncode != 0:
            sys.stderr.write(serial.stderr)
            return 1
        reference = records(tmp / "serial")
        print(f"serial run: {len(reference)} runs in {time.perf_counter() - t0:.1f} s, "
              f"load average {os.getloadavg()[0]:.2f}")
        print("trial  delay s  executed (first, second)  wall s  result")
        passed = 0
        for i in range(args.trials):
            delay = args.max_delay * i / max(args.trials - 1, 1)
            result = trial(case, tmp / f"out{i}", delay, reference)
            passed += not result["problems"]
            print(f"{i + 1:5d}  {delay:7.1f}  {str(result['executed']):>24}  "
                  f"{result['wall']:6.1f}  " + ("ok" if not result["problems"]
                                                  else "; ".join(result["problems"])),
                  flush=True)
        print(f"{passed} of {args.trials} trials passed (load average now "
              f"{os.getloadavg()[0]:.2f})")
    return 0 if passed == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
