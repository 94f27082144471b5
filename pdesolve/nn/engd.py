"""ENGD: energy natural gradient descent (Müller, Zeinhofer, arXiv 2302.13163), a Gauss-Newton
step with a truncated SVD, a grid line search and a cut-off adapted from the achieved decrease.

One step, on the current batch (the loss gives its linear model, :meth:`.losses.Loss.gauss_newton`,
from :mod:`.gauss_newton`):

- Residual loss, L = |rho|^2: J = d rho/dtheta = U diag(s) V^T; the Gauss-Newton direction is the
  least-squares solution of J d = -rho over the right singular vectors with s_k > tau s_1,
  d = -sum_k (u_k . rho / s_k) v_k, from the SVD of J itself (:mod:`.factor`), never from the
  formed Gram J^T J (that squares the condition number). The linear model predicts the decrease
  |P rho|^2 = sum_k (u_k . rho)^2.
- Ritz loss, E with gradient g and Gauss-Newton matrix G = B^T B: B = U diag(s) V^T,
  d = -G^+ g = -sum_k (v_k . g / s_k^2) v_k over s_k > tau s_1; predicted decrease
  sum_k (v_k . g)^2 / (2 s_k^2).
- Step length: the paper's grid, alpha = 0.5^j, j = 0..30, taking the alpha of smallest loss;
  the losses along the grid first fall then rise, so the search stops at the first rise after a
  decrease (the same minimiser as the whole grid when the losses along it are unimodal, with a
  few evaluations instead of 31; each costs one loss evaluation, the SVD is reused).
- Cut-off tau (relative to s_1), adapted from the ratio of actual to predicted decrease
  q = (L - L(theta + alpha d)) / (decrease the linear model predicts for the full step):
  q >= :data:`GOOD`: the step realised a fair part of what the model promised, so the next step
  may use more singular directions (tau down); q < :data:`POOR`: the line search had to cut the
  step so far that the direction was dominated by directions the model gets wrong (tau up).
  tau moves on a log scale by one decade; when it turns back the move halves (down to
  :data:`MIN_DECADES`), and doubles again while it keeps its direction, so tau settles between
  a cut-off that is too small and one too large instead of jumping between them; it stays in
  [:data:`CUTOFF_MIN`, :data:`CUTOFF_MAX`], starting from ``cutoff``.

Why this rule. The tangent directions with small s_k are needed for small errors but, at the
start or after a poor step, their coefficients u_k . rho / s_k are huge in parameter norm and
the model is nonlinear there: a fixed tiny cut-off then makes every step fail, a fixed large
one stalls at the error the kept directions can represent, and the cut-off that works differs
by orders of magnitude between problems, seeds and stages of one run. Levenberg-Marquardt
damping adapted from the ratio at the full step (alpha = 1) keeps the damping wherever full
steps are only half trusted, which damps exactly the directions that carry the remaining
residual, and it stalls (docs/reproduced/engd.md). Here the ratio is taken at the step the line
search achieves: the damping falls while natural-gradient steps make progress, and rises only
when they stop making any.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from .optimizers import Stepper

if TYPE_CHECKING:
    from .training import Objective

STEP_LENGTHS = tuple(0.5**j for j in range(31))
"""The line-search grid of the paper: 0.5^j, j = 0..30."""
GOOD = 0.25
POOR = 0.01
MIN_DECADES = 0.125
CUTOFF_MIN = 1e-12
CUTOFF_MAX = 1e-2
STALL_STEPS = 10
"""Steps without any decrease, on fixed points, after which training stops (converged)."""


class ENGDStepper(Stepper):
    """Gauss-Newton natural gradient for the residual and Ritz losses (see the module doc), the
    stepper of :class:`pdesolve.nn.options.ENGD`.

    Parameters
    ----------
    params : the trainable parameters (those of the objective's model, in its order).
    cutoff : initial relative singular-value cut-off tau.
    adapt : adapt tau by the achieved decrease; False keeps it fixed.
    """

    def __init__(self, params: list[torch.Tensor], *, cutoff: float = 1e-4, adapt: bool = True):
        super().__init__()
        self.params = params
        self.cutoff, self.adapt = cutoff, adapt
        self.stalled = 0
        self.decades, self.last_move = 1.0, 0
        self.alpha = math.nan

    def _set(self, theta: torch.Tensor) -> None:
        with torch.no_grad():
            vector_to_parameters(theta, self.params)

    def _direction(self, objective: Objective, batch, beta: float):
        """(d, predicted decrease of the full step) of the truncated Gauss-Newton step."""
        f, coeff, share = objective.gauss_newton(batch, beta)
        keep = f.s > self.cutoff * f.s[0]
        coeff = torch.where(keep, coeff, torch.zeros_like(coeff))
        step = -f.right(torch.where(keep, coeff / f.s, torch.zeros_like(coeff)))
        return step, share * float(torch.sum(coeff * coeff))

    def _line_search(self, objective: Objective, batch, beta: float, theta, step,
                     start: float):
        """(alpha, loss, boundary term) of the best grid step; alpha 0 when none decreases."""
        best = (0.0, start, objective.last_boundary)
        for alpha in STEP_LENGTHS:
            self._set(theta + alpha * step)
            value, bnd = objective.value(batch, beta)
            value = value.item()
            if math.isfinite(value) and value < best[1]:
                best = (alpha, value, bnd.item())
            elif best[0] > 0:
                break
        self._set(theta + best[0] * step)
        return best

    def _adapt(self, ratio: float) -> None:
        if not self.adapt:
            return
        move = -1 if ratio >= GOOD else (1 if ratio < POOR else 0)
        if move == 0:
            return
        if move == -self.last_move:
            self.decades = max(self.decades / 2, MIN_DECADES)
        else:
            self.decades = min(self.decades * 2, 1.0)
        self.last_move = move
        self.cutoff = min(max(self.cutoff * 10.0 ** (move * self.decades), CUTOFF_MIN), CUTOFF_MAX)

    def step(self, objective: Objective, step: int, remaining: int) -> int:
        batch = objective.draw()
        beta = objective.beta_at(step)
        start = objective.evaluate(batch, step).item()
        theta = parameters_to_vector(self.params).detach()
        direction, predicted = self._direction(objective, batch, beta)
        alpha, value, bnd = self._line_search(objective, batch, beta, theta, direction, start)
        objective.last_loss, objective.last_boundary = value, bnd
        self._adapt((start - value) / predicted if predicted > 0 else 0.0)
        self.alpha = alpha
        self.stalled = self.stalled + 1 if alpha == 0 else 0
        if objective.fixed_points and self.stalled >= STALL_STEPS:
            self.stop_reason = (f"ENGD: stopped, no step length decreased the loss in "
                                f"{STALL_STEPS} steps (loss {value:.3g}) on these fixed points")
        return 1

    def monitored(self) -> dict:
        """The step length taken and the cut-off of the next step."""
        return {"alpha": self.alpha, "cutoff": self.cutoff}

    def state_dict(self) -> dict:
        return {"cutoff": self.cutoff, "stalled": self.stalled, "decades": self.decades,
                "last_move": self.last_move}

    def load_state_dict(self, state: dict) -> None:
        self.cutoff, self.stalled = state["cutoff"], state["stalled"]
        self.decades, self.last_move = state["decades"], state["last_move"]
