"""The FEM p-Laplacian energy (p > 2) and its minimisation by Newton's method with line search.

The discrete solution minimises the Ritz energy over u_h = g_h on dOmega,

    J(u) = int psi(kappa, s) - f u dx,   s = |grad u|^2,

with psi the density of :mod:`pdesolve.problems.operator` (the line search evaluates J through
``Problem.energy_density``). Its first and second variations are the Newton residual and
Hessian, with a = 2 psi_s and b = 4 psi_ss (``operator.flux_weight``, ``curvature_weight``):

    J'(u) v      = int a grad u . grad v - f v,
    J''(u)(w, v) = int a grad w . grad v + b (grad u . grad w)(grad u . grad v).

Where grad u = 0 the Hessian degenerates (p > 2); s is floored at a tiny multiple
of max s in the Hessian only, which keeps it positive definite and the step a
descent direction for the exact J. The iteration is :func:`pdesolve.newton.minimise`.
"""

from __future__ import annotations

import numpy as np
import skfem
from skfem.helpers import dot, grad

from ..newton import NewtonReport, minimise
from ..problems import operator
from ..problems.base import Problem
from .assembly import Discretisation
from .linear import LinearSolver

S_FLOOR = 1e-14


@skfem.LinearForm
def _gradient(v, w):
    return w.c1 * dot(grad(w.u), grad(v)) - w.f * v


@skfem.BilinearForm
def _hessian(du, v, w):
    gu = grad(w.u)
    return w.c1 * dot(grad(du), grad(v)) + w.c2 * dot(gu, grad(du)) * dot(gu, grad(v))


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
        out = {"c1": operator.flux_weight(self.kappa_q, s, self.p)}
        if hessian:
            out["c2"] = operator.curvature_weight(self.kappa_q, s, self.p)
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


class InteriorEnergy:
    """J on the interior DOFs v, the boundary values those of ``u0`` (the
    :class:`pdesolve.newton.Energy` of the FEM system); steps solved by ``linear``."""

    def __init__(self, energy: PLaplaceEnergy, u0: np.ndarray, linear: LinearSolver):
        self.whole, self.u0, self.linear = energy, u0, linear
        self.interior = energy.disc.interior

    def full(self, v: np.ndarray) -> np.ndarray:
        u = self.u0.copy()
        u[self.interior] = v
        return u

    def energy(self, v: np.ndarray) -> float:
        return self.whole.energy(self.full(v))

    def gradient(self, v: np.ndarray) -> np.ndarray:
        return self.whole.gradient(self.full(v))[self.interior]

    def newton_step(self, v: np.ndarray, gradient: np.ndarray,
                    residual: float) -> tuple[np.ndarray, int]:
        I = self.interior
        delta, stats = self.linear(self.whole.hessian(self.full(v))[I][:, I], -gradient)
        return delta, stats["cg_iterations"]


def solve_newton(energy: PLaplaceEnergy, u0: np.ndarray, linear: LinearSolver, *,
                 tol: float, maxiter: int) -> tuple[np.ndarray, NewtonReport]:
    """Minimise J over the interior DOFs from u0 (N,), boundary values set; returns the full
    u (N,) and the report. Stops when ||J'(u)_I|| <= tol ||l_I|| (l the load vector)."""
    I = energy.disc.interior
    interior = InteriorEnergy(energy, u0, linear)
    scale = np.linalg.norm(energy.disc.load()[I]) or 1.0
    v, report = minimise(interior, u0[I], tol=tol, maxiter=maxiter, scale=scale)
    return interior.full(v), report
