"""FEM on a gmsh mesh of a domain with holes: pdesolve against a bare scikit-fem script.

The domain is the unit square without two disks (the test suite's ``HOLES``); the problem
u = sin(pi x) sin(pi y), f = 2 pi^2 u, u = g on the whole boundary. gmsh meshes it once at
size h into a ``.msh`` file (untimed); then, each in its own subprocess with one BLAS/OpenMP
thread:

- "pdesolve": the case-file path, ``[problem.domain] mesh = "<file>"``: read the file
  (meshio), build the P1 system, eliminate the Dirichlet DOFs, AMG + CG, and the relative L2
  error as the harness measures it (own cells, with its accuracy estimate; the H1 error the
  harness adds where exact_grad is known is left out, as the bare script has none);
- "bare": the textbook scikit-fem script on the same file (``Mesh.load``, ``Basis``,
  ``BilinearForm``, ``get_dofs``, ``condense``, pyamg) with the error as a ``Functional``.

Both solve to the same relative CG tolerance and report wall time end to end.

    python benchmarks/bench_fem_mesh.py            # h = 1/930: about 1e6 DOFs
    python benchmarks/bench_fem_mesh.py --small    # h = 1/150: about 2.6e4 DOFs
    python benchmarks/bench_fem_mesh.py --msh F    # F as written by an earlier run (--keep F)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from alternate import child, fastest, kernel_seconds  # noqa: E402 - the benchmarks' own helper, next to this file

HOLES = {"kind": "difference", "base": {"kind": "box", "bounds": [[0, 1], [0, 1]]},
         "remove": [{"kind": "disk", "center": [0.3, 0.3], "radius": 0.1},
                    {"kind": "disk", "center": [0.7, 0.6], "radius": 0.15}]}
SIZES = {False: 930, True: 150}
"""1 / h: P1 on this domain has about 1.15 / h^2 unknowns."""

TOL = 1e-8


def write_mesh(n: int, path: Path) -> None:
    import meshio

    from pdesolve.domains.tables import domain_from_table

    mesh = domain_from_table(HOLES).mesh(1.0 / n)
    meshio.write(path, meshio.Mesh(mesh.p.T, [("triangle", mesh.t.T)]), file_format="gmsh22",
                 binary=True)


def run_pdesolve(path: str) -> dict:
    from pdesolve.metrics import measure_errors
    from pdesolve.problems.tables import problem_from_table
    from pdesolve.solvers import solve, solver_module

    solver_module("fem")  # imported before the clock starts, as the bare script's modules are
    start, kernel = time.perf_counter(), kernel_seconds()
    problem = problem_from_table({"name": "poisson_sine", "dim": 2, "domain": {"mesh": path}})
    result = solve(problem, "fem", element="P1", n=1, linear_solver="amg", tol=TOL)
    solved = time.perf_counter()
    measured = measure_errors(result.u, problem.exact)
    end = time.perf_counter()
    return {"dofs": result.dofs, "l2_rel": measured.l2_rel,
            "l2_uncertainty": measured.uncertainty["l2_rel"], "solve_s": solved - start,
            "error_s": end - solved, "total_s": end - start, "kernel_s": kernel_seconds() - kernel}


def run_bare(path: str) -> dict:
    import pyamg
    import scipy.sparse.linalg as spla
    import skfem
    from skfem.helpers import dot, grad

    def exact(x):
        return np.sin(np.pi * x[0]) * np.sin(np.pi * x[1])

    @skfem.BilinearForm
    def laplace(u, v, _):
        return dot(grad(u), grad(v))

    @skfem.LinearForm
    def load(v, p):
        return 2 * np.pi**2 * exact(p.x) * v

    @skfem.Functional
    def sq_error(p):
        return (p.uh - exact(p.x)) ** 2

    @skfem.Functional
    def sq_exact(p):
        return exact(p.x) ** 2

    start, kernel = time.perf_counter(), kernel_seconds()
    mesh = skfem.MeshTri.load(path)
    basis = skfem.Basis(mesh, skfem.ElementTriP1())
    A, b = laplace.assemble(basis), load.assemble(basis)
    D = basis.get_dofs()
    uh = basis.zeros()
    uh[D] = exact(basis.doflocs[:, D])
    A_I, b_I, _, I = skfem.condense(A, b, x=uh, D=D)
    ml = pyamg.smoothed_aggregation_solver(A_I)
    uh[I], _ = spla.cg(A_I, b_I, rtol=TOL, M=ml.aspreconditioner())
    solved = time.perf_counter()
    l2 = np.sqrt(sq_error.assemble(basis, uh=basis.interpolate(uh)) / sq_exact.assemble(basis))
    end = time.perf_counter()
    return {"dofs": len(I), "l2_rel": float(l2), "solve_s": solved - start,
            "error_s": end - solved, "total_s": end - start, "kernel_s": kernel_seconds() - kernel}


def _child(variant: str, path: Path) -> dict:
    out = child(__file__, variant, str(path))
    print(f"{variant:>8}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in out.items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick size")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the variants this many times; report the fastest of each")
    parser.add_argument("--msh", type=Path, help="solve on this mesh file (no gmsh run)")
    parser.add_argument("--keep", type=Path, help="also copy the gmsh mesh to this file")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        variant, path = args.worker
        out = {"pdesolve": run_pdesolve, "bare": run_bare}[variant](path)
        out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        sys.stdout.write(json.dumps(out) + "\n")
        return
    from pdesolve.harness.execute import THREAD_VARIABLES  # the parent only: children stay bare

    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))  # children: one thread each
    print("load average (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg(), flush=True)
    n = SIZES[args.small]
    with tempfile.TemporaryDirectory() as tmp:
        path = args.msh or Path(tmp) / "holes.msh"
        if args.msh is None:
            start = time.perf_counter()
            write_mesh(n, path)
            print(f"gmsh mesh h = 1/{n} written in {time.perf_counter() - start:.1f} s", flush=True)
            if args.keep:
                shutil.copyfile(path, args.keep)
        bare, ours = fastest(lambda variant: _child(variant, path), args.repeat)
    print(f"P1 on the holes mesh, {ours['dofs']:,} DOFs: speed-up bare/pdesolve = "
          f"{bare['total_s'] / ours['total_s']:.2f}x (solve {bare['solve_s'] / ours['solve_s']:.2f}x, "
          f"error {bare['error_s'] / ours['error_s']:.2f}x), peak memory pdesolve/bare = "
          f"{ours['peak_gb'] / bare['peak_gb']:.2f}", flush=True)
    print("load average after (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
