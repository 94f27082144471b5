"""The acceptance figures of the spectral and sparse-grid solvers (issue 24), one thread.

    OMP_NUM_THREADS=1 python benchmarks/bench_spectral.py [--p3] [--sweep] [--sparse10]

Each line: problem, solver and size, unknowns, solve seconds (the fastest of ``--repeat``
solves, set-up included), relative L2 and H1 errors and the measurement's relative
uncertainty, by the harness's rule (the solution's own tensor Gauss rule for a spectral
solution in d <= 6, else randomised Sobol with ``--n-sobol`` points at level 0; in d >= 8,
where evaluating a sparse grid costs the sum of its components' nodes per point, 1,024 and
2,048 points only), and the load average. ``--p3`` adds plaplace_5d with p = 3, on the GLL
nodes and over-integrated (``quadrature``; many minutes); ``--sweep`` the dimension sweep of
bump_nd through grid, spectral and sparse grid; ``--sparse10`` the sparse grid in d = 8 and 10
(PNd and bump_nd, coarsest degree 2 and the raised ``min_degree``; evaluation dominates there,
see docs/solvers/sparse-grid.md).
"""

from __future__ import annotations

import argparse
import os
import time

from pdesolve import get_problem, solve
from pdesolve.metrics import measure_errors
from pdesolve.quadrature import box_rules

BASE = [("poisson_sine", {"dim": 2}, "spectral", {"n": n}) for n in (12, 14, 16)] + [
    ("poisson_nd_pinnacle", {"dim": 5}, "spectral", {"n": n}) for n in (8, 10)] + [
    ("plaplace_5d", {"p": 2.0}, "spectral", {"n": n}) for n in (12, 14, 16)]
P3 = [("plaplace_5d", {"p": 3.0}, "spectral", {"n": n}) for n in (8, 10, 12, 14, 16)] + [
    ("plaplace_5d", {"p": 3.0}, "spectral", {"n": n, "quadrature": m, "newton_tol": 1e-8})
    for n, m in ((6, 14), (8, 16), (8, 20))]
SWEEP = [("bump_nd", {"dim": d}, kind, opts)
         for d, n, grid_n, level in ((2, 16, 256, 6), (3, 14, 64, 5), (4, 12, 24, 4),
                                     (5, 12, 16, 3), (6, 8, 10, 2), (8, 6, 5, 2),
                                     (10, 4, 3, 2))
         for kind, opts in (("grid", {"n": grid_n}), ("spectral", {"n": n}),
                            ("sparse_grid", {"level": level}))]
SPARSE10 = [("poisson_nd_pinnacle", {"dim": d}, "sparse_grid", {"level": level})
            for d, level in ((8, 2), (10, 2))] + [
    ("bump_nd", {"dim": d}, "sparse_grid", {"level": level}) for d, level in ((8, 3),
                                                                                    (10, 2))] + [
    (name, {"dim": d}, "sparse_grid", {"level": 1, "growth": "linear", "min_degree": m})
    for name in ("poisson_nd_pinnacle", "bump_nd") for d, m in ((8, 4), (10, 3))]


def run(name, params, kind, options, repeat: int, n_sobol: int) -> str:
    problem = get_problem(name, **params)
    best = None
    for _ in range(repeat):
        result = solve(problem, kind, **options)
        best = result if best is None or result.seconds < best.seconds else best
    high = problem.dim >= 8
    measured = measure_errors(best.u, problem.exact, best.grad, problem.exact_grad,
                              default=box_rules(problem.domain, n_sobol=1024 if high else n_sobol),
                              max_levels=2 if high else 6)
    unc = measured.uncertainty
    load = os.getloadavg()[0]
    size = ", ".join(f"{k}={v}" for k, v in {**params, **options}.items())
    return (f"{name:20s} {kind:12s} {size:18s} {best.dofs:>9d}  {best.seconds:9.4f} s  "
            f"l2 {measured.l2_rel:.2e} (+-{unc['l2_rel']:.0e})  h1 {measured.h1_rel:.2e}  "
            f"[{measured.rule['kind']}, {measured.rule['points']} pts]  load {load:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p3", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--sparse10", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-sobol", type=int, default=2**14)
    args = parser.parse_args()
    runs = BASE + (P3 if args.p3 else []) + (SWEEP if args.sweep else []) + (
        SPARSE10 if args.sparse10 else [])
    start = time.perf_counter()
    for name, params, kind, options in runs:
        slow = kind != "spectral" or params.get("dim", 5) > 2
        print(run(name, params, kind, options, 1 if slow else args.repeat, args.n_sobol),
              flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
