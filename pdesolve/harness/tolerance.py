"""Equal accuracy and equal time: how long each method needs to reach an error, and how
accurate it is after a given time (McGreivy and Hakim's two fair comparisons).

A *trace* is one run's error against wall time: a classical run is one point (its
``seconds``: mesh, assembly, set-up and solve), a network run a curve (each history entry
at set-up + training time so far, then the measured error at the end). History errors are
the training monitor's estimates on its own Sobol points; the last point of a network's
trace is the harness's measured error.

For a tolerance tau, a trace's time is the first time its error is <= tau; a
configuration's (a series' runs that differ only in their seed) is the median over its
seeds, the larger middle value for an even count (so two seeds both have to reach it); a
method's (a series') is the smallest over its configurations, with that configuration's
DOFs. For a time budget T, a trace's error is its last error at a time <= T, a
configuration's the median over seeds (again the larger middle value), a method's the
smallest over its configurations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..result import FINISHED
from .summary import config_text, problem_name, series_name

TOLERANCES = tuple(10.0 ** -k for k in range(1, 9))
"""1e-1, 1e-2, ..., 1e-8."""

MIN_SECONDS = 1e-6
"""Times are floored here (a run may report 0 s), so they live on log axes."""


@dataclass(frozen=True)
class Trace:
    """Errors of one run against wall time: times (k,) increasing, errors (k,)."""

    times: np.ndarray
    errors: np.ndarray
    dofs: int


@dataclass
class Method:
    """One series: its traces by configuration, and where the errors come from."""

    problem: str
    solver: str
    label: str
    family: str
    configs: dict[str, list[Trace]]
    monitor_points: int | None = None

    @property
    def name(self) -> str:
        return series_name(self.solver, self.label)


HISTORY_STAND_INS = {"l2re": "l2_rel"}
"""Metrics a training history does not record, and the one it records that equals them there:
the monitor's relative L2 error over its uniform points is their RMS ratio, the L2RE."""


def _trace(record: dict, metric: str) -> Trace | None:
    final = (record.get("metrics") or {}).get(metric)
    seconds = record.get("seconds")
    if final is None or seconds is None:
        return None
    entries = record.get("history") or []
    if not any(metric in h for h in entries):
        metric = HISTORY_STAND_INS.get(metric, metric)
    history = [h for h in entries if h.get(metric) is not None and h.get("seconds") is not None]
    times, errors = [], []
    if history and record.get("family") == "neural":
        # history seconds count training only; the record's seconds add the set-up
        offset = max(0.0, seconds - max(h["seconds"] for h in history))
        times = [offset + h["seconds"] for h in history]
        errors = [h[metric] for h in history]
    times.append(seconds)
    errors.append(final)
    order = np.argsort(times, kind="stable")
    return Trace(np.maximum(np.asarray(times)[order], MIN_SECONDS),
                 np.asarray(errors, float)[order], int(record.get("dofs") or 0))


def methods(records: list[dict], metric: str) -> list[Method]:
    """The series of finished runs with their traces (in the order the runs appear)."""
    out: dict[tuple, Method] = {}
    for r in records:
        if r["status"] not in FINISHED:
            continue
        trace = _trace(r, metric)
        if trace is None:
            continue
        key = (problem_name(r), r["solver"], r["label"])
        method = out.setdefault(key, Method(*key, family=r.get("family", ""), configs={}))
        method.configs.setdefault(config_text(r), []).append(trace)
        if r.get("family") == "neural":
            method.monitor_points = (r.get("options") or {}).get("monitor_points")
    return list(out.values())


def _first_time(trace: Trace, tol: float) -> float:
    hit = np.flatnonzero(trace.errors <= tol)
    return float(trace.times[hit[0]]) if hit.size else math.inf


def _error_at(trace: Trace, budget: float) -> float:
    done = np.flatnonzero(trace.times <= budget)
    return float(trace.errors[done[-1]]) if done.size else math.inf


def _median(values: list[float]) -> float:
    """The median, the larger middle value for an even count (inf counts as large)."""
    return sorted(values)[len(values) // 2]


def time_to_tolerance(method: Method, tol: float) -> tuple[float, int] | None:
    """(seconds, DOFs) at which the method first reaches ``tol``, or None."""
    best = None
    for traces in method.configs.values():
        t = _median([_first_time(tr, tol) for tr in traces])
        if math.isfinite(t) and (best is None or t < best[0]):
            best = (t, traces[0].dofs)
    return best


def error_at_time(method: Method, budget: float) -> float | None:
    """The method's error after ``budget`` seconds (None: no run finished its set-up by then)."""
    errors = [_median([_error_at(tr, budget) for tr in traces])
              for traces in method.configs.values()]
    finite = [e for e in errors if math.isfinite(e)]
    return min(finite) if finite else None


def time_budgets(all_methods: list[Method]) -> list[float]:
    """Powers of ten from the first finished point to the last one, at most 8 of them."""
    times = [t for m in all_methods for trs in m.configs.values() for tr in trs for t in tr.times]
    if not times:
        return []
    lo = math.ceil(math.log10(min(times)))
    hi = math.ceil(math.log10(max(times)))
    return [10.0**k for k in range(lo, hi + 1)][-8:]


def speed_table(all_methods: list[Method], tolerances=TOLERANCES) -> dict:
    """{tol: {method name: (seconds, dofs, ratio to the fastest) or None}}."""
    out = {}
    for tol in tolerances:
        reached = {m.name: time_to_tolerance(m, tol) for m in all_methods}
        fastest = min((v[0] for v in reached.values() if v), default=None)
        out[tol] = {name: (v[0], v[1], v[0] / fastest) if v else None
                    for name, v in reached.items()}
    return out


def accuracy_table(all_methods: list[Method], budgets: list[float]) -> dict:
    """{budget: {method name: (error, ratio to the most accurate) or None}}."""
    out = {}
    for budget in budgets:
        errors = {m.name: error_at_time(m, budget) for m in all_methods}
        best = min((e for e in errors.values() if e is not None), default=None)
        out[budget] = {name: (e, e / best if best else math.inf) if e is not None else None
                       for name, e in errors.items()}
    return out
