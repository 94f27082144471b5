"""What the FEM benchmarks share: each variant in its own subprocess (its peak memory is its
own), the variants alternated ``repeat`` times, the fastest run of each kept.

Every child runs with ``NUMPY_MADVISE_HUGEPAGE=0`` unless the caller's environment sets it:
with transparent huge pages on ``madvise`` (as on the virtual machines these figures come
from), NumPy's huge-page advice for large arrays makes the kernel compact memory on first
touch, which cost 0.1-2 s of system time per run at random (measured: a 0.3 s scikit-fem
assembly took 2.4 s, 1.9 s of it in the kernel) and decided comparisons by chance."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys


def child(script: str, *args: str) -> dict:
    """The JSON line the benchmark ``script`` prints when run with ``--worker *args``."""
    env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": os.environ.get("NUMPY_MADVISE_HUGEPAGE", "0")}
    proc = subprocess.run([sys.executable, script, "--worker", *args], capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fastest(run, repeat: int, variants=("bare", "pdesolve")) -> list[dict]:
    """``run(variant)`` for every variant, ``repeat`` rounds alternating; per variant the run
    with the smallest ``total_s``, in the order of ``variants``."""
    done: dict[str, list[dict]] = {v: [] for v in variants}
    for _ in range(repeat):
        for variant in variants:
            done[variant].append(run(variant))
    return [min(runs, key=lambda r: r["total_s"]) for runs in done.values()]


def kernel_seconds() -> float:
    """System CPU time of this process so far (page faults and compaction; see above)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime
