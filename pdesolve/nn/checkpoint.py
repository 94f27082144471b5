"""Checkpoints: save the whole training state every N steps, resume from the last one.

A checkpoint holds the trainer's :meth:`~pdesolve.nn.training.Trainer.state_dict`
(parameters, the state of every optimiser phase, sampler generators, torch RNG, history)
and a fingerprint of the options that determine the arithmetic. It is written to a
temporary file and renamed, so a run killed while saving leaves the previous checkpoint.
Resuming with different options is refused (ConfigError naming the first difference).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path

import torch

from ..errors import ConfigError
from .training import Callback, Trainer

log = logging.getLogger(__name__)

FILENAME = "checkpoint.pt"

NOT_FINGERPRINTED = ("resume", "checkpoint_every", "checkpoint_dir", "max_seconds", "threads",
                     "log_every")
"""Options that may change between a run and its resumption."""


def fingerprint(options) -> dict:
    """The options a resumed run must share with the checkpointed one."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
            if f.name not in NOT_FINGERPRINTED}


def defaults(options) -> dict:
    """The default of every option of ``options``' dataclass."""
    return {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(options)}


class Checkpointer(Callback):
    """Write ``directory/checkpoint.pt`` every ``every`` steps."""

    def __init__(self, directory: str | os.PathLike, every: int, options):
        self.path = Path(directory) / FILENAME
        self.every = every
        self.fingerprint = fingerprint(options)
        self.seconds = 0.0

    def on_step_end(self, trainer: Trainer) -> None:
        if trainer.crossed(self.every):
            start = time.perf_counter()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            torch.save({"options": self.fingerprint, "trainer": trainer.state_dict()}, tmp)
            os.replace(tmp, self.path)
            self.seconds += time.perf_counter() - start


def resume(trainer: Trainer, directory: str | os.PathLike, options) -> bool:
    """Load the checkpoint in ``directory`` into ``trainer``; False when there is none."""
    path = Path(directory) / FILENAME
    if not path.exists():
        log.info("no checkpoint in %s: starting from step 0", directory)
        return False
    saved = torch.load(path, weights_only=True)
    current = fingerprint(options)
    # an option added after the checkpoint was written counts as its default there
    written = {**defaults(options), **saved["options"]}
    for key in sorted(set(saved["options"]) | set(current)):
        if written.get(key) != current.get(key):
            raise ConfigError(
                f"resume: the checkpoint in {directory} was written with {key} = "
                f"{written.get(key)!r}, this run has {current.get(key)!r}"
            )
    trainer.load_state_dict(saved["trainer"])
    log.info("resumed from %s at step %d", path, trainer.step)
    return True
