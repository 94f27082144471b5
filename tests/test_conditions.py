"""Reaction terms, Neumann and Robin parts, jumping coefficients: FEM rates, data derived from
the exact solution, networks on a Neumann/Robin problem, the solvers that refuse."""

import numpy as np
import pytest

from .helpers import fitted_slope
from pdesolve.errors import ConfigError
from pdesolve.metrics import measure_errors
from pdesolve.problems.tables import problem_from_table
from pdesolve.solvers import configure, solve
from pdesolve.solvers.registry import solver_module

MIXED = {"x1max": "neumann", "x2min": {"kind": "robin", "alpha": "2"}}
"""A Neumann side, a Robin side, two Dirichlet sides (h derived from the exact solution)."""

JUMP = {"exact": "x*(1-x)*(x-0.5)/where(x < 0.5, 1, 10)*sin(pi*y)",
        "kappa": "where(x < 0.5, 1, 10)", "dim": 2}
"""kappa jumps 1 -> 10 at x = 1/2; kappa du/dx is continuous, so u solves the jump problem."""


def _l2_errors(problem, element, sizes):
    errors = []
    for n in sizes:
        result = solve(problem, "fem", element=element, n=n)
        errors.append(measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                                     domain=problem.domain).l2_rel)
    return errors


@pytest.mark.parametrize("dim, sizes", [(2, (8, 16)), (3, (4, 8))])
@pytest.mark.parametrize("element, rate", [("P1", 2), ("P2", 3)])
def test_reaction_neumann_robin_keep_the_optimal_l2_rate(dim, sizes, element, rate):
    """-Lap u + (1 + x^2) u = f, Neumann on x1max, Robin (alpha = 2) on x2min: L2 ~ h^(k+1)
    (measured 1.99 / 2.99 in 2-D, 1.96 / 2.99 in 3-D)."""
    exact = "sin(2*x)*cos(y) + x*y" + (" + z^2" if dim == 3 else "")
    problem = problem_from_table({"exact": exact, "reaction": "1 + x^2", "dim": dim,
                                  "boundary": MIXED})
    assert problem.dirichlet_parts == tuple(p for p in problem.dirichlet_parts
                                            if p not in MIXED)
    errors = _l2_errors(problem, element, sizes)
    assert -fitted_slope(sizes, errors) == pytest.approx(rate, abs=0.15)


def test_robin_on_a_disk_p2_on_curved_cells():
    """Robin on the whole circle (kappa du/dn + u = h, no Dirichlet part): P2 on quadratic
    cells keeps L2 ~ h^3 (measured 2.92 from n = 4 to 8)."""
    problem = problem_from_table({"exact": "exp(x) * cos(y)", "reaction": "3",
                                  "domain": {"kind": "disk", "center": [0, 0], "radius": 1},
                                  "boundary": {"boundary": {"kind": "robin", "alpha": "1"}}})
    assert problem.dirichlet_parts == ()
    errors = _l2_errors(problem, "P2", (4, 8))
    assert -fitted_slope((4, 8), errors) == pytest.approx(3, abs=0.25)


def test_registered_problems_take_a_boundary_table():
    """poisson_sine with a Neumann side and a Robin side: h = du/dn (+ alpha u) from the
    problem's exact gradient (-pi sin(pi y) on x = 1); P2 keeps L2 ~ h^3 (measured 2.98, the
    errors within 3 % of the all-Dirichlet problem's)."""
    problem = problem_from_table({"name": "poisson_sine", "dim": 2, "boundary": MIXED})
    assert set(problem.fluxes) == {"x1max", "x2min"}
    y = np.linspace(0.1, 0.9, 5)
    x, normal = np.stack([np.ones(5), y], axis=1), np.tile([1.0, 0.0], (5, 1))
    assert np.allclose(problem.fluxes["x1max"].h(x, normal), -np.pi * np.sin(np.pi * y))
    assert -fitted_slope((8, 16), _l2_errors(problem, "P2", (8, 16))) == pytest.approx(3, abs=0.15)
    with pytest.raises(ConfigError, match="boundary: 'pinnacle_poisson2d_ms' sets its own"):
        problem_from_table({"name": "pinnacle_poisson2d_ms", "boundary": {"boundary": "neumann"}})


@pytest.mark.parametrize("sizes, rate", [((8, 16), 3.0), ((9, 17), 1.0)])
def test_jump_coefficient_rate_depends_on_the_mesh_following_the_interface(sizes, rate):
    """P2, kappa 1 | 10 at x = 1/2: the structured mesh with an even n has nodes on the
    interface (cells see one kappa each): L2 ~ h^3 (measured 3.00); odd n cuts cells, u has a
    kink inside them: L2 ~ h (measured 0.94-0.97; H1 ~ h^(1/2))."""
    errors = _l2_errors(problem_from_table(JUMP), "P2", sizes)
    assert -fitted_slope(sizes, errors) == pytest.approx(rate, abs=0.15)


def test_h_is_derived_from_the_exact_solution_and_a_given_h_is_checked():
    problem = problem_from_table({"exact": "x^2 + y", "dim": 2, "boundary": {
        "x1max": "neumann", "x2min": {"kind": "robin", "alpha": "3", "h": "-1 + 3*x^2"}}})
    x, normal = np.array([[1.0, 0.3]]), np.array([[1.0, 0.0]])
    assert problem.fluxes["x1max"].h(x, normal)[0] == pytest.approx(2.0)  # du/dx = 2x at x = 1
    with pytest.raises(ConfigError, match=r"boundary.x2min.h: does not match the exact"):
        problem_from_table({"exact": "x^2 + y", "dim": 2, "boundary": {
            "x2min": {"kind": "robin", "alpha": "3", "h": "1"}}})


@pytest.mark.parametrize("entry, message", [
    ({"x1max": "periodic"}, r"boundary.x1max: expected \"dirichlet\", \"neumann\", \"robin\""),
    ({"x1max": {"kind": "robin", "h": "0"}}, r"boundary.x1max.alpha: needed for a robin part"),
    ({"x1max": {"kind": "neumann", "alpha": "1"}}, r"boundary.x1max.alpha: not a key of a "
                                                   r"neumann part; allowed: kind, h"),
    ({"side": "neumann"}, r"boundary.side: 'side' is not a boundary part .* x1min"),
])
def test_bad_boundary_tables_are_named(entry, message):
    with pytest.raises(ConfigError, match=message):
        problem_from_table({"exact": "x + y", "dim": 2, "boundary": entry})


def test_negative_reaction_is_refused():
    with pytest.raises(ConfigError, match=r"problem.reaction: must be >= 0"):
        problem_from_table({"exact": "x + y", "dim": 2, "reaction": "x - 0.5"})


def test_solvers_that_cannot_honour_the_terms_refuse_in_one_line():
    problem = problem_from_table({"exact": "x + y", "dim": 2, "boundary": MIXED})
    reason = solver_module("grid").supports(problem)
    assert "neumann condition on 'x1max'" in reason and "\n" not in reason
    with pytest.raises(ConfigError, match="system: 'grid' poses u = g"):
        configure(problem, "jacobi", {"n": 7})
    with pytest.raises(ConfigError, match="boundary: 'exact' builds u = g in"):
        configure(problem, "pinn", {"boundary": "exact"})
    pure = problem_from_table({"exact": "x + y", "dim": 2, "boundary": {"boundary": "neumann"}})
    assert "up to a constant" in solver_module("fem").supports(pure)


def test_jacobi_on_a_mixed_problem_iterates_on_the_mesh_system():
    problem = problem_from_table({"exact": "sin(2*x)*cos(y) + x*y", "dim": 2,
                                  "reaction": "1", "boundary": MIXED})
    module, options = configure(problem, "jacobi", {"n": 7, "system": "fem", "sweeps": 3000,
                                                    "record_every": 500, "tol": 1e-9})
    result = module.solve(problem, options)
    fem = solve(problem, "fem", element="P1", n=8)
    x = np.random.default_rng(0).uniform(0.1, 0.9, (30, 2))
    np.testing.assert_allclose(result.u(x), fem.u(x), atol=1e-7)


NEUMANN = {"exact": "sin(pi*x)*sin(pi*y) + x", "dim": 2, "reaction": "1",
           "boundary": {"x1max": "neumann", "x2min": {"kind": "robin", "alpha": "1"}}}
"""A Neumann side, a Robin side and a reaction term for the networks."""


@pytest.mark.parametrize("kind, options, bound", [
    ("pinn", {"widths": [32], "steps": 100, "batch_interior": 900, "batch_boundary": 200},
     1e-2),
    ("deep_ritz", {"widths": [16], "steps": 120, "sampler": "gauss", "batch_interior": 8,
                   "batch_boundary": 8}, 1e-2),
])
@pytest.mark.slow
def test_networks_trained_by_engd_solve_a_neumann_robin_problem(kind, options, bound):
    """ENGD, float64, one thread: the PINN's flux residual and the Ritz boundary energy carry
    the Neumann and Robin data (measured L2: PINN [32] 7.2e-3 at 100 steps, 9.5e-11 at 400;
    Deep Ritz [16] on Gauss rules of 8 x 8 cells and 8 cells per face 1.6e-3 at 120 steps,
    [32] 1.1e-3 at 400)."""
    problem = problem_from_table(NEUMANN)
    result = solve(problem, kind, optimizer="engd", dtype="float64", threads=1, seed=0,
                   **options)
    error = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                           domain=problem.domain).l2_rel
    assert error <= bound


def test_pinnacle_2d_ms_takes_its_blocks_from_pinnacles_tables():
    """Block (i, j) along (x, y): a = poisson_a_coef.dat[i][j]; f = F0 + F1 sin(pi s) sin(pi t)
    with (s, t) the block's local coordinates (PINNacle's Poisson2D_ManyArea); Robin alpha = a."""
    import torch

    from pdesolve.problems import get_problem
    from pdesolve.problems.pinnacle import A, F0, F1

    problem = get_problem("pinnacle_poisson2d_ms")
    x = np.array([[-9.0, -9.0], [-5.0, -9.0], [9.0, -3.0], [-10.0, 10.0]])  # blocks 00, 10, 41, 04
    np.testing.assert_allclose(problem.kappa(x), [A[0][0], A[1][0], A[4][1], A[0][4]])
    bump = np.sin(np.pi * 0.25) * np.sin(np.pi * 0.25)  # (s, t) = (1/4, 1/4) in block (0, 0)
    assert problem.f(x[:1])[0] == pytest.approx(F0[0][0] + F1[0][0] * bump)
    np.testing.assert_allclose(problem.kappa(torch.tensor(x)).numpy(), problem.kappa(x))
    robin = problem.fluxes["x1min"]
    assert robin.kind == "robin" and robin.alpha(x)[2] == A[4][1] and problem.dirichlet_parts == ()
