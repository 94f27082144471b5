"""Training hooks: the monitor that writes the history, and the progress bar."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from .. import spectral
from ..problems.base import Problem
from ..quadrature import sobol_points
from .function import predict
from .training import Callback, Trainer

MONITOR_SEED_OFFSET = 7919
"""Added to the run seed for the monitor's Sobol set, so it differs from the training points."""

FREQ_GRID_POINTS = {1: 1001}
"""Grid nodes per direction for the per-frequency errors (1-D: the paper's 1001 points);
in d > 1 about 2^16 nodes in all."""


class FrequencyProbe:
    """Per-frequency errors of a model against the exact solution on a uniform grid.

    1-D: Delta_F(k) at the ``count`` largest DFT peaks of the exact solution
    (:func:`pdesolve.spectral.dft_errors`); d-D: ``count`` radial bands of the sine
    transform (:func:`pdesolve.spectral.radial_band_errors`).
    """

    def __init__(self, problem: Problem, count: int):
        d = problem.dim
        points = FREQ_GRID_POINTS.get(d, max(9, round((2**16) ** (1 / d))))
        self.x, self.shape = spectral.tensor_grid(problem.domain, points)
        self.reference = np.asarray(problem.exact(self.x)).reshape(self.shape)
        self.count = count
        if d == 1:
            self.freqs = spectral.peak_frequencies(self.reference, count)
            self.labels = spectral.mode_labels(self.freqs)

    def errors(self, values: np.ndarray) -> dict[str, float]:
        values = values.reshape(self.shape)
        if len(self.shape) == 1:
            errs = spectral.dft_errors(values, self.reference, self.freqs)
            labels = self.labels
        else:
            edges, errs = spectral.radial_band_errors(values, self.reference, self.count)
            labels = spectral.band_labels(edges)
        return {k: float(e) for k, e in zip(labels, errs)}


class Monitor(Callback):
    """Appends {step, loss, boundary, beta, lr, seconds, l2_rel[, freq_err]} to the history
    (and what the optimiser reports: ENGD's step length ``alpha`` and ``cutoff``).

    Every ``log_every`` steps and at the end. l2_rel = ||u_theta - u|| / ||u|| over
    ``points`` scrambled Sobol points, u the exact solution or else the problem's
    ``reference`` (a fine FEM solve the harness sets); omitted without either.
    ``seconds`` is the training time so far; the monitor's own time is in ``self.seconds``.
    """

    def __init__(self, problem: Problem, model: nn.Module, *, points: int, log_every: int,
                 seed: int, dtype: torch.dtype, device: torch.device,
                 freq: FrequencyProbe | None = None):
        self.model, self.log_every, self.freq = model, log_every, freq
        self.dtype, self.device = dtype, device
        self.seconds = 0.0
        self.x = self.ref = None
        target = problem.exact if problem.has_exact else problem.reference
        if target is not None and points > 0:
            self.x = sobol_points(problem.domain, points, seed + MONITOR_SEED_OFFSET).points
            self.ref = np.asarray(target(self.x))

    def record(self, trainer: Trainer) -> None:
        start = time.perf_counter()
        entry = {"step": trainer.step, "loss": trainer.last_loss,
                 "boundary": trainer.last_boundary, "beta": trainer.beta, "lr": trainer.lr,
                 "seconds": trainer.train_seconds, **trainer.optimizer.monitored()}
        if trainer.step == 0:
            entry["loss"] = entry["boundary"] = None
        if self.ref is not None:
            e = predict(self.model, self.x, self.dtype, self.device) - self.ref
            entry["l2_rel"] = float(np.sqrt(np.sum(e**2) / np.sum(self.ref**2)))
        if self.freq is not None:
            values = predict(self.model, self.freq.x, self.dtype, self.device)
            entry[spectral.FREQ_KEY] = self.freq.errors(values)
        trainer.history.append(entry)
        self.seconds += time.perf_counter() - start

    def on_train_begin(self, trainer: Trainer) -> None:
        if not trainer.history:
            self.record(trainer)

    def on_step_end(self, trainer: Trainer) -> None:
        if trainer.crossed(self.log_every):
            self.record(trainer)

    def on_train_end(self, trainer: Trainer) -> None:
        if trainer.history[-1]["step"] != trainer.step:
            self.record(trainer)


class ProgressBar(Callback):
    """A tqdm bar showing the step, the loss and the latest monitor error."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def on_train_begin(self, trainer: Trainer) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=trainer.total, initial=trainer.step, desc=self.label,
                        dynamic_ncols=True)

    def on_step_end(self, trainer: Trainer) -> None:
        self.bar.update(trainer.step - trainer.previous_step)
        last = trainer.history[-1] if trainer.history else {}
        if last.get("step") == trainer.step:
            shown = {"loss": f"{trainer.last_loss:.4g}"}
            if "l2_rel" in last:
                shown["l2_rel"] = f"{last['l2_rel']:.3g}"
            self.bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
