"""End-to-end FEM timing: pdesolve's FEM path against a bare scikit-fem + pyamg script.

Both solve poisson_sine (u = prod sin(pi x_i) on [0,1]^d) with P1 elements on the
Kuhn simplex mesh of the unit box, eliminate the Dirichlet DOFs, solve with
smoothed-aggregation AMG + CG to the same relative tolerance, and compute the
relative L2 error:

- "pdesolve": ``solve(problem, "fem", ...)`` then ``error_metrics`` on the harness's
  evaluation points (``quadrature.evaluation_points``);
- "bare": the textbook scikit-fem script (``Basis``, ``BilinearForm``, ``get_dofs``,
  ``condense``, pyamg) with the error as a ``Functional`` on the same basis.

Each variant runs in its own subprocess so its peak memory (``ru_maxrss``) is its own.

    python benchmarks/bench_fem.py            # 2-D and 3-D at about 1e6 DOFs
    python benchmarks/bench_fem.py --small    # a quick run (about 4e4 / 3e4 DOFs)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

SIZES = {False: {2: 1000, 3: 100}, True: {2: 200, 3: 30}}
"""Cells per direction: (n - 1)^d interior DOFs (P1), i.e. about 1e6 in full runs."""

TOL = 1e-8


def run_pdesolve(dim: int, n: int) -> dict:
    from pdesolve.metrics import error_metrics
    from pdesolve.problems import get_problem
    from pdesolve.quadrature import evaluation_points
    from pdesolve.solvers import solve

    problem = get_problem("poisson_sine", dim=dim)
    start = time.perf_counter()
    result = solve(problem, "fem", element="P1", n=n, linear_solver="amg", tol=TOL)
    solved = time.perf_counter()
    points = evaluation_points(problem.domain)
    metrics = error_metrics(points, result.u, problem.exact)
    end = time.perf_counter()
    return {"dofs": result.dofs, "l2_rel": metrics["l2_rel"], "solve_s": solved - start,
            "error_s": end - solved, "total_s": end - start,
            "cg_iterations": result.info["cg_iterations"],
            **{f"{k}_s": v for k, v in result.info["timings"].items()}}


def run_bare(dim: int, n: int) -> dict:
    import pyamg
    import scipy.sparse.linalg as spla
    import skfem
    from skfem.helpers import dot, grad

    w = np.pi
    mesh_type, elem = {2: (skfem.MeshTri, skfem.ElementTriP1),
                       3: (skfem.MeshTet, skfem.ElementTetP1)}[dim]

    def exact(x):  # x (d, ...) as scikit-fem passes it
        return np.prod(np.sin(w * x), axis=0)

    @skfem.BilinearForm
    def laplace(u, v, _):
        return dot(grad(u), grad(v))

    @skfem.LinearForm
    def load(v, p):
        return dim * w**2 * exact(p.x) * v

    @skfem.Functional
    def sq_error(p):
        return (p.uh - exact(p.x)) ** 2

    @skfem.Functional
    def sq_exact(p):
        return exact(p.x) ** 2

    times = {}
    t = time.perf_counter()
    start = t
    mesh = mesh_type.init_tensor(*[np.linspace(0, 1, n + 1)] * dim)
    basis = skfem.Basis(mesh, elem())
    times["mesh_basis_s"], t = time.perf_counter() - t, time.perf_counter()
    A, b = laplace.assemble(basis), load.assemble(basis)
    times["assembly_s"], t = time.perf_counter() - t, time.perf_counter()
    D = basis.get_dofs()
    uh = basis.zeros()
    uh[D] = exact(basis.doflocs[:, D])
    times["boundary_dofs_s"], t = time.perf_counter() - t, time.perf_counter()
    A_I, b_I, _, I = skfem.condense(A, b, x=uh, D=D)
    times["condense_s"], t = time.perf_counter() - t, time.perf_counter()
    ml = pyamg.smoothed_aggregation_solver(A_I)
    uh[I], _ = spla.cg(A_I, b_I, rtol=TOL, M=ml.aspreconditioner())
    times["solve_s"], t = time.perf_counter() - t, time.perf_counter()
    l2 = np.sqrt(sq_error.assemble(basis, uh=basis.interpolate(uh)) / sq_exact.assemble(basis))
    end = time.perf_counter()
    times["error_s"] = end - t
    return {"dofs": len(I), "l2_rel": float(l2), "total_s": end - start, **times}


def worker(variant: str, dim: int, n: int) -> None:
    out = {"pdesolve": run_pdesolve, "bare": run_bare}[variant](dim, n)
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    sys.stdout.write(json.dumps(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick sizes")
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the variants this many times; report the fastest of each")
    parser.add_argument("--worker", nargs=3, metavar=("VARIANT", "DIM", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return
    for dim in args.dims:
        n = SIZES[args.small][dim]
        runs: dict[str, list[dict]] = {"bare": [], "pdesolve": []}
        for _ in range(args.repeat):
            for variant, done in runs.items():
                proc = subprocess.run(
                    [sys.executable, __file__, "--worker", variant, str(dim), str(n)],
                    capture_output=True, text=True, check=True)
                done.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                print(f"{dim}-D P1 n={n} {variant:>8}: " + ", ".join(
                    f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in done[-1].items()), flush=True)
        bare, ours = (min(done, key=lambda r: r["total_s"]) for done in runs.values())
        print(f"{dim}-D P1 n={n}: speed-up bare/pdesolve = "
              f"{bare['total_s'] / ours['total_s']:.2f}x, peak memory pdesolve/bare = "
              f"{ours['peak_gb'] / bare['peak_gb']:.2f} ({ours['peak_gb']:.2f} GB vs "
              f"{bare['peak_gb']:.2f} GB)", flush=True)


if __name__ == "__main__":
    main()
