"""Options shared by the neural solvers (each solver sets its own defaults), and the optimisers
they configure.

An optimiser is immutable configuration (Optimistix's ``GaussNewton(rtol, atol)`` is the model):
:class:`Adam`, :class:`LBFGS`, :class:`ENGD`, :class:`SPRING` and :class:`Chain` (phases one after
the other, "adam+lbfgs"). Each declares the precision it needs and how often its steps are worth
a history entry, and :meth:`Optimizer.phases` starts the stateful steppers a training runs
(:mod:`.optimizers`, :mod:`.engd`, :mod:`.spring`; :class:`pdesolve.nn.training.Trainer`). The
options of a neural solver build theirs once, when they are validated
(:attr:`NeuralOptions.configured_optimizer`); this module does not import torch.

Network defaults follow REFERENCES.md: weights and biases ~ N(0, 2/(n_in + n_out)) (MscaleDNN
code), scales 1, 2, 4, ..., 32, per-step learning-rate decay (p-Laplacian paper's 5e-5) and,
for MscaleDNN networks, the staircase boundary-penalty schedule (``beta_schedule="auto"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from ..config import opt
from ..errors import ConfigError

ActivationName = Literal["relu", "tanh", "sin", "relu2", "relu3", "reluk", "srelu", "s2relu", "phi",
                         "bspline2"]
"""The names of :data:`pdesolve.nn.activations.ACTIVATIONS` (kept torch-free here)."""


# The optimisers as configured objects: built once, with their options, when the options are
# validated (:attr:`NeuralOptions.configured_optimizer`); torch-free, like the rest of this module.

FIRST_ORDER_LOG_EVERY = 100
"""History interval of first-order and quasi-Newton training (a step costs less than the
monitor)."""


@dataclass(frozen=True, kw_only=True)
class Optimizer:
    """One optimiser of ``steps`` steps; ``dtype`` and ``log_every`` are its defaults for the
    training precision and the history interval."""

    steps: int = 2000
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

    def start(self, params: list):
        from .optimizers import AdamStepper

        return AdamStepper(params, self.lr, self.lr_decay)


@dataclass(frozen=True, kw_only=True)
class LBFGS(Optimizer):
    """torch.optim.LBFGS (history 50, strong Wolfe) on one batch; ``steps`` iterations."""


    def start(self, params: list):
        from .optimizers import LBFGSStepper

        return LBFGSStepper(params)


@dataclass(frozen=True, kw_only=True)
class ENGD(Optimizer):
    """Energy natural gradient descent (:mod:`pdesolve.nn.engd`): relative singular-value
    cut-off ``cutoff``, adapted from the achieved decrease when ``adapt``. Its steps resolve
    singular values far below float32's resolution (float64), and each costs far more than the
    monitor (every step recorded)."""

    cutoff: float = 1e-4
    adapt: bool = True
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

    def start(self, params: list):
        from .spring import SPRINGStepper

        return SPRINGStepper(params, cutoff=self.cutoff, adapt=self.adapt,
                             momentum=self.momentum, sketch=self.sketch, seed=self.seed)


@dataclass(frozen=True)
class Chain(Optimizer):
    """Optimisers one after the other, each for its own steps; float64 if any phase needs it,
    the history as often as the most frequent phase asks."""

    optimizers: tuple[Optimizer, ...] = ()
    steps: int = dataclasses.field(init=False, default=0)

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


@dataclass
class NetworkOptions:
    """The network: architecture, activation and initialisation."""

    network: Literal["mlp", "mscale1", "mscale2"] = opt(
        "mlp", help="mlp; mscale1 (first layer in groups scaled by a_i); mscale2 (sum of h_i(a_i x))")
    widths: list[int] = opt([64, 64, 64], help="hidden layer widths (of each subnetwork for mscale2)",
                            min=1, min_items=1)
    activation: ActivationName = opt(
        "tanh", help="relu, tanh, sin, relu2, relu3, reluk (ReLU^power), srelu, s2relu, phi/bspline2")
    power: float = opt(3.0, help="exponent k of the reluk activation", min=1)
    scales: list[float] = opt([1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
                              help="MscaleDNN scales a_i (mscale1/mscale2 only)", min=0,
                              min_items=1)
    residual: bool = opt(False, help="skip connections around hidden layers of equal width")
    init_scale: float = opt(1.0, help="factor on the init std sqrt(2/(n_in+n_out))", min=0)


@dataclass
class OptimizerOptions:
    """The optimiser: which one, how many steps, learning rate and its decay, ENGD's cut-off."""

    optimizer: Literal["adam", "lbfgs", "adam+lbfgs", "engd", "spring"] = opt(
        "adam", help="adam; lbfgs; adam+lbfgs (Adam, then L-BFGS); engd (Gauss-Newton natural "
                     "gradient, pdesolve.nn.engd); spring (its sample-space Woodbury form with "
                     "momentum, pdesolve.nn.spring)")
    steps: int = opt(2000, help="Adam steps (L-BFGS iterations for lbfgs, ENGD steps for engd)",
                     min=1)
    lbfgs_steps: int = opt(500, help="L-BFGS iterations after Adam (adam+lbfgs only)", min=0)
    lr: float = opt(1e-3, help="Adam learning rate", min=0)
    lr_decay: float = opt(5e-5, help="per-step decay rate: lr_k = lr (1 - lr_decay)^k", min=0, max=1)
    engd_cutoff: float = opt(1e-4, help="ENGD: initial relative singular-value cut-off", min=0,
                             max=1)
    engd_adapt: bool = opt(True, help="ENGD: adapt the cut-off from the achieved decrease")
    spring_momentum: float = opt(0.9, help="SPRING: momentum mu of the previous step", min=0,
                                 max=1)
    spring_sketch: int = opt(0, help="SPRING: Nyström sketch size of the kernel (0: exact)",
                             min=0)


@dataclass
class SamplingOptions:
    """The training points: how many, of which kind, fixed or redrawn."""

    batch_interior: int = opt(1024, help="interior points per step (grid: intervals per "
                                         "direction)", min=1)
    batch_boundary: int = opt(256, help="boundary points per step, spread over faces by area "
                                        "(grid: intervals per direction)", min=1)
    sampler: Literal["uniform", "sobol", "grid", "gauss"] = opt(
        "uniform", help="uniform, scrambled sobol, grid (the nodes of a tensor grid, fixed) or "
                        "gauss (composite Gauss-Legendre rule, batch_* = cells per direction)")
    quadrature_order: int = opt(4, help="gauss sampler: points per cell and direction", min=1)
    resample: bool = opt(True, help="draw new uniform/sobol points every step (false: keep the "
                                    "first draw)")


@dataclass
class BoundaryOptions:
    """The boundary condition: penalty weight and schedule, or built in; built-in parity."""

    beta: float = opt(1000.0, help="boundary penalty weight beta0", min=0)
    beta_schedule: Literal["auto", "constant", "staircase"] = opt(
        "auto", help="constant, staircase (x1,10,50,100,200,500 at T/10,T/5,T/4,T/2,3T/4), auto")
    boundary: Literal["penalty", "exact"] = opt(
        "penalty", help="penalty term, or exact: u = g + phi(x) N(x) with phi = 0 on the boundary")
    parity: Literal["none", "even", "odd"] = opt(
        "none", help="build in u(2c - x) = +-u(x), c the box centre (needs kappa even, f and g "
                     "of that parity)")


@dataclass
class RunOptions:
    """Precision, device, threads, seed, time limit, history, monitoring and checkpoints."""

    dtype: Literal["auto", "float32", "float64"] = opt(
        "auto", help="floating-point precision of training and evaluation (auto: float64 for "
                     "engd, float32 otherwise)")
    device: Literal["auto", "cpu", "cuda"] = opt("auto", help="auto: cuda when available")
    threads: int | None = opt(None, help="torch CPU threads (None: torch's default)", min=1)
    seed: int = opt(0, help="seed of the initialisation and the samplers")
    max_seconds: float | None = opt(None, help="stop training after this much time", min=0)
    log_every: int | None = opt(None, help="history entry every this many steps (None: 1 for "
                                           "engd, 100 otherwise)", min=1)
    monitor_points: int = opt(1024, help="Sobol points for the monitored l2_rel (0: none)", min=0)
    freq_history: bool = opt(False, help="record per-frequency errors in the history")
    freq_count: int = opt(4, help="frequencies (1-D peaks) or radial bands (d-D) recorded", min=1)
    checkpoint_every: int = opt(0, help="save a checkpoint every this many steps (0: never)",
                                min=0)
    checkpoint_dir: str | None = opt(None, help="directory of the checkpoint")
    resume: bool = opt(False, help="continue from the checkpoint in checkpoint_dir if present")


@dataclass
class NeuralOptions(RunOptions, BoundaryOptions, SamplingOptions, OptimizerOptions, NetworkOptions):
    """Network, optimiser, sampling, boundary and run options of a neural solver, one group per
    concern (each a base class); a case file writes them as flat keys.

    ``beta_schedule="auto"`` means "staircase" for mscale1/mscale2 and "constant" for mlp.
    ``steps`` counts Adam steps (L-BFGS iterations when ``optimizer="lbfgs"``, ENGD steps for
    "engd" and "spring"); "adam+lbfgs" runs ``steps`` Adam steps then ``lbfgs_steps`` L-BFGS
    iterations.
    The ``optimizer`` and its options build one configured optimiser when the options are
    validated (:attr:`configured_optimizer`, :class:`Optimizer`); the defaults that
    depend on it are its own: ``dtype="auto"`` is float64 for ENGD and SPRING (its
    Gauss-Newton steps resolve singular values down to 1e-12 s_1, far below float32's
    resolution) and float32 otherwise; ``log_every=None`` records every ENGD or SPRING step (each
    costs far more than the monitor) and every 100th first-order step.
    """

    def __post_init__(self):
        self.configured_optimizer: Optimizer = BUILDERS[self.optimizer](self)

    def resolved_dtype(self) -> str:
        """"float32" or "float64" (see ``dtype="auto"``)."""
        return self.configured_optimizer.dtype if self.dtype == "auto" else self.dtype

    def resolved_log_every(self) -> int:
        """The history interval (see ``log_every=None``)."""
        return self.configured_optimizer.log_every if self.log_every is None else self.log_every


MAX_GRID_NODES = 10**7
"""Largest tensor grid (all (n + 1)^d nodes) or Gauss rule a sampler builds."""


def check_grid_size(dim: int, n: int, field: str) -> None:
    """ConfigError (naming ``field``) for a tensor grid of more than MAX_GRID_NODES nodes."""
    if (n + 1) ** dim > MAX_GRID_NODES:
        raise ConfigError(f"{field}: a grid with {n} intervals per direction has (n+1)^d = "
                          f"{(n + 1) ** dim} nodes in d = {dim}; at most {MAX_GRID_NODES}")


def check_gauss_size(dim: int, cells: int, order: int, field: str) -> None:
    """ConfigError (naming ``field``) for a composite Gauss rule of more than MAX_GRID_NODES
    points."""
    if (cells * order) ** dim > MAX_GRID_NODES:
        raise ConfigError(f"{field}: a Gauss rule with {cells} cells of {order} points per "
                          f"direction has {(cells * order) ** dim} points in d = {dim}; at most "
                          f"{MAX_GRID_NODES}")


def check_scales(width: int, scales) -> None:
    """ConfigError when MscaleDNN-1's first layer has fewer neurons than scales to group."""
    if len(scales) > width:
        raise ConfigError(f"scales: {len(scales)} scales need a first hidden layer at least "
                          f"that wide, got width {width}")


def check_combinations(problem, options: NeuralOptions) -> None:
    """ConfigError for options that cannot run on this problem or together (checked when the
    case is validated): per-frequency errors need an exact solution, resuming and periodic
    checkpoints need a checkpoint folder, a parity needs a problem of that parity, a fixed
    interior rule must fit in memory, MscaleDNN-1 needs a neuron per scale."""
    if options.freq_history and not problem.has_exact:
        raise ConfigError("freq_history: needs a problem with an exact solution (this one is "
                          "measured against a reference); use freq_history = false")
    if options.resume and not options.checkpoint_dir:
        raise ConfigError("resume: needs checkpoint_dir (the folder of the checkpoints to "
                          "resume from)")
    if options.checkpoint_every and not options.checkpoint_dir:
        raise ConfigError("checkpoint_every: needs checkpoint_dir (where to write them)")
    if options.sampler == "grid":
        check_grid_size(problem.dim, options.batch_interior, "batch_interior")
    if options.sampler == "gauss":
        check_gauss_size(problem.dim, options.batch_interior, options.quadrature_order,
                         "batch_interior")
    if options.network == "mscale1":
        check_scales(options.widths[0], options.scales)
    if options.parity != "none":
        from .parity import check_parity  # imports torch: only for the neural solvers that ask

        check_parity(problem, options.parity)
