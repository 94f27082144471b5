"""Sample-space natural gradient for large networks: Woodbury steps, Nyström sketches and SPRING's
momentum (Goldshlager, Abrahamsen, Lin, arXiv 2401.10190; for residual and Ritz losses,
Guzmán-Cordero, Dangel, Goldshlager, Zeinhofer, arXiv 2505.12149).

The loss's Gauss-Newton model on a batch (:meth:`pdesolve.nn.losses.Loss.linear_model`) is a
gradient g (P,) and rows B (m, P) with Gram G = B^T B (residual loss: B = J, g = J^T rho). SPRING's
step is the damped natural gradient pulled towards the previous one,

    phi_k = argmin_phi  -g . phi + |B phi|^2 / 2 + lambda / 2 |phi - mu phi_(k-1)|^2
          = (G + lambda I)^(-1) (g + lambda mu phi_(k-1)),
    theta <- theta - alpha phi_k,

computed in sample space by the Woodbury identity, v = g + lambda mu phi_(k-1):

    (B^T B + lambda I)^(-1) v = (v - B^T (K + lambda I)^(-1) B v) / lambda,   K = B B^T (m, m),

so memory is O(m P + m^2) and work O(m^2 P), against ENGD's SVD of B (O(m P min(m, P))).
With ``sketch`` = l > 0 the kernel is replaced by its randomised Nyström approximation
K ~ U diag(Lambda) U^T from Y = K Omega = B (B^T Omega), Omega (m, l) Gaussian (Tropp et al.'s
stable form: shift nu = eps ||Y||, C = chol(Omega^T Y_nu), SVD of Y_nu C^-T), and
(K + lambda I)^(-1) z = U (Lambda + lambda)^(-1) U^T z + (z - U U^T z) / lambda: work
O(m P l + m l^2), memory O(m P + m l). With Omega the identity (l = m) it is the exact step.

The damping is lambda = (tau)^2 Lambda_max (Lambda_max the largest eigenvalue of the kernel,
or of its sketch), tau adapted as ENGD's cut-off on fixed points (the Tikhonov analogue of
truncating at s_k > tau s_1) and kept fixed on redrawn mini-batches; step lengths alpha by
ENGD's grid line search (:class:`pdesolve.nn.engd.ENGDStepper`), and the momentum carries the step
taken, alpha phi_k. Measured on 2-D poisson_sine (residual loss, 48-48 network, 256 + 64
points redrawn, 40 steps, tau = 1e-3): relative L2 3.9e-4 with mu = 0.9, 1.6e-3 without
momentum, 5.9e-2 with tau adapted on each batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from .engd import ENGDStepper

if TYPE_CHECKING:
    from .training import Objective


def nystrom(B: torch.Tensor, omega: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(U (m, l), Lambda (l,)) with K = B B^T ~ U diag(Lambda) U^T from the sketch omega (m, l)."""
    Y = B @ (B.mT @ omega)
    nu = torch.finfo(B.dtype).eps * torch.linalg.matrix_norm(Y)
    Y = Y + nu * omega
    C = torch.linalg.cholesky(omega.mT @ Y)
    F = torch.linalg.solve_triangular(C, Y.mT, upper=False).mT          # Y C^-T
    U, sigma, _ = torch.linalg.svd(F, full_matrices=False)
    return U, torch.clamp(sigma * sigma - nu, min=0)


def woodbury_step(B: torch.Tensor, g: torch.Tensor, tau: float, omega: torch.Tensor | None = None,
                  previous: torch.Tensor | None = None, momentum: float = 0.0) -> torch.Tensor:
    """phi = (B^T B + lambda I)^(-1) (g + lambda mu phi_prev), lambda = tau^2 Lambda_max, by the
    Woodbury identity on the kernel K = B B^T, exact (omega None) or Nyström-sketched by omega
    (m, l); without ``previous`` the damped natural gradient."""
    tiny = torch.finfo(B.dtype).tiny
    if omega is None:
        K = B @ B.mT
        values, U = torch.linalg.eigh(K)
    else:
        U, values = nystrom(B, omega)
    lam = tau * tau * values.max().clamp_min(tiny)
    v = g if previous is None else g + lam * momentum * previous
    Bv = B @ v
    coeff = U.mT @ Bv
    z = U @ (coeff / (values.clamp_min(0) + lam))
    if omega is not None:
        z = z + (Bv - U @ coeff) / lam
    return (v - B.mT @ z) / lam


class SPRINGStepper(ENGDStepper):
    """SPRING natural gradient (module docstring): ENGD's line search and cut-off rule on the
    damped, momentum-corrected Woodbury step; the stepper of
    :class:`pdesolve.nn.options.SPRING`.

    Parameters
    ----------
    params : the trainable parameters.
    cutoff, adapt : ENGD's tau (lambda = tau^2 Lambda_max) and its adaptation.
    momentum : mu in [0, 1).
    sketch : Nyström sketch size l (0: the exact m x m kernel).
    seed : seed of the sketches (a fresh Gaussian sketch per step).
    """

    def __init__(self, params: list[torch.Tensor], *, cutoff: float = 1e-4, adapt: bool = True,
                 momentum: float = 0.9, sketch: int = 0, seed: int = 0):
        super().__init__(params, cutoff=cutoff, adapt=adapt)
        self.adapt_on_fixed = adapt
        self.momentum, self.sketch = momentum, sketch
        self.generator = torch.Generator().manual_seed(seed)
        self.previous: torch.Tensor | None = None

    def _direction(self, objective: Objective, batch, beta: float):
        g, B, weight = objective.linear_model(batch, beta)
        omega = None
        if 0 < self.sketch < B.shape[0]:
            omega = torch.randn(B.shape[0], self.sketch, generator=self.generator,
                                dtype=B.dtype).to(B.device)
        phi = woodbury_step(B, g, self.cutoff, omega, self.previous, self.momentum)
        self.previous = phi
        predicted = weight * float(g @ phi - 0.5 * torch.sum((B @ phi) ** 2))
        return -phi, predicted

    def step(self, objective: Objective, step: int, remaining: int) -> int:
        # on redrawn points the achieved-decrease test, taken on the batch the step was fitted
        # to, drives lambda down until every step overfits its batch: keep lambda fixed there
        self.adapt = self.adapt_on_fixed and objective.fixed_points
        done = super().step(objective, step, remaining)
        self.previous = self.alpha * self.previous  # the momentum of the step taken
        return done

    def state_dict(self) -> dict:
        return {**super().state_dict(), "previous": self.previous,
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.previous = state["previous"]
        self.generator.set_state(state["generator"])

