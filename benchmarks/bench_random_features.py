"""Random features on u = sin(k pi x) sin(k pi y): time and peak memory against feature count,
global features against the partition of unity (PoU).

    python benchmarks/bench_random_features.py [--k 8] [--per-patch 100]
        [--global 400 1600 3600] [--dense 2 3 4 6] [--sparse 2 3 4 6 8 10 16]
        [--points-per-feature 4]

Variants, each run in its own process (its peak resident memory is its own):
- global: K tanh features on the unit square, ``weight_scale = k`` (k/2 periods across the
  box), one column-scaled pivoted-QR least-squares solve (dense, cost ~ n K^2);
- pou dense: P x P patches of ``per-patch`` features, the same dense solve of the sparse
  matrices densified (``lstsq.DENSE_COLUMNS`` raised above K, ``lstsq.MAX_DENSITY = 0``);
- pou sparse: the same features, the sparse path (``lstsq.DENSE_COLUMNS = 0``,
  ``lstsq.MAX_DENSITY = 1``, also where B^T B is dense, as with 2 x 2 patches): each patch's
  columns orthonormalised by its SVD, then the normal equations of the sparse result by a
  sparse LU (cost ~ the LU's fill, printed as its nonzeros).
Collocation points: ``points-per-feature`` x K interior (scrambled Sobol), K / 4 (at least
400) on the boundary. Time is ``Result.seconds`` (features, points, rows and the solve);
the error is the relative L2 error at 20,000 seeded uniform points. Ratios are against the
global run of the same K in this run; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def run(variant: str, k: float, features: int, patches: int, points: int) -> dict:
    """One solve in this process: the JSON-able figures of the table's row."""
    import pdesolve.nn.runner  # noqa: F401 - torch loads before the CPU clock, as the solve's
    from pdesolve import get_problem
    from pdesolve.rfm import lstsq
    from pdesolve.solvers import solve

    sparse = variant == "pou sparse"
    lstsq.DENSE_COLUMNS, lstsq.MAX_DENSITY = (0, 1.0) if sparse else (10**9, 0.0)
    problem = get_problem("poisson_sine", dim=2, k=k)
    options = {"features": features, "patches": patches, "batch_interior": points,
               "batch_boundary": max(400, points // 16)}
    if patches == 1:
        options["weight_scale"] = k
    cpu = time.process_time()
    result = solve(problem, "random_features", **options)
    cpu = time.process_time() - cpu
    x = np.random.default_rng(4).uniform(0, 1, (20000, 2))
    exact = problem.exact(x)
    return {"variant": variant, "features": result.dofs, "points": points,
            "seconds": result.seconds, "cpu": cpu,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "l2_rel": float(np.linalg.norm(result.u(x) - exact) / np.linalg.norm(exact)),
            "lu_nonzeros": result.info.get("lu_nonzeros", 0)}


def _child(*args) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    out = subprocess.run([sys.executable, __file__, "--worker", *map(str, args)],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=float, default=8.0, help="frequency of the solution")
    parser.add_argument("--per-patch", type=int, default=100, help="features per patch")
    parser.add_argument("--global", dest="global_", type=int, nargs="*",
                        default=[400, 1600, 3600], help="feature counts of the global runs")
    parser.add_argument("--dense", type=int, nargs="*", default=[2, 3, 4, 6],
                        help="patches per direction of the dense PoU runs")
    parser.add_argument("--sparse", type=int, nargs="*", default=[2, 3, 4, 6, 8, 10, 16],
                        help="patches per direction of the sparse PoU runs")
    parser.add_argument("--points-per-feature", type=int, default=4,
                        help="interior collocation points per feature")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        variant, k, features, patches, points = args.worker
        print(json.dumps(run(variant.replace("_", " "), float(k), int(features), int(patches),
                             int(points))))
        return
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    jobs = [("global", K, 1) for K in args.global_]
    jobs += [(name, args.per_patch, P) for name, sizes in (("pou_dense", args.dense),
                                                           ("pou_sparse", args.sparse))
             for P in sizes]
    rows = []
    for variant, features, patches in jobs:
        points = args.points_per_feature * features * patches**2
        rows.append(_child(variant, args.k, features, patches, points))
        print("  done:", json.dumps(rows[-1]), flush=True)
    globals_ = {r["features"]: r for r in rows if r["variant"] == "global"}
    print(f"\nu = sin({args.k:g} pi x) sin({args.k:g} pi y), one thread per run")
    print(f"{'variant':<11} {'K':>6} {'points':>7} {'time s':>8} {'CPU s':>8} {'peak MB':>8} "
          f"{'l2_rel':>9} {'LU nnz':>9} {'time / global':>13} {'CPU / global':>12} "
          f"{'peak / global':>13}")
    for r in rows:
        g = globals_.get(r["features"])
        ratio = (f"{r['seconds'] / g['seconds']:13.2f} {r['cpu'] / g['cpu']:12.2f} "
                 f"{r['peak_mb'] / g['peak_mb']:13.2f}" if g else f"{'-':>13} {'-':>12} {'-':>13}")
        print(f"{r['variant']:<11} {r['features']:>6} {r['points']:>7} {r['seconds']:8.1f} "
              f"{r['cpu']:8.1f} {r['peak_mb']:8.0f} {r['l2_rel']:9.2e} {r['lu_nonzeros']:>9.2g} "
              f"{ratio}")
    print("load average after (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
