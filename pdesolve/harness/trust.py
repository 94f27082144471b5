"""Trust checks for trained networks: failures a small error table does not show.

A run of the neural family gets a list of flags ({"flag", "message"}) in its record; the
report lists them apart from the converged results.

- ``below_minimum``: a Ritz run whose final training energy (its loss less the penalty
  beta * boundary) lies below the exact solution's energy J(u*) on the fine rule: the
  training minimised a quadrature error, not the energy (the exact minimum bounds every
  admissible energy from below, up to the penalty's boundary slack).
- ``quadrature_exploited``: a Ritz run whose energy on the fine rule differs from its training
  energy by more than the loss's own resolution allows: the larger of 1e-2 |J|, three times
  the spread of its last recorded losses (resampled points make it noisy) and, with an exact
  solution, the energy gap J(u_h) - J(u*) it is minimising.
- ``stalled_at_interface``: a network on a problem whose coefficient jumps (a ``where(...)``
  in its kappa formula) whose error history did not halve over the second half of training
  and ends above 1e-3: smooth networks cannot form the kink of u across the interface.

The fine rule is 2^14 scrambled Sobol points of the domain (:func:`pdesolve.quadrature.
sobol_points`) with 2^14 uniform points on each flux part.
"""

from __future__ import annotations

import numpy as np

from ..problems.base import Problem
from ..quadrature import sobol_points

FINE_POINTS = 1 << 14
BOUNDARY_POINTS = 1 << 14
SEED = 104729
RELATIVE = 1e-2
STALLED_ERROR = 1e-3


def energy(problem: Problem, u, grad, seed: int = SEED) -> float:
    """J(v) = int psi + c v^2 / 2 - f v + the flux parts' alpha v^2 / 2 - h v on the fine rule,
    for v and grad v NumPy functions of points (n, d)."""
    rule = sobol_points(problem.domain, FINE_POINTS, seed)
    x = rule.points
    total = float(rule.weights @ problem.energy_density(grad(x), u(x), x))
    if problem.fluxes:
        sample = problem.domain.sample_boundary(BOUNDARY_POINTS, np.random.default_rng(seed),
                                                parts=list(problem.fluxes))
        for k in np.unique(sample.part):
            at = sample.part == k
            condition = problem.fluxes[problem.domain.parts[k].name]
            y, normal = sample.points[at], sample.normals[at]
            alpha = np.zeros(len(y)) if condition.alpha is None else condition.alpha(y)
            total += float(sample.weights[at] @ problem.boundary_energy_density(
                u(y), alpha, condition.h(y, normal)))
    return total


def _training_energy(history: list[dict]) -> tuple[float, float] | None:
    """(final loss less beta * boundary, spread of the last ten) or None without losses."""
    entries = [h for h in history if h.get("loss") is not None]
    if not entries:
        return None
    values = [h["loss"] - (h.get("beta") or 0.0) * (h.get("boundary") or 0.0)
              for h in entries[-10:]]
    return values[-1], float(np.std(values)) if len(values) > 1 else 0.0


def _ritz_flags(problem: Problem, result, history: list[dict]) -> list[dict]:
    trained = _training_energy(history)
    if trained is None or result.grad is None:
        return []
    loss, spread = trained
    fine = energy(problem, result.u, result.grad)
    flags, gap = [], 0.0
    if problem.has_exact and problem.exact_grad is not None:
        minimum = energy(problem, problem.exact, problem.exact_grad)
        gap = max(fine - minimum, 0.0)
        if loss < minimum - RELATIVE * abs(minimum):
            flags.append({"flag": "below_minimum",
                          "message": f"training energy {loss:.6g} is below the exact minimum "
                                     f"energy {minimum:.6g}: the loss was minimised on its "
                                     f"quadrature, not on the energy"})
    allowed = max(RELATIVE * abs(fine), 3 * spread, gap)
    if abs(loss - fine) > allowed:
        flags.append({"flag": "quadrature_exploited",
                      "message": f"training energy {loss:.6g} against {fine:.6g} on a finer rule "
                                 f"(a change of {abs(loss - fine):.3g}, {allowed:.3g} allowed)"})
    return flags


def jumping_coefficient(table: dict) -> bool:
    """Whether the problem's kappa formula is piecewise (``where(...)``)."""
    return "where(" in str(table.get("kappa", "")).replace(" ", "")


def _stalled(history: list[dict], final: float | None) -> bool:
    """Final error above STALLED_ERROR and, where the history shows it, not halved over the
    second half of the recorded errors."""
    if final is None or final <= STALLED_ERROR:
        return False
    errors = [h["l2_rel"] for h in history if h.get("l2_rel") is not None]
    if len(errors) < 4:
        return True
    half = len(errors) // 2
    return min(errors[half:]) > 0.5 * errors[half - 1]


def trust_flags(kind: str, options: dict, problem: Problem, table: dict, result,
                metrics: dict | None) -> list[dict]:
    """The flags of one finished neural run (module docstring); ``table`` is the case's
    problem table, ``metrics`` the measured errors."""
    flags = []
    if kind == "deep_ritz" or options.get("loss") == "ritz":
        flags += _ritz_flags(problem, result, result.history)
    final = (metrics or {}).get("l2_rel")
    if jumping_coefficient(table) and _stalled(result.history, final):
        flags.append({"flag": "stalled_at_interface",
                      "message": f"relative L2 error {final:.2g} on a coefficient that jumps: the "
                                 f"error stalled (not converged)"})
    return flags
