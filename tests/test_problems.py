import math

import numpy as np
import pytest
import torch

from pdesolve import ConfigError, get_problem, list_problems
from pdesolve.problems.base import Problem

from .helpers import autograd_operator

CASES = [
    ("poisson_sine", {"dim": 1, "k": 2}),
    ("poisson_sine", {"dim": 3}),
    ("poisson_multifreq_1d", {}),
    ("poisson_sin_sq", {"dim": 2}),
    ("poisson_sin_prod", {"dim": 2}),
    ("plaplace_5d", {"p": 2}),
    ("plaplace_5d", {"p": 3}),
    ("plaplace_sine", {"dim": 2, "p": 3}),
    ("poisson_nd_pinnacle", {"dim": 5}),
    ("bump_nd", {"dim": 4, "width": 0.7}),
]


def interior_points(problem: Problem, rng, n=64):
    lo, hi = np.asarray(problem.domain.lower), np.asarray(problem.domain.upper)
    return lo + (hi - lo) * rng.uniform(0.02, 0.98, size=(n, problem.dim))


@pytest.mark.parametrize("name,params", CASES)
def test_source_matches_operator_applied_to_exact(name, params, rng):
    problem = get_problem(name, **params)
    x = interior_points(problem, rng)
    f = problem.f(x)
    ref = autograd_operator(problem, x)
    assert np.allclose(f, ref, rtol=1e-10, atol=1e-9 * np.abs(ref).max())


@pytest.mark.parametrize("name,params", CASES)
def test_gradient_matches_autograd_and_numpy_matches_torch(name, params, rng):
    problem = get_problem(name, **params)
    x = interior_points(problem, rng)
    xt = torch.tensor(x, requires_grad=True)
    u = problem.exact(xt)
    (grad,) = torch.autograd.grad(u.sum(), xt)
    assert np.allclose(problem.exact_grad(x), grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(problem.exact(x), u.detach().numpy(), rtol=1e-13, atol=1e-14)
    assert np.allclose(problem.f(x), problem.f(torch.tensor(x)).numpy(), rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("name", ["poisson_sine", "poisson_sin_prod", "poisson_multifreq_1d",
                                  "poisson_nd_pinnacle", "plaplace_5d", "bump_nd"])
def test_boundary_data_is_the_exact_trace(name, rng):
    problem = get_problem(name)
    d = problem.dim
    x = interior_points(problem, rng, 32)
    x[:, 0] = problem.domain.upper[0]
    assert np.allclose(problem.g(x), problem.exact(x), atol=1e-12)


def test_multifreq_exact_solution_vanishes_at_ends():
    problem = get_problem("poisson_multifreq_1d")
    assert np.allclose(problem.exact(np.array([[-1.0], [1.0]])), 0.0, atol=1e-14)


def test_plaplace_5d_kappa_matches_paper():
    problem = get_problem("plaplace_5d")
    x = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    c = [math.cos(k * math.pi * t) for k, t in zip((1, 2, 3, 2, 1), x[0])]
    assert problem.kappa(x)[0] == pytest.approx(1 + np.prod(c), rel=1e-14)


def test_registry_lists_builtins():
    names = set(list_problems())
    assert {"poisson_sine", "poisson_multifreq_1d", "poisson_sin_sq", "poisson_sin_prod",
            "plaplace_5d", "poisson_nd_pinnacle"} <= names


@pytest.mark.parametrize("name,params,fragment", [
    ("nope", {}, "available: "),
    ("poisson_sine", {"dimm": 2}, "allowed: dim, k"),
    ("poisson_sine", {"dim": 0}, "problem.dim"),
    ("plaplace_5d", {"p": 1.5}, "problem.p"),
    ("bump_nd", {"width": 0}, "problem.width"),
])
def test_bad_problem_parameters_name_the_field(name, params, fragment):
    with pytest.raises(ConfigError, match=fragment):
        get_problem(name, **params)
