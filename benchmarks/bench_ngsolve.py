"""NGSolve (kind = "ngsolve") as the independent high-order reference: rates and timings.

1. Orders 1-10 on a ring (unit disk minus a disk of radius 0.3 at (0.2, 0.1); Dirichlet outer
   circle, Robin hole), u = sin(2x) e^y + x y: Netgen's mesh curved to the order, refined
   uniformly twice (nested): L2 rates on consecutive levels, harness error beside NGSolve's own.
2. 2-D poisson_sine on the unit square: pdesolve's FEM and NGSolve side by side, end to end
   (mesh, assembly, solve), fastest of 3 in this process, with the relative L2 error.

    OMP_NUM_THREADS=1 python benchmarks/bench_ngsolve.py [--skip-rates]
"""

import argparse
import os
import time

import numpy as np

from pdesolve import get_problem, solve
from pdesolve.metrics import measure_errors
from pdesolve.problems.tables import problem_from_table

RING = {"kind": "difference", "base": {"kind": "disk", "center": [0, 0], "radius": 1.0},
        "remove": [{"kind": "disk", "center": [0.2, 0.1], "radius": 0.3}]}


def rates():
    problem = problem_from_table({"exact": "sin(2*x)*exp(y) + x*y", "dim": 2, "domain": RING,
                                  "boundary": {"hole1": {"kind": "robin", "alpha": "1"}}})
    print("| order | n | DOFs (finest) | L2 rel (levels 0, 1, 2) | rates | NGSolve's own |")
    print("|---|---|---|---|---|---|")
    for k in range(1, 11):
        n = 8 if k <= 3 else 4 if k <= 6 else 2
        errors, own = [], []
        for refinements in range(3):
            r = solve(problem, "ngsolve", order=k, n=n, refinements=refinements)
            errors.append(measure_errors(r.u, problem.exact, r.grad, problem.exact_grad,
                                         domain=problem.domain).l2_rel)
            own.append(r.info["ngsolve_l2_rel"])
        slopes = -np.diff(np.log2(errors))
        print(f"| {k} | {n} | {r.dofs} | {', '.join(f'{e:.2e}' for e in errors)} | "
              f"{', '.join(f'{s:.2f}' for s in slopes)} | {', '.join(f'{e:.2e}' for e in own)} |",
              flush=True)


def fastest(problem, kind, **options):
    best = None
    for _ in range(3):
        start = time.perf_counter()
        result = solve(problem, kind, **options)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    error = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                           domain=problem.domain).l2_rel
    return best, result.dofs, error


def timings():
    problem = get_problem("poisson_sine", dim=2)
    configs = [("fem", {"element": "P2", "n": 32}), ("ngsolve", {"order": 2, "n": 32}),
               ("fem", {"element": "P4", "n": 16}), ("ngsolve", {"order": 4, "n": 16}),
               ("fem", {"element": "Q6", "n": 8}), ("ngsolve", {"order": 6, "n": 8}),
               ("fem", {"element": "Q8", "n": 4}), ("ngsolve", {"order": 8, "n": 4}),
               ("ngsolve", {"order": 10, "n": 4})]
    print(f"\nload {os.getloadavg()[0]:.2f}; end to end, fastest of 3 in one process")
    print("| solver | options | DOFs | seconds | L2 rel |")
    print("|---|---|---|---|---|")
    for kind, options in configs:
        seconds, dofs, error = fastest(problem, kind, **options)
        print(f"| {kind} | {options} | {dofs} | {seconds:.4f} | {error:.2e} |", flush=True)


parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--skip-rates", action="store_true")
if not parser.parse_args().skip_rates:
    rates()
timings()
