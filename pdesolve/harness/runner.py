"""Run a sweep: skip finished runs, execute the rest serially, on processes or on Dask.

Records always come back to this process, which alone writes the store, so
results from workers and clusters land exactly like serial ones. Before a run is
sent off, this process claims it in the store (:meth:`Store.claim`); a run claimed by
another process (a second ``pdesolve run`` on the same results directory) is left to
it and waited for at the end, and is redone here only if that process died without
storing it. Two processes on one directory thus split the work and lose nothing.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tqdm.auto import tqdm

from ..result import FINISHED
from . import logs
from .execute import THREAD_VARIABLES, execute_run, failed_record
from ..files import write_json_atomic
from .store import Store
from .sweep import RunSpec

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = "20s"
"""How long to wait for a Dask scheduler before giving up."""

POLL_SECONDS = 0.2
"""How often runs claimed by another process are looked at again while waiting for them."""


@dataclass
class SweepOutcome:
    """What a sweep did: run ids executed here, skipped (already finished), done by another
    process meanwhile, and failed (of those executed here); ``unsaved`` says why it stopped
    early, when the results directory could not be written."""

    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    unsaved: str = ""
    """Why the sweep stopped early, where a record the store could not take was kept."""


@contextlib.contextmanager
def _thread_environment(threads: int) -> Iterator[None]:
    """Thread caps in os.environ (worker processes started meanwhile inherit them) and, in
    this process, torch's, both restored afterwards."""
    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch else None
    os.environ.update({k: str(threads) for k in THREAD_VARIABLES})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(torch_threads or torch.get_num_threads())


def describe(spec: RunSpec) -> str:
    """Short name of a run for progress and logs: label and swept values."""
    values = " ".join(f"{k}={v}" for k, v in spec.swept.items() if f"{k}={v}" not in spec.label)
    return f"{spec.label} {values}".strip()


class _Serial:
    """Runs in this process, one at a time (``submit`` returns a finished future), each
    capped at ``threads`` library threads if given (the caps are lifted after it)."""

    window = 1

    def __init__(self, progress: bool, cache_dir: str, bar, threads: int | None):
        self.progress, self.cache_dir, self.bar, self.threads = progress, cache_dir, bar, threads

    def submit(self, spec: RunSpec) -> Future:
        self.bar.set_postfix_str(describe(spec))
        future = Future()
        with _thread_environment(self.threads) if self.threads else contextlib.nullcontext():
            future.set_result(execute_run(spec, progress=self.progress, cache_dir=self.cache_dir,
                                          threads=self.threads))
        return future

    @staticmethod
    def wait(pending: list, timeout: float | None) -> list:
        return [f for f in pending if f.done()]


class _Processes:
    """A pool of ``workers`` spawned processes, each capped at cpu_count / workers threads;
    their warnings are printed here. A pool whose worker died (a native crash) is replaced
    by a fresh one for the runs still to come."""

    def __init__(self, workers: int, cache_dir: str, stack: contextlib.ExitStack,
                 threads: int | None):
        self.window, self.cache_dir = workers, cache_dir
        self.threads = threads or max(1, (os.cpu_count() or 1) // workers)
        self.context = multiprocessing.get_context("spawn")
        self.queue = self.context.Queue()
        stack.enter_context(logs.relay(self.queue))
        stack.enter_context(_thread_environment(self.threads))
        self.pool = self._pool()
        stack.callback(lambda: self.pool.shutdown())

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.window, mp_context=self.context,
                                   initializer=logs.forward_to, initargs=(self.queue,))

    def submit(self, spec: RunSpec) -> Future:
        args = (execute_run, spec)
        kwargs = {"concurrent": self.window > 1, "threads": self.threads,
                  "cache_dir": self.cache_dir}
        try:
            return self.pool.submit(*args, **kwargs)
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._pool()
            return self.pool.submit(*args, **kwargs)

    @staticmethod
    def wait(pending: list, timeout: float | None) -> list:
        done, _ = concurrent.futures.wait(pending, timeout=timeout,
                                          return_when=concurrent.futures.FIRST_COMPLETED)
        return list(done)


class _Dask:
    """A Dask cluster: as many runs in flight as it has worker threads."""

    def __init__(self, scheduler: str, cache_dir: str, stack: contextlib.ExitStack):
        from dask.distributed import Client

        self.client = stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
        slots = self.client.nthreads()
        self.window = max(1, sum(slots.values()))
        self.concurrent = self.window > 1
        self.threads = min(slots.values()) if slots else None
        self.cache_dir = cache_dir
        log.info("sending runs to %s (%d workers)", scheduler, len(slots))

    def submit(self, spec: RunSpec):
        return self.client.submit(execute_run, spec, concurrent=self.concurrent,
                                  threads=self.threads, cache_dir=self.cache_dir, pure=False,
                                  key=f"pdesolve-{spec.run_id}")

    @staticmethod
    def wait(pending: list, timeout: float | None) -> list:
        from dask.distributed import wait

        try:
            wait(pending, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        return [f for f in pending if f.done()]


def _log_record(record: dict) -> None:
    metrics = record.get("metrics") or {}
    errors = "  ".join(f"{k}={v:.3e}" for k, v in metrics.items() if v is not None)
    seconds = record.get("seconds")
    timing = f"{seconds:.2f}s" if seconds is not None else "-"
    level = logging.INFO if record["status"] in FINISHED else logging.WARNING
    log.log(level, "%s %s %s dofs=%s %s %s %s", record["run_id"], record["label"],
            record["status"], record.get("dofs"), timing, errors, record.get("message") or "")


def _record(future, spec: RunSpec) -> dict:
    """The record a run's future holds, or a failed one when its worker process died."""
    try:
        return future.result()
    except BrokenProcessPool as exc:  # a native crash: this run fails, the others go on
        return failed_record(spec, f"the worker process running it died ({type(exc).__name__})")


def _hold(record: dict, store: Store, exc: OSError) -> str:
    """Keep a record the store could not take in the temporary folder; say where."""
    held = Path(tempfile.gettempdir()) / "pdesolve-unsaved" / f"{record['run_id']}.json"
    try:
        write_json_atomic(held, record)
        kept = f"its record is kept in {held}"
    except OSError:
        kept = "its record could not be kept either"
    return (f"cannot write run {record['run_id']} in {store.runs} ({exc.strerror}); {kept}; "
            f"the sweep stopped")


def _execute(todo: list[RunSpec], store: Store, backend, outcome: SweepOutcome, bar,
             force: bool) -> None:
    """Claim, submit and store the runs of ``todo``, at most ``backend.window`` in flight.

    A run another process has claimed goes to the back of the queue and is looked at
    again until its claim is released; whatever that process stored then stands.
    """
    queue = collections.deque(todo)
    pending: dict = {}
    waited: dict[str, float] = {}  # run id -> when it was first found claimed elsewhere
    while queue or pending:
        for _ in range(len(queue)):
            if len(pending) >= backend.window:
                break
            spec = queue.popleft()
            try:
                lock = store.claim(spec.run_id)
            except OSError as exc:
                outcome.unsaved = (f"cannot claim run {spec.run_id} in {store.runs} "
                                   f"({exc.strerror}); the sweep stopped")
                queue.clear()
                break
            if lock is None:
                if spec.run_id not in waited:
                    log.info("%s %s is being run by another process; waiting for it",
                             spec.run_id, describe(spec))
                    waited[spec.run_id] = time.time()
                queue.append(spec)
                continue
            stored_meanwhile = store.written_since(spec.run_id, waited.get(spec.run_id))
            if stored_meanwhile or (not force and store.is_finished(spec.run_id)):
                lock.release()
                outcome.elsewhere.append(spec.run_id)
                bar.update()
                continue
            pending[backend.submit(spec)] = (spec, lock)
        if pending:
            for future in backend.wait(list(pending), timeout=POLL_SECONDS if queue else None):
                spec, lock = pending.pop(future)
                try:
                    record = _record(future, spec)
                    store.write(record)
                except OSError as exc:  # the results directory became unwritable: stop
                    outcome.unsaved = _hold(record, store, exc)
                    queue.clear()
                finally:
                    lock.release()
                outcome.executed.append(record["run_id"])
                if record["status"] not in FINISHED:
                    outcome.failed.append(record["run_id"])
                _log_record(record)
                bar.update()
                if backend.window > 1:
                    bar.set_postfix_str(f"last: {record['label']}")
        elif queue:
            time.sleep(POLL_SECONDS)


def run_sweep(specs: list[RunSpec], store: Store, *, force: bool = False, workers: int = 1,
              scheduler: str | None = None, progress: bool = True,
              threads: int | None = None) -> SweepOutcome:
    """Execute the runs of ``specs`` not yet finished in ``store`` and store their records.

    Parameters
    ----------
    specs : the expanded sweep.
    store : where records are read (to skip) and written; other processes may share it.
    force : redo finished runs too.
    workers : number of local processes (1: run in this process).
    scheduler : address of a Dask scheduler; overrides ``workers``.
    progress : show a bar over the sweep and, when serial, each run's own bar (only when
        stderr is a terminal).
    threads : library threads per run (default: none for serial runs, cpu_count / workers
        for processes; a Dask worker's threads on a cluster).
    """
    start = time.perf_counter()
    outcome = SweepOutcome()
    todo = []
    for spec in specs:
        if not force and store.is_finished(spec.run_id):
            outcome.skipped.append(spec.run_id)
        else:
            todo.append(spec)
    if outcome.skipped:
        log.info("skipping %d finished runs (use --force to redo them)", len(outcome.skipped))
    cache_dir = str(store.root / "reference")
    progress = progress and sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        if scheduler:  # connected before anything is written
            backend = _Dask(scheduler, cache_dir, stack)
        store.remove_stale_temporaries()
        store.write_manifest(specs[0].case if specs else "", [s.run_id for s in specs])
        bar = stack.enter_context(tqdm(
            total=len(specs), initial=len(outcome.skipped), unit="run", disable=not progress,
            desc=specs[0].case if specs else "sweep", position=0, dynamic_ncols=True))
        if not scheduler:
            backend = (_Processes(workers, cache_dir, stack, threads) if workers > 1
                       else _Serial(progress, cache_dir, bar, threads))
        _execute(todo, store, backend, outcome, bar, force)
    outcome.seconds = time.perf_counter() - start
    return outcome
