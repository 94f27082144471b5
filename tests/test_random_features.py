"""Random features: the solves against NumPy's, collocation against Ritz on a solution in the
span, Newton's quadratic convergence for p = 3, the partition of unity, the analytic
derivatives against finite differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pdesolve import get_problem
from pdesolve.domains import Box
from pdesolve.problems.base import Problem
from pdesolve.rfm.basis import PartitionFeatures, RandomFeatures, activation
from pdesolve.rfm.lstsq import gram_solve, least_squares
from pdesolve.rfm.systems import StrongForm
from pdesolve.solvers import solve
from pdesolve.solvers.random_features import Options, _training_points, build_basis


def test_least_squares_equals_numpy_lstsq():
    problem = get_problem("poisson_sine", dim=2)
    options = Options(features=12, batch_interior=200, batch_boundary=40)
    J, r = StrongForm(problem, build_basis(problem, options), _training_points(problem, options),
                      1.0, 1e-15).system(np.zeros(12))
    ours, info = least_squares(J, -r, 1e-15)
    theirs = np.linalg.lstsq(J, -r, rcond=None)[0]
    assert info["rank"] == 12
    # both backward stable on a matrix of condition ~1e4: agreement to ~cond * eps
    assert np.linalg.norm(ours - theirs) <= 1e-10 * np.linalg.norm(theirs)


def test_gram_solve_equals_the_normal_equations():
    A = np.random.default_rng(0).normal(size=(40, 6)) * np.logspace(0, 3, 6)
    r = np.arange(6.0)
    assert np.allclose(gram_solve(A, r, 1e-15)[0], np.linalg.solve(A.T @ A, r), rtol=1e-10)


def _dense(m) -> np.ndarray:
    return m.toarray() if hasattr(m, "toarray") else m


@pytest.mark.parametrize("dim", [1, 2])
def test_derivatives_match_finite_differences(dim):
    rng = np.random.default_rng(1)
    box = (-np.ones(dim), 2 * np.ones(dim))
    for basis in (RandomFeatures(*box, 7, activation("tanh", 3), [1, 3], 1.0, rng),
                  PartitionFeatures(*box, 3, 4, activation("sin", 3), [1], 1.0, 0.5, rng)):
        x = rng.uniform(-1, 2, (50, dim))
        at = basis.evaluate(x)
        h = 1e-4
        lap = 0
        for e in np.eye(dim) * h:
            plus, minus = (_dense(basis.evaluate(x + s, lap=False).value) for s in (e, -e))
            assert np.allclose((plus - minus) / (2 * h), _dense(at.grad[int(np.argmax(e))]),
                               atol=1e-6)
            lap = lap + (plus - 2 * _dense(at.value) + minus) / h**2
        # a difference across a smoothstep's end (where S''' jumps) errs by ~ h S'''
        assert np.allclose(lap, _dense(at.lap), atol=2e-3)


def test_partition_of_unity_sums_to_one():
    pou = PartitionFeatures([0, 0], [1, 2], [3, 2], 1, activation("tanh", 3), [1], 1.0, 0.5,
                            np.random.default_rng(0))
    x = np.random.default_rng(2).uniform([0, 0], [1, 2], (500, 2))
    points, _, psi, grad, lap = pou._patch_values(x)
    assert np.allclose(np.bincount(points, psi, minlength=500), 1.0)
    assert np.allclose(np.bincount(points, grad[:, 0], minlength=500), 0.0, atol=1e-12)
    assert np.allclose(np.bincount(points, lap, minlength=500), 0.0, atol=1e-9)


def _in_span_problem(options: Options) -> tuple[Problem, np.ndarray]:
    """-u'' = f on (-1, 1) with u = sum_k c_k phi_k in the span of the solver's features."""
    box = Box((-1.0,), (1.0,))
    base = get_problem("poisson_sine", dim=1)
    basis = build_basis(dataclasses.replace(base, domain=box), options)
    coef = np.random.default_rng(3).normal(size=options.features)

    def exact(x):
        return basis.evaluate(np.asarray(x), lap=False).value @ coef

    def f(x):
        return -(basis.evaluate(np.asarray(x)).lap @ coef)

    return Problem("in_span", box, f, exact, exact=exact), coef


def test_collocation_and_ritz_agree_on_a_solution_in_the_span():
    options = Options(features=8, batch_interior=100)
    problem, _ = _in_span_problem(options)
    x = np.linspace(-1, 1, 301)[:, None]
    exact = problem.exact(x)
    collocation = solve(problem, "random_features", features=8, batch_interior=100)
    ritz = solve(problem, "random_features", features=8, loss="ritz", sampler="gauss",
                 batch_interior=64)
    scale = np.max(np.abs(exact))
    assert np.max(np.abs(collocation.u(x) - exact)) <= 1e-9 * scale
    # Ritz: the penalty (beta = 1e8) with the rounding of the penalised system; measured 4.9e-5
    assert np.max(np.abs(ritz.u(x) - collocation.u(x))) <= 1e-4 * scale


def test_newton_converges_quadratically_for_p3():
    problem = get_problem("plaplace_sine", dim=1, p=3.0)
    result = solve(problem, "random_features", features=10, loss="ritz", sampler="gauss",
                   batch_interior=16, beta=100.0, newton_tol=1e-9)
    residuals = [h["residual"] for h in result.history]
    assert result.status.value == "ok"
    assert all(h["step_length"] == 1.0 for h in result.history[:-1])
    # quadratic: r_{k+1} <= C r_k^2 (measured C <= 3 from r_k = 0.2 on)
    assert max(b / a**2 for a, b in zip(residuals[1:-1], residuals[2:])) < 10


def test_poisson_2d_reaches_round_off():
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "random_features", features=300, batch_interior=1200)
    x = np.random.default_rng(4).uniform(0, 1, (2000, 2))
    error = np.linalg.norm(result.u(x) - problem.exact(x)) / np.linalg.norm(problem.exact(x))
    assert error <= 1e-9
    assert result.dofs == 300 and result.info["rank"] <= 300


def test_block_normal_equations_match_the_dense_solve(monkeypatch):
    from pdesolve.rfm import lstsq

    problem = get_problem("poisson_sine", dim=2, k=2.0)
    options = dict(features=12, patches=2, batch_interior=300, batch_boundary=80, rcond=1e-12)
    x = np.random.default_rng(5).uniform(0, 1, (500, 2))
    dense = solve(problem, "random_features", **options)
    monkeypatch.setattr(lstsq, "DENSE_COLUMNS", 0)
    monkeypatch.setattr(lstsq, "MAX_DENSITY", 1.0)
    sparse = solve(problem, "random_features", **options)
    assert "lu_nonzeros" in sparse.info
    scale = np.max(np.abs(problem.exact(x)))
    # both minimise the same residual: their solutions agree where the error is small
    error = np.max(np.abs(dense.u(x) - problem.exact(x)))
    assert np.max(np.abs(sparse.u(x) - dense.u(x))) <= max(1e-3 * error, 1e-9 * scale)


def test_sparse_least_squares_equals_the_dense_coefficients(monkeypatch):
    import scipy.sparse as sp

    from pdesolve.rfm import lstsq

    rng = np.random.default_rng(2)
    basis = PartitionFeatures([0, 0], [1, 1], 2, 6, activation("tanh", 3), [1.0], 1.0, 0.5, rng)
    x = rng.uniform(0, 1, (600, 2))
    at = basis.evaluate(x, lap=False)
    A = sp.vstack([at.value, *at.grad], format="csr")
    s, c = np.sin(3 * x[:, 0]), np.cos(2 * x[:, 1])
    b = np.concatenate([s * c, 3 * np.cos(3 * x[:, 0]) * c, -2 * s * np.sin(2 * x[:, 1])])
    b = b + 0.01 * rng.standard_normal(len(b))   # a nonzero residual, as collocation's
    dense, info = least_squares(A, b, 1e-15)
    monkeypatch.setattr(lstsq, "DENSE_COLUMNS", 0)
    monkeypatch.setattr(lstsq, "MAX_DENSITY", 1.0)
    sparse, sparse_info = least_squares(A, b, 1e-15, basis.count)
    assert info["rank"] == sparse_info["rank"] == 24 and "lu_nonzeros" in sparse_info
    # the normal equations of B = AM (each patch's columns orthonormalised) err by
    # ~ eps cond(B)^2 in y, times cond(M) in c = M y (measured: 3.9e-16, the bound 1.7e-12)
    M = lstsq._block_preconditioner(sp.csc_matrix(A), basis.count, 1e-15)
    bound = (np.finfo(float).eps * np.linalg.cond((A @ M).toarray()) ** 2
             * np.linalg.cond(M.toarray()))
    assert np.linalg.norm(sparse - dense) <= bound * np.linalg.norm(dense)


@pytest.mark.parametrize("patches", [2, 3, 4])
def test_block_fill_counts_the_patch_pairs_that_meet(patches):
    import scipy.sparse as sp

    from pdesolve.rfm import lstsq

    rng = np.random.default_rng(0)
    basis = PartitionFeatures([0, 0], [1, 1], patches, 5, activation("tanh", 3), [1.0], 1.0,
                              0.5, rng)
    A = basis.evaluate(rng.uniform(0, 1, (4000, 2)), lap=False).value
    # patch i of a row of P meets min(i + 1, P - 1) - max(i - 1, 0) + 1 patches of that row
    per_row = sum(min(i + 1, patches - 1) - max(i - 1, 0) + 1 for i in range(patches))
    assert lstsq._block_fill(sp.csr_matrix(A), 5) == pytest.approx(per_row**2 / patches**4)


def test_p3_newton_on_the_kept_features_reaches_1e_6():
    problem = get_problem("plaplace_sine", dim=2, p=3.0)
    result = solve(problem, "random_features", features=400, loss="ritz", sampler="gauss",
                   batch_interior=16, batch_boundary=16, beta=1e8, newton_tol=1e-6)
    x = np.random.default_rng(4).uniform(0, 1, (4000, 2))
    error = np.linalg.norm(result.u(x) - problem.exact(x)) / np.linalg.norm(problem.exact(x))
    assert result.status.value == "ok"
    assert result.info["newton_features"] == result.info["rank"] < 400
    # measured 1.2e-6 (2.1e-5 when each Newton step's cut-off picked its own columns); the
    # Gauss rule of 16 x 16 cells limits it (32 x 32: 1.3e-7)
    assert error <= 2e-6
