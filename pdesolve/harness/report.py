"""Write a case's summary.csv, report.md and figures from its stored run records."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from ..errors import ConfigError
from . import plots
from .case import METRICS, PLOTS
from .execute import FINISHED
from .machine import RULE, inflated_by_load
from .store import Store, write_json_atomic
from .summary import (COLUMNS, Point, format_value, problem_name, rates, seed_points,
                      summary_rows)

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


def _point_table(points: list[Point]) -> list[str]:
    lines = ["| solver | label | config | runs | DOFs | seconds | L2 rel | H1 rel | max err | L2RE |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in points:
        runs = f"{p.n}" + (f" (+{p.failed} failed)" if p.failed else "")
        dofs = "" if p.mean["dofs"] is None else f"{p.mean['dofs']:.0f}"
        cells = [format_value(p.mean[k], p.std[k]) for k in
                 ("seconds", "l2_rel", "h1_rel", "max_err", "l2re")]
        lines.append(f"| {p.solver} | {p.label} | {p.config} | {runs} | {dofs} | "
                     + " | ".join(cells) + " |")
    return lines


def _rate_table(points: list[Point], dim: int | None) -> list[str]:
    classical = [p for p in points if p.family == "classical"]
    l2, h1 = rates(classical, "l2_rel"), rates(classical, "h1_rel")
    fitted = [k for k in l2 if l2[k] is not None]
    if not fitted:
        return []
    h_note = f" The h-rate is -d x slope with d = {dim} (DOFs ~ h^-d)." if dim else ""
    lines = ["", "Fitted convergence rates (least-squares slope of log error vs log DOFs)."
             + h_note, "",
             "| solver | label | L2 slope | H1 slope | L2 h-rate | H1 h-rate |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for key in fitted:
        _, solver, label = key
        cells = [f"{s:.2f}" if s is not None else "" for s in (l2[key], h1.get(key))]
        hrates = [f"{-dim * s:.2f}" if s is not None and dim else ""
                  for s in (l2[key], h1.get(key))]
        lines.append(f"| {solver} | {label} | " + " | ".join(cells + hrates) + " |")
    return lines


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
    ev = next((r["evaluation_set"] for r in records if r.get("evaluation_set")), None)
    lines.append(f"{len(records)} runs, {ok} finished, {len(records) - ok} failed.")
    if ev:
        lines.append(f"Errors are measured on one evaluation set for all runs: {ev['kind']} "
                     f"rule, {ev['n_points']} points, seed {ev['seed']}; seconds exclude it.")
    dims = {problem_name(r): r["problem"]["dim"] for r in records}
    for problem in dict.fromkeys(p.problem for p in points):
        these = [p for p in points if p.problem == problem]
        lines += ["", f"## {problem}", "", *_point_table(these), *_rate_table(these, dims[problem])]
    lines += _failures(records)
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
    makers = {
        "error_vs_dofs": lambda p: plots.plot_error_vs_dofs(points, metric, p, title),
        "error_vs_time": lambda p: plots.plot_error_vs_time(points, metric, p, title),
        "history": lambda p: plots.plot_histories(records, p),
        "frequency": lambda p: plots.plot_frequency(records, p),
        "solution": lambda p: plots.plot_solutions(records, p),
    }
    figures = [f for name in settings["plots"] if (f := makers[name](root / f"{name}.png"))]
    write_markdown(records, points, figures, settings, root / "report.md")
    log.info("report written to %s", root / "report.md")
    return [root / "summary.csv", root / "report.md", *figures]
