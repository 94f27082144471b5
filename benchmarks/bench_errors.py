"""How accurate is the reported error? The harness's measurement against independent integrals.

For P1 on poisson_sine (2-D n = 1000 and 3-D n = 100 by default, about 1e6 DOFs each), it
solves once and measures the relative L2 error of the same solution three ways:

- "harness": :func:`pdesolve.metrics.measure_errors` as the harness calls it (the
  solution's own cells, rules of degree 4 and 6, sampled cells on large meshes), with its
  own uncertainty estimate;
- "qmc": an independent randomised quasi-Monte Carlo integral, 2^23 scrambled Sobol
  points in 8 replicates (point location, not the cell tables), mean +- 2 standard errors;
- "fixed": the old fixed composite Gauss set (100 x 100 cells of 4 x 4 points in 2-D,
  20^3 cells of 4^3 in 3-D; ``quadrature.TensorRule`` alone, without a finer rule to check
  it against), once the default, now removed.

    python benchmarks/bench_errors.py                 # 2-D n = 1000 and 3-D n = 100
    python benchmarks/bench_errors.py --cases 2:200   # other sizes, dim:n
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

QMC_POINTS = 2**23
QMC_REPLICATES = 8


def qmc_l2(problem, u_h) -> tuple[float, float]:
    """Relative L2 error by randomised QMC: (estimate, 2 standard errors, relative)."""
    from pdesolve.quadrature import SobolRule

    rule = SobolRule(problem.domain, QMC_POINTS, seed=12345, replicates=QMC_REPLICATES)
    num = np.zeros(QMC_REPLICATES)
    den = np.zeros(QMC_REPLICATES)
    for s in rule.samples():
        u = problem.exact(s.points)
        num += np.bincount(s.group, weights=s.weights * (u_h(s.points) - u) ** 2,
                           minlength=QMC_REPLICATES)
        den += np.bincount(s.group, weights=s.weights * u**2, minlength=QMC_REPLICATES)
    ratios = np.sqrt(num / den)
    return float(np.sqrt(num.mean() / den.mean())), float(2 * ratios.std(ddof=1)
                                                           / np.sqrt(QMC_REPLICATES)
                                                           / ratios.mean())


OLD_FIXED_SET = {2: (100, 4), 3: (20, 4)}
"""(cells per direction, points per cell and direction) of the removed fixed set."""


def run(dim: int, n: int) -> None:
    from pdesolve.metrics import integrate, measure_errors
    from pdesolve.problems import get_problem
    from pdesolve.quadrature import TensorRule, box_rules
    from pdesolve.solvers import solve

    problem = get_problem("poisson_sine", dim=dim)
    start = time.perf_counter()
    result = solve(problem, "fem", element="P1", n=n)
    solved = time.perf_counter()
    measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                              default=box_rules(problem.domain))
    harness_s = time.perf_counter() - solved
    t = time.perf_counter()
    fixed_rule = TensorRule(problem.domain, *OLD_FIXED_SET[dim])
    totals = integrate(fixed_rule, result.u, problem.exact, result.grad,
                       problem.exact_grad).totals
    fixed = float(np.sqrt(totals[0] / totals[1]))
    fixed_s = time.perf_counter() - t
    t = time.perf_counter()
    qmc, qmc_unc = qmc_l2(problem, result.u)
    qmc_s = time.perf_counter() - t
    l2 = measured.l2_rel
    print(f"{dim}-D P1 n={n} ({result.dofs} DOFs, solve {solved - start:.1f} s)")
    print(f"  harness l2_rel {l2:.4e} +- {measured.uncertainty['l2_rel']:.1e} (relative), "
          f"h1_rel {measured.h1_rel:.4e} +- "
          f"{measured.uncertainty['h1_rel']:.1e}; {measured.rule['rule']}, "
          f"{measured.points} points, {harness_s:.2f} s")
    print(f"  qmc     l2_rel {qmc:.4e} +- {qmc_unc:.1e} (relative, 2 SE), {QMC_POINTS} points, "
          f"{qmc_s:.1f} s")
    print(f"  fixed   l2_rel {fixed:.4e} ({fixed_rule.size} points, "
          f"with H1, {fixed_s:.2f} s)")
    print(f"  harness / qmc - 1 = {l2 / qmc - 1:+.2e} (acceptance: within 1e-2); "
          f"fixed / qmc - 1 = {fixed / qmc - 1:+.2e}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["2:1000", "3:100"], help="dim:n pairs")
    args = parser.parse_args()
    print("load average (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())
    for case in args.cases:
        dim, n = (int(v) for v in case.split(":"))
        run(dim, n)


if __name__ == "__main__":
    main()
