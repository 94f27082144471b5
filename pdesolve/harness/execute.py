"""One run, start to finish, in whatever process executes it.

:func:`execute_run` builds the problem and options, solves, measures the error
on the case's evaluation set (never the solver's own points) and returns a
JSON-able record. It never raises for a failed solve: exceptions, divergence
and time limits become the record's ``status`` and ``message``.
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import os
import platform
import sys
import time
import traceback
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from .. import __version__
from ..config import build_options
from ..errors import PdesolveError, SolverFailed
from ..metrics import measure_errors
from ..domains import Box
from ..quadrature import sobol_points, uniform_points
from ..result import FINISHED, Result, Status
from ..user_code import import_user_module
from .machine import cpu_seconds, load_average
from .reference import reference_settings, reference_solution
from .sweep import RunSpec, build_problem
from .slices import solution_slice
from .trust import trust_flags

log = logging.getLogger(__name__)

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


MEASURED_PROCESS = ("pid", "load_average")
"""Fields of a record's ``environment`` that describe the process and the host's load."""


def is_measurement(key: str) -> bool:
    """A time of one execution: ``seconds``, ``*_seconds`` (``max_seconds`` is an option and
    lives in ``options``, which is never filtered) or ``timings``."""
    return key in ("seconds", "timings") or key.endswith("_seconds")


def without_measurements(record: dict) -> dict:
    """A copy of ``record`` without what measures one execution of the run rather than its
    result: the times (:func:`is_measurement`) at the top level, in ``info``, in each
    history entry and in ``environment``, and the pid and load average there. Two executions
    of the same run (same configuration, seed and package version) give the same copy."""
    def drop(table, extra=()):
        if not isinstance(table, dict):
            return table
        return {k: v for k, v in table.items() if not is_measurement(k) and k not in extra}

    out = drop(record)
    out["info"] = drop(out.get("info"))
    out["environment"] = drop(out.get("environment"), MEASURED_PROCESS)
    out["history"] = [drop(h) for h in out.get("history") or []]
    return out


def limit_threads(threads: int | None) -> None:
    """Cap the threads of libraries loaded from now on, and of torch if already loaded."""
    if not threads:
        return
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _threads_used(limit: int | None) -> int:
    if "torch" in sys.modules:
        return int(sys.modules["torch"].get_num_threads())
    return int(limit or os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)


def library_versions() -> dict[str, str]:
    """Versions of Python, pdesolve and the numerical libraries this process loaded."""
    out = {"python": platform.python_version(), "pdesolve": __version__}
    for dist, module in (("numpy", "numpy"), ("scipy", "scipy"), ("scikit-fem", "skfem"),
                         ("pyamg", "pyamg"), ("torch", "torch")):
        if module in sys.modules:
            try:
                out[dist] = version(dist)
            except PackageNotFoundError:
                out[dist] = "unknown"
    return out


TIMING_POINTS = 2**16
"""Scrambled Sobol points at which the time to evaluate a solution is measured."""

MEASURE_SECONDS = 300.0
"""Time budget of one run's error measurement (:func:`pdesolve.metrics.measure_errors`): the
rules of a slow-to-evaluate solution (a 10-D sparse grid, a 5-D network at 1e5 points) stop
refining there, with the uncertainty reached recorded and flagged above 1 %."""


@functools.lru_cache(maxsize=4)
def _timing_points(lower: tuple, upper: tuple, seed: int) -> np.ndarray:
    return sobol_points(Box(lower, upper), TIMING_POINTS, seed + 1).points


def _solution_seconds(result: Result, domain, seed: int) -> float:
    """Wall time of u_h at :data:`TIMING_POINTS` fixed points of the (bounding) box (what using
    the solution costs)."""
    x = _timing_points(*(tuple(b.tolist()) for b in domain.bounds), seed)
    start = time.perf_counter()
    result.u(x)
    return time.perf_counter() - start


def clean(value):
    """JSON-able copy: NumPy scalars/arrays to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _reference(problem, cache_dir, n: int | None = None, inputs: dict | None = None):
    """(u, grad, source) of the problem's exact solution, or of a fine reference solution
    (with ``n`` cells or points per direction instead of the default's, if given; cached under
    the hashes of the files the problem is read from, ``inputs``)."""
    if problem.has_exact:
        return problem.exact, problem.exact_grad, "exact"
    kind, options = reference_settings(problem)
    u, grad = reference_solution(problem, cache_dir, kind=kind,
                                 options=options | ({"n": n} if n else {}), inputs=inputs)
    return u, grad, "reference"


def _solve(module, problem, options, progress: bool) -> tuple[Result | None, dict]:
    """Run the solver; return (result, outcome) where outcome holds status/message/info."""
    try:
        result = module.solve(problem, options, progress=progress)
    except SolverFailed as exc:
        info = dict(exc.info)
        partial = {k: info.pop(k) for k in ("dofs", "history") if k in info}
        return None, {"status": exc.status, "message": str(exc), "info": info, **partial}
    except Exception as exc:  # a crashing run is recorded, the sweep goes on
        log.debug("run raised", exc_info=True)
        return None, {"status": Status.FAILED.value, "message": f"{type(exc).__name__}: {exc}",
                      "traceback": traceback.format_exc(limit=-4)}
    status = Status(result.status).value
    return result, {"status": status, "message": result.message, "info": result.info}


def _measure(spec: RunSpec, problem, result: Result, reference) -> dict:
    """Errors with their measurement uncertainty, evaluation times and a solution slice;
    ``reference`` is (u, grad, source) of :func:`_reference`."""
    u_ref, grad_ref, source = reference
    domain = problem.domain
    rules = {k: v for k, v in spec.evaluation.items() if k not in ("probes", "reference_n")}
    t0 = time.perf_counter()
    try:
        measured = measure_errors(result.u, u_ref, result.grad, grad_ref,
                                  default=domain.error_rules(**rules), budget=MEASURE_SECONDS)
    except FloatingPointError as exc:
        return {"status": Status.DIVERGED.value, "message": str(exc), "error_reference": source}
    out = {**measured.record(), "eval_seconds": time.perf_counter() - t0,
           "error_reference": source,
           "solution_seconds": {"points": TIMING_POINTS,
                                "seconds": _solution_seconds(result, domain,
                                                             spec.evaluation["seed"])}}
    h = result.info.get("h")
    h = max(h) if isinstance(h, (list, tuple)) else h
    cells = round(float(max(domain.lengths)) / h) if h else None  # equal cells per direction
    out["slice"] = solution_slice(domain, result.u, u_ref, cells=cells)
    if spec.evaluation.get("probes"):
        x = uniform_points(domain, spec.evaluation["probes"], spec.evaluation["seed"])
        out["probes"] = {"points": len(x), "seed": spec.evaluation["seed"],
                         "u": np.asarray(result.u(x), float), "reference": np.asarray(u_ref(x))}
    return out


def _base_record(spec: RunSpec) -> dict:
    """The record of ``spec`` before it runs: its configuration, status ok, no results."""
    return {
        "run_id": spec.run_id, "case": spec.case, "index": spec.index, "solver": spec.kind,
        "family": spec.family, "label": spec.label, "options": spec.options, "swept": spec.swept,
        "seed": spec.seed, "repeat": spec.repeat,
        "problem": {"name": str(spec.problem.get("name", "formula")), "table": spec.problem},
        "status": Status.OK.value, "message": "", "dofs": None, "seconds": None,
        "eval_seconds": None, "metrics": None, "history": [], "info": {},
    }


def failed_record(spec: RunSpec, message: str) -> dict:
    """The record of a run whose process died before it could return one."""
    return clean({**_base_record(spec), "status": Status.FAILED.value, "message": message,
                  "environment": {"host": platform.node(), "versions": library_versions()}})


def _run(spec: RunSpec, record: dict, progress: bool, cache_dir: str | None):
    """Build, solve and measure into ``record``; (cpu, wall) seconds of the solve, or
    (None, None) when the solver does not apply."""
    if spec.module_file is not None:  # a user's file: it registers under a name of its own
        import_user_module(spec.module_file, spec.base_dir)
    module = importlib.import_module(spec.module)
    problem = build_problem(spec.problem, spec.base_dir)
    record["problem"] = {**problem.describe(), "table": spec.problem}
    reason = module.supports(problem)
    if reason:
        record.update(status=Status.NOT_APPLICABLE.value, message=reason)
        return None, None
    options = build_options(module.Options, spec.options, where=f"solver {spec.kind!r}")
    reference = _reference(problem, cache_dir, spec.evaluation.get("reference_n"), spec.inputs)
    if not problem.has_exact:  # training monitors report their errors against it
        problem = replace(problem, reference=reference[0])
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    result, outcome = _solve(module, problem, options, progress)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    record["seconds"] = wall
    record.update(outcome)
    if result is not None:
        record.update(dofs=int(result.dofs), seconds=float(result.seconds),
                      history=result.history)
        record.update(_measure(spec, problem, result, reference))
        if spec.family == "neural" and record["status"] in FINISHED:
            record["flags"] = trust_flags(spec.kind, spec.options, problem, spec.problem,
                                          result, record.get("metrics"))
    return cpu, wall


def execute_run(spec: RunSpec, *, progress: bool = False, concurrent: bool = False,
                threads: int | None = None, cache_dir: str | None = None) -> dict:
    """Do one run and return its record (a JSON-able dict); never raises for a failed solve.

    Parameters
    ----------
    spec : the run.
    progress : let the solver show its own progress bar.
    concurrent : whether other runs share this machine meanwhile (recorded).
    threads : cap on library threads in this process (recorded), None for no cap.
    cache_dir : where a reference solution may be cached (problems without exact solution).
    """
    limit_threads(threads)
    load_before = load_average()
    record = _base_record(spec)
    cpu = wall = None
    try:
        cpu, wall = _run(spec, record, progress, cache_dir)
    except (PdesolveError, OSError) as exc:  # gmsh crashed measuring, a cache unwritable
        record.update(status=Status.FAILED.value, message=f"{type(exc).__name__}: {exc}")
    info = record.get("info") or {}
    record["environment"] = {
        "threads": int(info.get("threads") or _threads_used(threads)),
        "thread_limit": threads, "device": str(info.get("device", "cpu")),
        "concurrent": concurrent, "host": platform.node(), "pid": os.getpid(),
        # 1-minute load average of the host around the run: other users' work slows it too
        "load_average": [load_before, load_average()], "cpu_count": os.cpu_count(),
        # the solve's CPU time (all threads, children) and wall time, by the harness
        "cpu_seconds": cpu, "wall_seconds": wall,
        "versions": library_versions(),
    }
    return clean(record)
