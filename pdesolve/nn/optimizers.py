"""The steppers of the first-order and quasi-Newton optimisers (:mod:`.options`): Adam, L-BFGS.

A stepper advances the training by one call of :meth:`Stepper.step`, which draws its own points
from the :class:`~pdesolve.nn.training.Objective`, evaluates the loss there
(``objective.evaluate`` raises SolverFailed on NaN/inf) and updates the parameters; it returns
how many steps it did (L-BFGS does up to :data:`LBFGS_CHUNK` iterations per call). Its
:meth:`Stepper.state_dict` holds everything a resumed run needs to continue bit for bit.

- Adam: lr_k = lr (1 - lr_decay)^k, one batch per step.
- L-BFGS (strong Wolfe line search): trains on one fixed batch drawn when it starts; it stops
  early when the gradient or the loss change falls below its tolerances, and says so in
  ``stop_reason``.
- ENGD (Gauss-Newton natural gradient): :mod:`pdesolve.nn.engd`; its sample-space (Woodbury,
  sketched) form with SPRING's momentum for large networks: :mod:`pdesolve.nn.spring`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .training import Objective

LBFGS_TOLERANCE_CHANGE = 1e-9

LBFGS_CHUNK = 20
"""L-BFGS iterations per call of the optimiser; ``Trainer.step`` advances by the iterations done."""


class Stepper:
    """The running state of one optimiser of a training phase.

    ``lr`` is the current learning rate (None where the optimiser has none); ``stop_reason``
    a non-empty string once the optimiser has decided to stop the training.
    """

    lr: float | None = None

    def __init__(self):
        self.stop_reason = ""

    def step(self, objective: Objective, step: int, remaining: int) -> int:
        """Advance from ``step - 1`` by at most ``remaining`` steps; returns the steps done."""
        raise NotImplementedError

    def monitored(self) -> dict:
        """Quantities of the last step worth a history entry (e.g. ENGD's cut-off)."""
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


class AdamStepper(Stepper):
    """torch.optim.Adam with a per-step exponential learning-rate decay."""

    def __init__(self, params: list[torch.Tensor], lr: float, lr_decay: float):
        super().__init__()
        self.params = params
        self.adam = torch.optim.Adam(params, lr=lr)
        self.scheduler = torch.optim.lr_scheduler.ExponentialLR(self.adam, gamma=1.0 - lr_decay)

    @property
    def lr(self) -> float:
        return self.adam.param_groups[0]["lr"]

    def step(self, objective: Objective, step: int, remaining: int) -> int:
        self.adam.zero_grad(set_to_none=True)
        objective.evaluate(objective.draw(), step).backward(inputs=self.params)
        self.adam.step()
        self.scheduler.step()
        return 1

    def state_dict(self) -> dict:
        return {"adam": self.adam.state_dict(), "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.adam.load_state_dict(state["adam"])
        self.scheduler.load_state_dict(state["scheduler"])


class LBFGSStepper(Stepper):
    """torch.optim.LBFGS (history 50, strong Wolfe) on one batch drawn at its first step."""

    def __init__(self, params: list[torch.Tensor]):
        super().__init__()
        self.params = params
        self.lbfgs = torch.optim.LBFGS(params, max_iter=LBFGS_CHUNK, history_size=50,
                                       tolerance_change=LBFGS_TOLERANCE_CHANGE,
                                       line_search_fn="strong_wolfe")
        self.batch: tuple | None = None

    def step(self, objective: Objective, step: int, remaining: int) -> int:
        """Up to LBFGS_CHUNK iterations in one call (the start of each call costs an evaluation)."""
        if self.batch is None:
            self.batch = objective.draw()

        def closure():
            self.lbfgs.zero_grad(set_to_none=True)
            loss = objective.evaluate(self.batch, step)
            loss.backward(inputs=self.params)
            return loss

        group = self.lbfgs.param_groups[0]
        group["max_iter"] = min(LBFGS_CHUNK, remaining)
        group["max_eval"] = 25 * group["max_iter"]
        state = self.lbfgs.state[group["params"][0]]
        before = state.get("n_iter", 0)
        # the value returned is the loss at the parameters the call started from
        objective.last_loss = self.lbfgs.step(closure).detach().item()
        done = state.get("n_iter", 0) - before
        if done == 0:
            self.stop_reason = "L-BFGS: gradient below tolerance_grad"
        elif done < group["max_iter"]:
            self.stop_reason = "L-BFGS: loss or step change below tolerance_change"
        return max(done, 1)

    def state_dict(self) -> dict:
        return {"lbfgs": self.lbfgs.state_dict(), "batch": self.batch}

    def load_state_dict(self, state: dict) -> None:
        self.lbfgs.load_state_dict(state["lbfgs"])
        self.batch = state["batch"]
