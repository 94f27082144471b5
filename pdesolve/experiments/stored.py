"""What an experiment stores: its cases' runs (the harness's store) and its computations.

Both resume: a rerun skips the runs and computations already stored. A computation is a
function returning NumPy arrays, stored atomically as ``<out>/computed/<name>-<key>.npz``
(no pickle), ``key`` a hash of the function, its parameters and the package version, with
its wall and CPU time (``_seconds``, ``_cpu_seconds``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import __version__
from ..errors import ConfigError
from ..files import write_bytes_atomic
from ..harness import Store, expand_case, load_case, run_sweep
from ..harness.case import Case
from ..harness.report import save_settings, write_report

log = logging.getLogger(__name__)

CASE_DIR = Path(__file__).parent / "cases"
COMPUTED = "computed"
THREADS = 1
"""Library threads per run: the networks are small, and on a machine shared with other work
multithreaded small tensor operations slow down many times over (their evaluation most)."""


def experiment_case(name: str) -> Case:
    """The case file ``cases/<name>.toml`` of the experiments."""
    return load_case(CASE_DIR / f"{name}.toml")


def run_cases(out_dir: Path, names: tuple[str, ...], quick: bool, workers: int,
              load: Callable[[str], Case] = experiment_case) -> int:
    """Run the cases ``names`` (each built by ``load``) into ``out_dir/<name>`` (finished runs
    are kept); the number of runs that failed."""
    failed = 0
    for name in names:
        case = load(name)
        root = out_dir / name
        outcome = run_sweep(expand_case(case, quick=quick), Store(root), workers=workers,
                            progress=False, threads=THREADS)
        save_settings(root, {**case.report, "description": case.description})
        log.info("%s: %d runs executed (%d failed), %d already finished, %.0f s", name,
                 len(outcome.executed), len(outcome.failed), len(outcome.skipped),
                 outcome.seconds)
        failed += len(outcome.failed)
    return failed


def write_case_reports(out_dir: Path, names: tuple[str, ...]) -> None:
    """The harness's report (summary.csv, report.md, figures) of every case."""
    for name in names:
        write_report(out_dir / name)


def case_records(out_dir: Path, names: tuple[str, ...]) -> dict[str, list[dict]]:
    """The stored run records of every case, by case name (in sweep order)."""
    records = {}
    for name in names:
        records[name] = Store(out_dir / name).records()
        if not records[name]:
            raise ConfigError(f"{out_dir / name}: no run records; run the experiment first")
    return records


@dataclass(frozen=True)
class Computation:
    """``function(**params) -> {name: array}``, stored once."""

    function: Callable[..., dict]
    params: dict = field(default_factory=dict)

    def path(self, out_dir: Path, name: str) -> Path:
        text = json.dumps({"function": f"{self.function.__module__}.{self.function.__qualname__}",
                           "params": self.params, "version": __version__}, sort_keys=True)
        key = hashlib.sha256(text.encode()).hexdigest()[:12]
        return out_dir / COMPUTED / f"{name}-{key}.npz"


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def compute(out_dir: Path, computations: dict[str, Computation]) -> None:
    """Compute and store every computation not stored yet (or unreadable, with a warning)."""
    for name, job in computations.items():
        path = job.path(out_dir, name)
        if path.is_file():
            try:
                _load(path)
                continue
            except Exception as exc:  # a truncated or damaged file: computed again
                log.warning("%s is unreadable (%s: %s); computing it again", path,
                            type(exc).__name__, exc)
        start, cpu = time.perf_counter(), time.process_time()
        arrays = {k: np.asarray(v) for k, v in job.function(**job.params).items()}
        arrays.update(_seconds=time.perf_counter() - start, _cpu_seconds=time.process_time() - cpu)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_bytes_atomic(path, buffer.getvalue())
        log.info("%s stored in %s", name, path)


def load_computed(out_dir: Path, computations: dict[str, Computation]) -> dict[str, dict]:
    """The stored arrays of every computation, by name (0-d arrays as Python scalars)."""
    out = {}
    for name, job in computations.items():
        path = job.path(out_dir, name)
        if not path.is_file():
            raise ConfigError(f"{path}: not stored; run the experiment first")
        out[name] = {k: v.item() if v.ndim == 0 else v for k, v in _load(path).items()}
    return out
