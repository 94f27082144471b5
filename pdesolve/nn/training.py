"""The training loop shared by every neural solver: Adam and/or L-BFGS, hooks for the rest.

One step: draw points, evaluate the loss, stop if it is not finite, back-propagate, update.
Adam's learning rate decays per step, lr_k = lr (1 - lr_decay)^k. L-BFGS (strong Wolfe line
search; ``steps`` count its iterations) trains on one fixed batch drawn when it starts; it stops
early when the gradient or the loss change falls below its tolerances, and the reason is
logged and kept in ``stop_reason``.

Progress bars, monitoring, checkpoints are :class:`Callback` objects, not special cases in
the loop. Everything a resumed run needs to continue bit for bit is in :meth:`state_dict`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import torch
from torch import nn

from ..errors import SolverFailed
from ..sampling import BoundarySampler, InteriorSampler
from .losses import Loss

log = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "lbfgs", "adam+lbfgs")

STAIRCASE = ((0.1, 1.0), (0.2, 10.0), (0.25, 50.0), (0.5, 100.0), (0.75, 200.0))
"""(fraction of the steps, factor): beta = factor * beta0 until that fraction, then 500 beta0
(the MscaleDNN / p-Laplacian code's boundary-penalty schedule)."""

LBFGS_TOLERANCE_CHANGE = 1e-9

LBFGS_CHUNK = 20
"""L-BFGS iterations per call of the optimiser; ``Trainer.step`` advances by the iterations done."""


def beta_at(step: int, total: int, beta0: float, schedule: str) -> float:
    """The boundary weight at ``step`` (1-based) of ``total``: constant or staircase."""
    if schedule == "constant":
        return beta0
    for fraction, factor in STAIRCASE:
        if step <= fraction * total:
            return factor * beta0
    return 500.0 * beta0


class Callback:
    """Hooks called by :class:`Trainer`; override what you need."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Before the first step (also on resume)."""

    def on_step_end(self, trainer: Trainer) -> None:
        """After each step; ``trainer.step`` and ``trainer.last_loss`` are current (an L-BFGS
        step may advance ``trainer.step`` by several iterations: see ``trainer.crossed``)."""

    def on_train_end(self, trainer: Trainer) -> None:
        """After the last step of a run that did not fail."""

    def close(self) -> None:
        """Always called when training stops, failed or not (release resources)."""


class Trainer:
    """Train ``model`` on ``loss`` with points from ``interior`` and ``boundary``.

    Parameters
    ----------
    model : the network (already on its device and dtype).
    loss : a :class:`~pdesolve.nn.losses.Loss`.
    interior, boundary : the samplers.
    optimizer : "adam", "lbfgs" or "adam+lbfgs".
    steps : Adam steps (L-BFGS iterations for "lbfgs").
    lbfgs_steps : L-BFGS iterations after Adam ("adam+lbfgs" only).
    lr, lr_decay : Adam's learning rate and per-step decay rate.
    beta, beta_schedule : boundary weight beta0 and "constant" or "staircase".
    max_seconds : stop when the training time reaches this (None: no limit).
    callbacks : hooks (monitor, progress bar, checkpoints).
    """

    def __init__(self, model: nn.Module, loss: Loss, interior: InteriorSampler,
                 boundary: BoundarySampler, *, optimizer: str = "adam", steps: int = 1000,
                 lbfgs_steps: int = 0, lr: float = 1e-3, lr_decay: float = 0.0,
                 beta: float = 1.0, beta_schedule: str = "constant",
                 max_seconds: float | None = None, callbacks: Sequence[Callback] = ()):
        self.model, self.loss = model, loss
        self.interior, self.boundary = interior, boundary
        self.adam_steps = 0 if optimizer == "lbfgs" else steps
        self.total = steps + (lbfgs_steps if optimizer == "adam+lbfgs" else 0)
        self.beta0, self.beta_schedule = beta, beta_schedule
        self.max_seconds = max_seconds
        self.callbacks = list(callbacks)
        self.params = params = [p for p in model.parameters() if p.requires_grad]
        self.adam = torch.optim.Adam(params, lr=lr)
        self.scheduler = torch.optim.lr_scheduler.ExponentialLR(self.adam, gamma=1.0 - lr_decay)
        self.lbfgs = torch.optim.LBFGS(params, max_iter=LBFGS_CHUNK, history_size=50,
                                       tolerance_change=LBFGS_TOLERANCE_CHANGE,
                                       line_search_fn="strong_wolfe")
        self.lbfgs_batch: tuple | None = None
        self.step = self.previous_step = 0
        self.last_loss = math.nan
        self.last_boundary = math.nan
        self.history: list[dict] = []
        self.train_seconds = 0.0
        self.stop_reason = ""

    def crossed(self, every: int) -> bool:
        """True when the last step reached or passed a multiple of ``every``."""
        return self.step // every > self.previous_step // every

    @property
    def beta(self) -> float:
        """The boundary weight of the current step."""
        return beta_at(max(self.step, 1), self.total, self.beta0, self.beta_schedule)

    @property
    def lr(self) -> float | None:
        """Adam's current learning rate; None in the L-BFGS phase."""
        in_adam = self.adam_steps > 0 and self.step <= self.adam_steps
        return self.adam.param_groups[0]["lr"] if in_adam else None

    def _evaluate(self, batch, step: int) -> torch.Tensor:
        x, y, wy = batch
        beta = beta_at(step, self.total, self.beta0, self.beta_schedule)
        loss, bnd = self.loss(self.model, x, self.interior.weight, y, wy, beta)
        value = loss.item()
        if not math.isfinite(value):
            raise SolverFailed(
                f"training diverged at step {step}: the loss is {value}; last finite loss "
                f"{self.last_loss:.6g} at step {step - 1}",
                status="diverged", info={"step": step, "last_finite_loss": self.last_loss},
            )
        self.last_loss, self.last_boundary = value, bnd.item()
        return loss

    def _draw(self):
        return (self.interior.sample(), *self.boundary.sample())

    def _adam_step(self, step: int) -> int:
        self.adam.zero_grad(set_to_none=True)
        self._evaluate(self._draw(), step).backward(inputs=self.params)
        self.adam.step()
        self.scheduler.step()
        return 1

    def _lbfgs_step(self, step: int) -> int:
        """Up to LBFGS_CHUNK iterations in one call (the start of each call costs an evaluation)."""
        if self.lbfgs_batch is None:
            self.lbfgs_batch = self._draw()

        def closure():
            self.lbfgs.zero_grad(set_to_none=True)
            loss = self._evaluate(self.lbfgs_batch, step)
            loss.backward(inputs=self.params)
            return loss

        group = self.lbfgs.param_groups[0]
        group["max_iter"] = min(LBFGS_CHUNK, self.total - step + 1)
        group["max_eval"] = 25 * group["max_iter"]
        state = self.lbfgs.state[group["params"][0]]
        before = state.get("n_iter", 0)
        # the value returned is the loss at the parameters the call started from
        self.last_loss = self.lbfgs.step(closure).detach().item()
        done = state.get("n_iter", 0) - before
        if done == 0:
            self.stop_reason = "L-BFGS: gradient below tolerance_grad"
        elif done < group["max_iter"]:
            self.stop_reason = "L-BFGS: loss or step change below tolerance_change"
        return max(done, 1)

    def run(self) -> None:
        """Train from ``self.step`` to the end (or until stopped); raises SolverFailed on NaN/inf."""
        try:
            for cb in self.callbacks:
                cb.on_train_begin(self)
            while self.step < self.total and not self.stop_reason:
                start = time.perf_counter()
                step = self.step + 1
                if step <= self.adam_steps:
                    advance = self._adam_step(step)
                else:
                    advance = self._lbfgs_step(step)
                self.train_seconds += time.perf_counter() - start
                self.previous_step, self.step = self.step, self.step + advance
                for cb in self.callbacks:
                    cb.on_step_end(self)
                if self.max_seconds is not None and self.train_seconds >= self.max_seconds:
                    self.stop_reason = f"max_seconds ({self.max_seconds:g} s) reached"
            if self.stop_reason:
                log.info("training stopped at step %d: %s", self.step, self.stop_reason)
            for cb in self.callbacks:
                cb.on_train_end(self)
        finally:
            for cb in self.callbacks:
                cb.close()

    def state_dict(self) -> dict:
        """Everything needed to continue exactly: parameters, optimisers, samplers, RNGs."""
        return {
            "step": self.step,
            "model": self.model.state_dict(),
            "adam": self.adam.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "lbfgs": self.lbfgs.state_dict(),
            "lbfgs_batch": self.lbfgs_batch,
            "interior": self.interior.state_dict(),
            "boundary": self.boundary.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "last_loss": self.last_loss,
            "history": self.history,
            "train_seconds": self.train_seconds,
        }

    def load_state_dict(self, state: dict) -> None:
        self.step = self.previous_step = state["step"]
        self.model.load_state_dict(state["model"])
        self.adam.load_state_dict(state["adam"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.lbfgs.load_state_dict(state["lbfgs"])
        self.lbfgs_batch = state["lbfgs_batch"]
        self.interior.load_state_dict(state["interior"])
        self.boundary.load_state_dict(state["boundary"])
        torch.set_rng_state(state["torch_rng"])
        self.last_loss = state["last_loss"]
        self.history = list(state["history"])
        self.train_seconds = state["train_seconds"]
