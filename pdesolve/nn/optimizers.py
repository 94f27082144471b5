"""First-order and quasi-Newton optimisers as objects the training loop calls: Adam, L-BFGS.

An optimiser advances the training by one call of :meth:`Optimizer.step`, which draws its
own points through the trainer, evaluates the loss (``trainer.evaluate`` raises SolverFailed
on NaN/inf) and updates the parameters; it returns how many steps it did (L-BFGS does up to
:data:`LBFGS_CHUNK` iterations per call). Its :meth:`state_dict` holds everything a resumed
run needs to continue bit for bit. A solver's ``optimizer`` option names a sequence of
phases (:func:`build_phases`): "adam+lbfgs" is Adam for ``steps`` steps, then L-BFGS.

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
    from .training import Trainer

LBFGS_TOLERANCE_CHANGE = 1e-9

LBFGS_CHUNK = 20
"""L-BFGS iterations per call of the optimiser; ``Trainer.step`` advances by the iterations done."""


class Optimizer:
    """One optimiser of a training phase.

    ``lr`` is the current learning rate (None where the optimiser has none); ``stop_reason``
    a non-empty string once the optimiser has decided to stop the training.
    """

    name = "optimizer"
    lr: float | None = None

    def __init__(self):
        self.stop_reason = ""

    def step(self, trainer: Trainer, step: int, remaining: int) -> int:
        """Advance from ``step - 1`` by at most ``remaining`` steps; returns the steps done."""
        raise NotImplementedError

    def monitored(self) -> dict:
        """Quantities of the last step worth a history entry (e.g. ENGD's cut-off)."""
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


class Adam(Optimizer):
    """torch.optim.Adam with a per-step exponential learning-rate decay."""

    name = "adam"

    def __init__(self, params: list[torch.Tensor], lr: float, lr_decay: float):
        super().__init__()
        self.params = params
        self.adam = torch.optim.Adam(params, lr=lr)
        self.scheduler = torch.optim.lr_scheduler.ExponentialLR(self.adam, gamma=1.0 - lr_decay)

    @property
    def lr(self) -> float:
        return self.adam.param_groups[0]["lr"]

    def step(self, trainer: Trainer, step: int, remaining: int) -> int:
        self.adam.zero_grad(set_to_none=True)
        trainer.evaluate(trainer.draw(), step).backward(inputs=self.params)
        self.adam.step()
        self.scheduler.step()
        return 1

    def state_dict(self) -> dict:
        return {"adam": self.adam.state_dict(), "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.adam.load_state_dict(state["adam"])
        self.scheduler.load_state_dict(state["scheduler"])


class LBFGS(Optimizer):
    """torch.optim.LBFGS (history 50, strong Wolfe) on one batch drawn at its first step."""

    name = "lbfgs"

    def __init__(self, params: list[torch.Tensor]):
        super().__init__()
        self.params = params
        self.lbfgs = torch.optim.LBFGS(params, max_iter=LBFGS_CHUNK, history_size=50,
                                       tolerance_change=LBFGS_TOLERANCE_CHANGE,
                                       line_search_fn="strong_wolfe")
        self.batch: tuple | None = None

    def step(self, trainer: Trainer, step: int, remaining: int) -> int:
        """Up to LBFGS_CHUNK iterations in one call (the start of each call costs an evaluation)."""
        if self.batch is None:
            self.batch = trainer.draw()

        def closure():
            self.lbfgs.zero_grad(set_to_none=True)
            loss = trainer.evaluate(self.batch, step)
            loss.backward(inputs=self.params)
            return loss

        group = self.lbfgs.param_groups[0]
        group["max_iter"] = min(LBFGS_CHUNK, remaining)
        group["max_eval"] = 25 * group["max_iter"]
        state = self.lbfgs.state[group["params"][0]]
        before = state.get("n_iter", 0)
        # the value returned is the loss at the parameters the call started from
        trainer.last_loss = self.lbfgs.step(closure).detach().item()
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


OPTIMIZERS = ("adam", "lbfgs", "adam+lbfgs", "engd", "spring")


def build_phases(name: str, params: list[torch.Tensor], *, steps: int, lbfgs_steps: int,
                 lr: float, lr_decay: float, engd: dict | None = None,
                 spring: dict | None = None) -> list[tuple[Optimizer, int]]:
    """(optimiser, steps) of each phase of ``name`` (one of OPTIMIZERS).

    ``engd`` holds the keyword arguments of :class:`pdesolve.nn.engd.ENGD`, ``spring`` the
    further ones of :class:`pdesolve.nn.spring.SPRING`.
    """
    if name == "adam":
        return [(Adam(params, lr, lr_decay), steps)]
    if name == "lbfgs":
        return [(LBFGS(params), steps)]
    if name == "adam+lbfgs":
        return [(Adam(params, lr, lr_decay), steps), (LBFGS(params), lbfgs_steps)]
    if name == "engd":
        from .engd import ENGD

        return [(ENGD(params, **(engd or {})), steps)]
    if name == "spring":
        from .spring import SPRING

        return [(SPRING(params, **(engd or {}), **(spring or {})), steps)]
    raise ValueError(f"optimizer: unknown optimiser {name!r}; valid: {', '.join(OPTIMIZERS)}")
