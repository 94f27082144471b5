"""The tensor-product Qk system on a box (kappa = 1, p = 2): the same discrete solution as the
cell-table assembly, optimal rates, the round-off floor of Q8, the 1-D hierarchical tables,
and the runs that keep the general path."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from pdesolve.fem.assembly import Discretisation
from pdesolve.fem.evaluate import structured_function
from pdesolve.fem.linear import LinearSolver
from pdesolve.fem.system import solve_system
from pdesolve.fem.tensor_axis import reference
from pdesolve.fem.tensor_function import TensorFunction
from pdesolve.fem.tensor_system import KroneckerSum
from pdesolve.metrics import measure_errors
from pdesolve.problems import get_problem
from pdesolve.problems.tables import problem_from_table
from pdesolve.solvers import solve

from .helpers import fitted_slope

FAST = "fast_diagonalisation"


def _skewed(dim: int):
    """u = exp(x) sin(y + 1) (+ z^2) on a box with unequal sides: g != 0, no symmetry."""
    bounds = [[0.0, 2.0], [-1.0, 0.5], [0.5, 1.0]][:dim]
    exact = "exp(x)*sin(y + 1)" + (" + z^2" if dim == 3 else "")
    return problem_from_table({"exact": exact, "dim": dim,
                               "domain": {"kind": "box", "bounds": bounds}})


@pytest.mark.parametrize(("dim", "element", "n"), [(2, "Q1", 5), (2, "Q2", 3), (2, "Q3", 2),
                                                   (2, "Q6", 2), (3, "Q1", 3), (3, "Q2", 2)])
def test_same_solution_as_the_cell_table_assembly(dim, element, n, rng):
    """The same space, rule and boundary interpolant: u_h and grad u_h agree to round-off."""
    problem = _skewed(dim)
    disc = Discretisation.build(problem, element, n, "tensor")
    solution = solve_system(disc, 2.0, LinearSolver("direct", 1e-12, dim, int(element[1:])),
                            newton_tol=1e-10, newton_maxiter=1)
    old = structured_function(disc, solution.u)
    new = solve(problem, "fem", element=element, n=n)
    assert new.info["linear_solver"] == FAST and isinstance(new.u, TensorFunction)
    assert new.dofs == disc.interior.size
    lower, upper = np.array(problem.domain.lower), np.array(problem.domain.upper)
    x = lower + (upper - lower) * rng.random((200, dim))
    np.testing.assert_allclose(new.u(x), old(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(new.grad(x), old.grad(x), rtol=0, atol=1e-10)


@pytest.mark.parametrize(("dim", "element", "ns"), [(2, "Q4", (2, 4, 8)), (2, "Q7", (2, 3, 4)),
                                                     (3, "Q2", (2, 4, 8))])
def test_rates(dim, element, ns):
    """||e||_L2 ~ h^(k+1), |e|_H1 ~ h^k on poisson_sine."""
    problem = get_problem("poisson_sine", dim=dim)
    rows = []
    for n in ns:
        result = solve(problem, "fem", element=element, n=n)
        assert result.info["linear_solver"] == FAST
        m = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad)
        rows.append((result.info["h"], m.l2_rel, m.h1_rel))
    h, l2, h1 = np.array(rows).T
    k = int(element[1:])
    assert fitted_slope(h, l2) == pytest.approx(k + 1, abs=0.2)
    assert fitted_slope(h, h1) == pytest.approx(k, abs=0.2)


def test_q8_round_off_floor():
    """The exact 1-D stiffness and one refinement step: Q8 on 8 x 8 cells reaches 1e-14."""
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "fem", element="Q8", n=8)
    m = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad)
    assert m.l2_rel <= 1e-14


def test_kronecker_sum_applies_and_inverts_the_assembled_matrix(rng):
    """A = sum_a M_1 (x) .. K_a .. (x) M_d against scipy's Kronecker products, and its solve."""
    mass, stiffness = [], []
    for size in (4, 3, 5):
        B = rng.standard_normal((size, size))
        mass.append(B @ B.T + size * np.eye(size))
        stiffness.append(np.diag(rng.random(size) + 1.0))
    A = KroneckerSum(mass, stiffness)
    matrix = sum(sp.kron(sp.kron(*(stiffness[b] if b == a else mass[b] for b in (0, 1))),
                         stiffness[2] if a == 2 else mass[2]) for a in range(3)).toarray()
    u = rng.standard_normal(A.shape)
    np.testing.assert_allclose(A.apply(u).ravel(), matrix @ u.ravel(), rtol=1e-12)
    x, stats = A.solve(matrix @ u.ravel())
    np.testing.assert_allclose(x, u.ravel(), rtol=1e-10)
    assert stats["linear_solver"] == FAST and stats["converged"]


@pytest.mark.parametrize("k", [1, 2, 5, 8])
def test_reference_tables(k):
    """K_ref exact (hats and orthonormal bubbles), M_ref the Gauss integral of the values,
    and the nodal-to-hierarchical map inverting the values at the GLL nodes."""
    ref = reference(k)
    P, dP = ref.values(ref.gauss), ref.slopes(ref.gauss)
    np.testing.assert_allclose(dP.T @ (ref.gauss_weights[:, None] * dP), ref.stiffness,
                               atol=1e-13)
    np.testing.assert_allclose(P.T @ (ref.gauss_weights[:, None] * P), ref.mass, atol=1e-15)
    from pdesolve.fem.elements import gll_points

    np.testing.assert_allclose(ref.from_nodal @ ref.values(gll_points(k)), np.eye(k + 1),
                               atol=1e-12)
    t = np.linspace(0, 1, 7)
    eps = 1e-6
    slopes = (ref.values(t[1:-1] + eps) - ref.values(t[1:-1] - eps)) / (2 * eps)
    np.testing.assert_allclose(ref.slopes(t[1:-1]), slopes, atol=1e-7)


@pytest.mark.parametrize("options", [{"linear_solver": "amg"}, {"mesh": "simplex"}])
def test_other_runs_keep_the_general_path(options):
    """AMG asked for, or simplices: the cell tables as before."""
    problem = get_problem("poisson_sine", dim=2)
    element = "P2" if options.get("mesh") == "simplex" else "Q2"
    result = solve(problem, "fem", element=element, n=4, **options)
    assert result.info["linear_solver"] != FAST


def test_variable_kappa_and_p_keep_the_general_path():
    problem = get_problem("plaplace_sine", dim=2, p=3)
    assert solve(problem, "fem", element="Q2", n=4).info["linear_solver"] != FAST
    table = {"exact": "sin(x)*y", "dim": 2, "kappa": "1 + x^2"}
    assert solve(problem_from_table(table), "fem", element="Q3", n=2
                 ).info["linear_solver"] != FAST


def test_a_tensor_product_reference_is_cached_and_rebuilt(tmp_path, monkeypatch, rng):
    """A Qk reference on the box is stored (its coefficients) and rebuilt without a solve."""
    from pdesolve.harness import reference

    problem = problem_from_table({"f": "2 pi^2 sin(pi x) sin(pi y)", "g": "0"})
    coarse = {"kind": "fem", "options": {"element": "Q4", "n": 4}}
    u, grad = reference.reference_solution(problem, tmp_path, **coarse)
    assert isinstance(u, TensorFunction) and len(list(tmp_path.glob("*.npz"))) == 1

    def no_solve(*args, **kwargs):
        raise AssertionError("the cached reference should have been loaded")

    monkeypatch.setattr(reference, "_loaded", {})
    monkeypatch.setattr(reference, "solve", no_solve)
    u2, grad2 = reference.reference_solution(problem, tmp_path, **coarse)
    x = rng.random((50, 2))
    assert np.array_equal(u(x), u2(x)) and np.array_equal(grad(x), grad2(x))
