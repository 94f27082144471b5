"""Grid solver on plaplace_5d end to end against a bare scipy CG on the 5-D Laplacian.

    python benchmarks/bench_grid.py [--n 16] [--large 20]

Each measurement runs in its own process so that its peak resident memory is its own:
- bare: the 11-point (2d + 1) 5-D Laplacian in CSR, scipy ``cg`` (no preconditioner),
  rhs ~ N(0, 1) (seed 0), the time of the CG call alone: at scipy's default rtol 1e-5 (the
  issue's baseline) and at rtol 1e-10, the tolerance the grid solver solves to;
- grid: ``solve(plaplace_5d, "grid", n)`` (kappa, f, g evaluation, assembly, multigrid set-up,
  CG to rtol 1e-10) plus ``measure_errors`` (the harness's measurement, randomised Sobol).
Prints the wall and CPU times, iteration counts, peak memory and the ratios grid / bare from
the same run (``--repeat`` alternates them and keeps the fastest of each). On a shared
machine the CPU-time ratio is the steadier one: other processes slow the memory-bound bare
CG more than the grid solver's function evaluations.
"""

from __future__ import annotations

import argparse
import os
import json
import resource
import subprocess
import sys
import time

import numpy as np


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare(n: int, rtol: float = 1e-5) -> dict:
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    one = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]) * (n + 1) ** 2
    eye = sp.identity(n, format="csr")
    a = one
    for _ in range(4):
        a = sp.kron(a, eye, format="csr") + sp.kron(sp.identity(a.shape[0], format="csr"), one,
                                                     format="csr")
    b = np.random.default_rng(0).standard_normal(a.shape[0])
    count = [0]
    start, cpu = time.perf_counter(), time.process_time()
    spla.cg(a, b, rtol=rtol, callback=lambda _: count.__setitem__(0, count[0] + 1))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "iterations": count[0], "csr_mb": (a.data.nbytes
            + a.indices.nbytes + a.indptr.nbytes) / 2**20, "peak_mb": _peak_mb()}


def grid(n: int) -> dict:
    from pdesolve import get_problem, solve
    from pdesolve.metrics import measure_errors

    problem = get_problem("plaplace_5d")
    start, cpu = time.perf_counter(), time.process_time()
    result = solve(problem, "grid", n=n)
    measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                              domain=problem.domain)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "solve_seconds": result.seconds,
            "iterations": result.info["cg_iterations"][0], "levels": result.info["levels"],
            "l2_rel": measured.l2_rel, "peak_mb": _peak_mb(), "unknowns": result.dofs}


def bare_tight(n: int) -> dict:
    return bare(n, rtol=1e-10)


def _child(part: str, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--part", part, "--n", str(n)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--large", type=int, default=20, help="also run the grid solver here")
    parser.add_argument("--repeat", type=int, default=1, help="alternate bare and grid runs")
    parser.add_argument("--part", choices=["bare", "bare_tight", "grid"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        print(json.dumps({"bare": bare, "bare_tight": bare_tight, "grid": grid}[args.part](args.n)))
        return
    print("load average (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())
    runs = {"bare": [], "bare_tight": [], "grid": []}
    for _ in range(args.repeat):
        for part in runs:
            runs[part].append(_child(part, args.n))
    best = {part: min(r, key=lambda x: x["seconds"]) for part, r in runs.items()}
    cpu = {part: min(x["cpu"] for x in r) for part, r in runs.items()}
    ours = best["grid"]
    for part, rtol in (("bare", "1e-5"), ("bare_tight", "1e-10")):
        print(f"bare scipy CG to rtol {rtol}, n={args.n}: {best[part]['seconds']:.2f} s (CPU "
              f"{cpu[part]:.2f} s), {best[part]['iterations']} iterations, CSR "
              f"{best[part]['csr_mb']:.0f} MB, peak {best[part]['peak_mb']:.0f} MB")
    print(f"grid solver end to end, n={args.n}: {ours['seconds']:.2f} s (CPU {cpu['grid']:.2f} s, "
          f"solve {ours['solve_seconds']:.2f} s), {ours['iterations']} MG-CG iterations, "
          f"{ours['levels']} levels, l2_rel {ours['l2_rel']:.2e}, peak {ours['peak_mb']:.0f} MB")
    for part, what in (("bare", "rtol 1e-5, the issue's baseline"),
                       ("bare_tight", "rtol 1e-10, the same tolerance")):
        print(f"ratio grid / bare CG ({what}): {ours['seconds'] / best[part]['seconds']:.2f} "
              f"wall, {cpu['grid'] / cpu[part]:.2f} CPU (target <= 3)")
    print(f"peak memory {ours['peak_mb'] / 1024:.2f} GB (target < 2)")
    print("load average after (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())
    if args.large:
        big = _child("grid", args.large)
        print(f"grid solver end to end, n={args.large} ({big['unknowns']:.2e} unknowns): "
              f"{big['seconds']:.2f} s, {big['iterations']} iterations, l2_rel "
              f"{big['l2_rel']:.2e}, peak {big['peak_mb'] / 1024:.2f} GB")


if __name__ == "__main__":
    main()
