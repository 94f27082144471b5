"""Tables from run records: one row per run, seed means, fitted convergence rates.

A *series* is one label of one solver on one problem (a solver table, split by
swept string options). Within a series, runs that differ only in their seed are
one *point* (mean and spread over seeds); rates are least-squares slopes of
log(error) against log(DOFs), and against log(h) where the runs have a mesh size h
(``info["h"]``: the largest cell edge or grid spacing), over a series' points.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from ..result import FINISHED
from .machine import inflated_by_load

ERRORS = ("l2_rel", "h1_rel", "max_err", "l2re")
UNCERTAINTIES = ("l2_rel_unc", "h1_rel_unc")
"""Relative measurement uncertainty of l2_rel and h1_rel (``metrics.measure_errors``)."""
COLUMNS = ("case", "problem", "solver", "family", "label", "config", "seed", "dofs", "h",
           "seconds", "eval_seconds", "solution_seconds", "l2_rel", "h1_rel", "max_err", "l2re",
           "l2_rel_unc", "h1_rel_unc", "status", "message", "threads", "concurrent", "cpu_seconds",
           "load_inflated", "run_id")
"""Columns of summary.csv, in order."""


def problem_name(record: dict) -> str:
    """``name(param=value, ...)`` of the record's problem (on a domain other than a box, its
    bounding box is no parameter: :func:`domain_text` names the domain)."""
    params = dict(record["problem"].get("params", {}))
    if "kind" in record["problem"].get("domain", {}):
        params.pop("box", None)
    listed = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{record['problem']['name']}({listed})"


def domain_text(record: dict, limit: int = 300) -> str:
    """One line naming the record's domain and its boundary parts with their conditions."""

    def render(value) -> str:
        if isinstance(value, dict):
            kind = value.get("kind", "box")
            fields = ", ".join(f"{k}={render(v)}" for k, v in value.items() if k != "kind")
            return f"{kind}({fields})"
        if isinstance(value, list):
            return "[" + ", ".join(render(v) for v in value) + "]"
        return f"{value:g}" if isinstance(value, float) else str(value)

    problem = record["problem"]
    text = render(problem.get("domain", {}))
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    by_kind: dict[str, list[str]] = {}
    for name, kind in problem.get("parts", {}).items():
        by_kind.setdefault(kind, []).append(name)
    parts = "; ".join(f"{kind.capitalize()} on {', '.join(names)}"
                      for kind, names in by_kind.items())
    return (f"Domain: {text}." + (f" Boundary: {parts}." if parts else "")
            + (" Reaction term c u." if problem.get("reaction") else ""))


def series_name(solver: str, label: str) -> str:
    """The label, followed by the solver kind unless the label already names it."""
    named = solver.replace("_", " ") in label.lower().replace("_", " ")
    return label if named else f"{label} ({solver})"


def config_text(record: dict) -> str:
    """The swept options of a run that are not already in its label, seed excluded."""
    return " ".join(f"{k}={v}" for k, v in record.get("swept", {}).items()
                    if k != "seed" and f"{k}={v}" not in record["label"])


def mesh_size(record: dict) -> float | None:
    """h of a run: ``info["h"]`` (a number, or the largest of per-direction spacings)."""
    h = (record.get("info") or {}).get("h")
    if isinstance(h, (list, tuple)):
        h = max(h) if h else None
    return float(h) if isinstance(h, (int, float)) and h > 0 else None


def summary_rows(records: list[dict]) -> list[dict]:
    """One flat row per run record (keys: ``COLUMNS``)."""
    rows = []
    for r in records:
        metrics = r.get("metrics") or {}
        env = r.get("environment", {})
        uncertainty = (r.get("measurement") or {}).get("uncertainty") or {}
        rows.append({
            "case": r["case"], "problem": problem_name(r), "solver": r["solver"],
            "family": r.get("family", ""), "label": r["label"], "config": config_text(r),
            "seed": r.get("seed"), "dofs": r.get("dofs"), "h": mesh_size(r),
            "seconds": r.get("seconds"), "eval_seconds": r.get("eval_seconds"),
            "solution_seconds": (r.get("solution_seconds") or {}).get("seconds"),
            **{k: metrics.get(k) for k in ERRORS},
            **{f"{k}_unc": uncertainty.get(k) for k in ("l2_rel", "h1_rel")},
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


STATISTICS = ("dofs", "h", "seconds", "solution_seconds", *ERRORS, *UNCERTAINTIES)
"""Row fields summarised over seeds."""


def seed_points(rows: list[dict]) -> list[Point]:
    """Group rows by (problem, solver, label, config); failed runs are counted, not averaged."""
    def key(row):
        return row["problem"], row["solver"], row["label"], row["config"]

    points = []
    order = {k: i for i, k in reversed(list(enumerate(map(key, rows))))}
    for k, group in groupby(sorted(rows, key=lambda r: order[key(r)]), key=key):
        group = list(group)
        good = [r for r in group if r["status"] in FINISHED and r["dofs"] is not None]
        stats = {f: _stats([r[f] for r in good]) for f in STATISTICS}
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


def rates(points: list[Point], metric: str, against: str = "dofs") -> dict[tuple, float | None]:
    """Fitted slope of log ``metric`` against log ``against`` ("dofs" or "h") for every series.

    Against h this is the convergence rate (error ~ h^rate); against DOFs the slope, which
    is -rate / d only asymptotically (DOFs = (k n - 1)^d, not (k n)^d, on coarse meshes).
    """
    return {k: fitted_slope([p.mean[against] for p in ps], [p.mean[metric] for p in ps])
            for k, ps in series(points).items()}


def format_value(mean, std=None, digits: int = 3) -> str:
    """``1.23e-04`` or ``1.23e-04 ± 5.0e-06``; empty for a missing value."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    text = f"{mean:.{digits - 1}e}" if isinstance(mean, float) else str(mean)
    if std:
        text += f" ± {std:.1e}"
    return text


LEGEND_OPTIONS = ("element", "mesh", "network", "widths", "activation", "optimizer", "lr",
                  "steps", "preconditioner")
"""Fixed options that legends name (when the series has them and its label does not)."""


def _option_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _size(value) -> tuple:
    """Sort key: numbers by value, lists by length and sum."""
    if isinstance(value, (list, tuple)):
        return (1, len(value), sum(v for v in value if isinstance(v, (int, float))))
    return (0, value) if isinstance(value, (int, float)) else (2, str(value))


def series_descriptions(records: list[dict]) -> dict[tuple, str]:
    """(problem, solver, label) -> the series' configuration for legends.

    The swept options as ranges (first to last value, e.g. "n 4-256", "widths 8x8-32x32",
    "seed 0-1") and the :data:`LEGEND_OPTIONS` it fixes, e.g. "element P1, mesh tensor"
    (values the label already names, and "auto", left out).
    """
    runs: dict[tuple, list[dict]] = {}
    for r in records:
        runs.setdefault((problem_name(r), r["solver"], r["label"]), []).append(r)
    out = {}
    for key, group in runs.items():
        options = [r.get("options") or {} for r in group]
        parts = []
        for name in LEGEND_OPTIONS:
            values = {_option_text(o[name]) for o in options if name in o}
            value = next(iter(values)) if len(values) == 1 else None
            if value not in (None, "auto") and value not in key[2].replace("=", " ").split():
                parts.append(f"{name} {value}")
        swept = dict.fromkeys(k for r in group for k in r.get("swept", {}))
        for name in swept:
            distinct = {json.dumps(r["swept"][name]) for r in group if name in r["swept"]}
            values = sorted(map(json.loads, distinct), key=_size)
            if len(values) > 1 and not isinstance(values[0], (str, bool)):
                parts.append(f"{name} {_option_text(values[0])}-{_option_text(values[-1])}")
        out[key] = ", ".join(parts)
    return out
