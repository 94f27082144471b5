"""Experiment 2: MscaleDNN-2 vs a plain ReLU network, Deep Ritz in 2-D (arXiv 2007.11207).

-Lap u = f on [-1, 1]^2, u = g on the boundary, for the paper's two tests (the cases
``mscale_paper_A``, ``mscale_paper_B`` and ``mscale_paper_B_holes``):

- A: ``poisson_sin_sq``, u = sin(15 x1^2) + sin(15 x2^2);
- B: ``poisson_sin_prod``, u = sin(7 pi x1) sin(7 pi x2), on the square and on the square
  without four disks (the paper's domain has holes; their geometry is not in our references,
  so the four disks are ours).

Both networks minimise the Deep Ritz loss of the MscaleDNN code template,
``|Omega| mean(1/2 |grad u|^2 - f u) + beta |dOmega| mean((u - g)^2)`` with constant
beta = 1e3 and points redrawn at every step, by Adam with the same learning rate:

- "normal": an MLP with three hidden ReLU layers of width W (paper W = 1000);
- "MscaleDNN-2": five subnetworks with three hidden layers of width W/5 and activation phi
  (the quadratic B-spline), u(x) = sum_i h_i(a_i x), a = 1, 2, 4, 8, 16 (paper W/5 = 200).

The paper's size (2e6 and 4e5 parameters, 5000 + 4000 points, ~1e5 steps) is out of reach on
2 CPU cores: the widths, point counts and step budget are the case files', stated in the
report. Errors are measured by the harness (composite Gauss rules refined until two agree);
histories by the solver's monitor (relative l2 on Sobol points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..harness.plots import plt, save_figure
from . import markdown_table, runs_note
from .plotting import monitor_histories, slice_cut

CASES = ("mscale_paper_A", "mscale_paper_B", "mscale_paper_B_holes")
TITLES = {"mscale_paper_A": "A: sin(15 x1^2) + sin(15 x2^2)",
          "mscale_paper_B": "B: sin(7 pi x1) sin(7 pi x2)",
          "mscale_paper_B_holes": "B with four holes"}
WORKERS = 4
"""Processes of the full run (one torch thread each); the quick run uses one."""

CUT = 0.5
"""The solution figure's line x_2 = CUT."""


def _plots(out_dir: Path, records: dict[str, list[dict]]) -> None:
    fig, axes = plt.subplots(1, len(records), figsize=(6 * len(records), 4))
    for ax, (name, runs) in zip(np.atleast_1d(axes), records.items()):
        monitor_histories(ax, runs, TITLES[name])
    fig.tight_layout()
    save_figure(fig, out_dir / "error_histories.png")

    fig, axes = plt.subplots(1, len(records), figsize=(6 * len(records), 3.6))
    for ax, (name, runs) in zip(np.atleast_1d(axes), records.items()):
        for i, rec in enumerate(runs):
            x1, reference, u, x2 = slice_cut(rec, CUT)
            if i == 0:
                ax.plot(x1, reference, "k", lw=2.5, alpha=0.4, label="exact")
            ax.plot(x1, u, lw=1, label=rec["label"])
        ax.set_xlabel(f"x1 (x2 = {x2:.3f}, pixel means)")
        ax.set_title(TITLES[name], fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_dir / "solution_slices.png")


def _rule(rule: dict) -> str:
    """The finer measurement rule: Gauss cells x points per direction, or the mesh's size."""
    if "cells" in rule:
        return f"{rule['cells']} x {rule['order']}"
    return f"mesh h = {rule['h']:.3g}, degree {rule['intorder']}"


def analyse(out_dir: Path, records: dict[str, list[dict]], computed: dict, quick: bool) -> Path:
    """Write ``report.md``, ``error_histories.png`` and ``solution_slices.png`` from the
    stored records; returns the report's path."""
    rows = []
    for name, runs in records.items():
        for rec in runs:
            m = rec["metrics"]
            rows.append([TITLES[name], rec["label"], rec["dofs"], f"{m['l2_rel']:.3e}",
                         f"{m['h1_rel']:.3e}", f"{m['max_err']:.3e}",
                         _rule(rec["measurement"]["rule"]), f"{rec['seconds']:.0f}"])
    _plots(out_dir, records)
    normal, mscale = (next(r["options"] for r in records[CASES[0]] if r["label"] == label)
                      for label in ("normal (ReLU)", "MscaleDNN-2 (phi)"))
    quick_note = "\n\nQUICK RUN: tiny networks and budget; the numbers are not the record." \
        if quick else ""
    setup = markdown_table(["", "paper", "here"], [
        ["normal network", "1000-1000-1000 ReLU", f"{'-'.join(map(str, normal['widths']))} ReLU"],
        ["MscaleDNN-2", "5 x 200-200-200, phi, scales 1, 2, 4, 8, 16",
         f"5 x {'-'.join(map(str, mscale['widths']))}, phi, scales "
         f"{', '.join(f'{a:g}' for a in mscale['scales'])}"],
        ["points per step", "5000 interior + 4000 boundary",
         f"{normal['batch_interior']} + {normal['batch_boundary']}"],
        ["steps", "not stated (figures to ~1e5 epochs)", normal["steps"]],
        ["learning rate", "1e-4, decay 5e-7 per step [code]",
         f"{normal['lr']:g}, decay {normal['lr_decay']:g} per step"]])
    text = f"""# Experiment 2: MscaleDNN-2 vs a plain network (arXiv 2007.11207)

-Lap u = f on [-1, 1]^2 with Dirichlet data from the exact solution; Deep Ritz loss
|Omega| mean(1/2 |grad u|^2 - f u) + beta |dOmega| mean((u - g)^2), beta = {normal['beta']:g}
(constant), points redrawn every step; Adam, lr {normal['lr']:g} decayed per step by
(1 - {normal['lr_decay']:g}), float32, seed {normal['seed']}, one torch thread per run.

{setup}
Widths are the paper's divided by {1000 // normal['widths'][0]} (both networks alike, so their
ratio of sizes is kept); the lr is raised because the step budget is ~30 times smaller.
Runs: {runs_note(records)}; the cases' own reports:
{', '.join(f'[{name}]({name}/report.md)' for name in records)}.{quick_note}

## Final errors (measured by the harness)

The paper gives figures only: these numbers are the record. Errors are integrals by composite
Gauss rules (on the domain with holes: degree-8 rules on the cells of a quadratic gmsh mesh),
refined until two successive ones agree to 0.25 %; "rule": the finer rule's cells per direction
x Gauss points per direction and cell, or its mesh size (max err is the largest error at its
points).

{markdown_table(["problem", "network", "parameters", "rel L2", "rel H1", "max err", "rule",
                 "train s"], rows)}
![error histories](error_histories.png)

![solution slices](solution_slices.png)
"""
    report = out_dir / "report.md"
    report.write_text(text)
    return report
