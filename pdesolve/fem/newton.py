"""Newton's method with a backtracking line search for the p-Laplacian (p > 2).

The discrete solution minimises the Ritz energy over u_h = g_h on dOmega,

    J(u) = int psi(x, grad u) - f u dx,   psi = kappa/p |grad u|^p = kappa/p s^(p/2),

with s = |grad u|^2 (the density is ``Problem.energy_density``: the line search
evaluates J with it).
Its first and second variations are the Newton residual and Hessian:

    J'(u) v      = int kappa s^((p-2)/2) grad u . grad v - f v,
    J''(u)(w, v) = int kappa [ s^((p-2)/2) grad w . grad v
                               + (p-2) s^((p-4)/2) (grad u . grad w)(grad u . grad v) ].

Where grad u = 0 the Hessian degenerates (p > 2); s is floored at a tiny multiple
of max s in the Hessian only, which keeps it positive definite and the step a
descent direction for the exact J.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import skfem
from skfem.helpers import dot, grad

from ..problems.base import Problem
from .assembly import Discretisation
from .linear import LinearSolver

logger = logging.getLogger(__name__)

ARMIJO = 1e-4
MAX_HALVINGS = 30
S_FLOOR = 1e-14


@skfem.LinearForm
def _gradient(v, w):
    return w.c1 * dot(grad(w.u), grad(v)) - w.f * v


@skfem.BilinearForm
def _hessian(du, v, w):
    gu = grad(w.u)
    return w.c1 * dot(grad(du), grad(v)) + w.c2 * dot(gu, grad(du)) * dot(gu, grad(v))


@dataclass
class NewtonReport:
    """iterations, final residual ||J'(u)||_2 on the interior DOFs (relative to ||l||_2),
    converged, and the per-iteration history (residual, step length, energy)."""

    iterations: int
    residual: float
    converged: bool
    history: list[dict]
    cg_iterations: int


class PLaplaceEnergy:
    """J, J' and J'' of one discretised p-Laplacian problem (see the module docstring)."""

    def __init__(self, problem: Problem, disc: Discretisation):
        self.problem, self.disc, self.p = problem, disc, problem.p
        self.kappa_q = 1.0 if disc.kappa_q is None else disc.kappa_q
        self.x_q = disc.quadrature_points

    def energy(self, u: np.ndarray) -> float:
        """J(u) = sum over quadrature points of dx * energy_density(grad u, u, x)."""
        field = self.disc.basis.interpolate(u)
        d = field.grad.shape[0]
        density = self.problem.energy_density(field.grad.reshape(d, -1).T,
                                              np.asarray(field).ravel(), self.x_q)
        return float(np.sum(self.disc.basis.dx.ravel() * np.asarray(density)))

    def _coefficients(self, field, hessian: bool) -> dict:
        s = np.sum(field.grad**2, axis=0)
        if hessian:
            s = np.maximum(s, S_FLOOR * max(s.max(), 1.0))
        out = {"c1": self.kappa_q * s ** ((self.p - 2) / 2)}
        if hessian:
            out["c2"] = self.kappa_q * (self.p - 2) * s ** ((self.p - 4) / 2)
        return out

    def gradient(self, u: np.ndarray) -> np.ndarray:
        """J'(u) phi_i for every DOF i, (N,)."""
        field = self.disc.basis.interpolate(u)
        return _gradient.assemble(self.disc.basis, u=field, f=self.disc.f_q,
                                  **self._coefficients(field, hessian=False))

    def hessian(self, u: np.ndarray):
        """J''(u)(phi_j, phi_i), (N, N) sparse, symmetric positive definite."""
        field = self.disc.basis.interpolate(u)
        return _hessian.assemble(self.disc.basis, u=field, **self._coefficients(field, True))


def minimise(energy: PLaplaceEnergy, u0: np.ndarray, linear: LinearSolver, *,
             tol: float, maxiter: int) -> tuple[np.ndarray, NewtonReport]:
    """Newton iteration u <- u + alpha du, J''(u) du = -J'(u) on the interior DOFs.

    alpha is halved from 1 until the Armijo condition
    J(u + alpha du) <= J(u) + 1e-4 alpha J'(u) . du holds (up to rounding in J).
    Stops when ||J'(u)_I|| <= tol ||l_I|| (l the load vector) or after maxiter steps.
    u0 : (N,) start with the boundary values set; returns u (N,) and a NewtonReport.
    """
    I = energy.disc.interior
    scale = np.linalg.norm(energy.disc.load()[I]) or 1.0
    u = u0.copy()
    J = energy.energy(u)
    history, cg_total, rel = [], 0, np.inf
    for it in range(maxiter + 1):
        r = energy.gradient(u)[I]
        rel = np.linalg.norm(r) / scale
        if rel <= tol or it == maxiter:
            break
        H = energy.hessian(u)[I][:, I]
        du, stats = linear(H, -r)
        cg_total += stats["cg_iterations"]
        slope = float(r @ du)
        alpha, trial = 1.0, u.copy()
        for _ in range(MAX_HALVINGS):
            trial[I] = u[I] + alpha * du
            J_trial = energy.energy(trial)
            if J_trial <= J + ARMIJO * alpha * slope + 1e-13 * abs(J):
                break
            alpha /= 2
        u, J = trial, J_trial
        history.append({"step": it + 1, "residual": float(rel), "alpha": alpha, "energy": J})
        logger.debug("Newton %d: residual %.3e, alpha %.3g, J %.12g", it + 1, rel, alpha, J)
    converged = rel <= tol
    if not converged:
        logger.warning("Newton stopped after %d iterations at relative residual %.3e > %g",
                       len(history), rel, tol)
    return u, NewtonReport(len(history), float(rel), converged, history, cg_total)
