"""Newton's method with a backtracking (Armijo) line search for a convex discrete energy.

Serves the FEM and grid discretisations of the p-Laplacian alike: each gives the energy J,
its gradient and a Newton step on the unknowns (see :class:`Energy`), the loop here does the
rest. From v_0 it repeats

    solve J''(v) delta = -J'(v),   v <- v + alpha delta,

with alpha the first of 1, 1/2, ..., 2^-30 for which
J(v + alpha delta) <= J(v) + 1e-4 alpha J'(v) . delta + 1e-13 |J(v)| (the last term allows
for rounding in J near the minimum), and stops when ||J'(v)|| <= tol * scale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

ARMIJO = 1e-4
MAX_HALVINGS = 30
ROUNDING = 1e-13


class Energy(Protocol):
    """A discrete energy on the unknowns v (N,)."""

    def energy(self, v: np.ndarray) -> float:
        """J(v)."""

    def gradient(self, v: np.ndarray) -> np.ndarray:
        """J'(v), (N,)."""

    def newton_step(self, v: np.ndarray, gradient: np.ndarray,
                    residual: float) -> tuple[np.ndarray, int]:
        """(delta, CG iterations) with J''(v) delta = -gradient, solved to a tolerance that may
        depend on the current relative ``residual``."""


@dataclass
class NewtonReport:
    """iterations (steps taken), final relative residual ||J'(v)|| / scale, converged, the
    per-iteration history (step, residual, energy; step_length and cg_iterations of the
    step taken from there) and the CG iterations of all steps."""

    iterations: int
    residual: float
    converged: bool
    history: list[dict]
    cg_iterations: int


def line_search(energy: Energy, v: np.ndarray, delta: np.ndarray, J: float,
                slope: float) -> tuple[float, float]:
    """(alpha, J(v + alpha delta)) by halving alpha from 1 (see the module docstring)."""
    alpha = 1.0
    for _ in range(MAX_HALVINGS):
        trial = energy.energy(v + alpha * delta)
        if trial <= J + ARMIJO * alpha * slope + ROUNDING * abs(J):
            return alpha, trial
        alpha /= 2
    return alpha, energy.energy(v + alpha * delta)


def minimise(energy: Energy, v0: np.ndarray, *, tol: float, maxiter: int,
             scale: float | None = None) -> tuple[np.ndarray, NewtonReport]:
    """Minimise J from v0 (N,) by Newton's method with line search; returns (v, NewtonReport).

    ``scale`` is the reference of the stopping test ||J'(v)|| <= tol * scale (default
    ||J'(v0)||); at most ``maxiter`` steps.
    """
    v = v0.copy()
    g = energy.gradient(v)
    if scale is None:
        scale = float(np.linalg.norm(g))
    scale = max(scale, np.finfo(float).tiny)
    J = energy.energy(v)
    history: list[dict] = []
    cg_total = 0
    for step in range(maxiter + 1):
        rel = float(np.linalg.norm(g)) / scale
        entry = {"step": step, "residual": rel, "energy": J}
        history.append(entry)
        if rel <= tol or step == maxiter:
            break
        delta, its = energy.newton_step(v, g, rel)
        alpha, J = line_search(energy, v, delta, J, float(g @ delta))
        v = v + alpha * delta
        cg_total += its
        entry.update(step_length=alpha, cg_iterations=its)
        log.debug("Newton %d: residual %.3e, %d CG iterations, alpha %.3g", step, rel, its, alpha)
        g = energy.gradient(v)
    converged = rel <= tol
    if not converged:
        log.warning("Newton stopped after %d steps at relative residual %.3e > %g",
                    len(history) - 1, rel, tol)
    return v, NewtonReport(len(history) - 1, rel, converged, history, cg_total)
