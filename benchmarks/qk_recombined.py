"""Qk (k = 1..8) on recombined quadrilateral meshes off the box: L2 rates on nested meshes.

An L-bracket with a square hole (polygonal: no geometry error) and a disk meshed by
straight-sided quadrilaterals, u = sin(3x) e^y + x y. The disk's meshes are the polygon of
the coarse mesh refined (their boundary is the circle to O(h_0^2)); the Dirichlet data are the
exact solution at the boundary nodes and the error is measured on the mesh's own cells, so
the rate on that polygon is k + 1, while against the true disk the geometry would cap it at 2.
gmsh's recombined mesh at size L/n0 is refined uniformly (each quadrilateral into four), so
h halves exactly and the rate in h is read off consecutive levels; errors by pdesolve's
harness on the cells.

    python benchmarks/qk_recombined.py
"""

import time

import numpy as np

from pdesolve.fem.linear import LinearSolver
from pdesolve.fem.mesh_function import mesh_function
from pdesolve.fem.mesh_system import MeshSystem
from pdesolve.fem.system import solve_system
from pdesolve.metrics import measure_errors
from pdesolve.problems.tables import problem_from_table

DOMAINS = {
    "L-bracket with a square hole": {"kind": "difference", "base": {"kind": "lshape"},
                                     "remove": [{"kind": "box",
                                                 "bounds": [[-0.7, -0.3], [0.3, 0.7]]}]},
    "disk": {"kind": "disk", "center": [0.5, 0.5], "radius": 0.5},
}
START = {1: 8, 2: 8, 3: 4, 4: 4, 5: 4, 6: 2, 7: 2, 8: 2}
"""Coarsest n per degree (finer for low k, so that the errors stay above round-off)."""

print("| domain | element | cells | DOFs | L2 errors | rates (expected k + 1) | seconds |")
print("|---|---|---|---|---|---|---|")
for name, table in DOMAINS.items():
    problem = problem_from_table({"exact": "sin(3*x)*exp(y) + x*y", "dim": 2, "domain": table})
    for k in range(1, 9):
        start = time.perf_counter()
        coarse = problem.domain.mesh_at(START[k], cells="tensor")
        errors, cells, dofs = [], [], []
        for level in range(3):
            mesh = coarse.refined(level) if level else coarse
            system = MeshSystem.of(problem, mesh, f"Q{k}")
            solution = solve_system(system, 2.0, LinearSolver("direct", 1e-12, 2, k),
                                    newton_tol=1e-10, newton_maxiter=1)
            fn = mesh_function(system.basis, solution.u)
            errors.append(measure_errors(fn, problem.exact, fn.grad,
                                         problem.exact_grad).l2_rel)
            cells.append(mesh.t.shape[1])
            dofs.append(int(system.interior.size))
        rates = -np.diff(np.log(errors)) / np.log(2)
        print(f"| {name} | Q{k} | {cells} | {dofs} | {', '.join(f'{e:.2e}' for e in errors)} | "
              f"{', '.join(f'{r:.2f}' for r in rates)} ({k + 1}) | "
              f"{time.perf_counter() - start:.1f} |", flush=True)
