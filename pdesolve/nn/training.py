"""The training loop shared by every neural solver: optimiser phases, hooks for the rest.

A training is a sequence of phases, each the stepper of a configured optimiser
(:mod:`pdesolve.nn.options`) run for a number of steps; the loop asks the current one to
advance and does the bookkeeping: time, step counts, callbacks, the time budget and stopping.
A stepper sees the training only through its :class:`Objective`: it draws points with
:meth:`Objective.draw`, evaluates the loss with :meth:`Objective.evaluate` (SolverFailed, status
"diverged", when the loss is NaN/inf) and asks for the loss's Gauss-Newton models; it never
reaches into the loop.

Progress bars, monitoring, checkpoints are :class:`Callback` objects, not special cases in
the loop. Everything a resumed run needs to continue bit for bit is in :meth:`state_dict`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..errors import SolverFailed
from .losses import Loss
from .optimizers import Stepper
from .options import Optimizer
from .sampling import BoundarySampler, InteriorSampler

log = logging.getLogger(__name__)

STAIRCASE = ((0.1, 1.0), (0.2, 10.0), (0.25, 50.0), (0.5, 100.0), (0.75, 200.0))
"""(fraction of the steps, factor): beta = factor * beta0 until that fraction, then 500 beta0
(the MscaleDNN / p-Laplacian code's boundary-penalty schedule)."""


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


class Objective:
    """What a stepper sees of a training: the trainable parameters, batches of points, the loss
    on them and its Gauss-Newton models, and the last loss (and boundary term) it reported.

    Parameters
    ----------
    model : the network.
    loss : a :class:`~pdesolve.nn.losses.Loss`.
    interior, boundary : the samplers.
    beta_at : the boundary weight of a step (1-based).
    """

    def __init__(self, model: nn.Module, loss: Loss, interior: InteriorSampler,
                 boundary: BoundarySampler, beta_at: Callable[[int], float]):
        self.model, self.loss = model, loss
        self.interior, self.boundary = interior, boundary
        self.beta_at = beta_at
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.last_loss = math.nan
        self.last_boundary = math.nan

    @property
    def fixed_points(self) -> bool:
        """True when every batch is the same (no sampler redraws)."""
        return not (self.interior.resamples or self.boundary.resamples)

    def draw(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A batch (x, y, w_y): interior points, boundary points and their weights."""
        return (self.interior.sample(), *self.boundary.sample())

    def value(self, batch, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, boundary term) of the current parameters on ``batch``, unchecked."""
        x, y, wy = batch
        return self.loss(self.model, x, self.interior.weight, y, wy, beta)

    def evaluate(self, batch, step: int) -> torch.Tensor:
        """The loss at ``step`` on ``batch``; records it, raises SolverFailed if not finite."""
        loss, bnd = self.value(batch, self.beta_at(step))
        value = loss.item()
        if not math.isfinite(value):
            raise SolverFailed(
                f"training diverged at step {step}: the loss is {value}; last finite loss "
                f"{self.last_loss:.6g} at step {step - 1}",
                status="diverged", info={"step": step, "last_finite_loss": self.last_loss},
            )
        self.last_loss, self.last_boundary = value, bnd.item()
        return loss

    def gauss_newton(self, batch, beta: float):
        """The loss's factored Gauss-Newton model on ``batch``
        (:meth:`~pdesolve.nn.losses.Loss.gauss_newton`)."""
        return self.loss.gauss_newton(self.model, batch, self.interior.weight, beta)

    def linear_model(self, batch, beta: float):
        """The loss's Gauss-Newton model (g, B, w) on ``batch``
        (:meth:`~pdesolve.nn.losses.Loss.linear_model`)."""
        return self.loss.linear_model(self.model, batch, self.interior.weight, beta)


class Trainer:
    """Train ``model`` on ``loss`` with points from ``interior`` and ``boundary``.

    Parameters
    ----------
    model : the network (already on its device and dtype).
    loss : a :class:`~pdesolve.nn.losses.Loss`.
    interior, boundary : the samplers.
    optimizer : a configured :class:`~pdesolve.nn.options.Optimizer`; its phases run one
        after the other.
    beta, beta_schedule : boundary weight beta0 and "constant" or "staircase".
    max_seconds : stop when the training time reaches this (None: no limit).
    callbacks : hooks (monitor, progress bar, checkpoints).
    """

    def __init__(self, model: nn.Module, loss: Loss, interior: InteriorSampler,
                 boundary: BoundarySampler, optimizer: Optimizer, *,
                 beta: float = 1.0, beta_schedule: str = "constant",
                 max_seconds: float | None = None, callbacks: Sequence[Callback] = ()):
        self.model = model
        self.objective = Objective(model, loss, interior, boundary, self.beta_at)
        self.phases = optimizer.phases(self.objective.params)
        self.total = sum(steps for _, steps in self.phases)
        self.beta0, self.beta_schedule = beta, beta_schedule
        self.max_seconds = max_seconds
        self.callbacks = list(callbacks)
        self.step = self.previous_step = 0
        self.history: list[dict] = []
        self.train_seconds = 0.0
        self.stop_reason = ""
        self.time_limited = False

    @property
    def last_loss(self) -> float:
        """The loss the current stepper reported last."""
        return self.objective.last_loss

    @property
    def last_boundary(self) -> float:
        """The boundary term of :attr:`last_loss`."""
        return self.objective.last_boundary

    def crossed(self, every: int) -> bool:
        """True when the last step reached or passed a multiple of ``every``."""
        return self.step // every > self.previous_step // every

    def beta_at(self, step: int) -> float:
        """The boundary weight of ``step`` (1-based)."""
        return beta_at(step, self.total, self.beta0, self.beta_schedule)

    @property
    def beta(self) -> float:
        """The boundary weight of the current step."""
        return self.beta_at(max(self.step, 1))

    def _phase(self, step: int) -> tuple[Stepper, int]:
        """The optimiser that does ``step`` (1-based) and the last step of its phase."""
        end = 0
        for optimizer, steps in self.phases:
            end += steps
            if step <= end:
                return optimizer, end
        return self.phases[-1][0], end

    @property
    def optimizer(self) -> Stepper:
        """The stepper of the current step."""
        return self._phase(max(self.step, 1))[0]

    @property
    def lr(self) -> float | None:
        """The current learning rate; None for optimisers without one (L-BFGS, ENGD)."""
        return self.optimizer.lr

    def run(self) -> None:
        """Train from ``self.step`` to the end (or until stopped); raises SolverFailed on NaN/inf."""
        try:
            for cb in self.callbacks:
                cb.on_train_begin(self)
            while self.step < self.total and not self.stop_reason:
                start = time.perf_counter()
                step = self.step + 1
                optimizer, end = self._phase(step)
                advance = optimizer.step(self.objective, step, end - self.step)
                self.train_seconds += time.perf_counter() - start
                self.previous_step, self.step = self.step, self.step + advance
                self.stop_reason = optimizer.stop_reason
                for cb in self.callbacks:
                    cb.on_step_end(self)
                if self.max_seconds is not None and self.train_seconds >= self.max_seconds:
                    self.stop_reason = f"max_seconds ({self.max_seconds:g} s) reached"
                    self.time_limited = self.step < self.total
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
            "optimizers": [optimizer.state_dict() for optimizer, _ in self.phases],
            "interior": self.objective.interior.state_dict(),
            "boundary": self.objective.boundary.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "last_loss": self.last_loss,
            "history": self.history,
            "train_seconds": self.train_seconds,
        }

    def load_state_dict(self, state: dict) -> None:
        self.step = self.previous_step = state["step"]
        self.model.load_state_dict(state["model"])
        for (optimizer, _), saved in zip(self.phases, state["optimizers"]):
            optimizer.load_state_dict(saved)
        self.objective.interior.load_state_dict(state["interior"])
        self.objective.boundary.load_state_dict(state["boundary"])
        torch.set_rng_state(state["torch_rng"])
        self.objective.last_loss = state["last_loss"]
        self.history = list(state["history"])
        self.train_seconds = state["train_seconds"]
