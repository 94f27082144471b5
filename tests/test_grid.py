"""Grid solver: measured convergence orders, multigrid iteration counts, Newton for p > 2."""

import numpy as np
import pytest

from pdesolve import Box, ConfigError, get_problem, solve
from pdesolve.grid import stencil
from pdesolve.grid.multigrid import Multigrid, pcg
from pdesolve.grid.plaplace import PLaplaceEnergy
from pdesolve.grid.tensor import TensorGrid, interpolate
from pdesolve.metrics import measure_errors
from pdesolve.solvers import grid as grid_solver

from .helpers import fitted_slope

RATE = 1.9  # second order, with a margin for the pre-asymptotic range


def _errors(problem, ns, **options):
    results = [solve(problem, "grid", n=n, **options) for n in ns]
    errors = [measure_errors(r.u, problem.exact, domain=problem.domain).l2_rel
              for r in results]
    return [1 / (n + 1) for n in ns], errors, results


@pytest.mark.parametrize(("name", "params", "ns"), [
    ("poisson_sine", {"dim": 1}, [15, 31, 63, 127]),
    ("poisson_sine", {"dim": 2}, [15, 31, 63]),
    ("poisson_sin_sq", {"dim": 2, "mu": 3.0}, [15, 31, 63]),  # u != 0 on the boundary
    ("poisson_sine", {"dim": 5}, [5, 7, 9]),
    ("plaplace_5d", {}, [5, 7, 9]),  # variable kappa at half points
])
def test_second_order_convergence(name, params, ns):
    h, err, _ = _errors(get_problem(name, **params), ns)
    assert fitted_slope(h, err) >= RATE


def test_p3_converges_at_second_order_with_bounded_newton_iterations():
    h, err, results = _errors(get_problem("plaplace_sine", dim=2, p=3), [15, 31, 63])
    assert fitted_slope(h, err) >= RATE
    newton = [r.info["newton_iterations"] for r in results]
    assert max(newton) <= 8 and newton[-1] <= newton[0] + 1


def _iterations(grid, coeffs, multigrid=True):
    mg = Multigrid(grid, coeffs, coarsest=16)
    return pcg(mg.matrix, np.ones(grid.unknowns), mg.operator() if multigrid else None,
               rtol=1e-10)[1]


def test_multigrid_keeps_cg_iterations_flat():
    its, bare = [], []
    for n in (31, 63, 127, 255):
        grid = TensorGrid(Box.cube(2), (n, n))
        coeffs = stencil.kappa_edges(grid, lambda x: 2 + np.sin(3 * np.pi * x[:, 0]))
        its.append(_iterations(grid, coeffs))
        if n <= 63:
            bare.append(_iterations(grid, coeffs, multigrid=False))
    assert max(its) <= 12 and its[-1] <= its[0] + 2
    assert bare[1] > 1.7 * bare[0]  # unpreconditioned: ~ sqrt(cond) ~ n


@pytest.mark.parametrize("length", [1.0, 10.0])
def test_multigrid_semicoarsens_a_stretched_box(length):
    grid = TensorGrid(Box((0.0, 0.0), (1.0, length)), (127, 127))
    coeffs = stencil.kappa_edges(grid, None)
    assert _iterations(grid, coeffs) <= 10


@pytest.mark.slow
def test_multigrid_iterations_flat_in_5d():
    problem = get_problem("plaplace_5d")
    its = [solve(problem, "grid", n=n).info["cg_iterations"][0] for n in (7, 9, 11)]
    assert max(its) <= 12 and its[-1] <= its[0] + 2


def test_stencil_matrix_is_symmetric_and_matches_matrix_free(rng):
    grid = TensorGrid(Box.cube(3), (4, 5, 6))
    coeffs = stencil.kappa_edges(grid, lambda x: 1 + x[:, 0] ** 2 + x[:, 1] * x[:, 2])
    a = stencil.assemble(grid, coeffs)
    assert abs((a - a.T).tocsr()).max() == 0
    padded = np.zeros(grid.shape)
    padded[grid.interior] = rng.standard_normal(grid.n)
    np.testing.assert_allclose(a @ padded[grid.interior].ravel(),
                               stencil.apply(grid, coeffs, padded).ravel(), atol=1e-10)


def test_1d_stencil_by_hand():
    grid = TensorGrid(Box.cube(1), (3,))
    a = stencil.assemble(grid, stencil.kappa_edges(grid, None)).toarray()
    np.testing.assert_array_equal(a, 16 * np.array([[2, -1, 0], [-1, 2, -1], [0, -1, 2]]))


def test_interpolation_reproduces_multilinear_functions(rng):
    grid = TensorGrid(Box((0.0, -1.0, 2.0), (1.0, 1.0, 3.0)), (3, 4, 2))

    def fn(x):
        return 1 + 2 * x[:, 0] - x[:, 1] + 3 * x[:, 2] + x[:, 0] * x[:, 1] * x[:, 2]

    values = grid.sample(fn, [grid.axis(j) for j in range(3)])
    x = np.asarray(grid.domain.lower) + rng.random((50, 3)) * grid.domain.lengths
    np.testing.assert_allclose(interpolate(grid, values, x), fn(x), atol=1e-12)
    grad = np.stack([2 + x[:, 1] * x[:, 2], -1 + x[:, 0] * x[:, 2], 3 + x[:, 0] * x[:, 1]], 1)
    np.testing.assert_allclose(interpolate(grid, values, x, gradient=True), grad, atol=1e-12)


def _energy(rng, p=3.0):
    grid = TensorGrid(Box.cube(2), (5, 4))
    kappa = stencil.kappa_edges(grid, lambda x: 1 + x[:, 0] * x[:, 1], full=True)
    boundary = grid.boundary_values(lambda x: np.sin(3 * x[:, 0]) + x[:, 1])
    return PLaplaceEnergy(grid, p, kappa, rng.standard_normal(grid.n), boundary), grid


def test_energy_gradient_and_hessian_match_finite_differences(rng):
    energy, grid = _energy(rng)
    u, v = rng.standard_normal(grid.unknowns), rng.standard_normal(grid.unknowns)
    g, a = energy.gradient(u)
    eps = 1e-6
    fd = (energy.energy(u + eps * v) - energy.energy(u - eps * v)) / (2 * eps)
    assert fd == pytest.approx(g @ v, rel=1e-7)
    hv = energy.hessian(u, a) @ v
    fd_h = (energy.gradient(u + eps * v)[0] - energy.gradient(u - eps * v)[0]) / (2 * eps)
    np.testing.assert_allclose(hv, fd_h, rtol=1e-6, atol=1e-6 * np.abs(hv).max())


def test_p2_energy_gradient_is_the_stencil(rng):
    energy, grid = _energy(rng, p=2.0)
    u = rng.standard_normal(grid.unknowns)
    coeffs = energy.interior_edges(stencil.kappa_edges(grid, lambda x: 1 + x[:, 0] * x[:, 1],
                                                       full=True))
    a = stencil.assemble(grid, coeffs)
    rhs = stencil.right_hand_side(grid, coeffs, energy.f.reshape(grid.n), energy.boundary)
    np.testing.assert_allclose(energy.gradient(u)[0], a @ u - rhs.ravel(), atol=1e-9)


def test_multigrid_solves_a_variable_coefficient_system():
    grid = TensorGrid(Box.cube(2), (40, 33))
    coeffs = stencil.kappa_edges(grid, lambda x: 2 + np.sin(3 * np.pi * x[:, 0]))
    mg = Multigrid(grid, coeffs, coarsest=16)
    b = np.ones(grid.unknowns)
    x, its, ok = pcg(mg.matrix, b, mg.operator(), rtol=1e-10)
    assert ok and its <= 12 and len(mg.levels) >= 2
    assert np.linalg.norm(mg.matrix @ x - b) <= 1e-9 * np.linalg.norm(b)


def test_result_contract():
    problem = get_problem("poisson_sine", dim=3)
    result = solve(problem, "grid", n=6)
    assert result.solver == "grid" and result.dofs == 6**3 and result.seconds > 0
    x = np.full((2, 3), 0.3)
    assert result.u(x).shape == (2,) and result.grad(x).shape == (2, 3)
    assert grid_solver.supports(problem) is None


def test_bad_options_are_config_errors():
    problem = get_problem("poisson_sine", dim=10)
    with pytest.raises(ConfigError, match="grid nodes"):
        solve(problem, "grid", n=10)
    with pytest.raises(ConfigError, match="n"):
        solve(problem, "grid", n=1)
    with pytest.raises(ConfigError, match="preconditioner"):
        solve(problem, "grid", n=4, preconditioner="ilu")


def test_kappa_on_edges_is_the_mean_of_the_nodal_values():
    """Exact (= kappa at the midpoint) for kappa linear along the edge; one evaluation per node."""
    grid = TensorGrid(Box((0.0, -1.0, 2.0), (1.0, 1.0, 3.0)), (3, 4, 2))
    calls = []

    def kappa(x):
        calls.append(len(x))
        return 1 + x[:, 0] + 2 * x[:, 1] - x[:, 2]

    for full in (False, True):
        calls.clear()
        fields = stencil.kappa_edges(grid, kappa, full=full)
        assert sum(calls) == np.prod(grid.shape)
        for j, field in enumerate(fields):
            axes = stencil.edge_axes(grid, j, full)
            x = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)
            np.testing.assert_allclose(field.ravel(), kappa(x), rtol=0, atol=1e-13)
