"""End-to-end FEM timing: pdesolve's FEM path against a bare scikit-fem + pyamg script.

Both solve poisson_sine (u = prod sin(pi x_i) on [0,1]^d) with P1 elements on the
Kuhn simplex mesh of the unit box, eliminate the Dirichlet DOFs, solve by preconditioned CG
to the same relative tolerance (pdesolve: its default, ``linear_solver = "auto"``, geometric
multigrid on this mesh; bare: smoothed-aggregation AMG), and compute the relative L2 error:

- "pdesolve": ``solve(problem, "fem", ...)`` then ``measure_errors`` as the harness
  measures (the solution's own cells, an accuracy estimate included);
- "bare": the textbook scikit-fem script (``Basis``, ``BilinearForm``, ``get_dofs``,
  ``condense``, pyamg) with the error as a ``Functional`` on the same basis.

``--high-order`` instead times P3 and P4 on triangles in 2-D at small sizes (the
REFERENCES.md anchor: P4 with 4,225 DOFs, 6.6e-8 in 0.11 s), both variants with their
default linear solver (direct), and P4 on a larger mesh with pdesolve's direct and AMG
solvers (``linear_solver = "auto"`` picks direct for degree >= 3 up to 1e6 unknowns in 2-D).

Each variant runs in its own subprocess so its peak memory (``ru_maxrss``) is its own, with
one BLAS/OpenMP thread (threaded BLAS dot products stall on a loaded machine).

    python benchmarks/bench_fem.py                 # 2-D and 3-D P1 at about 1e6 DOFs
    python benchmarks/bench_fem.py --small         # a quick run (about 4e4 / 3e4 DOFs)
    python benchmarks/bench_fem.py --high-order    # P3/P4 end to end, direct vs AMG
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from alternate import child, fastest  # noqa: E402 - the benchmarks' own helper, next to this file

SIZES = {False: {2: 1000, 3: 100}, True: {2: 200, 3: 30}}
"""Cells per direction: (n - 1)^d interior DOFs (P1), i.e. about 1e6 in full runs."""

HIGH_ORDER = (("P4", 16, "auto"), ("P3", 48, "auto"), ("P4", 128, "direct"), ("P4", 128, "amg"))
"""(element, n, pdesolve's linear solver) of ``--high-order`` (2-D); the bare script solves
the first two only (its direct solve at n = 128 is not the comparison of interest)."""

TOL = 1e-8


def run_pdesolve(dim: int, n: int, element: str = "P1", linear_solver: str = "amg") -> dict:
    from pdesolve.metrics import measure_errors
    from pdesolve.problems import get_problem
    from pdesolve.quadrature import box_rules
    from pdesolve.solvers import solve, solver_module

    solver_module("fem")  # imported before the clock starts, as the bare script's modules are
    problem = get_problem("poisson_sine", dim=dim)
    start = time.perf_counter()
    result = solve(problem, "fem", element=element, n=n, linear_solver=linear_solver, tol=TOL)
    solved = time.perf_counter()
    measured = measure_errors(result.u, problem.exact, default=box_rules(problem.domain))
    end = time.perf_counter()
    return {"dofs": result.dofs, "l2_rel": measured.l2_rel,
            "l2_uncertainty": measured.uncertainty["l2_rel"], "solve_s": solved - start,
            "error_s": end - solved, "total_s": end - start,
            "linear_solver": result.info["linear_solver"],
            "cg_iterations": result.info["cg_iterations"],
            **{f"{k}_s": v for k, v in result.info["timings"].items()}}


def run_bare(dim: int, n: int, element: str = "P1", linear_solver: str = "amg") -> dict:
    import pyamg
    import scipy.sparse.linalg as spla
    import skfem
    from skfem.helpers import dot, grad

    w = np.pi
    mesh_type = {2: skfem.MeshTri, 3: skfem.MeshTet}[dim]
    elem = {(2, "P1"): skfem.ElementTriP1, (3, "P1"): skfem.ElementTetP1,
            (2, "P3"): skfem.ElementTriP3, (2, "P4"): skfem.ElementTriP4}[dim, element]

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
    if linear_solver == "amg":
        ml = pyamg.smoothed_aggregation_solver(A_I)
        uh[I], _ = spla.cg(A_I, b_I, rtol=TOL, M=ml.aspreconditioner())
    else:
        uh[I] = skfem.solve(A_I, b_I)
    times["solve_s"], t = time.perf_counter() - t, time.perf_counter()
    l2 = np.sqrt(sq_error.assemble(basis, uh=basis.interpolate(uh)) / sq_exact.assemble(basis))
    end = time.perf_counter()
    times["error_s"] = end - t
    return {"dofs": len(I), "l2_rel": float(l2), "total_s": end - start, **times}


def worker(variant: str, dim: int, n: int, element: str, linear_solver: str) -> None:
    out = {"pdesolve": run_pdesolve, "bare": run_bare}[variant](dim, n, element, linear_solver)
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    sys.stdout.write(json.dumps(out) + "\n")


def _child(variant: str, dim: int, n: int, element: str, linear_solver: str) -> dict:
    out = child(__file__, variant, str(dim), str(n), element, linear_solver)
    print(f"{dim}-D {element} n={n} {variant:>8}: " + ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in out.items()),
        flush=True)
    return out


def high_order(repeat: int) -> None:
    for element, n, solver in HIGH_ORDER:
        variants = ("bare", "pdesolve") if solver == "auto" else ("pdesolve",)
        runs = fastest(lambda v: _child(v, 2, n, element, "direct" if v == "bare" else solver),
                       repeat, variants)
        best = dict(zip(variants, runs))
        line = (f"2-D {element} n={n} ({best['pdesolve']['dofs']} DOFs), {solver}: pdesolve "
                f"{best['pdesolve']['total_s']:.3f} s end to end, l2_rel "
                f"{best['pdesolve']['l2_rel']:.2e}")
        if "bare" in best:
            line += (f"; bare scikit-fem {best['bare']['total_s']:.3f} s (l2_rel "
                     f"{best['bare']['l2_rel']:.2e}), speed-up "
                     f"{best['bare']['total_s'] / best['pdesolve']['total_s']:.2f}x")
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick sizes")
    parser.add_argument("--high-order", action="store_true", help="P3/P4 in 2-D instead")
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the variants this many times; report the fastest of each")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        variant, dim, n, element, solver = args.worker
        worker(variant, int(dim), int(n), element, solver)
        return
    from pdesolve.harness.execute import THREAD_VARIABLES  # the parent only: children stay bare

    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))  # children: one thread each
    print("load average (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg(), flush=True)
    if args.high_order:
        high_order(args.repeat)
        return
    for dim in args.dims:
        n = SIZES[args.small][dim]
        bare, ours = fastest(lambda variant: _child(variant, dim, n, "P1",
                                                    "amg" if variant == "bare" else "auto"),
                             args.repeat)
        print(f"{dim}-D P1 n={n}: speed-up bare/pdesolve = "
              f"{bare['total_s'] / ours['total_s']:.2f}x, peak memory pdesolve/bare = "
              f"{ours['peak_gb'] / bare['peak_gb']:.2f} ({ours['peak_gb']:.2f} GB vs "
              f"{bare['peak_gb']:.2f} GB)", flush=True)
    print("load average after (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
