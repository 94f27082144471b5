"""FEM solver: convergence orders, Newton for p = 3, boundary data, variable kappa,
point evaluation, matrix symmetry, option errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pdesolve.domains import Box
from pdesolve.errors import ConfigError
from pdesolve.fem.assembly import Discretisation
from pdesolve.fem.energy import PLaplaceEnergy
from pdesolve.fem.linear import LinearSolver
from pdesolve.fem.mesh_system import weighted_laplace, weighted_load  # generic assembly
from pdesolve.metrics import measure_errors
from pdesolve.problems import get_problem
from pdesolve.problems.base import Problem
from pdesolve.result import Status
from pdesolve.solvers import solve

from .helpers import fitted_slope


def errors_over_levels(problem, ns, **options):
    """(h, l2_rel, h1_rel, results) over mesh levels n, measured on the harness's points."""
    rows, results = [], []
    for n in ns:
        result = solve(problem, "fem", n=n, **options)
        m = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad)
        rows.append((result.info["h"], m.l2_rel, m.h1_rel))
        results.append(result)
    h, l2, h1 = np.array(rows).T
    return h, l2, h1, results


class TestConvergenceP1:
    """Measured orders in h on poisson_sine: ||e||_L2 ~ h^(k+1), |e|_H1 ~ h^k."""

    element, mesh, dim, ns = "P1", "simplex", 2, (8, 16, 32, 64)
    rate_l2, rate_h1, tol = 2.0, 1.0, 0.1

    def test_rates(self):
        problem = get_problem("poisson_sine", dim=self.dim)
        h, l2, h1, _ = errors_over_levels(problem, self.ns, element=self.element, mesh=self.mesh)
        assert fitted_slope(h, l2) == pytest.approx(self.rate_l2, abs=self.tol)
        assert fitted_slope(h, h1) == pytest.approx(self.rate_h1, abs=self.tol)


class TestConvergenceP2(TestConvergenceP1):
    element, ns, rate_l2, rate_h1 = "P2", (4, 8, 16, 32), 3.0, 2.0


class TestConvergenceQ1(TestConvergenceP1):
    mesh = "tensor"


class TestConvergenceQ2(TestConvergenceP2):
    mesh, ns = "tensor", (4, 8, 16)


class TestConvergenceP1In3D(TestConvergenceP1):
    dim, ns = 3, (4, 8, 16)
    tol = 0.15


class TestConvergenceP2In1D(TestConvergenceP2):
    dim, ns = 1, (8, 16, 32, 64)


class TestConvergenceP3(TestConvergenceP1):
    element, ns, rate_l2, rate_h1 = "P3", (2, 4, 8), 4.0, 3.0


class TestConvergenceP4(TestConvergenceP1):
    element, ns, rate_l2, rate_h1, tol = "P4", (2, 4, 8), 5.0, 4.0, 0.15


class TestConvergenceQ3(TestConvergenceP1):
    element, mesh, ns, rate_l2, rate_h1 = "Q3", "auto", (2, 4, 8), 4.0, 3.0


class TestConvergenceQ5(TestConvergenceP1):
    element, mesh, ns, rate_l2, rate_h1 = "Q5", "tensor", (2, 4, 8), 6.0, 5.0


class TestConvergenceQ8In1D(TestConvergenceP1):
    element, mesh, dim, ns, rate_l2, rate_h1, tol = "Q8", "auto", 1, (2, 3, 4), 9.0, 8.0, 0.2


def test_dofs_count_interior_unknowns():
    problem = get_problem("poisson_sine", dim=2)
    assert solve(problem, "fem", n=8, element="P1").dofs == 7**2
    assert solve(problem, "fem", n=8, element="P2").dofs == 15**2
    assert solve(get_problem("poisson_sine", dim=3), "fem", n=4, element="P2").dofs == 7**3


def test_p_laplacian_newton_converges_at_p1_rate():
    problem = get_problem("plaplace_sine", dim=2, p=3)
    h, l2, h1, results = errors_over_levels(problem, (8, 16, 32, 64), element="P1")
    assert fitted_slope(h, l2) == pytest.approx(2.0, abs=0.1)
    assert fitted_slope(h, h1) == pytest.approx(1.0, abs=0.1)
    for r in results:
        assert r.status is Status.OK
        assert 1 <= r.info["newton_iterations"] <= 25
        assert r.info["newton_residual"] <= 1e-10
        energies = [step["energy"] for step in r.history]
        assert np.all(np.diff(energies) <= 1e-12 * abs(energies[0]))


def test_newton_derivatives_match_finite_differences_of_the_energy(rng):
    """J'(u) v and J''(u)(w, v) against central differences of J (from energy_density)."""
    problem = get_problem("plaplace_sine", dim=2, p=3.5)
    disc = Discretisation.build(problem, "P2", 4, "simplex")
    _check_derivatives(PLaplaceEnergy(problem.p, disc), disc.N, rng)


def _check_derivatives(energy, size: int, rng) -> None:
    """J'(u) v and J''(u)(w, v) equal central differences of J at random u, v, w."""
    u, v, w = (rng.standard_normal(size) for _ in range(3))
    eps = 1e-6
    fd_grad = (energy.energy(u + eps * v) - energy.energy(u - eps * v)) / (2 * eps)
    assert energy.gradient(u) @ v == pytest.approx(fd_grad, rel=1e-6)
    fd_hess = (energy.gradient(u + eps * w) - energy.gradient(u - eps * w)) @ v / (2 * eps)
    assert v @ (energy.hessian(u) @ w) == pytest.approx(fd_hess, rel=1e-6)


def test_newton_derivatives_on_a_mesh_with_reaction_and_robin_terms(rng):
    """The same check on a gmsh mesh of a disk with c u and a Robin part: J' and J'' carry
    the lower-order form m(u, v) and the flux data."""
    from pdesolve.fem.mesh_system import MeshSystem
    from pdesolve.problems.tables import problem_from_table

    problem = problem_from_table({"exact": "exp(x)*sin(y + 1)", "dim": 2, "p": 3,
                                  "reaction": "1 + x^2",
                                  "domain": {"kind": "disk", "center": [0.5, 0.5], "radius": 0.5},
                                  "boundary": {"circle": {"kind": "robin", "alpha": "2"}}})
    system = MeshSystem.of(problem, problem.domain.mesh_at(4, order=2), "P2")
    energy = PLaplaceEnergy(problem.p, system)
    assert energy.lower_order is not None
    _check_derivatives(energy, system.N, rng)


def test_newton_iteration_limit_gives_not_converged():
    problem = get_problem("plaplace_sine", dim=2, p=4)
    result = solve(problem, "fem", n=8, newton_maxiter=1)
    assert result.status is Status.NOT_CONVERGED
    assert "newton_maxiter" in result.message


@pytest.mark.parametrize(("dim", "element"), [(2, "P1"), (2, "P2"), (3, "P1"), (2, "P3"),
                                             (2, "P4"), (2, "Q4"), (2, "Q6")])
def test_nonhomogeneous_dirichlet_data(dim, element):
    """poisson_nd_pinnacle has g = sum sin(pi x_i / 2) != 0: g_h interpolates it, rates optimal."""
    problem = get_problem("poisson_nd_pinnacle", dim=dim)
    ns = {1: (8, 16, 32), 2: (8, 16, 32), 3: (4, 8, 16), 4: (4, 8, 16), 6: (2, 4, 8)}[
        int(element[1]) + (dim == 3)]
    h, l2, _, results = errors_over_levels(problem, ns, element=element)
    assert fitted_slope(h, l2) == pytest.approx(int(element[1]) + 1, abs=0.15)
    boundary = np.array([[0.0] * dim, [1.0] * dim, [0.25] + [1.0] * (dim - 1)])  # boundary DOFs
    np.testing.assert_allclose(results[-1].u(boundary), problem.exact(boundary), atol=1e-12)


def _variable_kappa_problem() -> Problem:
    """kappa = 1 + x1^2, u = sin(pi x1) sin(pi x2) + x1 x2 on [0,1]^2, f = -div(kappa grad u)."""
    w = math.pi

    def kappa(x):
        return 1 + x[:, 0] ** 2

    def exact(x):
        return np.sin(w * x[:, 0]) * np.sin(w * x[:, 1]) + x[:, 0] * x[:, 1]

    def exact_grad(x):
        s, c = np.sin(w * x), np.cos(w * x)
        return np.stack([w * c[:, 0] * s[:, 1] + x[:, 1], w * s[:, 0] * c[:, 1] + x[:, 0]], axis=1)

    def f(x):
        lap = -2 * w**2 * np.sin(w * x[:, 0]) * np.sin(w * x[:, 1])
        return -(kappa(x) * lap + 2 * x[:, 0] * exact_grad(x)[:, 0])

    return Problem("variable_kappa", Box.cube(2), f=f, g=exact, kappa=kappa, exact=exact,
                   exact_grad=exact_grad)


@pytest.mark.parametrize(("element", "rate"), [("P1", 2.0), ("P2", 3.0)])
def test_variable_kappa(element, rate):
    problem = _variable_kappa_problem()
    assert not problem.constant_kappa
    h, l2, h1, _ = errors_over_levels(problem, (8, 16, 32), element=element)
    assert fitted_slope(h, l2) == pytest.approx(rate, abs=0.15)
    assert fitted_slope(h, h1) == pytest.approx(rate - 1, abs=0.15)


def _polynomial_problem(dim: int, degree: int) -> Problem:
    """u = 1 + sum_i c_i x_i (+ x_1^2 + x_1 x_d for degree 2) on [-1, 2]^d: in the FEM space."""
    c = np.arange(1.0, dim + 1) * (-1) ** np.arange(dim)
    quad = float(degree >= 2)

    def exact(x):
        return 1 + x @ c + quad * (x[:, 0] ** 2 + x[:, 0] * x[:, -1])

    def exact_grad(x):
        g = np.tile(c, (len(x), 1))
        g[:, 0] += quad * (2 * x[:, 0] + x[:, -1])
        g[:, -1] += quad * x[:, 0]
        return g

    def f(x):
        return np.full(len(x), -quad * (2 + 2 * (dim == 1)))

    return Problem("polynomial", Box.cube(dim, -1.0, 2.0), f=f, g=exact, exact=exact,
                   exact_grad=exact_grad)


@pytest.mark.parametrize(("element", "dim", "mesh"), [
    *((e, d, m) for e in ("P1", "P2") for d in (1, 2, 3) for m in ("simplex", "tensor")),
    ("P3", 2, "simplex"), ("P4", 2, "simplex"), ("Q3", 2, "tensor"), ("P4", 2, "tensor"),
    ("Q7", 1, "auto"), ("P4", 1, "simplex")])
def test_evaluation_reproduces_solutions_in_the_space(element, dim, mesh, rng):
    """A solution in the FEM space is reproduced: u and grad at random points, to rounding."""
    problem = _polynomial_problem(dim, int(element[1]))
    result = solve(problem, "fem", n=3, element=element, mesh=mesh, linear_solver="direct")
    x = rng.uniform(-1.0, 2.0, size=(2000, dim))
    np.testing.assert_allclose(result.u(x), problem.exact(x), atol=1e-10)
    np.testing.assert_allclose(result.grad(x), problem.exact_grad(x), atol=1e-9)


def test_amg_and_direct_agree():
    problem = get_problem("poisson_sine", dim=2)
    direct = solve(problem, "fem", n=24, element="P2", linear_solver="direct")
    amg = solve(problem, "fem", n=24, element="P2", linear_solver="amg", tol=1e-12)
    x = np.random.default_rng(0).random((400, 2))
    np.testing.assert_allclose(amg.u(x), direct.u(x), atol=1e-9)
    assert (direct.info["linear_solver"], amg.info["linear_solver"]) == ("direct", "amg")
    assert amg.info["cg_iterations"] > 0


@pytest.mark.parametrize("problem", [get_problem("poisson_sine", dim=3), _variable_kappa_problem()])
@pytest.mark.parametrize("element", ["P1", "P2"])
def test_stiffness_matrix_is_symmetric_positive(problem, element):
    disc = Discretisation.build(problem, element, 4, "simplex")
    A = disc.stiffness()
    assert abs(A - A.T).max() <= 1e-13 * abs(A).max()
    A_II, _ = disc.condense(A, disc.load())
    assert np.linalg.eigvalsh(A_II.toarray()).min() > 0


@pytest.mark.parametrize(("element", "mesh"), [
    *((e, m) for e in ("P1", "P2") for m in ("simplex", "tensor")),
    ("P3", "simplex"), ("P4", "simplex"), ("Q3", "auto"), ("Q6", "auto"), ("P4", "tensor")])
def test_cell_table_assembly_matches_scikit_fem(element, mesh):
    """Stiffness and load from the translated cell tables equal scikit-fem's generic assembly."""
    problem = _variable_kappa_problem()
    disc = Discretisation.build(problem, element, 5, mesh)
    basis = disc.basis
    A_ref = weighted_laplace.assemble(basis, kappa=disc.kappa_q)
    b_ref = weighted_load.assemble(basis, f=disc.f_q)
    A = disc.stiffness()
    assert abs(A - A_ref).max() <= 1e-12 * abs(A_ref).max()
    np.testing.assert_allclose(disc.load(), b_ref, rtol=0, atol=1e-13 * abs(b_ref).max())
    x_ref = np.asarray(basis.global_coordinates()).reshape(2, -1).T
    np.testing.assert_allclose(disc.quadrature_points, x_ref, atol=1e-14)


@pytest.mark.parametrize(("options", "field"), [
    ({"n": 0}, "n"),
    ({"element": "P5"}, "element"),
    ({"mesh": "hex"}, "mesh"),
    ({"linear_solver": "gmres"}, "linear_solver"),
    ({"tol": 0.0}, "tol"),
    ({"newton_maxiter": 0}, "newton_maxiter"),
    ({"order": 2}, "order"),
])
def test_bad_options_name_the_field(options, field):
    with pytest.raises(ConfigError, match=field):
        solve(get_problem("poisson_sine", dim=2), "fem", **options)


@pytest.mark.parametrize(("dim", "options", "message"), [
    (3, {"element": "P3"}, "'P3' is not available on tetrahedra (3-D simplex mesh); "
                           "available there: P1, P2"),
    (3, {"element": "Q3"}, "'Q3' is not available on hexahedra (3-D tensor mesh); "
                           "available there: P1, P2, Q1, Q2"),
    (2, {"element": "Q4", "mesh": "simplex"}, "'Q4' is a tensor-product element"),
])
def test_unavailable_elements_name_what_is_available(dim, options, message):
    with pytest.raises(ConfigError) as err:
        solve(get_problem("poisson_sine", dim=dim), "fem", n=2, **options)
    assert message in str(err.value)


def test_dimension_above_three_is_refused():
    with pytest.raises(ConfigError, match="d <= 3"):
        solve(get_problem("plaplace_5d"), "fem", n=2)


def test_auto_linear_solver_keeps_high_order_direct_longer():
    """Smoothed aggregation needs 60-130 CG iterations for degrees 3-8: direct up to 1e6 in 2-D."""
    choose = [LinearSolver("auto", 1e-10, dim, degree).choose(n)
              for dim, degree, n in ((2, 1, 3 * 10**5), (2, 4, 3 * 10**5), (2, 4, 2 * 10**6),
                                     (3, 2, 2 * 10**4), (1, 8, 10**6))]
    assert choose == ["amg", "direct", "amg", "amg", "direct"]


@pytest.mark.parametrize("dim", [2, 3])
def test_p1_stiffness_by_diagonals_matches_scikit_fem(dim):
    """P1 on the Kuhn mesh is summed by lattice diagonals: scikit-fem's assembly, kappa varying
    (bump_nd: 1 + |x|^2 / (2 d)); measured differences at 1e-16 relative."""
    disc = Discretisation.build(get_problem("bump_nd", dim=dim), "P1", 5, "simplex")
    A_ref = weighted_laplace.assemble(disc.basis, kappa=disc.kappa_q)
    A = disc.stiffness()
    assert abs(A - A_ref).max() <= 1e-13 * abs(A_ref).max()
    assert A.nnz == (A_ref != 0).nnz
