"""Optimisers as configured objects: built once, with their options, when a case is validated.

An optimiser here is immutable configuration (Optimistix's ``GaussNewton(rtol, atol)`` is the
model): it declares the precision it needs and how often its steps are worth a history entry,
and :meth:`Optimizer.phases` starts the stateful steppers that a training runs
(:class:`pdesolve.nn.training.Trainer`). This module does not import torch: the options of a
neural solver build their optimiser when they are validated, before any run
(:meth:`pdesolve.nn.options.NeuralOptions.configured_optimizer`).

- :class:`Adam`: lr_k = lr (1 - lr_decay)^k, one batch per step.
- :class:`LBFGS` (strong Wolfe line search): trains on one fixed batch drawn when it starts.
- :class:`ENGD`: Gauss-Newton natural gradient (:mod:`pdesolve.nn.engd`), float64.
- :class:`SPRING`: its sample-space (Woodbury, sketched) form with momentum
  (:mod:`pdesolve.nn.spring`), float64.
- :class:`Chain`: phases one after the other ("adam+lbfgs": Adam, then L-BFGS).

A stepper advances the training by one call of ``step(objective, step, remaining)``: it draws
its points from the :class:`~pdesolve.nn.training.Objective`, evaluates the loss there and
updates the parameters, and returns how many steps it did; its ``state_dict`` holds everything a
resumed run needs to continue bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

FIRST_ORDER_LOG_EVERY = 100
"""History interval of first-order and quasi-Newton training (a step costs less than the monitor)."""


@dataclass(frozen=True, kw_only=True)
class Optimizer:
    """One optimiser of ``steps`` steps; ``dtype`` and ``log_every`` are its defaults for the
    training precision and the history interval."""

    steps: int = 2000
    name: ClassVar[str]
    dtype: ClassVar[str] = "float32"
    log_every: ClassVar[int] = FIRST_ORDER_LOG_EVERY

    def plan(self) -> list[tuple[Optimizer, int]]:
        """(optimiser, steps) of each phase."""
        return [(self, self.steps)]

    def phases(self, params: list) -> list[tuple[object, int]]:
        """(stepper, steps) of each phase, the steppers fresh, over the tensors ``params``."""
        return [(optimizer.start(params), steps) for optimizer, steps in self.plan()]

    def start(self, params: list):
        """A fresh stepper of this optimiser over ``params``."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Adam(Optimizer):
    """torch.optim.Adam with learning rate ``lr`` decayed by (1 - ``lr_decay``) per step."""

    lr: float = 1e-3
    lr_decay: float = 5e-5
    name: ClassVar[str] = "adam"

    def start(self, params: list):
        from .first_order import AdamStepper

        return AdamStepper(params, self.lr, self.lr_decay)


@dataclass(frozen=True, kw_only=True)
class LBFGS(Optimizer):
    """torch.optim.LBFGS (history 50, strong Wolfe) on one batch; ``steps`` iterations."""

    name: ClassVar[str] = "lbfgs"

    def start(self, params: list):
        from .first_order import LBFGSStepper

        return LBFGSStepper(params)


@dataclass(frozen=True, kw_only=True)
class ENGD(Optimizer):
    """Energy natural gradient descent (:mod:`pdesolve.nn.engd`): relative singular-value
    cut-off ``cutoff``, adapted from the achieved decrease when ``adapt``. Its steps resolve
    singular values far below float32's resolution (float64), and each costs far more than the
    monitor (every step recorded)."""

    cutoff: float = 1e-4
    adapt: bool = True
    name: ClassVar[str] = "engd"
    dtype: ClassVar[str] = "float64"
    log_every: ClassVar[int] = 1

    def start(self, params: list):
        from .engd import ENGDStepper

        return ENGDStepper(params, cutoff=self.cutoff, adapt=self.adapt)


@dataclass(frozen=True, kw_only=True)
class SPRING(ENGD):
    """SPRING (:mod:`pdesolve.nn.spring`): ENGD's cut-off as damping, momentum ``momentum``,
    Nyström sketch size ``sketch`` (0: exact), sketches seeded by ``seed``."""

    momentum: float = 0.9
    sketch: int = 0
    seed: int = 0
    name: ClassVar[str] = "spring"

    def start(self, params: list):
        from .spring import SPRINGStepper

        return SPRINGStepper(params, cutoff=self.cutoff, adapt=self.adapt,
                             momentum=self.momentum, sketch=self.sketch, seed=self.seed)


@dataclass(frozen=True)
class Chain(Optimizer):
    """Optimisers one after the other, each for its own steps; float64 if any phase needs it,
    the history as often as the most frequent phase asks."""

    optimizers: tuple[Optimizer, ...] = ()
    name: ClassVar[str] = "chain"

    def __post_init__(self):
        object.__setattr__(self, "steps", sum(o.steps for o in self.optimizers))

    @property
    def dtype(self) -> str:
        return "float64" if any(o.dtype == "float64" for o in self.optimizers) else "float32"

    @property
    def log_every(self) -> int:
        return min(o.log_every for o in self.optimizers)

    def plan(self) -> list[tuple[Optimizer, int]]:
        return [phase for o in self.optimizers for phase in o.plan()]


BUILDERS: dict[str, Callable[..., Optimizer]] = {
    "adam": lambda o: Adam(steps=o.steps, lr=o.lr, lr_decay=o.lr_decay),
    "lbfgs": lambda o: LBFGS(steps=o.steps),
    "adam+lbfgs": lambda o: Chain(optimizers=(Adam(steps=o.steps, lr=o.lr, lr_decay=o.lr_decay),
                                              LBFGS(steps=o.lbfgs_steps))),
    "engd": lambda o: ENGD(steps=o.steps, cutoff=o.engd_cutoff, adapt=o.engd_adapt),
    "spring": lambda o: SPRING(steps=o.steps, cutoff=o.engd_cutoff, adapt=o.engd_adapt,
                               momentum=o.spring_momentum, sketch=o.spring_sketch, seed=o.seed),
}
"""The ``optimizer`` option's names and how each builds its optimiser from the options."""
