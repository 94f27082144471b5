"""The equations for the coefficients c of u = sum_k c_k phi_k: collocation and Ritz.

Collocation of the strong form: the weighted least-squares problem

    min  sum_i w_i / |Omega| (-div(kappa grad u) + c u - f)^2(x_i)
         + beta sum_j v_j / |dOmega| (u - g)^2(y_j)
         + beta sum_l s_l / |dOmega| (kappa du/dn + alpha u - h)^2(z_l),

the mean squares of the PINN loss (flux rows for p = 2): for p = 2 linear in c, one
least-squares solve; for p != 2 Gauss-Newton (:class:`StrongForm`).

Ritz: the energy on a quadrature rule (w_i, x_i), the flux parts' boundary energy and the
Dirichlet penalty,

    J(c) = sum_i w_i (psi(kappa, |grad u|^2) + c u^2 / 2 - f u)
           + sum_l s_l (alpha u^2 / 2 - h u) + beta / 2 sum_j v_j (u - g)^2,

with psi the p-Laplacian's density (:mod:`pdesolve.problems.operator`). Its gradient and
Hessian are exact,

    J'(c)  = sum_i w_i (a grad u . grad phi_k + (c u - f) phi_k) + boundary terms,
    J''(c) = sum_i w_i (a grad phi_k . grad phi_l + b (g . grad phi_k)(g . grad phi_l)
             + c phi_k phi_l) + boundary terms,          a, b: operator.flux_weight,
                                                            operator.curvature_weight,

so Newton's method (:func:`pdesolve.newton.minimise`, its Armijo damping) is the
Gauss-Newton / energy natural-gradient iteration for this energy; for p = 2 one step from
c = 0 solves the normal equations J''c = -J'(0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from ..problems import operator
from ..problems.base import Problem
from .lstsq import gram_solve, least_squares


@dataclass(frozen=True)
class Points:
    """Interior points x (n, d) with weights w (n,); Dirichlet points y (m, d), weights v (m,);
    flux points z (l, d) with normals, weights s, alpha and h (each (l,)); |dOmega|."""

    x: np.ndarray
    w: np.ndarray
    y: np.ndarray
    v: np.ndarray
    z: np.ndarray
    normals: np.ndarray
    s: np.ndarray
    alpha: np.ndarray
    h: np.ndarray
    boundary_measure: float


def kappa_and_grad(problem: Problem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """kappa (n,) and grad kappa (n, d) at x (n, d) (autograd through the problem's kappa)."""
    if problem.constant_kappa:
        return np.ones(len(x)), np.zeros_like(x)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    kappa = problem.kappa(xt)
    (grad,) = torch.autograd.grad(kappa.sum(), xt)
    return kappa.detach().numpy(), grad.numpy()


def reaction(problem: Problem, x: np.ndarray) -> np.ndarray:
    """c(x) (n,), 0 without a reaction term."""
    return np.zeros(len(x)) if problem.reaction is None else np.asarray(problem.reaction(x))


def scale_rows(s: np.ndarray, M):
    """diag(s) M for a dense or sparse M."""
    return sp.diags(s) @ M if sp.issparse(M) else s[:, None] * M


def stack(blocks):
    return sp.vstack(blocks, format="csr") if sp.issparse(blocks[0]) else np.vstack(blocks)


def _partials(kappa, sq, lap, flux_dot, gHg, p: float):
    """S = operator.strong_form and its partial derivatives in (sq, lap, flux_dot, gHg), each
    (n,), by autograd (S at a point depends on that point's arguments only)."""
    args = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
            for a in (sq, lap, flux_dot, gHg)]
    S = operator.strong_form(torch.from_numpy(kappa), *args, p)
    partials = torch.autograd.grad(S.sum(), args, allow_unused=True)
    return S.detach().numpy(), [np.zeros(len(sq)) if d is None else d.numpy() for d in partials]


class StrongForm:
    """The weighted collocation residual r(c) of the module docstring and its Jacobian, and
    Gauss-Newton on the merit 1/2 ||r||^2 as the :class:`pdesolve.newton.Energy` protocol
    (the step: the least-squares solution of J delta = -r, cut-off ``rcond``; ``kept``: every
    column, the minimum-norm solution uses them all).

    r_i = sqrt(w_i / |Omega|) (S(kappa, |g|^2, Lap u, grad kappa . g, g^T H g) + c u - f),
    g = grad u, H = Hess u, S = :func:`pdesolve.problems.operator.strong_form`, so that
    dr_i/dc_k = sqrt(w_i / |Omega|) (2 S_s g . grad phi_k + S_lap Lap phi_k
    + S_kappa grad kappa . grad phi_k + S_gHg (g^T Hess phi_k g + 2 (H g) . grad phi_k) + c phi_k).
    For p = 2 the Jacobian is constant and one step from c = 0 is the linear least-squares
    solve; flux rows are those of p = 2 (:func:`pdesolve.solvers.random_features.check`).
    """

    def __init__(self, problem: Problem, basis, points: Points, beta: float, rcond: float):
        self.basis, self.rcond, self.p, self.solved = basis, rcond, problem.p, {}
        self.x = x = points.x
        self.at = basis.evaluate(x)
        self.kappa, self.dkappa = kappa_and_grad(problem, x)
        self.c, self.f = reaction(problem, x), problem.f(x)
        self.sw = np.sqrt(points.w / float(np.sum(points.w)))
        blocks, rhs = [], []
        boundary = np.sqrt(beta / points.boundary_measure)
        if len(points.y):
            weight = boundary * np.sqrt(points.v)
            blocks.append(scale_rows(weight, basis.evaluate(points.y, lap=False).value))
            rhs.append(weight * problem.g(points.y))
        if len(points.z):
            on = basis.evaluate(points.z, lap=False)
            kappa_z = kappa_and_grad(problem, points.z)[0]
            normal = sum(scale_rows(points.normals[:, i], g) for i, g in enumerate(on.grad))
            weight = boundary * np.sqrt(points.s)
            blocks.append(scale_rows(weight, scale_rows(kappa_z, normal)
                                     + scale_rows(points.alpha, on.value)))
            rhs.append(weight * points.h)
        self.boundary_rows = blocks
        self.boundary_rhs = np.concatenate(rhs) if rhs else np.zeros(0)
        self.start, self.kept = np.zeros(basis.size), np.arange(basis.size)

    def system(self, coef: np.ndarray, jacobian: bool = True):
        """(J, r): the Jacobian (rows, K; None unless ``jacobian``) and the residual (rows,) at
        the coefficients."""
        at = self.at
        grad = np.stack([g @ coef for g in at.grad], axis=1)
        u, lap = at.value @ coef, at.lap @ coef
        if self.p == 2:
            along, gHg, Hg = None, np.zeros(len(u)), None
        else:
            along = self.basis.hessian_along(self.x, grad)
            Hg = np.stack([m @ coef for m in along], axis=1)
            gHg = np.sum(grad * Hg, axis=1)
        S, (d_sq, d_lap, d_fd, d_gHg) = _partials(self.kappa, np.sum(grad * grad, axis=1), lap,
                                                  np.sum(self.dkappa * grad, axis=1), gHg, self.p)
        interior = self.sw * (S + self.c * u - self.f)
        boundary = (stack(self.boundary_rows) @ coef - self.boundary_rhs
                    if self.boundary_rows else np.zeros(0))
        if not jacobian:
            return None, np.concatenate([interior, boundary])
        weights = [2 * d_sq * grad[:, i] + d_fd * self.dkappa[:, i] for i in range(len(at.grad))]
        if along is not None:
            weights = [w + 2 * d_gHg * Hg[:, i] for i, w in enumerate(weights)]
        J = scale_rows(d_lap, at.lap) + scale_rows(self.c, at.value)
        for w, g in zip(weights, at.grad):
            J = J + scale_rows(w, g)
        if along is not None:
            J = J + sum(scale_rows(d_gHg * grad[:, i], m) for i, m in enumerate(along))
        rows = stack([scale_rows(self.sw, J), *self.boundary_rows])
        return rows, np.concatenate([interior, boundary])

    def energy(self, coef: np.ndarray) -> float:
        return float(np.sum(self.system(coef, jacobian=False)[1] ** 2) / 2)

    def gradient(self, coef: np.ndarray) -> np.ndarray:
        J, r = self.system(coef)
        return np.asarray(J.T @ r)

    def newton_step(self, coef: np.ndarray, gradient: np.ndarray,
                    residual: float) -> tuple[np.ndarray, int]:
        J, r = self.system(coef)
        delta, self.solved = least_squares(J, -r, self.rcond, self.basis.count)
        self.solved["rows"] = J.shape[0]
        return delta, 0


class RitzEnergy:
    """J, J' and J'' of the module docstring on the coefficients; the Newton step of
    :func:`pdesolve.newton.minimise` by the pivoted QR of the Hessian's square root
    (:func:`.lstsq.gram_solve`, cut-off ``rcond``; ``kept``: the columns its last step kept)."""

    def __init__(self, problem: Problem, basis, points: Points, beta: float, rcond: float):
        self.p, self.beta, self.rcond, self.points = problem.p, beta, rcond, points
        self.start, self.solved, self.kept = np.zeros(basis.size), {}, np.arange(basis.size)
        self.at = basis.evaluate(points.x, lap=False)
        self.kappa = kappa_and_grad(problem, points.x)[0]
        self.f, self.c = problem.f(points.x), reaction(problem, points.x)
        self.dirichlet = basis.evaluate(points.y, lap=False).value if len(points.y) else None
        self.g = problem.g(points.y) if len(points.y) else None
        self.flux = basis.evaluate(points.z, lap=False).value if len(points.z) else None

    def _fields(self, coef: np.ndarray):
        """u (n,), grad u (n, d), |grad u|^2 (n,) at the interior points."""
        grad = np.stack([g @ coef for g in self.at.grad], axis=1)
        return self.at.value @ coef, grad, np.sum(grad * grad, axis=1)

    def energy(self, coef: np.ndarray) -> float:
        u, _, sq = self._fields(coef)
        pts = self.points
        total = pts.w @ (operator.density(self.kappa, sq, self.p) + self.c * u * u / 2 - self.f * u)
        if self.flux is not None:
            total += pts.s @ Problem.boundary_energy_density(self.flux @ coef, pts.alpha, pts.h)
        if self.dirichlet is not None:
            total += self.beta / 2 * pts.v @ (self.dirichlet @ coef - self.g) ** 2
        return float(total)

    def gradient(self, coef: np.ndarray) -> np.ndarray:
        u, grad, sq = self._fields(coef)
        pts = self.points
        a = pts.w * operator.flux_weight(self.kappa, sq, self.p)
        out = sum(g.T @ (a * grad[:, i]) for i, g in enumerate(self.at.grad))
        out = out + self.at.value.T @ (pts.w * (self.c * u - self.f))
        if self.flux is not None:
            out = out + self.flux.T @ (pts.s * (pts.alpha * (self.flux @ coef) - pts.h))
        if self.dirichlet is not None:
            out = out + self.beta * self.dirichlet.T @ (pts.v * (self.dirichlet @ coef - self.g))
        return np.asarray(out)

    def hessian_root(self, coef: np.ndarray):
        """A with J''(c) = A^T A: the rows sqrt(w a) d phi / dx_i (i = 1..d),
        sqrt(w b) g . grad phi, sqrt(w c) phi and the boundary terms' (b >= 0 for p >= 2)."""
        _, grad, sq = self._fields(coef)
        pts = self.points
        a = pts.w * operator.flux_weight(self.kappa, sq, self.p)
        blocks = [scale_rows(np.sqrt(a), g) for g in self.at.grad]
        if self.p != 2:
            positive = sq > 0
            b = np.zeros_like(sq)
            b[positive] = operator.curvature_weight(self.kappa[positive], sq[positive], self.p)
            along = sum(scale_rows(grad[:, i], g) for i, g in enumerate(self.at.grad))
            blocks.append(scale_rows(np.sqrt(pts.w * b), along))
        if np.any(self.c):
            blocks.append(scale_rows(np.sqrt(pts.w * self.c), self.at.value))
        if self.flux is not None:
            blocks.append(scale_rows(np.sqrt(pts.s * pts.alpha), self.flux))
        if self.dirichlet is not None:
            blocks.append(scale_rows(np.sqrt(self.beta * pts.v), self.dirichlet))
        return stack(blocks)

    def newton_step(self, coef: np.ndarray, gradient: np.ndarray,
                    residual: float) -> tuple[np.ndarray, int]:
        delta, self.solved, self.kept = gram_solve(self.hessian_root(coef), -gradient,
                                                   self.rcond)
        return delta, 0
