"""FEM's abilities on every mesh, generated from its declarations (pdesolve.fem.capabilities):
each combination of element, domain kind, p in {2, 3} and boundary kind that the solver
accepts (``supports`` and ``check``) reaches the L2 rate k + 1 in h on a smooth solution;
each one it does not accept is refused in one line. The whole matrix, with P3/P4 and every
boundary kind on every domain, is ``benchmarks/fem_capabilities.py``; here every domain
meets every p and element, the boundary kinds in rotation."""

import itertools

import numpy as np
import pytest

from pdesolve.fem.capabilities import BOUNDARIES, DOMAINS, run

NESTED = {"box": (8, 16), "mesh file": (1, 2)}
"""Meshes of h and h/2 (the box's structured mesh; the file's mesh refined once): two sizes,
rate within 0.15."""

GMSH = {"L-shape": (16, 32, 64)}
"""gmsh meshes at h = L/n are not nested and their error constants vary by about 15 % from
mesh to mesh: three sizes, n = 8, 16, 32 (the L-shape, twice as wide: 16, 32, 64), rate within
0.25 (measured: P1 1.97-2.08, P2 2.91-3.15)."""

COMBINATIONS = [
    (domain, p, BOUNDARIES[(i + j) % len(BOUNDARIES)], element)
    for i, domain in enumerate(DOMAINS)
    for j, p in enumerate((2, 3))
    for element in (("P1", "P2", "Q2") if domain == "box" else ("P1", "P2"))]


@pytest.mark.parametrize("domain, p, boundary, element", COMBINATIONS,
                         ids=["-".join(map(str, c)) for c in COMBINATIONS])
def test_every_supported_combination_reaches_its_rate(domain, p, boundary, element):
    sizes = NESTED.get(domain) or GMSH.get(domain, (8, 16, 32))
    outcome = run(domain, 2, p, boundary, element, sizes)
    assert outcome.refused is None
    tolerance = 0.15 if domain in NESTED else 0.25
    assert outcome.rate == pytest.approx(int(element[1:]) + 1, abs=tolerance)


@pytest.mark.parametrize("boundary, element", list(itertools.product(BOUNDARIES, ("P3", "Q2"))))
def test_high_order_and_tensor_elements_on_the_box(boundary, element):
    """P3 and Q2 take every boundary kind on the box (Q2 with reaction or flux parts on the
    mesh path's tensor mesh, scikit-fem's forms; with u = g on all of it, on the cell tables)."""
    outcome = run("box", 2, 3, boundary, element, (4, 8))
    assert outcome.rate == pytest.approx(int(element[1:]) + 1, abs=0.15)


def test_qk_on_recombined_quadrilaterals_reaches_its_rate():
    """Q3 (two DOFs per edge, oriented per edge) on gmsh's recombined quadrilaterals of an
    L-bracket with a square hole, refined once (nested): rate 4 (measured 4.09; Q1-Q8 in
    benchmarks/qk_recombined.py, 1.98-9.00)."""
    from pdesolve.fem.linear import LinearSolver
    from pdesolve.fem.mesh_function import mesh_function
    from pdesolve.fem.mesh_system import MeshSystem
    from pdesolve.fem.system import solve_system
    from pdesolve.metrics import measure_errors
    from pdesolve.problems.tables import problem_from_table

    bracket = {"kind": "difference", "base": {"kind": "lshape"},
               "remove": [{"kind": "box", "bounds": [[-0.7, -0.3], [0.3, 0.7]]}]}
    problem = problem_from_table({"exact": "sin(3*x)*exp(y) + x*y", "dim": 2,
                                  "domain": bracket})
    coarse = problem.domain.mesh_at(4, cells="tensor")
    errors = []
    for mesh in (coarse, coarse.refined()):
        system = MeshSystem.of(problem, mesh, "Q3")
        u = solve_system(system, 2.0, LinearSolver("direct", 1e-12, 2, 3), newton_tol=1e-10,
                         newton_maxiter=1).u
        fn = mesh_function(system.basis, u)
        errors.append(measure_errors(fn, problem.exact, fn.grad,
                                     problem.exact_grad).l2_rel)
    assert np.log2(errors[0] / errors[1]) == pytest.approx(4.0, abs=0.15)


def test_edge_dofs_follow_the_global_edge_direction():
    """Q4 on a square mesh whose every other cell lists its corners from another one (still
    counter-clockwise): the same discrete solution as on the unrotated mesh (without the
    oriented numbering the rotated cells' edge DOFs would not match their neighbours')."""
    import skfem

    from pdesolve.fem.linear import LinearSolver
    from pdesolve.fem.mesh_function import mesh_function
    from pdesolve.fem.mesh_system import MeshSystem
    from pdesolve.fem.system import solve_system
    from pdesolve.problems.tables import problem_from_table

    problem = problem_from_table({"exact": "sin(3*x)*exp(y)", "dim": 2})
    square = problem.domain.mesh_at(4, cells="tensor")
    t = square.t.copy()
    t[:, 1::2] = np.roll(t[:, 1::2], 1, axis=0)
    rotated = skfem.MeshQuad1(square.p, t).with_boundaries(
        {name: (lambda x, k=k, v=v: np.abs(x[k] - v) < 1e-9)
         for name, k, v in (("x1min", 0, 0), ("x1max", 0, 1), ("x2min", 1, 0), ("x2max", 1, 1))})
    values = []
    for mesh in (square, rotated):
        system = MeshSystem.of(problem, mesh, "Q4")
        u = solve_system(system, 2.0, LinearSolver("direct", 1e-12, 2, 4), newton_tol=1e-10,
                         newton_maxiter=1).u
        values.append(mesh_function(system.basis, u)(np.array([[0.3, 0.7], [0.61, 0.2]])))
    np.testing.assert_allclose(values[0], values[1], rtol=1e-10)
