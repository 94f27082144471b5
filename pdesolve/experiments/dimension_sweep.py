"""Experiment `dimension_sweep`: regime (f) of the verdict, time to tolerance against the
dimension.

One case per dimension d, built from the template ``cases/dimension_sweep.toml``: the problem
``bump_nd`` with ``dim = d`` and width w = sqrt(d / 5) (|x - c|^2 / w^2 has the same mean in
every d, so u varies by the same factor), and the solvers that run in that dimension
(:data:`RANGES`: the full-tensor spectral method to d = 6, the sparse grid to d = 10, random
features everywhere, ENGD to d = 10 and SPRING, its scalable form, from d = 20).

For each d and each tolerance of :data:`TOLERANCES` the analysis takes the fastest classical
and the fastest network method (the harness's time to tolerance: set-up and solve or
training, not the measurement) and their ratio; the *crossover* is the smallest d from which
the fastest network method is ahead (faster, or the only family reaching the tolerance) in
every dimension sampled. Its uncertainty is the gap to the last dimension sampled before it,
and a ratio within :data:`TIE` either way counts as a tie (wall times on a shared machine
vary by that much). ``report.md``, ``time_vs_dimension.png`` and ``sweep.json`` (what the
README's table is made of) are written from the stored records alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..harness.case import Case, parse_case, read_case_file
from ..harness.plots import plt, save_figure
from ..harness.tolerance import methods
from ..harness.verdict import FAMILY_NAMES, environment, fastest, number
from . import markdown_table, runs_note
from .stored import CASE_DIR

TEMPLATE = CASE_DIR / "dimension_sweep.toml"
DIMS = (2, 3, 4, 5, 6, 8, 10, 20, 50, 100)
QUICK_DIMS = (2, 4, 20)
RANGES = {"Spectral": (2, 6), "Sparse grid": (2, 10), "RF collocation": (2, 100),
          "PINN ENGD": (2, 10), "PINN SPRING": (20, 100)}
"""The dimensions each solver of the template runs in (by label): beyond them the full tensor
(spectral: (n - 1)^d unknowns), the combination's coarsest component (the full grid of degree
min_degree = 4: 5^d nodes, 1e14 in d = 20) or the Gauss-Newton matrix's size make a run take
more than the sweep's budget."""

HIGH = {"Sparse grid": (10, {"level": [1]})}
"""From the given d on, these options replace the template's: level 2 in d = 10 would have
about 1e7 unknowns and 1.6e8 Legendre coefficients to sum per evaluation point."""

NO_CLASSICAL = ("From d = 20 the sweep has no classical run: pdesolve's sparse grid combines "
                "components whose coarsest is the full grid of degree 4 (5^d nodes), and no "
                "other classical solver it has scales either. Rows without a classical time "
                "there are not evidence that networks are faster: the comparison is one-sided.")

TOLERANCES = (1e-3, 1e-6)
SUMMARY = ("Regime (f) of the verdict: for each dimension d, the wall time (set-up and solve or "
           "training) at which the fastest classical and the fastest network method first reach "
           "a relative L2 error of 1e-3 and of 1e-6, and the crossover dimension.")
TIE = 2.0
"""Ratios of wall times within this factor either way count as a tie."""


def cases(quick: bool) -> tuple[str, ...]:
    return tuple(f"dimension_sweep_d{d}" for d in (QUICK_DIMS if quick else DIMS))


def dimension(name: str) -> int:
    return int(name.rsplit("_d", 1)[1])


def case(name: str) -> Case:
    """The template with dim = d, width = sqrt(d / 5) and the solvers of dimension d (options
    of :data:`HIGH` from their dimension on)."""
    d = dimension(name)
    data = read_case_file(TEMPLATE)
    data["name"] = name
    data["problem"] = {**data["problem"], "dim": d, "width": math.sqrt(d / 5)}
    data["solver"] = [s | HIGH[s["label"]][1] if s["label"] in HIGH and d >= HIGH[s["label"]][0]
                      else s for s in data["solver"]
                      if RANGES[s["label"]][0] <= d <= RANGES[s["label"]][1]]
    return parse_case(data, name, TEMPLATE)


def lead(row: dict) -> float | None:
    """Network time over classical time (> 1: classical ahead); inf / 0 where only one
    family reaches the tolerance; None where neither does."""
    c, n = row["classical"], row["neural"]
    if c is None and n is None:
        return None
    if c is None:
        return 0.0
    if n is None:
        return math.inf
    return n["seconds"] / c["seconds"]


def crossover(table: dict[int, dict], tol: str, compared=None) -> tuple[int, int] | None:
    """(last d before it, first d) of the crossover at ``tol``: the smallest sampled d from
    which the network side is ahead by more than TIE (or alone) in every sampled d where both
    families ran (``compared``, default all); None where it never is."""
    dims = sorted(d for d in table if compared is None or d in compared)
    ratios = [lead(table[d][tol]) for d in dims]
    for i, d in enumerate(dims):
        if all(r is not None and r < 1 / TIE for r in ratios[i:]):
            return (dims[i - 1] if i else d, d)
    return None


def _cell(entry: dict | None) -> str:
    return f"{entry['method']}: {entry['seconds']:.3g} s ({entry['dofs']:,})" if entry else "—"


def _ratio(value: float | None, compared: bool = True) -> str:
    if not compared:
        return "no classical run"
    if value is None:
        return "neither"
    if value == 0.0:
        return "network only"
    if math.isinf(value):
        return "classical only"
    return f"C {number(value)}x faster" if value >= 1 else f"N {number(1 / value)}x faster"


def _figure(table: dict[int, dict], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(TOLERANCES), figsize=(11, 4.2), sharey=True)
    for ax, tol in zip(axes, TOLERANCES):
        key = f"{tol:.0e}"
        for family, style in (("classical", "o-"), ("neural", "s--")):
            dims = [d for d in sorted(table) if table[d][key][family]]
            ax.loglog(dims, [table[d][key][family]["seconds"] for d in dims], style,
                      label=f"fastest {FAMILY_NAMES[family]} method")
        ax.set_title(f"time to relative L2 error {tol:.0e}", fontsize=10)
        ax.set_xlabel("dimension d")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("wall time [s] (set-up + solve / training)")
    return save_figure(fig, path)


def analyse(out_dir: Path, records: dict[str, list[dict]], computed: dict, quick: bool) -> Path:
    """``report.md``, ``time_vs_dimension.png`` and ``sweep.json`` from the stored records."""
    series = {name: methods(runs, "l2_rel") for name, runs in records.items()}
    table = {dimension(name): {f"{tol:.0e}": {family: fastest(series[name], family, tol)
                                              for family in FAMILY_NAMES}
                               for tol in TOLERANCES}
             for name in records}
    best = {dimension(name): {family: min((r["metrics"]["l2_rel"] for r in runs
                                           if r["family"] == family and r.get("metrics")
                                           and r["metrics"].get("l2_rel") is not None),
                                          default=None) for family in FAMILY_NAMES}
            for name, runs in records.items()}
    compared = {dimension(name) for name, runs in records.items()
                if {r["family"] for r in runs} >= set(FAMILY_NAMES)}
    crossings = {f"{tol:.0e}": crossover(table, f"{tol:.0e}", compared) for tol in TOLERANCES}
    everything = [r for runs in records.values() for r in runs]
    (out_dir / "sweep.json").write_text(json.dumps(
        {"dims": {str(d): row for d, row in table.items()}, "compared": sorted(compared),
         "best": {str(d): b for d, b in best.items()},
         "crossover": crossings,
         "environment": environment(everything), "quick": quick}, indent=1) + "\n")
    figure = _figure(table, out_dir / "time_vs_dimension.png")
    rows = [[d, *[f"{best[d][f]:.1e}" if best[d][f] is not None else "—" for f in FAMILY_NAMES],
             *[x for tol in TOLERANCES for x in (_cell(table[d][f"{tol:.0e}"]["classical"]),
                                                    _cell(table[d][f"{tol:.0e}"]["neural"]),
                                                    _ratio(lead(table[d][f"{tol:.0e}"]),
                                                           d in compared))]]
            for d in sorted(table)]
    header = ["d", "best classical error", "best network error",
              *[f"{h} {tol:.0e}" for tol in TOLERANCES
                     for h in ("fastest classical to", "fastest network to", "lead at")]]
    found = []
    for key, cross in crossings.items():
        if cross is None:
            found.append(f"- {key}: no crossover: the network side is not ahead by more than "
                         f"{TIE:g}x in every dimension with a classical run from some d on.")
        else:
            found.append(f"- {key}: the network side is ahead from d = {cross[1]} on (crossover "
                         f"between d = {cross[0]} and {cross[1]}, the sampled dimensions "
                         f"around it; ratios within {TIE:g}x count as ties).")
    quick_note = "\n\nQUICK RUN: tiny sizes and budgets; the numbers are not the record.\n" \
        if quick else "\n"
    text = (f"# Dimension sweep: time to tolerance against d\n\n{SUMMARY}"
            f"{quick_note}\n{read_case_file(TEMPLATE)['description']}\n\n"
            f"{runs_note(records)}. Per-dimension reports: "
            + ", ".join(f"[d = {dimension(n)}]({n}/report.md)" for n in records) + ".\n\n"
            + "## Time to tolerance by dimension\n\n" + markdown_table(header, rows)
            + "\nCrossover (the fastest network method ahead of the fastest classical one):\n\n"
            + "\n".join(found) + "\n\n" + NO_CLASSICAL
            + f"\n\n## Figure\n\n![time against dimension]({figure.name})\n")
    path = out_dir / "report.md"
    path.write_text(text, encoding="utf-8")
    return path
