"""Problems written as formulas: parsing, derived f, NumPy/torch evaluation, validation."""

import math
import warnings

import numpy as np
import pytest
import torch

from pdesolve import ConfigError
from pdesolve.problems.formulas import parse_formula
from pdesolve.problems.tables import problem_from_table

from .helpers import autograd_operator

EXP_SIN = {"exact": "exp(x1) sin(3 x2)", "kappa": "1 + x1^2", "box": [0, 1], "dim": 2}
PLAPLACE_3D = {"exact": "sin(pi x) sin(pi y) sin(pi z) + x y z", "kappa": "1 + x^2",
               "p": 3, "box": [[0, 1], [0, 1], [0, 2]]}


def interior(problem, rng, n=64):
    lo, hi = np.asarray(problem.domain.lower), np.asarray(problem.domain.upper)
    return lo + (hi - lo) * rng.uniform(0.05, 0.95, size=(n, problem.dim))


def fd_operator(problem, x, h=1e-3):
    """-div(kappa |grad u|^(p-2) grad u) from u alone, by nested second-order differences."""
    d = x.shape[1]
    eye = np.eye(d) * h

    def grad(y):
        return np.stack([(problem.exact(y + e) - problem.exact(y - e)) / (2 * h) for e in eye], 1)

    def flux(y):
        g = grad(y)
        return problem.kappa(y)[:, None] * np.linalg.norm(g, axis=1)[:, None] ** (problem.p - 2) * g

    return -sum((flux(x + e)[:, i] - flux(x - e)[:, i]) / (2 * h) for i, e in enumerate(eye))


def test_exp_sin_source_is_derived_exactly(rng):
    problem = problem_from_table(EXP_SIN)
    x = interior(problem, rng)
    x1, x2 = x[:, 0], x[:, 1]
    expected = (8 * (1 + x1**2) - 2 * x1) * np.exp(x1) * np.sin(3 * x2)
    assert np.allclose(problem.f(x), expected, rtol=1e-13)
    assert np.allclose(problem.g(x), np.exp(x1) * np.sin(3 * x2), rtol=1e-14)
    assert not problem.constant_kappa and problem.p == 2
    assert problem.params["exact"] == "exp(x1)*sin(3*x2)"
    assert "f = " in problem.description


@pytest.mark.parametrize("table", [EXP_SIN, PLAPLACE_3D], ids=["exp_sin", "plaplace_3d"])
def test_numpy_and_torch_agree_and_autograd_matches(table, rng):
    problem = problem_from_table(table)
    x = interior(problem, rng)
    xt = torch.tensor(x, requires_grad=True)
    u = problem.exact(xt)
    (grad,) = torch.autograd.grad(u.sum(), xt)
    assert np.allclose(problem.exact_grad(x), grad.numpy(), rtol=1e-12, atol=1e-12)
    for fn in (problem.exact, problem.f, problem.g, problem.kappa):
        assert np.allclose(fn(x), fn(torch.tensor(x)).numpy(), rtol=1e-13, atol=1e-12)
    ref = autograd_operator(problem, x)
    assert np.allclose(problem.f(x), ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_plaplace_3d_source_matches_finite_differences(rng):
    problem = problem_from_table(PLAPLACE_3D)
    x = interior(problem, rng)
    ref = fd_operator(problem, x)
    # second-order differences with h = 1e-3: truncation ~ h^2 |u'''|, far below 1e-4
    assert np.abs(problem.f(x) - ref).max() < 1e-4 * np.abs(ref).max()


def test_plaplace_source_is_finite_where_the_gradient_vanishes():
    problem = problem_from_table({"exact": "sin(pi x) sin(pi y)", "p": 3})
    centre = np.array([[0.5, 0.5]])
    assert problem.f(centre)[0] == 0.0
    xt = torch.tensor(centre, requires_grad=True)
    (g,) = torch.autograd.grad(problem.f(xt).sum(), xt)
    assert torch.isfinite(g).all()


def test_follows_dtype_and_constants():
    problem = problem_from_table({"exact": "3", "f": "0", "g": "3", "dim": 2})
    x32 = torch.rand(5, 2, dtype=torch.float32)
    assert problem.exact(x32).dtype == torch.float32 and problem.exact(x32).shape == (5,)
    assert problem.exact_grad(np.zeros((4, 2))).shape == (4, 2)
    mixed = problem_from_table({"f": "Max(x, y) + abs(x - y) + atan2(y, 1) + E^x + 2 pi",
                                "g": "0"})
    x = np.array([[0.25, 0.75]])
    expected = 0.75 + 0.5 + math.atan2(0.75, 1) + math.exp(0.25) + 2 * math.pi
    assert mixed.f(x)[0] == pytest.approx(expected, rel=1e-14)
    assert mixed.f(torch.tensor(x))[0].item() == pytest.approx(expected, rel=1e-14)
    kinked_kappa = problem_from_table({"exact": "x", "kappa": "1 + Max(x, y)"})
    assert kinked_kappa.f(np.array([[0.5, 0.5], [0.25, 0.75]])) == pytest.approx([-0.5, 0.0])


def test_source_and_boundary_data_without_exact_solution(rng):
    problem = problem_from_table({"f": "1", "g": "x y", "box": [[0, 2], [0, 1]]})
    assert problem.exact is None and problem.dim == 2
    x = interior(problem, rng)
    assert np.array_equal(problem.f(x), np.ones(len(x)))
    assert np.allclose(problem.g(x), x[:, 0] * x[:, 1])


def test_dimension_is_taken_from_dim_box_or_coordinates():
    assert problem_from_table({"exact": "x + y z"}).dim == 3
    assert problem_from_table({"exact": "x1 + x5^2"}).dim == 5
    assert problem_from_table({"exact": "x", "dim": 4}).dim == 4
    assert problem_from_table({"exact": "x", "box": [[0, 1], [0, 1]]}).dim == 2


@pytest.mark.parametrize("table,message", [
    ({"exact": "exp(x1) sin(3 q)", "dim": 2},
     "problem.exact: unknown symbol 'q'; use x1..x2 (or x, y)"),
    ({"exact": "exp(x1", "dim": 2}, "problem.exact: cannot read 'exp(x1' as a formula (unbalanced"),
    ({"exact": "x1 +* x2"}, "problem.exact: cannot read 'x1 +* x2' as a formula (invalid syntax"),
    ({"exact": "x1", "kappa": "1 + x3", "dim": 2},
     "problem.kappa: x3 is beyond the problem's dimension 2"),
    ({"exact": "x1", "dim": 2, "box": [[0, 1]] * 3},
     "problem.box: has 3 directions but problem.dim = 2"),
    ({"exact": "1 / (x - 0.5)", "dim": 1},
     "problem.exact: not finite at x = (0.5): division by x1 - 0.5, which is 0 there"),
    ({"exact": "x2/(x1 - 0.3)"}, "problem.exact: not finite at x = (0.3, 0.5): division by"),
    ({"exact": "x", "f": "log(y)"}, "problem.f: not finite at x = (0.5, 0): log(x2) with x2 = 0"),
    ({"exact": "sqrt(x - 0.25)", "dim": 1}, "problem.exact: not real at x = ("),
    ({"exact": "x y", "kappa": "1 / (1 + x - 2 y)"},
     "problem.kappa: not finite at x = ("),
    ({"exact": "x^(3/2)", "dim": 1},
     "problem.exact: its gradient or the derived f is not finite at x = (0)"),
    ({"exact": "x", "kappa": "x - 0.5"}, "problem.kappa: must be positive inside the domain"),
    ({"f": "1", "dim": 2}, "problem.g: needed when no exact solution is given"),
    ({"exact": "x", "p": 1.5}, "problem.p: must be a finite number >= 2"),
    ({"exact": "x", "colour": "red"}, "problem: unknown key 'colour'"),
    ({"exact": "x1.__class__"}, "problem.exact: cannot read"),
    ({"exact": "gamma(x)"}, "problem.exact: unknown function 'gamma'; available: sin, cos"),
    ({"exact": "besselj(0, x1) * x2"}, "problem.exact: unknown function 'besselj'"),
    ({"exact": "x1 + t"}, "problem.exact: unknown symbol 't'"),
    ({"exact": "abs(x - 0.5)"}, "problem.exact: has a kink"),
])
def test_mistakes_get_one_message_naming_the_field(table, message):
    with pytest.raises(ConfigError) as err:
        problem_from_table(table)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_source_that_does_not_match_its_exact_solution_is_an_error():
    table = {"exact": "sin(pi x) sin(pi y)", "f": "2 pi^2 sin(pi x) sin(pi y)"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        problem_from_table(table)  # the right f: accepted
    with pytest.raises(ConfigError, match=r"problem.f: does not match the exact solution: .* "
                       r"\(relative 0\.5, allowed 1e-09\)"):
        problem_from_table({**table, "f": "pi^2 sin(pi x) sin(pi y)"})
    # 2 pi^2 to six digits is not round-off
    with pytest.raises(ConfigError, match=r"relative 4\.\de-07"):
        problem_from_table({**table, "f": "19.7392 sin(pi x) sin(pi y)"})
    with pytest.raises(ConfigError, match=r"problem.g: does not match the exact solution"):
        problem_from_table({**table, "g": "1"})


def test_every_mistake_of_a_table_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        problem_from_table({"exact": "x1 +* x2", "kappa": "q", "p": 1})
    assert [m.split(":")[0] for m in err.value.messages] == [
        "problem.exact", "problem.kappa", "problem.p"]


def test_parse_formula_alone():
    assert str(parse_formula("x^2 + 3 y", field="f", dim=2)) == "x1**2 + 3*x2"
    assert parse_formula(2.5, field="p") == parse_formula("5/2", field="p")


def test_source_only_problem_is_measured_against_a_cached_reference(tmp_path, monkeypatch):
    import pdesolve.harness.reference as reference
    from pdesolve.metrics import measure_errors

    problem = problem_from_table({"f": "2 pi^2 sin(pi x) sin(pi y)", "g": "0"})
    assert reference.reference_settings(problem) == ("fem", {"element": "P2", "n": 128})
    coarse = {"kind": "fem", "options": {"element": "P2", "n": 16}}
    u, grad = reference.reference_solution(problem, tmp_path, **coarse)
    (cached,) = tmp_path.glob("formula-*.npz")

    def exact(x):
        return np.sin(np.pi * x[:, 0]) * np.sin(np.pi * x[:, 1])

    assert measure_errors(u, exact, domain=problem.domain).l2_rel < 5e-4  # P2, h = 1/16

    def no_solve(*args, **kwargs):
        raise AssertionError("the cached reference should have been loaded")

    monkeypatch.setattr(reference, "_loaded", {})
    monkeypatch.setattr(reference, "solve", no_solve)
    u2, grad2 = reference.reference_solution(problem, str(tmp_path), **coarse)
    x = interior(problem, np.random.default_rng(0))
    assert np.array_equal(u(x), u2(x)) and np.array_equal(grad(x), grad2(x))
    other = problem_from_table({"f": "1", "g": "0", "dim": 2})
    assert reference.reference_key(other, **coarse) != cached.stem.split("-")[1]
    five_d = problem_from_table({"f": "1", "g": "0", "dim": 5})
    assert reference.reference_settings(five_d) == ("grid", {"n": 17})


@pytest.mark.parametrize("kind,options,expected", [
    ("fem", {"element": "P1"}, -1.0),  # L2 error ~ h^2 = DOFs^(-1) in 2-D
    ("fem", {"element": "P2"}, -1.5),
    ("grid", {}, -1.0),
])
def test_formula_problem_converges_at_the_optimal_rate(kind, options, expected):
    from pdesolve.metrics import measure_errors
    from pdesolve.solvers import solve

    from .helpers import fitted_slope

    problem = problem_from_table(EXP_SIN)
    dofs, errors = [], []
    for n in (8, 16, 32):
        result = solve(problem, kind, n=n, **options)
        dofs.append(result.dofs)
        errors.append(measure_errors(result.u, problem.exact, domain=problem.domain).l2_rel)
    assert fitted_slope(dofs, errors) == pytest.approx(expected, abs=0.15)


@pytest.mark.parametrize("exact, domain, refused", [
    ("(x^2+y^2)^(1/3)*sin(2/3*atan2(y, x))", {"kind": "lshape"}, None),
    ("(x^2+(y-0.5)^2)^(1/3)", {"kind": "lshape"}, r"gradient or the derived f is not finite "
     r"at x = \(0, 0.5\).*finite on the interior of the polygon"),
    ("log(x^2 + y^2)", {"kind": "difference",
                        "base": {"kind": "box", "bounds": [[-1, 1], [-1, 1]]},
                        "remove": [{"kind": "disk", "center": [0, 0], "radius": 0.3}]}, None),
    ("log(x^2 + (y-0.5)^2)", {"kind": "difference",
                              "base": {"kind": "box", "bounds": [[-1, 1], [-1, 1]]},
                              "remove": [{"kind": "disk", "center": [0, 0], "radius": 0.3}]},
     r"not finite at x = \(0, 0.5\).*finite on the closed difference"),
], ids=["corner-singularity", "inside-the-L", "inside-the-hole", "outside-the-hole"])
def test_singularity_checks_sample_the_domain_not_its_bounding_box(exact, domain, refused):
    """A formula singular only where the domain is not (inside a hole), or with a gradient
    singular only on the boundary (the L-shape's re-entrant corner), is accepted; one singular
    inside the domain is refused, naming the domain."""
    table = {"exact": exact, "dim": 2, "domain": domain}
    if refused is None:
        assert problem_from_table(table).exact is not None
    else:
        with pytest.raises(ConfigError, match=refused):
            problem_from_table(table)
