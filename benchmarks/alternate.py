"""What the FEM benchmarks share: each variant in its own subprocess (its peak memory is its
own), the variants alternated ``repeat`` times, the fastest run of each kept."""

from __future__ import annotations

import json
import subprocess
import sys


def child(script: str, *args: str) -> dict:
    """The JSON line the benchmark ``script`` prints when run with ``--worker *args``."""
    proc = subprocess.run([sys.executable, script, "--worker", *args], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fastest(run, repeat: int, variants=("bare", "pdesolve")) -> list[dict]:
    """``run(variant)`` for every variant, ``repeat`` rounds alternating; per variant the run
    with the smallest ``total_s``, in the order of ``variants``."""
    done: dict[str, list[dict]] = {v: [] for v in variants}
    for _ in range(repeat):
        for variant in variants:
            done[variant].append(run(variant))
    return [min(runs, key=lambda r: r["total_s"]) for runs in done.values()]
