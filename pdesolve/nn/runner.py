"""From options and a loss to a trained network and a Result: what the neural solvers share."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError, SolverFailed
from ..problems.base import Problem
from ..result import Result, Status
from . import checkpoint
from .activations import get_activation
from .callbacks import FrequencyProbe, Monitor, ProgressBar
from .function import NetworkFunction
from .losses import DirichletAnsatz, Loss
from .networks import build_network, count_parameters
from .options import BoundaryOptions, NetworkOptions, NeuralOptions, SamplingOptions
from .parity import Parity
from .sampling import BoundarySampler, InteriorSampler
from .training import Callback, Trainer

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """"auto" -> cuda when available, else cpu; "cuda" without a GPU is a ConfigError."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' was asked for but no CUDA device is available")
    return torch.device(name)


def check_loss(problem: Problem, options: NeuralOptions, loss: Loss) -> None:
    """ValueError when ``loss`` is for another problem or boundary treatment than ``options``
    (a mistake of the calling code; the options themselves were validated with the case)."""
    if loss.problem is not problem or loss.exact_boundary != (options.boundary == "exact"):
        raise ValueError(f"the loss is for another problem or boundary treatment than "
                         f"boundary={options.boundary!r}")


def train(problem: Problem, options: NeuralOptions, loss: Loss, *, name: str,
          progress: bool = False, callbacks: Sequence[Callback] = ()) -> Result:
    """Build the network and samplers from ``options``; train on ``loss``; wrap the result.

    ``options`` are validated (:func:`pdesolve.solvers.configure`: their fields, and the
    solver's ``check`` on this problem). ``name`` labels the result and the progress bar (the
    solver's kind). ``loss`` must agree with the problem and ``options.boundary``
    (``exact_boundary`` for "exact"); ValueError otherwise.

    ``callbacks`` are extra hooks run after the built-in ones (monitor, progress bar,
    checkpoints); their time is not counted as training time.
    A run stopped by ``max_seconds`` before its last step has status TIME_LIMIT (a usable
    result with its history). Raises SolverFailed (status "diverged") when the loss becomes
    NaN/inf; its ``info`` then holds "dofs" (the parameter count) and "history" (up to the
    divergence).
    """
    check_loss(problem, options, loss)
    threads = torch.get_num_threads()
    if options.threads:
        torch.set_num_threads(options.threads)
    try:
        return _train(problem, options, loss, name, progress, callbacks)
    finally:
        torch.set_num_threads(threads)


def with_boundary(net: nn.Module, problem: Problem, options: BoundaryOptions) -> nn.Module:
    """The network with the parity and the Dirichlet data built in, as ``options`` ask."""
    model = net
    if options.parity != "none":  # inside the ansatz: G and phi have the parity already
        model = Parity(net, problem.domain.lower, problem.domain.upper, options.parity)
    if options.boundary == "exact":
        model = DirichletAnsatz(model, problem.domain, problem.g)
    return model


def samplers(problem: Problem, options: SamplingOptions, exact_boundary: bool, seeds,
             dtype: torch.dtype, device: torch.device) -> tuple[InteriorSampler, BoundarySampler]:
    """The interior and boundary samplers of ``options``, seeded by ``seeds`` (two)."""
    interior = InteriorSampler(problem.domain, options.batch_interior, options.sampler,
                               resample=options.resample, order=options.quadrature_order,
                               seed=int(seeds[0]), dtype=dtype, device=device)
    # with the boundary values built in (or no Dirichlet part) the loss reads no boundary
    # points: draw a token few; with Neumann/Robin parts, draw on the Dirichlet parts only
    parts = problem.dirichlet_parts if problem.fluxes else None
    boundary_kind, boundary_n = (("uniform", 1) if exact_boundary or parts == ()
                                 else (options.sampler, options.batch_boundary))
    boundary = BoundarySampler(problem.domain, boundary_n, boundary_kind,
                               resample=options.resample, order=options.quadrature_order,
                               seed=int(seeds[1]), dtype=dtype, device=device,
                               parts=parts or None)
    return interior, boundary


def beta_schedule(options: BoundaryOptions, network: NetworkOptions) -> str:
    """"constant" or "staircase"; "auto" is staircase for MscaleDNN networks."""
    if options.beta_schedule != "auto":
        return options.beta_schedule
    return "constant" if network.network == "mlp" else "staircase"


def _train(problem: Problem, options: NeuralOptions, loss: Loss, name: str, progress: bool,
           extra: Sequence[Callback]) -> Result:
    start = time.perf_counter()
    device = resolve_device(options.device)
    dtype_name = options.resolved_dtype()
    dtype = getattr(torch, dtype_name)
    seeds = np.random.SeedSequence(options.seed).generate_state(3)
    net = build_network(options.network, problem.dim, options.widths,
                        get_activation(options.activation, options.power),
                        scales=options.scales, residual=options.residual,
                        init_scale=options.init_scale, seed=int(seeds[0]), dtype=dtype)
    model = with_boundary(net, problem, options).to(device=device, dtype=dtype)
    interior, boundary = samplers(problem, options, options.boundary == "exact", seeds[1:],
                                  dtype, device)
    loss.draw_flux_points(options.batch_boundary, int(seeds[2]) + 1, dtype, device,
                          options.sampler, options.quadrature_order)
    schedule = beta_schedule(options, options)
    freq = FrequencyProbe(problem, options.freq_count) if options.freq_history else None
    monitor = Monitor(problem, model, points=options.monitor_points, log_every=options.resolved_log_every(),
                      seed=options.seed, dtype=dtype, device=device, freq=freq)
    callbacks = [monitor]
    if progress:
        callbacks.append(ProgressBar(name))
    saver = None
    if options.checkpoint_every:
        saver = checkpoint.Checkpointer(options.checkpoint_dir, options.checkpoint_every, options)
        callbacks.append(saver)
    callbacks.extend(extra)
    trainer = Trainer(model, loss, interior, boundary, options.configured_optimizer,
                      beta=options.beta, beta_schedule=schedule,
                      max_seconds=options.max_seconds, callbacks=callbacks)
    if options.resume:
        checkpoint.resume(trainer, options.checkpoint_dir, options)
    setup_seconds = time.perf_counter() - start
    try:
        trainer.run()
    except SolverFailed as exc:
        exc.info.update(dofs=count_parameters(net), history=trainer.history)
        raise
    info = {
        "steps": trainer.step,
        "stop_reason": trainer.stop_reason or "steps done",
        "final_loss": trainer.last_loss,
        "setup_seconds": setup_seconds,
        "train_seconds": trainer.train_seconds,
        "monitor_seconds": monitor.seconds,
        "checkpoint_seconds": saver.seconds if saver else 0.0,
        "beta_schedule": schedule,
        "device": str(device),
        "dtype": dtype_name,
        "optimizer": options.optimizer,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "network": repr(net).replace("\n", " "),
    }
    function = NetworkFunction(model, dtype, device, info)
    return Result(solver=name, u=function.u, grad=function.grad, dofs=count_parameters(net),
                  seconds=setup_seconds + trainer.train_seconds, history=trainer.history,
                  info=info, message=trainer.stop_reason,
                  status=Status.TIME_LIMIT if trainer.time_limited else Status.OK)
