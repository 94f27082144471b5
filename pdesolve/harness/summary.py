"""Tables from run records: one row per run, seed means, fitted convergence rates.

A *series* is one label of one solver on one problem (a solver table, split by
swept string options). Within a series, runs that differ only in their seed are
one *point* (mean and spread over seeds); rates are the least-squares slope of
log(error) against log(DOFs) over a series' points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from .execute import FINISHED
from .machine import inflated_by_load

ERRORS = ("l2_rel", "h1_rel", "max_err", "l2re")
COLUMNS = ("case", "problem", "solver", "family", "label", "config", "seed", "dofs", "seconds",
           "eval_seconds", "l2_rel", "h1_rel", "max_err", "l2re", "status", "message",
           "threads", "concurrent", "cpu_seconds", "load_inflated", "run_id")
"""Columns of summary.csv, in order."""


def problem_name(record: dict) -> str:
    """``name(param=value, ...)`` of the record's problem."""
    params = record["problem"].get("params", {})
    return f"{record['problem']['name']}({', '.join(f'{k}={v}' for k, v in sorted(params.items()))})"


def config_text(record: dict) -> str:
    """The swept options of a run that are not already in its label, seed excluded."""
    return " ".join(f"{k}={v}" for k, v in record.get("swept", {}).items()
                    if k != "seed" and f"{k}={v}" not in record["label"])


def summary_rows(records: list[dict]) -> list[dict]:
    """One flat row per run record (keys: ``COLUMNS``)."""
    rows = []
    for r in records:
        metrics = r.get("metrics") or {}
        env = r.get("environment", {})
        rows.append({
            "case": r["case"], "problem": problem_name(r), "solver": r["solver"],
            "family": r.get("family", ""), "label": r["label"], "config": config_text(r),
            "seed": r.get("seed"), "dofs": r.get("dofs"), "seconds": r.get("seconds"),
            "eval_seconds": r.get("eval_seconds"), **{k: metrics.get(k) for k in ERRORS},
            "status": r["status"], "message": r.get("message", ""),
            "threads": env.get("threads"), "concurrent": env.get("concurrent"),
            "cpu_seconds": env.get("cpu_seconds"), "load_inflated": inflated_by_load(env),
            "run_id": r["run_id"],
        })
    return rows


@dataclass
class Point:
    """Runs of one configuration over seeds: means, spreads (sample std), ranges and count."""

    problem: str
    solver: str
    label: str
    config: str
    family: str
    n: int
    failed: int
    mean: dict
    std: dict
    low: dict
    high: dict


def _stats(values: list) -> tuple[float | None, ...]:
    """(mean, sample standard deviation, min, max) of the values that are not None."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None, None, None
    spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return float(np.mean(values)), spread, float(min(values)), float(max(values))


def seed_points(rows: list[dict]) -> list[Point]:
    """Group rows by (problem, solver, label, config); failed runs are counted, not averaged."""
    def key(row):
        return row["problem"], row["solver"], row["label"], row["config"]

    points = []
    order = {k: i for i, k in reversed(list(enumerate(map(key, rows))))}
    for k, group in groupby(sorted(rows, key=lambda r: order[key(r)]), key=key):
        group = list(group)
        good = [r for r in group if r["status"] in FINISHED and r["dofs"] is not None]
        stats = {f: _stats([r[f] for r in good]) for f in ("dofs", "seconds", *ERRORS)}
        points.append(Point(*k, family=group[0]["family"], n=len(good),
                            failed=len(group) - len(good),
                            mean={f: s[0] for f, s in stats.items()},
                            std={f: s[1] for f, s in stats.items()},
                            low={f: s[2] for f, s in stats.items()},
                            high={f: s[3] for f, s in stats.items()}))
    return points


def fitted_slope(x, y) -> float | None:
    """Least-squares slope of log y against log x over positive pairs (None with < 2 x values)."""
    pairs = [(a, b) for a, b in zip(x, y) if a and b and a > 0 and b > 0]
    if len({a for a, _ in pairs}) < 2:
        return None
    lx, ly = np.log([a for a, _ in pairs]), np.log([b for _, b in pairs])
    return float(np.polyfit(lx, ly, 1)[0])


def series(points: list[Point]) -> dict[tuple, list[Point]]:
    """Points by series key (problem, solver, label), each sorted by DOFs."""
    out: dict[tuple, list[Point]] = {}
    for p in points:
        if p.mean["dofs"] is not None:
            out.setdefault((p.problem, p.solver, p.label), []).append(p)
    return {k: sorted(v, key=lambda p: p.mean["dofs"]) for k, v in out.items()}


def rates(points: list[Point], metric: str) -> dict[tuple, float | None]:
    """Fitted slope of ``metric`` against DOFs for every series."""
    return {k: fitted_slope([p.mean["dofs"] for p in ps], [p.mean[metric] for p in ps])
            for k, ps in series(points).items()}


def format_value(mean, std=None, digits: int = 3) -> str:
    """``1.23e-04`` or ``1.23e-04 ± 5.0e-06``; empty for a missing value."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    text = f"{mean:.{digits - 1}e}" if isinstance(mean, float) else str(mean)
    if std:
        text += f" ± {std:.1e}"
    return text
