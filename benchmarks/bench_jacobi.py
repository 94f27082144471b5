"""Jacobi sweeps against a bare in-place slicing loop (1-D, 1001 points).

    python benchmarks/bench_jacobi.py [--sweeps 100000] [--repeats 5]

bare : ``u[1:-1] = 0.5 * (u[:-2] + u[2:] + h2f)`` (omega = 1) in a Python loop;
ours : :class:`pdesolve.grid.sweeps.JacobiSweeps` on the grid system of
``poisson_multifreq_1d`` (n = 999), and the whole ``solve`` with one record at the end.
Best of ``repeats`` interleaved runs each (the machine is shared); prints microseconds per
sweep and the ratios from the same run.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from pdesolve import get_problem, solve
from pdesolve.grid.sweeps import JacobiSweeps
from pdesolve.solvers.grid import linear_system, make_grid


def bare(h2f: np.ndarray, sweeps: int) -> float:
    u = np.zeros(len(h2f) + 2)
    start = time.perf_counter()
    for _ in range(sweeps):
        u[1:-1] = 0.5 * (u[:-2] + u[2:] + h2f)
    return (time.perf_counter() - start) / sweeps


def ours(jacobi: JacobiSweeps, sweeps: int) -> float:
    start = time.perf_counter()
    jacobi.sweep(sweeps)
    return (time.perf_counter() - start) / sweeps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("load average (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())
    problem = get_problem("poisson_multifreq_1d")
    grid = make_grid(problem, 999)
    coeffs, f, boundary = linear_system(problem, grid)
    jacobi = JacobiSweeps(grid, coeffs, f, boundary.copy(), 1.0,
                          constant=True)
    h2f = grid.h[0] ** 2 * f
    times = {"bare": [], "ours": [], "solve": []}
    for _ in range(args.repeats):
        times["bare"].append(bare(h2f, args.sweeps))
        times["ours"].append(ours(jacobi, args.sweeps))
        result = solve(problem, "jacobi", n=999, sweeps=args.sweeps, record_every=args.sweeps)
        times["solve"].append(result.seconds / args.sweeps)
    best = {k: min(v) * 1e6 for k, v in times.items()}
    print(f"bare slicing loop: {best['bare']:.2f} us/sweep")
    print(f"JacobiSweeps.sweep: {best['ours']:.2f} us/sweep, "
          f"ratio {best['ours'] / best['bare']:.2f} (target <= 1.5)")
    print(f"solve(..., 'jacobi') end to end: {best['solve']:.2f} us/sweep, ratio "
          f"{best['solve'] / best['bare']:.2f}")


if __name__ == "__main__":
    main()
