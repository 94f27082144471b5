"""The verdict of a comparison: the fastest method of each family at each tolerance, the
strongest member of each family, and a warning where a family is represented only by weak
members (McGreivy and Hakim's second rule: compare against the strongest baseline).

A method is *weak* when a stronger member of its own family exists in pdesolve for the same
problem class:

- classical: the second-order finite-difference grid and Jacobi iteration, FEM of degree 1-2
  on uniformly refined meshes (P1, P2, Q1, Q2); strong: higher-order and adaptive FEM,
  spectral, sparse grids, NGSolve;
- networks: PINN and Deep Ritz trained by Adam; strong: natural-gradient (ENGD, SPRING) and
  L-BFGS training, random features (least squares, no training loop).

The *strongest* member of a family is the one reaching the family's tightest tolerance
(of :data:`pdesolve.harness.tolerance.TOLERANCES`), the fastest there; without any tolerance
reached, the one with the smallest final error.

:func:`case_verdict` is what ``report.md`` prints and ``verdict.json`` stores; the README's
verdict tables are :func:`readme_table` of the curated regime reports and
:func:`dimension_table` of the dimension sweep (``python -m pdesolve.harness.verdict`` prints
both, ``--write README.md`` puts them between the README's markers; a test keeps the README
equal to them).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ..result import FINISHED
from .summary import problem_name, series_name
from .tolerance import TOLERANCES, methods, time_to_tolerance

VERDICT_TOLERANCES = (1e-2, 1e-4, 1e-6, 1e-8)
"""The README table's columns."""

FAMILY_NAMES = {"classical": "classical", "neural": "network"}

WEAK_ELEMENTS = {"P1", "P2", "Q1", "Q2"}

REGIMES = (
    ("a. smooth 2-D", "regime_smooth2d"),
    ("b. oscillatory 2-D", "regime_oscillatory2d"),
    ("c. L-shape corner", "regime_lshape"),
    ("d. square with holes", "regime_holes2d"),
    ("d. 3-D ball, p = 3", "regime_ball3d_p3"),
    ("e. 5-D plaplace_5d", "regime_plaplace5d"),
)
"""The README's rows: (regime, curated results directory under ``results/``)."""


def weakness(record: dict) -> str | None:
    """Why the record's method is a weak member of its family (module docstring), or None."""
    solver, options = record["solver"], record.get("options") or {}
    if solver in ("grid", "jacobi"):
        return "second-order finite differences" if solver == "grid" else "Jacobi iteration"
    if solver == "fem" and options.get("element") in WEAK_ELEMENTS \
            and options.get("refine", "uniform") != "adaptive":
        return f"uniform {options['element']}"
    if solver in ("pinn", "deep_ritz"):
        optimizer = options.get("optimizer", "adam")
        name = optimizer.get("name", "") if isinstance(optimizer, dict) else str(optimizer)
        if name.lower() == "adam":
            return "trained by Adam"
    return None


def _best_error(records: list[dict], metric: str) -> float | None:
    errors = [r["metrics"][metric] for r in records
              if r["status"] in FINISHED and (r.get("metrics") or {}).get(metric) is not None]
    return min(errors) if errors else None


def _family(records: list[dict], found: list, family: str, metric: str) -> dict | None:
    """Strongest member, the tightest tolerance it reaches, and the weak-only warning."""
    members = [m for m in found if m.family == family]
    if not members:
        return None
    by_name = {m.name: [r for r in records if series_name(r["solver"], r["label"]) == m.name]
               for m in members}
    weak = {name: weakness(rs[0]) for name, rs in by_name.items()}
    reached = None
    for tol in reversed(TOLERANCES):
        times = [(t[0], m.name) for m in members if (t := time_to_tolerance(m, tol))]
        if times:
            reached = (tol, *min(times))
            break
    best = {name: _best_error(rs, metric) for name, rs in by_name.items()}
    if reached:
        strongest = reached[2]
    else:
        strongest = min(best, key=lambda n: best[n] if best[n] is not None else math.inf)
    out = {"strongest": strongest, "tolerance": reached[0] if reached else None,
           "seconds": reached[1] if reached else None, "best_error": best[strongest],
           "members": list(by_name), "warning": None}
    if all(weak.values()):
        reasons = sorted(set(weak.values()))
        out["warning"] = (f"the {FAMILY_NAMES[family]} side has only weak members "
                          f"({'; '.join(reasons)}): its stronger methods are missing, so this "
                          f"comparison does not show what the {FAMILY_NAMES[family]} family "
                          "can do")
    return out


def fastest(found: list, family: str, tol: float) -> dict | None:
    """{seconds, dofs, method} of the family's fastest method (of ``found``, the
    :func:`~pdesolve.harness.tolerance.methods`) to ``tol``, or None."""
    hits = [(t[0], t[1], m.name) for m in found
            if m.family == family and (t := time_to_tolerance(m, tol))]
    return dict(zip(("seconds", "dofs", "method"), min(hits))) if hits else None


def problem_verdict(records: list[dict], metric: str) -> dict:
    """The verdict on one problem's records (module docstring)."""
    found = methods(records, metric)
    rows = {f"{tol:.0e}": {family: fastest(found, family, tol) for family in FAMILY_NAMES}
            for tol in VERDICT_TOLERANCES}
    return {"problem": problem_name(records[0]), "metric": metric, "rows": rows,
            "families": {f: _family(records, found, f, metric) for f in FAMILY_NAMES}}


def environment(records: list[dict]) -> dict:
    """CPUs, host load range and run count of the records (what the wall times ran on)."""
    envs = [r.get("environment") or {} for r in records]
    loads = [x for e in envs for x in e.get("load_average") or []]
    cpus = next((e["cpu_count"] for e in envs if e.get("cpu_count")), None)
    return {"runs": len(records), "cpus": cpus,
            "load": [min(loads), max(loads)] if loads else None,
            "threads": sorted({e["threads"] for e in envs if e.get("threads") is not None})}


def case_verdict(records: list[dict], metric: str) -> dict:
    """The verdict of a case, problem by problem, with the environment of its runs."""
    problems = list(dict.fromkeys(problem_name(r) for r in records))
    return {"case": records[0]["case"],
            "problems": [problem_verdict([r for r in records if problem_name(r) == p], metric)
                         for p in problems],
            "environment": environment(records)}


def markdown(verdict: dict) -> list[str]:
    """The report's "Strongest per family" lines for one problem's verdict."""
    lines = ["", "### Strongest per family", ""]
    for family, name in FAMILY_NAMES.items():
        info = verdict["families"].get(family)
        if info is None:
            lines.append(f"- {name}: no method of this family ran; the comparison is one-sided.")
            continue
        reach = (f"reaches {info['tolerance']:.0e} in {info['seconds']:.3g} s"
                 if info["tolerance"] else "reaches none of the tolerances")
        best = f", best error {info['best_error']:.2e}" if info["best_error"] is not None else ""
        lines.append(f"- {name}: **{info['strongest']}** {reach}{best}.")
        if info["warning"]:
            lines.append(f"  - **Warning**: {info['warning']}.")
    return lines


def number(value: float) -> str:
    """3 significant digits, without exponents from 100 on (1,120 rather than 1.12e+03)."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _cell(row: dict) -> str:
    classical, network = row["classical"], row["neural"]
    if classical is None and network is None:
        return "neither"
    c = f"C {number(classical['seconds'])} s" if classical else "C —"
    n = f"N {number(network['seconds'])} s" if network else "N —"
    if classical is None or network is None:
        return f"{c}; {n}"
    ratio = network["seconds"] / classical["seconds"]
    lead = f"C {number(ratio)}x faster" if ratio >= 1 else f"N {number(1 / ratio)}x faster"
    return f"{c}; {n}: {lead}"


def _sentence(verdict: dict) -> str:
    parts = []
    for family, name in FAMILY_NAMES.items():
        info = verdict["families"].get(family)
        if info is None:
            continue
        best = f"{info['best_error']:.1e}" if info["best_error"] is not None else "none"
        parts.append(f"{name} best: {info['strongest']} ({best})")
    return "; ".join(parts)


def readme_table(root: Path | str = "results", regimes=REGIMES) -> str:
    """The README's verdict table from ``<root>/<case>/verdict.json`` of each regime: per
    tolerance the fastest classical (C) and network (N) time and who is faster by how much."""
    root = Path(root)
    header = ("| regime | " + " | ".join(f"{t:.0e}" for t in VERDICT_TOLERANCES)
              + " | strongest of each family (best L2 error) | machine |")
    lines = [header, "|---|" + "---|" * (len(VERDICT_TOLERANCES) + 2)]
    for regime, case in regimes:
        path = root / case / "verdict.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        verdict = data["problems"][0]
        env = data["environment"]
        load = (f"{env['cpus']} CPUs, load {env['load'][0]:.1f}-{env['load'][1]:.1f}"
                if env.get("load") else f"{env['cpus']} CPUs")
        cells = [_cell(verdict["rows"][f"{t:.0e}"]) for t in VERDICT_TOLERANCES]
        lines.append(f"| {regime} (`{case}`) | " + " | ".join(cells)
                     + f" | {_sentence(verdict)} | {load} |")
    return "\n".join(lines) + "\n"


def dimension_table(root: Path | str = "results") -> str:
    """The README's table of regime (f) from ``<root>/dimension_sweep/sweep.json``: per
    dimension and tolerance the fastest classical and network time, and the crossover."""
    data = json.loads((Path(root) / "dimension_sweep" / "sweep.json").read_text("utf-8"))
    tols = list(next(iter(data["dims"].values())))
    lines = ["| f. dimension d | " + " | ".join(tols) + " | best error C / N |",
             "|---|" + "---|" * (len(tols) + 1)]
    compared = set(data.get("compared", map(int, data["dims"])))
    for d, row in sorted(data["dims"].items(), key=lambda item: int(item[0])):
        cells = [_cell(row[t]) if int(d) in compared else "C not run; " + (
            f"N {number(row[t]['neural']['seconds'])} s" if row[t]["neural"] else "N —")
            for t in tols]
        best = data.get("best", {}).get(d, {})
        errors = " / ".join(f"{best[f]:.1e}" if best.get(f) is not None else "—"
                            for f in FAMILY_NAMES)
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {errors} |")
    env = data["environment"]
    crossings = "; ".join(
        f"at {t}: " + (f"from d = {c[1]} (between {c[0]} and {c[1]})" if c else "none")
        for t, c in data["crossover"].items())
    load = f", load {env['load'][0]:.1f}-{env['load'][1]:.1f}" if env.get("load") else ""
    return ("\n".join(lines) + f"\n\nCrossover (networks ahead by more than 2x from then on, "
            f"where both families ran): {crossings}. {env['cpus']} CPUs{load}.\n")


def write_readme(path: Path | str, root: Path | str = "results") -> None:
    """Replace what lies between ``<!-- verdict:start -->`` and ``<!-- verdict:end -->`` in
    the Markdown file ``path`` by the two tables."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- verdict:start -->\n", "<!-- verdict:end -->"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    tables = readme_table(root) + "\n" + dimension_table(root)
    path.write_text(head + start + tables + end + tail, encoding="utf-8")


if __name__ == "__main__":
    # python -m pdesolve.harness.verdict [--write README.md] [results]
    arguments = sys.argv[1:]
    target = arguments.pop(arguments.index("--write") + 1) if "--write" in arguments else None
    arguments = [a for a in arguments if a != "--write"]
    root = arguments[0] if arguments else "results"
    if target:
        write_readme(target, root)
    else:
        sys.stdout.write(readme_table(root) + "\n" + dimension_table(root))
