"""High-order FEM end to end: pdesolve against NGSolve, time to each target error.

2-D ``poisson_sine`` (u = sin(pi x) sin(pi y) on the unit square, u = 0 on the boundary),
one thread (``OMP_NUM_THREADS=1`` and the BLAS's own variables in every child):

- "pdesolve": ``solve(problem, "fem", element=..., n=...)`` (mesh, assembly, solve; for Qk
  the box's tensor-product system), then the relative L2 error by ``measure_errors`` as the
  harness measures it (the solution's own cells, ``default`` the domain's rules), timed
  apart from the solve;
- "ngsolve": the native NGSolve script: Netgen's mesh of the unit square at maxh = 1/n
  (triangles, "P"; ``quad_dominated``, "Q"), ``H1(order=k, dirichlet=".*")``,
  ``BilinearForm(grad u . grad v dx, condense=True)``, ``LinearForm(f v dx)``, sparse
  Cholesky of the condensed system with the harmonic extension and inner solve, the error by
  ``Integrate`` at order 2k + 6.

Each side runs its whole list of configurations in one child process per round (after one
untimed warm-up solve at another degree; each configuration solved twice in a row, the faster
kept, so that no configuration pays the process's first calls), the sides alternated
``--repeat`` times; per configuration the fastest run counts. For each target error the fastest configuration of
each side that reaches it is listed with the ratio pdesolve / NGSolve, then the round-off
floor (both sides' error with Q8 on 8 x 8 cells) and the smallest error each side reaches.
The errors come from two measures (pdesolve's harness, NGSolve's ``Integrate``), as in
issue 28's table.

``--p1`` also runs ``bench_fem.py`` (P1, about 1e6 DOFs in 2-D and 3-D) and
``bench_fem_mesh.py`` (P1 on a gmsh mesh with holes) in subprocesses and prints their
ratio lines.

    python benchmarks/bench_fem_ngsolve.py [--repeat 5] [--p1] [--small]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout, uninstalled

ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS")}

PDESOLVE = [("Q2", 8), ("Q2", 16), ("Q3", 4), ("Q3", 8), ("Q4", 2), ("Q4", 4), ("Q4", 8),
            ("Q4", 16), ("P4", 16), ("Q5", 2), ("Q5", 4), ("Q5", 8), ("Q6", 2), ("Q6", 4),
            ("Q6", 8), ("Q7", 2), ("Q7", 4), ("Q7", 8), ("Q8", 1), ("Q8", 2), ("Q8", 4),
            ("Q8", 8), ("Q8", 16)]
NGSOLVE = [("P2", 8), ("P3", 4), ("P4", 2), ("P4", 4), ("P4", 8), ("P5", 2), ("P5", 4),
           ("P6", 2), ("P6", 4), ("P7", 2), ("P7", 4), ("P8", 2), ("P8", 4), ("P8", 8),
           ("P10", 2), ("P10", 4), ("Q4", 4), ("Q6", 2), ("Q6", 4), ("Q8", 2), ("Q8", 4),
           ("Q8", 8)]
"""(element, n) of each side: Pk on triangles, Qk on quadrilaterals."""

SMALL = {"pdesolve": [("Q4", 4), ("Q8", 4), ("Q8", 8)], "ngsolve": [("P4", 4), ("P8", 4),
                                                                     ("Q8", 8)]}

INNER = 2
"""Solves of each configuration in a row within a child (the fastest kept)."""

FLOOR = ("Q8", 8)
"""The configuration both sides run at the round-off floor (as in the issue's table)."""

TARGETS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)


def run_pdesolve(configs: list) -> list[dict]:
    from pdesolve.metrics import measure_errors
    from pdesolve.problems import get_problem
    from pdesolve.solvers import solve

    problem = get_problem("poisson_sine", dim=2)
    solve(problem, "fem", element="Q1", n=4)  # warm-up: imports, first calls
    rows = []
    for element, n in configs:
        seconds = []
        for _ in range(INNER):
            start = time.perf_counter()
            result = solve(problem, "fem", element=element, n=n)
            seconds.append(time.perf_counter() - start)
        solved = time.perf_counter()
        measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                                  default=problem.domain.error_rules())
        rows.append({"element": element, "n": n, "dofs": result.dofs,
                     "l2_rel": measured.l2_rel, "total_s": min(seconds),
                     "error_s": time.perf_counter() - solved,
                     "path": result.info["linear_solver"]})
    return rows


def _ngsolve_solve(ngs, unit_square, element: str, n: int):
    """The native script: mesh, space, forms, condensed Cholesky; (gfu, mesh, free DOFs)."""
    k = int(element[1:])
    mesh = ngs.Mesh(unit_square.GenerateMesh(maxh=1 / n, quad_dominated=element[0] == "Q"))
    fes = ngs.H1(mesh, order=k, dirichlet=".*")
    u, v = fes.TnT()
    exact = ngs.sin(ngs.pi * ngs.x) * ngs.sin(ngs.pi * ngs.y)
    a = ngs.BilinearForm(ngs.grad(u) * ngs.grad(v) * ngs.dx, condense=True).Assemble()
    f = ngs.LinearForm(2 * ngs.pi**2 * exact * v * ngs.dx).Assemble()
    gfu = ngs.GridFunction(fes)
    inverse = a.mat.Inverse(fes.FreeDofs(True), inverse="sparsecholesky")
    rhs = f.vec.CreateVector()
    rhs.data = f.vec + a.harmonic_extension_trans * f.vec
    gfu.vec.data = inverse * rhs
    gfu.vec.data += a.harmonic_extension * gfu.vec
    gfu.vec.data += a.inner_solve * f.vec
    return gfu, mesh, exact, sum(fes.FreeDofs())


def run_ngsolve(configs: list) -> list[dict]:
    from pdesolve.ngsolve_backend import load_ngsolve

    ngs = load_ngsolve()
    from netgen.geom2d import unit_square

    ngs.SetNumThreads(1)
    _ngsolve_solve(ngs, unit_square, "P1", 4)  # warm-up
    rows = []
    for element, n in configs:
        seconds = []
        for _ in range(INNER):
            start = time.perf_counter()
            gfu, mesh, exact, dofs = _ngsolve_solve(ngs, unit_square, element, n)
            seconds.append(time.perf_counter() - start)
        solved = time.perf_counter()
        order = 2 * int(element[1:]) + 6
        l2 = (ngs.Integrate((gfu - exact) ** 2, mesh, order=order)
              / ngs.Integrate(exact**2, mesh, order=order)) ** 0.5
        rows.append({"element": element, "n": n, "dofs": int(dofs), "l2_rel": float(l2),
                     "total_s": min(seconds), "error_s": time.perf_counter() - solved})
    return rows


def child(variant: str, configs: list) -> list[dict]:
    env = {**os.environ, **ONE_THREAD,
           "NUMPY_MADVISE_HUGEPAGE": os.environ.get("NUMPY_MADVISE_HUGEPAGE", "0")}
    proc = subprocess.run([sys.executable, __file__, "--worker", variant, json.dumps(configs)],
                          capture_output=True, text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fastest_rows(configs: dict, repeat: int) -> dict[str, list[dict]]:
    """Per side and configuration the fastest of ``repeat`` alternated rounds."""
    best: dict[str, dict] = {}
    for round_ in range(repeat):
        for variant in ("pdesolve", "ngsolve"):
            for row in child(variant, configs[variant]):
                key = (variant, row["element"], row["n"])
                if key not in best or row["total_s"] < best[key]["total_s"]:
                    best[key] = row
        print(f"round {round_ + 1}/{repeat} done, load {os.getloadavg()[0]:.2f}", flush=True)
    return {v: [r for (side, *_), r in best.items() if side == v] for v in configs}


def _label(row: dict | None) -> str:
    if row is None:
        return "not reached"
    return f"{row['element']} n = {row['n']}: {1e3 * row['total_s']:.2f} ms"


def report(rows: dict[str, list[dict]]) -> None:
    for variant, side in rows.items():
        print(f"\n{variant}: element, n, DOFs, fastest seconds, l2_rel")
        for r in side:
            print(f"  {r['element']:>4} n={r['n']:<3} {r['dofs']:>6} {r['total_s']:.5f} "
                  f"{r['l2_rel']:.2e}" + (f" ({r['path']})" if "path" in r else ""))
    print("\n| target error | pdesolve, fastest | NGSolve, fastest | ratio |")
    print("|---|---|---|---|")
    for target in TARGETS:
        best = {v: min((r for r in side if r["l2_rel"] <= target), key=lambda r: r["total_s"],
                       default=None) for v, side in rows.items()}
        ours, theirs = best["pdesolve"], best["ngsolve"]
        ratio = (f"{ours['total_s'] / theirs['total_s']:.2f}x" if ours and theirs else "-")
        print(f"| {target:.0e} | {_label(ours)} | {_label(theirs)} | {ratio} |")
    same = {v: next((r for r in side if (r["element"], r["n"]) == FLOOR), None)
            for v, side in rows.items()}
    if all(same.values()):
        ours, theirs = same["pdesolve"]["l2_rel"], same["ngsolve"]["l2_rel"]
        print(f"| round-off floor, {FLOOR[0]} n = {FLOOR[1]} | {ours:.1e} | {theirs:.1e} | "
              f"{ours / theirs:.2f}x |")
    low = {v: min(side, key=lambda r: r["l2_rel"]) for v, side in rows.items()}
    print(f"| smallest error | {low['pdesolve']['l2_rel']:.1e} ({low['pdesolve']['element']} "
          f"n = {low['pdesolve']['n']}) | {low['ngsolve']['l2_rel']:.1e} "
          f"({low['ngsolve']['element']} n = {low['ngsolve']['n']}) | - |")


def p1_lines(small: bool, repeat: int) -> None:
    """bench_fem.py and bench_fem_mesh.py in subprocesses (``--repeat`` passed on): their
    output (each run's stage times, the fastest of each side and the ratios)."""
    for script in ("bench_fem.py", "bench_fem_mesh.py"):
        args = ([sys.executable, str(HERE / script), "--repeat", str(repeat)]
                + (["--small"] if small else []))
        proc = subprocess.run(args, capture_output=True, text=True, check=True)
        for line in proc.stdout.splitlines():
            print(f"{script}: {line}", flush=True)


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="alternated rounds per side")
    parser.add_argument("--small", action="store_true", help="three configurations per side")
    parser.add_argument("--p1", action="store_true",
                        help="also bench_fem.py and bench_fem_mesh.py (P1, about 1e6 DOFs)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        variant, configs = args.worker
        run = {"pdesolve": run_pdesolve, "ngsolve": run_ngsolve}[variant]
        sys.stdout.write(json.dumps(run([tuple(c) for c in json.loads(configs)])) + "\n")
        return
    print(f"load average (1, 5, 15 min): {_load()}", flush=True)
    configs = SMALL if args.small else {"pdesolve": PDESOLVE, "ngsolve": NGSOLVE}
    report(fastest_rows(configs, args.repeat))
    print(f"load average after (1, 5, 15 min): {_load()}", flush=True)
    if args.p1:
        p1_lines(args.small, args.repeat)
        print(f"load average after P1 (1, 5, 15 min): {_load()}")


if __name__ == "__main__":
    main()
