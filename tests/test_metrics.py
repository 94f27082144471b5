"""Error measurement: reported errors against exact integrals, and honest uncertainties."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import skfem

from pdesolve.fem.tensor_function import TensorFunction
from pdesolve.metrics import FLAG, ErrorMeasurement, integrate, measure_errors
from pdesolve.problems import get_problem
from pdesolve.quadrature import SobolRule, TensorRule, box_rules
from pdesolve.solvers import solve


def exact_l2_h1(fn, problem):
    """Relative L2 and H1-seminorm errors of a FEM function by scikit-fem's own basis with
    its highest rule (degree 19 on triangles, 9 on tetrahedra, 40 on intervals): exact to
    rounding for these smooth integrands, and independent of pdesolve's tables."""
    mesh, elem = fn.cells.boxmesh.mesh, fn.elem
    basis = skfem.CellBasis(mesh, elem, intorder={1: 40, 2: 19, 3: 9}[problem.dim])
    uh = basis.interpolate(fn.coefficients)

    def exact(x):
        return problem.exact(x.reshape(len(x), -1).T).reshape(x.shape[1:])

    def exact_grad(x):
        g = problem.exact_grad(x.reshape(len(x), -1).T)
        return g.T.reshape(x.shape)

    @skfem.Functional
    def parts(w):
        e = w.uh - exact(w.x)
        de = w.uh.grad - exact_grad(w.x)
        return np.stack([e**2, exact(w.x) ** 2, np.sum(de**2, axis=0),
                         np.sum(exact_grad(w.x) ** 2, axis=0)])

    totals = [skfem.Functional(lambda w, i=i: parts.form(w)[i]).assemble(basis, uh=uh)
              for i in range(4)]
    return np.sqrt(totals[0] / totals[1]), np.sqrt(totals[2] / totals[3])


def on_gauss_rule(domain, cells, order, u_h, u_ref, grad_h=None, grad_ref=None):
    """Relative L2 and H1-seminorm errors (NaN without gradients) on one composite Gauss rule:
    cells^d cells of order^d points, no accuracy estimate."""
    totals = integrate(TensorRule(domain, cells, order), u_h, u_ref, grad_h, grad_ref).totals
    return np.sqrt(totals[0] / totals[1]), np.sqrt(totals[2] / totals[3])


CASES = [(1, "P2", 6), (1, "Q5", 3), (2, "P1", 8), (2, "P2", 4), (2, "P4", 2), (2, "Q3", 3),
         (3, "P1", 3), (3, "P2", 2)]


@pytest.mark.parametrize(("dim", "element", "n"), CASES)
def test_fem_errors_match_exact_integrals(dim, element, n):
    problem = get_problem("poisson_sine", dim=dim)
    result = solve(problem, "fem", element=element, n=n)
    measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                              default=box_rules(problem.domain))
    if isinstance(result.u, TensorFunction):  # Qk on the box: a Gauss rule on its cells
        l2, h1 = on_gauss_rule(problem.domain, n, 20, result.u, problem.exact, result.grad,
                               problem.exact_grad)
    else:
        l2, h1 = exact_l2_h1(result.u, problem)
    assert measured.owner == "solution" and measured.rule["kind"] == "cells"
    for name, exact in (("l2_rel", l2), ("h1_rel", h1)):
        deviation = abs(getattr(measured, name) / exact - 1)
        # the reported uncertainty is below 1 % and covers the actual deviation
        assert deviation <= measured.uncertainty[name] < FLAG


def test_sampled_cells_are_unbiased_within_their_standard_error():
    """On a mesh with more cells than the budget the rule samples 2 cells per tile."""
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "fem", element="P1", n=64)
    exact_l2, _ = exact_l2_h1(result.u, problem)
    rule = dataclasses.replace(result.u.error_rules(0), max_cells=512)
    assert rule.strata == 256 and rule.replicates == 2
    estimate = integrate(rule, result.u, problem.exact, result.grad, problem.exact_grad,
                         owner="solution")
    l2 = np.sqrt(estimate.totals[0] / estimate.totals[1])
    assert abs(l2 / exact_l2 - 1) < 1e-2
    assert np.all(np.diag(estimate.cov) > 0)


def test_smooth_functions_are_measured_on_refined_box_rules():
    """u_h = u + 0.01 prod sin(3 pi x_i) on the unit square: l2_rel = 0.01 exactly."""
    problem = get_problem("poisson_sine", dim=2)

    def u_h(x):
        return problem.exact(x) + 0.01 * np.prod(np.sin(3 * np.pi * x), axis=1)

    measured = measure_errors(u_h, problem.exact, default=box_rules(problem.domain, cells=2))
    assert measured.owner == "domain" and measured.levels >= 2
    assert measured.l2_rel == pytest.approx(0.01, rel=1e-9)
    assert measured.h1_rel is None and measured.uncertainty["h1_rel"] is None
    assert measured.uncertainty["l2_rel"] < 2.5e-3


def test_randomised_sobol_in_five_dimensions_gives_a_standard_error():
    problem = get_problem("poisson_sine", dim=5)

    def u_h(x):
        return problem.exact(x) * (1 + 0.05 * np.cos(np.pi * x[:, 0]))

    # int (0.05 cos(pi x1))^2 sin^2(pi x1) dx1 / int sin^2 = 0.05^2 / 4 : l2_rel = 0.025
    measured = measure_errors(u_h, problem.exact, default=box_rules(problem.domain,
                                                                     n_sobol=2**12))
    l2, uncertainty = measured.l2_rel, measured.uncertainty["l2_rel"]
    assert measured.rule["kind"] == "sobol" and measured.rule["replicates"] == 8
    assert abs(l2 / 0.025 - 1) <= uncertainty < 2.5e-3
    estimate = integrate(SobolRule(problem.domain, 2**10, seed=1), u_h, problem.exact,
                         None, None)
    assert estimate.cov[0, 0] > 0 and np.isnan(estimate.totals[2])


def test_a_finer_reference_mesh_provides_the_rule():
    """Against a finer FEM reference (16 x 16 cells), an 8 x 8 grid uses the reference's cells."""
    problem = get_problem("poisson_sine", dim=2)
    reference = solve(problem, "fem", element="P2", n=16)
    coarse = solve(problem, "grid", n=7)
    measured = measure_errors(coarse.u, reference.u, coarse.grad, reference.grad,
                              default=box_rules(problem.domain))
    assert measured.owner == "reference" and measured.rule["cells"] == 256
    fixed, _ = on_gauss_rule(problem.domain, 64, 8, coarse.u, reference.u)
    assert measured.l2_rel == pytest.approx(fixed, rel=1e-2)


def test_grid_interpolant_is_measured_on_its_cells():
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "grid", n=15)
    measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                              default=box_rules(problem.domain))
    assert measured.check_rule["rule"] == "gauss 3^2 per cell"
    assert measured.rule["cells"] == 256
    # degree 19 per grid cell (the Gauss cells coincide with the grid's): exact to rounding
    exact = on_gauss_rule(problem.domain, 16, 10, result.u, problem.exact, result.grad,
                          problem.exact_grad)
    for name, value in zip(("l2_rel", "h1_rel"), exact):
        deviation = abs(getattr(measured, name) / value - 1)
        assert deviation <= measured.uncertainty[name] < FLAG


def test_a_measurement_gives_the_stored_record():
    """The record keeps the on-disk layout the reports and summaries read."""
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "fem", element="P1", n=4)
    measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad)
    record = measured.record()
    assert list(record) == ["metrics", "measurement"]
    assert list(record["metrics"]) == ["l2_rel", "h1_rel", "max_err", "l2re"]
    assert record["metrics"]["l2_rel"] == measured.l2_rel
    assert list(record["measurement"]) == ["uncertainty", "rule", "check_rule", "owner",
                                           "levels", "points"]
    assert record["measurement"]["rule"] == measured.rule
    with pytest.raises(dataclasses.FrozenInstanceError):
        measured.l2_rel = 0.0


def test_a_non_finite_error_is_refused():
    problem = get_problem("poisson_sine", dim=2)
    with pytest.raises(FloatingPointError, match="non-finite"):
        measure_errors(lambda x: np.full(len(x), np.nan), problem.exact,
                       domain=problem.domain)
    assert isinstance(measure_errors(problem.exact, problem.exact, domain=problem.domain),
                      ErrorMeasurement)


def test_an_error_at_round_off_needs_no_finer_rule():
    """A 1e-14 error with 50 % relative uncertainty is measured well enough (round-off: its
    absolute uncertainty is below ROUNDOFF); a 1e-6 one is not, until its relative uncertainty
    falls below TARGET. (A random-feature fit at 1.3e-14 took 4 rules, 3.4 million points and
    609 s before this rule, 2 rules after.)"""
    from pdesolve.metrics import TARGET, measured_enough

    assert measured_enough({"l2_rel": 1e-14, "h1_rel": 7e-14}, {"l2_rel": 0.5, "h1_rel": 0.3})
    assert not measured_enough({"l2_rel": 1e-6, "h1_rel": 1e-5}, {"l2_rel": 0.5, "h1_rel": 1e-3})
    assert measured_enough({"l2_rel": 1e-6, "h1_rel": None},
                           {"l2_rel": TARGET / 2, "h1_rel": None})


def test_a_time_budget_stops_the_refinement_with_the_uncertainty_reached():
    # a rough error (|x|-type kinks) needs more than two Sobol levels for 0.25 %; with a
    # budget of zero seconds only the two levels an uncertainty needs are evaluated
    problem = get_problem("poisson_sine", dim=5)

    def u_h(x):
        return problem.exact(x) + 1e-3 * np.abs(np.sin(40 * x.sum(axis=1)))

    rules = box_rules(problem.domain, n_sobol=2**9)
    free = measure_errors(u_h, problem.exact, default=rules)
    stopped = measure_errors(u_h, problem.exact, default=rules, budget=0.0)
    assert free.levels > 2 and stopped.levels == 2
    assert stopped.uncertainty["l2_rel"] > free.uncertainty["l2_rel"]
    assert abs(stopped.l2_rel / free.l2_rel - 1) <= stopped.uncertainty["l2_rel"]
