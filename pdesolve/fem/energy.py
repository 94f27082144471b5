"""The FEM p-Laplacian energy and its minimisation by Newton's method with line search.

On any :class:`pdesolve.fem.system.FEMSystem` (the box's structured space or a mesh of any
domain) the discrete solution minimises the Ritz energy over u_h = g_h on the Dirichlet parts,

    J(u) = int psi(kappa, s) dx + 1/2 m(u, u) - l(u),   s = |grad u|^2,

with psi the density of :mod:`pdesolve.problems.operator`, m the lower-order form (reaction
c u v and the Robin terms alpha u v) and l the load (f v and the flux data h v): the same
quadrature as the assembled p = 2 system, so J is :meth:`pdesolve.problems.base.Problem.
energy_density` integrated by it. Its first and second variations are the Newton residual
and Hessian, with a = 2 psi_s and b = 4 psi_ss (``operator.flux_weight``, ``curvature_weight``):

    J'(u) v      = int a grad u . grad v + m(u, v) - l(v),
    J''(u)(w, v) = int a grad w . grad v + b (grad u . grad w)(grad u . grad v) + m(w, v).

Where grad u = 0 the Hessian degenerates (p > 2); s is floored at a tiny multiple
of max s in the Hessian only, which keeps it positive definite and the step a
descent direction for the exact J. The iteration is :func:`pdesolve.newton.minimise`.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import skfem
from skfem.helpers import dot, grad

from ..newton import NewtonReport, minimise
from ..problems import operator
from .linear import LinearSolver

S_FLOOR = 1e-14


@skfem.LinearForm
def _flux_form(v, w):
    return w.c1 * dot(grad(w.u), grad(v))


@skfem.BilinearForm
def _hessian(du, v, w):
    gu = grad(w.u)
    return w.c1 * dot(grad(du), grad(v)) + w.c2 * dot(gu, grad(du)) * dot(gu, grad(v))


class PLaplaceEnergy:
    """J, J' and J'' of one discretised p-Laplacian problem (see the module docstring).

    ``system`` is a :class:`pdesolve.fem.system.FEMSystem`, ``p`` the exponent."""

    def __init__(self, p: float, system):
        self.system, self.p = system, p
        self.kappa_q = 1.0 if system.kappa_q is None else system.kappa_q

    @cached_property
    def load(self) -> np.ndarray:
        return self.system.load()

    @cached_property
    def lower_order(self):
        return self.system.lower_order()

    def _linear_part(self, u: np.ndarray) -> np.ndarray:
        """m(u, phi_i) - l(phi_i), (N,)."""
        out = -self.load
        return out if self.lower_order is None else out + self.lower_order @ u

    def energy(self, u: np.ndarray) -> float:
        """J(u): the density at the quadrature points times dx, plus 1/2 m(u, u) - l(u)."""
        basis = self.system.basis
        s = np.sum(basis.interpolate(u).grad ** 2, axis=0)
        cells = float(np.sum(basis.dx * operator.density(self.kappa_q, s, self.p)))
        return cells + self._quadratic(u)

    def _quadratic(self, u: np.ndarray) -> float:
        """1/2 m(u, u) - l(u)."""
        half = 0.0 if self.lower_order is None else 0.5 * float(u @ (self.lower_order @ u))
        return half - float(self.load @ u)

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
        field = self.system.basis.interpolate(u)
        return (_flux_form.assemble(self.system.basis, u=field,
                                    **self._coefficients(field, hessian=False))
                + self._linear_part(u))

    def hessian(self, u: np.ndarray):
        """J''(u)(phi_j, phi_i), (N, N) sparse, symmetric positive definite."""
        field = self.system.basis.interpolate(u)
        H = _hessian.assemble(self.system.basis, u=field, **self._coefficients(field, True))
        return H if self.lower_order is None else H + self.lower_order


class InteriorEnergy:
    """J on the interior DOFs v, the boundary values those of ``u0`` (the
    :class:`pdesolve.newton.Energy` of the FEM system); steps solved by ``linear``, one
    multigrid set-up for all of them (:meth:`LinearSolver.sequence`)."""

    def __init__(self, energy: PLaplaceEnergy, u0: np.ndarray, linear: LinearSolver):
        self.whole, self.u0, self.linear = energy, u0, linear.sequence()
        self.interior = energy.system.interior

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
    I = energy.system.interior
    interior = InteriorEnergy(energy, u0, linear)
    scale = np.linalg.norm(energy.load[I]) or 1.0
    v, report = minimise(interior, u0[I], tol=tol, maxiter=maxiter, scale=scale)
    return interior.full(v), report
