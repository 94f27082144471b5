"""Write a case's summary.csv, report.md and figures from its stored run records."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from ..errors import ConfigError
from ..metrics import FLAG, TARGET
from ..result import FINISHED
from . import plots, slice_plots
from .case import METRICS, PLOTS
from .machine import RULE, inflated_by_load
from .plots import METRIC_NAMES
from .store import Store, write_json_atomic
from .summary import (COLUMNS, Point, domain_text, format_value, problem_name, rates,
                      seed_points, series, series_descriptions, summary_rows)
from .tolerance import accuracy_table, methods, speed_table, time_budgets
from .verdict import case_verdict, markdown, problem_verdict

log = logging.getLogger(__name__)

REPORT_SETTINGS = "report.json"
"""The case's ``[report]`` table, saved by ``pdesolve run`` for ``pdesolve report``."""


def save_settings(root: Path, settings: dict) -> None:
    write_json_atomic(Path(root) / REPORT_SETTINGS, settings)


def _settings(root: Path) -> dict:
    path, saved = root / REPORT_SETTINGS, {}
    if path.is_file():
        try:
            saved = dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            log.warning("%s is damaged (%s): the report uses the default plots and metric",
                        path, exc)
    return {"plots": list(PLOTS), "metric": METRICS[0], "description": "", **saved}


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


FLAG_MARK = " †"
"""Marks an error whose relative measurement uncertainty exceeds metrics.FLAG."""


def _flagged(point: Point, metric: str) -> bool:
    unc = point.high.get(f"{metric}_unc")
    return unc is not None and unc > FLAG


def _point_table(points: list[Point]) -> list[str]:
    lines = ["| solver | label | config | runs | DOFs | h | seconds | L2 rel | H1 rel | max err "
             "| L2RE | u_h eval [s] |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in points:
        runs = f"{p.n}" + (f" (+{p.failed} failed)" if p.failed else "")
        dofs = "" if p.mean["dofs"] is None else f"{p.mean['dofs']:.0f}"
        cells = [format_value(p.mean["h"]), format_value(p.mean["seconds"], p.std["seconds"])]
        for k in ("l2_rel", "h1_rel"):
            cells.append(format_value(p.mean[k], p.std[k]) + (FLAG_MARK if _flagged(p, k) else ""))
        cells += [format_value(p.mean[k], p.std[k]) for k in ("max_err", "l2re")]
        cells.append(format_value(p.mean["solution_seconds"], digits=2))
        lines.append(f"| {p.solver} | {p.label} | {p.config} | {runs} | {dofs} | "
                     + " | ".join(cells) + " |")
    return lines


def _fit_range(points: list[Point]) -> str:
    dofs = [p.mean["dofs"] for p in points]
    return f"{len(points)} points, DOFs {min(dofs):,.0f}-{max(dofs):,.0f}"


def _rate_table(points: list[Point]) -> list[str]:
    classical = [p for p in points if p.family == "classical"]
    slopes = {(m, a): rates(classical, m, a) for m in ("l2_rel", "h1_rel") for a in ("dofs", "h")}
    groups = series(classical)
    fitted = [k for k in groups if slopes["l2_rel", "dofs"].get(k) is not None]
    if not fitted:
        return []
    lines = ["", "Fitted convergence rates of the classical series: least-squares slopes of "
             "log error against log DOFs, and the rate in h (slope of log error against log h, "
             "h the largest cell edge or grid spacing; error ~ h^rate) where the runs have a mesh "
             "size. Each fit uses every point (seed mean) of its series, as listed.", "",
             "| solver | label | fit over | L2 slope (DOFs) | H1 slope (DOFs) | L2 rate (h) "
             "| H1 rate (h) |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for key in fitted:
        _, solver, label = key
        cells = [f"{v:.2f}" if v is not None else "" for v in
                 (slopes[m, a].get(key) for a in ("dofs", "h") for m in ("l2_rel", "h1_rel"))]
        lines.append(f"| {solver} | {label} | {_fit_range(groups[key])} | "
                     + " | ".join(cells) + " |")
    return lines


def _seconds(value: float) -> str:
    return f"{value:.3g} s"


def _tolerance_tables(records: list[dict], metric: str) -> list[str]:
    found = methods(records, metric)
    if not found:
        return []
    name = METRIC_NAMES[metric]
    speed = speed_table(found)
    tols = [t for t in speed if any(speed[t].values())]
    text = ("The smallest wall time (solve or training, set-up included, error measurement "
            "excluded) at which each method first reaches the tolerance, its DOFs, and its "
            "time over the fastest method's at that tolerance (equal-accuracy speed ratio). "
            "Classical methods: over the sweep's runs; networks: along the training history, "
            "median over seeds, best configuration.")
    monitored = sorted({m.monitor_points for m in found if m.monitor_points})
    if monitored and metric == "l2_rel":
        text += (f" Network history errors are the training monitor's estimates on "
                 f"{', '.join(map(str, monitored))} Sobol points; the last point of each run "
                 f"is the measured error.")
    lines = ["", f"### Time to tolerance ({name})", "", text, ""]
    if tols:
        lines += ["| method | " + " | ".join(f"{t:.0e}" for t in tols) + " |",
                  "| --- |" + " ---: |" * len(tols)]
        for m in found:
            cells = [f"{_seconds(c[0])} ({c[1]:,}) ×{c[2]:.3g}" if c else "—"
                     for c in (speed[t][m.name] for t in tols)]
            lines.append(f"| {m.name} | " + " | ".join(cells) + " |")
    budgets = time_budgets(found)
    accuracy = accuracy_table(found, budgets)
    if budgets:
        lines += ["", f"### Error at equal time ({name})", "",
                  "Each method's error after the given wall time (its most accurate run or "
                  "configuration finished by then) and its error over the most accurate "
                  "method's (equal-time accuracy ratio).", "",
                  "| method | " + " | ".join(_seconds(b) for b in budgets) + " |",
                  "| --- |" + " ---: |" * len(budgets)]
        for m in found:
            cells = [f"{c[0]:.2e} ×{c[1]:.3g}" if c else "—"
                     for c in (accuracy[b][m.name] for b in budgets)]
            lines.append(f"| {m.name} | " + " | ".join(cells) + " |")
    return lines


def _published_table(records: list[dict], published: list[dict]) -> list[str]:
    """Published results beside ours: per quoted value, each method's wall time to reach it
    (its DOFs) and its best error in the same metric."""
    lines = []
    for metric in dict.fromkeys(e["metric"] for e in published):
        entries = [e for e in published if e["metric"] == metric]
        found = methods(records, metric)
        if not found:
            continue
        speed = speed_table(found, [e["value"] for e in entries])
        best = {m.name: min(float(tr.errors.min()) for trs in m.configs.values() for tr in trs)
                for m in found}
        lines += ["", f"### Published results ({METRIC_NAMES[metric]})", "",
                  "Each quoted value, and the wall time at which each method here first reaches "
                  "it (its DOFs), as in the time-to-tolerance table; the last row is each "
                  "method's best error.", "",
                  "| quoted | value | source | " + " | ".join(m.name for m in found) + " |",
                  "| --- | ---: | --- |" + " ---: |" * len(found)]
        for e in entries:
            cells = [f"{_seconds(c[0])} ({c[1]:,})" if c else "not reached"
                     for c in (speed[e["value"]][m.name] for m in found)]
            lines.append(f"| {e['label']} | {e['value']:.3g} | {e['source']} | "
                         + " | ".join(cells) + " |")
        lines.append("| best error here | | | " + " | ".join(f"{best[m.name]:.2e}" for m in found)
                     + " |")
    return lines


RULE_NAMES = {"gauss": "composite Gauss on the box", "sobol": "randomised Sobol on the box"}


def _measurement(records: list[dict]) -> list[str]:
    measured = [r for r in records if r.get("measurement")]
    if not measured:
        return []
    kinds: dict[str, int] = {}
    for r in measured:
        m = r["measurement"]
        text = RULE_NAMES.get(m["rule"]["kind"], m["rule"]["kind"])
        if m["rule"]["kind"] == "cells":
            text = f"the {m.get('owner', 'solution')}'s own cells"
        kinds[text] = kinds.get(text, 0) + 1
    worst = {k: max((r["measurement"]["uncertainty"].get(k) or 0.0) for r in measured)
             for k in ("l2_rel", "h1_rel")}
    flagged = sum(any((r["measurement"]["uncertainty"].get(k) or 0.0) > FLAG
                      for k in ("l2_rel", "h1_rel")) for r in measured)
    return [f"Errors are integrals over the domain (relative L2 and H1 seminorm) measured by "
            f"the harness, each with an estimate of its own quadrature error: rules refined "
            f"until two successive ones agree to {TARGET:.2g} (relative), by "
            + "; ".join(f"{k} ({v} runs)" for k, v in kinds.items())
            + f". Largest estimated relative measurement uncertainty: L2 "
            f"{worst['l2_rel']:.1e}, H1 {worst['h1_rel']:.1e}; {flagged} runs above "
            f"{FLAG:.0%}" + (" (marked †)." if flagged else ".")
            + " max err is the largest |u_h - u| at the rule's points; seconds exclude the "
              "measurement; u_h eval is the time to evaluate the solution at "
              f"{measured[0].get('solution_seconds', {}).get('points', 0):,} points."]


def _failures(records: list[dict]) -> list[str]:
    failed = [r for r in records if r["status"] not in FINISHED or r["status"] == "not_applicable"]
    if not failed:
        return []
    lines = ["", "## Runs without a result", "", "| run | label | status | message |",
             "| --- | --- | --- | --- |"]
    for r in failed:
        message = (r.get("message") or "").replace("|", "/").replace("\n", " ")
        lines.append(f"| {r['run_id']} | {r['label']} | {r['status']} | {message} |")
    return lines


def _trust(records: list[dict]) -> list[str]:
    """The trust checks' flags (:mod:`.trust`): results not to read as converged."""
    flagged = [(r, f) for r in records for f in r.get("flags") or []]
    if not flagged:
        return []
    lines = ["", "## Trust checks: results not to read as converged", "",
             "| run | label | flag | message |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['run_id']} | {r['label']} | {f['flag']} | {f['message']} |"
              for r, f in flagged]
    return lines


def _environment(records: list[dict]) -> list[str]:
    envs = [r.get("environment", {}) for r in records]
    threads = sorted({e.get("threads") for e in envs if e.get("threads") is not None})
    devices = sorted({e.get("device", "cpu") for e in envs})
    concurrent = sum(bool(e.get("concurrent")) for e in envs)
    versions = envs[-1].get("versions", {}) if envs else {}
    loads = [x for e in envs for x in e.get("load_average", [])]
    cpus = next((e["cpu_count"] for e in envs if e.get("cpu_count")), None)
    load = (f" Host load average during the runs: {min(loads):.1f} to {max(loads):.1f} on "
            f"{cpus} CPUs." if loads and cpus else "")
    return ["", "## Environment", "",
            f"Threads per run: {', '.join(map(str, threads)) or 'unknown'}; devices: "
            f"{', '.join(devices)}; runs that shared the machine with other runs: {concurrent} of "
            f"{len(records)} (their wall times are not comparable to serial ones).{load}",
            *_inflated(records), "",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))]


def _inflated(records: list[dict]) -> list[str]:
    """The runs whose wall time other load inflated (the rule of :mod:`.machine`)."""
    judged = [r["environment"] for r in records
              if r.get("environment", {}).get("cpu_seconds") is not None]
    if not judged:
        return []
    slow = [f"{r['label']} {r['run_id']} (CPU {r['environment']['cpu_seconds']:.2f} s in "
            f"{r['environment']['wall_seconds']:.2f} s)" for r in records
            if inflated_by_load(r.get("environment", {}))]
    listed = ": " + ", ".join(slow) if slow else ""
    return ["", f"Wall times inflated by other load ({RULE}): {len(slow)} of {len(judged)} "
                f"runs{listed}."]


def write_markdown(records: list[dict], points: list[Point], figures: list[Path],
                   settings: dict, path: Path) -> None:
    case = records[0]["case"]
    lines = [f"# {case}", ""]
    if settings.get("description"):
        lines += [settings["description"], ""]
    ok = sum(r["status"] in FINISHED for r in records)
    lines.append(f"{len(records)} runs, {ok} finished, {len(records) - ok} failed.")
    lines += _measurement(records)
    for problem in dict.fromkeys(p.problem for p in points):
        these = [p for p in points if p.problem == problem]
        own = [r for r in records if problem_name(r) == problem]
        lines += ["", f"## {problem}", "", domain_text(own[0]), "", *_point_table(these),
                  *_rate_table(these),
                  *_tolerance_tables(own, settings["metric"]),
                  *markdown(problem_verdict(own, settings["metric"])),
                  *_published_table(own, settings.get("published", []))]
    lines += _failures(records) + _trust(records)
    if figures:
        lines += ["", "## Figures", ""] + [f"![{f.stem}]({f.name})" for f in figures]
    lines += _environment(records)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_report(root: str | Path) -> list[Path]:
    """Write summary.csv, report.md and the figures of the results directory ``root``.

    Returns the paths written. Raises ConfigError when ``root`` holds no runs.
    """
    root = Path(root)
    records = Store(root).records()
    if not records:
        raise ConfigError(f"{root}: no run records found (expected {root / 'runs'}/*.json)")
    settings = _settings(root)
    rows = summary_rows(records)
    points = seed_points(rows)
    write_csv(rows, root / "summary.csv")
    metric, title = settings["metric"], records[0]["case"]
    names = series_descriptions(records)
    makers = {
        "error_vs_dofs": lambda p: plots.plot_error_vs_dofs(points, metric, p, title, names),
        "error_vs_time": lambda p: plots.plot_error_vs_time(points, metric, p, title, names,
                                                           records),
        "time_to_tolerance": lambda p: plots.plot_time_to_tolerance(
            methods(records, metric), metric, p, title, names),
        "history": lambda p: plots.plot_histories(records, p),
        "frequency": lambda p: plots.plot_frequency(records, p),
        "solution": lambda p: slice_plots.plot_solutions(records, p),
    }
    figures = [f for name in settings["plots"] if (f := makers[name](root / f"{name}.png"))]
    write_markdown(records, points, figures, settings, root / "report.md")
    write_json_atomic(root / "verdict.json", case_verdict(records, metric))
    log.info("report written to %s", root / "report.md")
    return [root / "summary.csv", root / "report.md", root / "verdict.json", *figures]
