"""FEM's abilities on every mesh, generated from its declarations (pdesolve.fem.capabilities):
every element of the solver's ``element`` option x domain kind (box, disk/ball, L-shape,
holes, mesh file; 2-D, and box and ball in 3-D) x p in {2, 3} x boundary kind (Dirichlet,
Neumann + Robin, reaction). What ``configure`` accepts reaches the L2 rate k + 1 in h on a
smooth solution (two nested meshes, rate within 0.15); what it refuses is refused in one line
at validation, naming the elements allowed there, each of which it accepts.

The fast tier runs every refusal and, per domain and element of degree <= 4, one (p, boundary)
in rotation; the slow tier every other combination of degree <= 4 and, for Q5-Q8, one
(p, boundary) per domain in rotation (all of Q5-Q8 took 6-8 of the matrix's 9 minutes on 2
loaded cores, beyond the suite's budget); ``benchmarks/fem_capabilities.py`` runs and prints
the whole matrix."""

import re
from dataclasses import replace

import numpy as np
import pytest

from pdesolve.fem.capabilities import (
    BOUNDARIES,
    P_VALUES,
    combinations,
    pose,
    refusal,
    resolution,
    run,
)

COMBINATIONS = combinations()

def _quadrature_limited(c) -> bool:
    """p = 3 with Q5-Q8 on two cells per direction: the coarse error is dominated by the
    quadrature of the p-Laplacian energy (degree 2k for a non-polynomial integrand), which
    decays faster than h^(k+1), so the two-mesh rate exceeds k + 1 (box Q5 7.2 at n = 2, 6.1
    at n = 4; Q7 10.9 at n = 2). Checked to be at least k + 1 - 0.15: at the sizes that show
    k + 1 (4-8x the cells) these cases would take minutes."""
    return c.p == 3 and c.degree >= 5


def _in_rotation(c) -> bool:
    """One (p, boundary) per domain and element, turning with the degree."""
    turn = (c.degree + list(P_VALUES).index(c.p) * len(BOUNDARIES)
            + BOUNDARIES.index(c.boundary)) % (len(P_VALUES) * len(BOUNDARIES))
    return turn == 0


def _fast(c) -> bool:
    """Per domain and element of degree <= 4, one (p, boundary) in rotation."""
    return c.degree <= 4 and _in_rotation(c) and not (c.dim == 3 and c.domain != "box")


CURVED_TETRAHEDRA = pytest.mark.xfail(reason=(
    "P2 on the ball's curved tetrahedra: measured 2.63-2.88 from n = 2 to 6 (nested "
    "refinements, every boundary kind), below k + 1 = 3 - 0.15; P1 reaches 2"), strict=False)


ROUNDING = pytest.mark.xfail(reason=(
    "Q8 on the holes domain: from n = 2 to 4 the finer error reaches rounding (8.5e-13 -> "
    "9.1e-15, rate 6.5), and at n = 1 gmsh's quadrilaterals are not convex"), strict=False)


def _case(c):
    marks = [] if _fast(c) else [pytest.mark.slow]
    if (c.dim, c.domain, c.element) == (3, "disk/ball", "P2"):
        marks.append(CURVED_TETRAHEDRA)
    if (c.domain, c.element, c.p) == ("holes", "Q8", 2):
        marks.append(ROUNDING)
    return pytest.param(c, id=str(c), marks=marks)


def test_unsupported_combinations_are_refused_in_one_line_at_validation():
    """Validation alone (``configure``), for every combination: a refusal is one line that
    names the field and the elements allowed there, each of which is accepted (348 accepted,
    156 refused)."""
    refused = {}
    for c in COMBINATIONS:
        message = refusal(c, resolution(c))
        if message is not None:
            refused[c] = message
    assert 0 < len(refused) < len(COMBINATIONS)
    for c, message in refused.items():
        assert "\n" not in message and message.startswith("solver 'fem'.element: "), message
        allowed = re.search(r"(?:allowed|available there): ([\w, ]+)$", message)
        assert allowed, message
        names = allowed.group(1).split(", ")
        assert c.element not in names, message
        for other in (replace(c, element=name) for name in names):
            assert refusal(other, resolution(other)) is None, (c, other)


@pytest.mark.parametrize("c", [_case(c) for c in COMBINATIONS
                               if c.degree <= 4 or _in_rotation(c)])
def test_every_supported_combination_reaches_its_rate(c):
    n = resolution(c)
    if refusal(c, n) is not None:
        pytest.skip("refused at validation (checked by the test above)")
    outcome = run(c, n)
    expected = c.degree + 1
    if _quadrature_limited(c):
        assert outcome.rate >= expected - 0.15, outcome
    else:
        assert outcome.rate == pytest.approx(expected, abs=0.15), outcome


def test_the_matrix_covers_every_declared_element_domain_p_and_boundary():
    """504 combinations: 12 elements x (5 domain kinds in 2-D + box and ball in 3-D) x 2 p x 3
    boundary kinds; each poses a problem whose exact solution is the one measured against."""
    from pdesolve.fem.capabilities import elements

    assert len(COMBINATIONS) == len(elements()) * 7 * len(P_VALUES) * len(BOUNDARIES)
    assert len(set(COMBINATIONS)) == len(COMBINATIONS)
    problem = pose(COMBINATIONS[0])
    x = np.array([[0.25, 0.5]])
    assert np.isfinite(problem.exact(x)).all() and np.all(np.abs(problem.exact_grad(x)) > 0)


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
