"""Why the spectral sparse grid stalls on nonzero boundary data, and what the coarsest degree buys.

    OMP_NUM_THREADS=1 python benchmarks/bench_sparse_boundary.py [--dim 5] [--levels 2 3 4]

For each problem, level and coarsest degree m (``min_degree``, doubling growth) it combines, on
the same component grids and with the same coefficients, (i) the components' Galerkin solutions
(``kind = "sparse_grid"``) and (ii) the components' interpolants of the exact solution at their
Gauss-Lobatto nodes. (ii) is the Smolyak interpolant: what the combination technique gives when
each component's error splits into 1-D parts. Each line: problem, level, m, unknowns, solve
seconds, relative L2 errors of (i) and (ii) on scrambled Sobol points. Where g = 0 (poisson_sine)
(i) follows (ii) at a constant factor; where g is not zero (PNd, bump_nd) (i) stalls, by an
amount that the coarsest degree m sets.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import qmc

from pdesolve import get_problem, solve
from pdesolve.grid.tensor import sample
from pdesolve.legendre.function import TensorCombination, TensorFunction

PROBLEMS = ("poisson_sine", "poisson_nd_pinnacle", "bump_nd")


def interpolants(problem, result) -> TensorCombination:
    """The combination of the exact solution's interpolants on the result's component spaces."""
    u = result.u
    parts = [TensorFunction(f.space, sample(problem.exact, f.space.axes(interior=False)))
             for f in u.functions]
    return TensorCombination(u.coefficients, tuple(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=5)
    parser.add_argument("--levels", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--min-degrees", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--points", type=int, default=4096)
    args = parser.parse_args()
    x = qmc.Sobol(args.dim, seed=1).random(args.points)
    for name in PROBLEMS:
        problem = get_problem(name, dim=args.dim)
        exact = problem.exact(x)
        scale = np.sqrt(np.mean(exact**2))
        for m in args.min_degrees:
            for level in args.levels:
                start = time.perf_counter()
                result = solve(problem, "sparse_grid", level=level, min_degree=m)
                seconds = time.perf_counter() - start
                errors = [np.sqrt(np.mean((fn(x) - exact) ** 2)) / scale
                          for fn in (result.u, interpolants(problem, result))]
                print(f"{name:20s} level {level} m {m} {result.dofs:>9d}  {seconds:7.2f} s  "
                      f"galerkin {errors[0]:.2e}  interpolants {errors[1]:.2e}", flush=True)


if __name__ == "__main__":
    main()
