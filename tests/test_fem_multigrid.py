"""Geometric multigrid on the nested box meshes: the Galerkin coarse operator is the coarse
stiffness, CG needs a mesh-independent number of iterations, the solution is the direct
solve's to the tolerance (p = 2 and Newton for p = 3), P1 keeps rate 2, and the structured
Kuhn mesh is scikit-fem's."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import skfem

from pdesolve.domains import Box
from pdesolve.errors import ConfigError
from pdesolve.fem import multigrid
from pdesolve.fem.assembly import Discretisation
from pdesolve.fem.linear import LinearSolver
from pdesolve.fem.mesh import BoxMesh
from pdesolve.problems import get_problem
from pdesolve.solvers import solve

from .helpers import fitted_slope
from .test_fem import _variable_kappa_problem, errors_over_levels


@pytest.fixture
def many_levels(monkeypatch):
    """Coarsen the small test meshes down to a handful of unknowns."""
    monkeypatch.setattr(multigrid, "COARSE_DIRECT", {1: 8, 2: 8, 3: 8})


def _system(problem, element: str, n: int, kind: str):
    disc = Discretisation.build(problem, element, n, kind)
    A, b = disc.condense(disc.stiffness(), disc.load())
    return disc, A.tocsr(), b


@pytest.mark.parametrize(("dim", "element", "kind"), [
    (1, "P1", "simplex"), (2, "P1", "simplex"), (3, "P1", "simplex"), (2, "Q1", "tensor"),
    (3, "Q1", "tensor")])
def test_galerkin_product_is_the_coarse_stiffness(dim, element, kind):
    """Nested spaces: P^T A_n P = A_{n/2} (interpolation P, Dirichlet nodes dropped)."""
    problem = get_problem("poisson_sine", dim=dim)
    fine, A, _ = _system(problem, element, 8, kind)
    coarse, A_c, _ = _system(problem, element, 4, kind)
    grid = fine.grid.coarse()
    np.testing.assert_array_equal(grid.index, coarse.grid.index)
    P = fine.grid.prolongation(grid)
    assert abs(P.T @ A @ P - A_c).max() <= 1e-13 * abs(A_c).max()


def test_galerkin_product_with_variable_kappa_is_symmetric_positive(many_levels):
    disc, A, _ = _system(_variable_kappa_problem(), "P1", 16, "simplex")
    ml = multigrid.multigrid_solver(A, disc.grid)
    assert len(ml.levels) >= 3
    for level in ml.levels:
        assert abs(level.A - level.A.T).max() <= 1e-13 * abs(level.A).max()
        assert level.A.diagonal().min() > 0


@pytest.mark.parametrize(("dim", "element", "kind", "ns"), [
    (2, "P1", "simplex", (16, 32, 64)), (3, "P1", "simplex", (8, 16, 32)),
    (2, "Q1", "tensor", (16, 32, 64))])
def test_cg_iterations_do_not_grow_with_the_mesh(many_levels, dim, element, kind, ns):
    iterations = []
    for n in ns:
        disc, A, b = _system(get_problem("poisson_sine", dim=dim), element, n, kind)
        x, stats = LinearSolver("gmg", 1e-10, dim, grid=disc.grid)(A, b)
        assert stats["converged"] and stats["amg_levels"] >= 2
        assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
        iterations.append(stats["cg_iterations"])
    assert max(iterations) <= 12
    assert max(iterations) - min(iterations) <= 2


def test_odd_n_hands_the_coarse_levels_to_smoothed_aggregation(many_levels):
    """n = 30: one halving to n = 15 (odd), then smoothed aggregation."""
    disc, A, b = _system(get_problem("poisson_sine", dim=2), "P1", 30, "simplex")
    x, stats = LinearSolver("gmg", 1e-10, 2, grid=disc.grid)(A, b)
    assert stats["converged"] and stats["amg_levels"] >= 3
    np.testing.assert_allclose(x, spla.spsolve(A.tocsc(), b), atol=1e-8 * abs(x).max())


@pytest.mark.parametrize("problem", [get_problem("poisson_sine", dim=2), _variable_kappa_problem(),
                                     get_problem("plaplace_sine", dim=2, p=3)])
def test_solution_equals_the_direct_solve(many_levels, problem):
    direct = solve(problem, "fem", n=32, linear_solver="direct")
    gmg = solve(problem, "fem", n=32, linear_solver="gmg", tol=1e-12)
    assert (direct.info["linear_solver"], gmg.info["linear_solver"]) == ("direct", "gmg")
    x = np.random.default_rng(0).random((400, 2))
    np.testing.assert_allclose(gmg.u(x), direct.u(x), atol=1e-10)


def test_p1_rate_two_with_multigrid(many_levels):
    problem = get_problem("poisson_sine", dim=2)
    h, l2, h1, results = errors_over_levels(problem, (8, 16, 32, 64), linear_solver="gmg")
    assert {r.info["linear_solver"] for r in results} == {"gmg"}
    assert fitted_slope(h, l2) == pytest.approx(2.0, abs=0.1)
    assert fitted_slope(h, h1) == pytest.approx(1.0, abs=0.1)


def test_auto_takes_multigrid_where_the_unknowns_form_a_grid():
    disc = Discretisation.build(get_problem("poisson_sine", dim=2), "P1", 4, "simplex")
    assert LinearSolver("auto", 1e-10, 2, grid=disc.grid).choose(3 * 10**5) == "gmg"
    assert LinearSolver("auto", 1e-10, 2, grid=disc.grid).choose(10**4) == "direct"
    assert LinearSolver("auto", 1e-10, 2).choose(3 * 10**5) == "amg"
    high = Discretisation.build(get_problem("poisson_sine", dim=2), "P2", 4, "simplex")
    assert high.grid is None


@pytest.mark.parametrize(("problem", "options"), [
    (get_problem("poisson_sine", dim=2), {"element": "P2"}),
    (get_problem("poisson_sine", dim=2), {"refine": "adaptive"}),
])
def test_gmg_elsewhere_is_refused(problem, options):
    with pytest.raises(ConfigError, match="linear_solver: 'gmg' needs P1 or Q1"):
        solve(problem, "fem", n=4, linear_solver="gmg", **options)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_kuhn_mesh_has_scikit_fem_simplices_and_known_cells(dim):
    """The structured simplex mesh is scikit-fem's ``init_tensor`` mesh, its elements numbered
    cell d! + slot (slot: the order of the local coordinates, as ``locate`` finds it)."""
    box = Box.cube(dim, -1.0, 2.0)
    ours = BoxMesh.build(box, 3, "simplex")
    theirs = type(ours.mesh).init_tensor(*[np.linspace(-1.0, 2.0, 4)] * dim)

    def simplices(mesh: skfem.Mesh) -> set:
        corners = np.round(np.moveaxis(mesh.p[:, mesh.t], 0, -1), 12)  # (d + 1, nel, d)
        return {tuple(sorted(map(tuple, corners[:, e]))) for e in range(mesh.t.shape[1])}

    assert simplices(ours.mesh) == simplices(theirs)
    centroid = np.moveaxis(ours.mesh.p[:, ours.mesh.t], 0, -1).mean(axis=0)
    element, cell, slot = ours.locate(centroid)
    np.testing.assert_array_equal(element, np.arange(ours.mesh.t.shape[1]))
    np.testing.assert_array_equal(np.stack([cell, slot]), np.stack(ours.element_cells))


@pytest.mark.parametrize("method", ["amg", "gmg"])
def test_a_sequence_reuses_the_hierarchy_and_solves_each_matrix(many_levels, method):
    """Second matrix kappa A: the kept prolongations still give CG its usual iterations."""
    disc, A, b = _system(get_problem("poisson_sine", dim=2), "P1", 32, "simplex")
    linear = LinearSolver(method, 1e-10, 2, grid=disc.grid)
    sequence = linear.sequence()
    first, stats = sequence(A, b)
    kept = [level.P for level in sequence.ml.levels[:-1]]
    second, again = sequence(3.0 * A, b)
    assert all(new.P is old for new, old in zip(sequence.ml.levels[:-1], kept))
    np.testing.assert_allclose(3.0 * second, first, atol=1e-8 * abs(first).max())
    assert again["cg_iterations"] <= stats["cg_iterations"] + 1


def test_newton_with_one_amg_setup_matches_the_direct_newton():
    """p = 3 on a disk (the mesh path): AMG with the hierarchy kept across Newton steps."""
    from pdesolve.problems.tables import problem_from_table

    problem = problem_from_table({"name": "plaplace_sine", "dim": 2, "p": 3,
                                  "domain": {"kind": "disk", "center": [0.5, 0.5], "radius": 0.5}})
    direct = solve(problem, "fem", n=24, linear_solver="direct")
    amg = solve(problem, "fem", n=24, linear_solver="amg", tol=1e-12)
    assert amg.info["linear_solver"] == "amg"
    assert amg.info["newton_iterations"] == direct.info["newton_iterations"]
    x = 0.5 + 0.3 * (np.random.default_rng(1).random((400, 2)) - 0.5)
    np.testing.assert_allclose(amg.u(x), direct.u(x), atol=1e-9)


@pytest.mark.parametrize("domain", [{"kind": "disk", "center": [0.5, 0.5], "radius": 0.5},
                                    {"kind": "ball", "center": [0.5, 0.5, 0.5], "radius": 0.5}])
def test_closed_form_p1_stiffness_equals_scikit_fem(domain):
    from pdesolve.fem.mesh_system import MeshSystem, laplace, p1_stiffness
    from pdesolve.problems.tables import problem_from_table

    dim = len(domain["center"])
    problem = problem_from_table({"name": "poisson_sine", "dim": dim, "domain": domain})
    system = MeshSystem.of(problem, problem.domain.mesh_at(6), "P1")
    A, B = laplace.assemble(system.basis), p1_stiffness(system.basis)
    assert abs(A - B).max() <= 1e-14 * abs(A).max()
    assert abs(system.stiffness() - B).max() == 0.0
