"""Trust checks: a Ritz loss below the exact minimum energy, a loss that a finer rule does not
confirm, a network stalled on a jumping coefficient; and nothing flagged on a good run."""

from __future__ import annotations

import numpy as np

from pdesolve import get_problem
from pdesolve.harness.trust import energy, trust_flags
from pdesolve.result import Result

PROBLEM = get_problem("poisson_sine", dim=2)
SMOOTH, JUMP = {"name": "poisson_sine"}, {"kappa": "where(x < 0.5, 1, 4)"}


def _result(scale: float, history: list[dict]) -> Result:
    return Result("deep_ritz", lambda x: scale * PROBLEM.exact(x), 100, 1.0,
                  grad=lambda x: scale * PROBLEM.exact_grad(x), history=history)


def _flags(result: Result, table=SMOOTH, l2_rel: float = 1e-6) -> list[str]:
    return [f["flag"] for f in trust_flags("deep_ritz", {}, PROBLEM, table, result,
                                           {"l2_rel": l2_rel})]


def test_the_exact_energy_is_the_known_minimum():
    # J(u*) = -a(u*, u*) / 2 = -(2 pi^2) (1/4) / 2 for u* = sin(pi x) sin(pi y)
    assert abs(energy(PROBLEM, PROBLEM.exact, PROBLEM.exact_grad) + np.pi**2 / 4) < 1e-4


def test_a_loss_below_the_minimum_energy_is_flagged():
    minimum = -np.pi**2 / 4
    flags = _flags(_result(1.0, [{"loss": minimum - 0.5, "beta": 0.0, "boundary": 0.0}]))
    assert flags == ["below_minimum", "quadrature_exploited"]


def test_a_loss_a_finer_rule_does_not_confirm_is_flagged():
    # u = 0.9 u*: J = 0.99 J(u*); a loss 10 % of |J| above it, still above the minimum
    fine = 0.99 * -np.pi**2 / 4
    history = [{"loss": fine + 0.1 * np.pi**2 / 4 + 5.0, "beta": 10.0, "boundary": 0.5}]
    assert _flags(_result(0.9, history)) == ["quadrature_exploited"]


def test_a_network_stalled_on_a_jumping_coefficient_is_flagged():
    history = [{"step": s, "l2_rel": 0.3} for s in range(6)]
    assert _flags(_result(1.0, history), JUMP, l2_rel=0.3) == ["stalled_at_interface"]
    assert _flags(_result(1.0, history), SMOOTH, l2_rel=0.3) == []


def test_a_good_run_flags_nothing():
    history = [{"loss": -np.pi**2 / 4 + d, "l2_rel": e}
               for d, e in ((1e-2, 1e-1), (1e-4, 1e-3), (1e-8, 1e-6), (1e-12, 1e-7))]
    assert _flags(_result(1.0, history), JUMP, l2_rel=1e-7) == []
