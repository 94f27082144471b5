"""Run a sweep: skip finished runs, execute the rest serially, on processes or on Dask.

Records always come back to this process, which alone writes the store, so
results from workers and clusters land exactly like serial ones.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Iterator

from tqdm.auto import tqdm

from .execute import FINISHED, THREAD_VARIABLES, execute_run
from .store import Store
from .sweep import RunSpec

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = "20s"
"""How long to wait for a Dask scheduler before giving up."""


@dataclass
class SweepOutcome:
    """What a sweep did: run ids executed, skipped (already finished) and failed."""

    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextlib.contextmanager
def _thread_environment(threads: int) -> Iterator[None]:
    """Thread caps in os.environ while worker processes start (they inherit it)."""
    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    os.environ.update({k: str(threads) for k in THREAD_VARIABLES})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def describe(spec: RunSpec) -> str:
    """Short name of a run for progress and logs: label and swept values."""
    values = " ".join(f"{k}={v}" for k, v in spec.swept.items() if f"{k}={v}" not in spec.label)
    return f"{spec.label} {values}".strip()


def _serial(todo: list[RunSpec], progress: bool, cache_dir: str, bar) -> Iterator[dict]:
    for spec in todo:
        bar.set_postfix_str(describe(spec))
        yield execute_run(spec, progress=progress, cache_dir=cache_dir)


def _processes(todo: list[RunSpec], workers: int, cache_dir: str) -> Iterator[dict]:
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    with _thread_environment(threads), ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(execute_run, spec, concurrent=workers > 1, threads=threads,
                               cache_dir=cache_dir) for spec in todo]
        for future in as_completed(futures):
            yield future.result()


def _dask(todo: list[RunSpec], scheduler: str, cache_dir: str) -> Iterator[dict]:
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    with Client(scheduler, timeout=CONNECT_TIMEOUT) as client:
        slots = client.nthreads()
        concurrent = sum(slots.values()) > 1
        threads = min(slots.values()) if slots else None
        log.info("sending %d runs to %s (%d workers)", len(todo), scheduler, len(slots))
        futures = [client.submit(execute_run, spec, concurrent=concurrent, threads=threads,
                                 cache_dir=cache_dir, pure=False, key=f"pdesolve-{spec.run_id}")
                   for spec in todo]
        for future in dask_completed(futures):
            yield future.result()


def _log_record(record: dict) -> None:
    metrics = record.get("metrics") or {}
    errors = "  ".join(f"{k}={v:.3e}" for k, v in metrics.items() if v is not None)
    seconds = record.get("seconds")
    timing = f"{seconds:.2f}s" if seconds is not None else "-"
    level = logging.INFO if record["status"] in FINISHED else logging.WARNING
    log.log(level, "%s %s %s dofs=%s %s %s %s", record["run_id"], record["label"],
            record["status"], record.get("dofs"), timing, errors, record.get("message") or "")


def run_sweep(specs: list[RunSpec], store: Store, *, force: bool = False, workers: int = 1,
              scheduler: str | None = None, progress: bool = True) -> SweepOutcome:
    """Execute the runs of ``specs`` not yet finished in ``store`` and store their records.

    Parameters
    ----------
    specs : the expanded sweep.
    store : where records are read (to skip) and written.
    force : redo finished runs too.
    workers : number of local processes (1: run in this process).
    scheduler : address of a Dask scheduler; overrides ``workers``.
    progress : show a bar over the sweep and, when serial, each run's own bar.
    """
    start = time.perf_counter()
    outcome = SweepOutcome()
    store.remove_stale_temporaries()
    store.write_manifest(specs[0].case if specs else "", [s.run_id for s in specs])
    todo = []
    for spec in specs:
        if not force and store.is_finished(spec.run_id):
            outcome.skipped.append(spec.run_id)
        else:
            todo.append(spec)
    if outcome.skipped:
        log.info("skipping %d finished runs (use --force to redo them)", len(outcome.skipped))
    cache_dir = str(store.root / "reference")
    with tqdm(total=len(specs), initial=len(outcome.skipped), unit="run", disable=not progress,
              desc=specs[0].case if specs else "sweep", position=0, dynamic_ncols=True) as bar:
        if scheduler:
            records = _dask(todo, scheduler, cache_dir)
        elif workers > 1:
            records = _processes(todo, workers, cache_dir)
        else:
            records = _serial(todo, progress, cache_dir, bar)
        for record in records:
            store.write(record)
            outcome.executed.append(record["run_id"])
            if record["status"] not in FINISHED:
                outcome.failed.append(record["run_id"])
            _log_record(record)
            bar.update()
            if scheduler or workers > 1:
                bar.set_postfix_str(f"last: {record['label']}")
    outcome.seconds = time.perf_counter() - start
    return outcome
