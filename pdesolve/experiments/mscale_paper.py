"""Experiment 2: MscaleDNN-2 vs a plain ReLU network, Deep Ritz in 2-D (arXiv 2007.11207).

-Lap u = f on [-1, 1]^2, u = g on the boundary, for the paper's two tests:

- A: ``poisson_sin_sq``, u = sin(15 x1^2) + sin(15 x2^2);
- B: ``poisson_sin_prod``, u = sin(7 pi x1) sin(7 pi x2) (the paper's domain has holes;
  ours is the square).

Both networks minimise the Deep Ritz loss of the MscaleDNN code template,
``|Omega| mean(1/2 |grad u|^2 - f u) + beta |dOmega| mean((u - g)^2)`` with constant
beta = 1e3 and points redrawn at every step, by Adam with the same learning rate:

- "normal": an MLP with three hidden ReLU layers of width W (paper W = 1000);
- "MscaleDNN-2": five subnetworks with three hidden layers of width W/5 and activation phi
  (the quadratic B-spline), u(x) = sum_i h_i(a_i x), a = 1, 2, 4, 8, 16 (paper W/5 = 200).

The paper's size (2e6 and 4e5 parameters, 5000 + 4000 points, ~1e5 steps) is out of reach on
2 CPU cores: the widths, point counts and step budget used are in :data:`FULL` and stated in
the report. Errors are measured by the harness's rule: relative L2 on the composite Gauss
rule of :func:`pdesolve.quadrature.evaluation_points`; histories by the solver's monitor
(relative l2 on Sobol points).

:func:`train_record` and :func:`plot_histories` are shared with experiment 3.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from pdesolve.experiments import machine_note, markdown_table
from pdesolve.metrics import error_metrics
from pdesolve.problems.registry import get_problem
from pdesolve.quadrature import evaluation_points
from pdesolve.solvers import solve

log = logging.getLogger(__name__)

PROBLEMS = {
    "A: sin(15 x1^2) + sin(15 x2^2)": ("poisson_sin_sq", {"mu": 15.0}),
    "B: sin(7 pi x1) sin(7 pi x2)": ("poisson_sin_prod", {"mu": 7 * np.pi}),
}

SCALES = [1.0, 2.0, 4.0, 8.0, 16.0]

FULL = {"width": 200, "interior": 1000, "boundary": 800, "steps": 3000, "log_every": 100,
        "workers": 4, "cells": None}
"""Paper: width 1000 (MscaleDNN subnetworks 200), 5000 + 4000 points per step."""

QUICK = {"width": 20, "interior": 200, "boundary": 100, "steps": 60, "log_every": 20, "workers": 1,
         "cells": 20}

COMMON = {"lr": 1e-3, "lr_decay": 5e-5, "beta": 1e3, "beta_schedule": "constant",
          "monitor_points": 4096, "threads": 1, "seed": 0}
"""Shared by both networks: same optimiser, penalty and seed."""


def networks(size: dict) -> dict[str, dict]:
    """Deep Ritz options of the two networks for a size from FULL / QUICK."""
    w = size["width"]
    points = {"batch_interior": size["interior"], "batch_boundary": size["boundary"],
              "steps": size["steps"], "log_every": size["log_every"]}
    return {
        "normal (ReLU)": {"network": "mlp", "widths": [w] * 3, "activation": "relu",
                          **points, **COMMON},
        "MscaleDNN-2 (phi)": {"network": "mscale2", "widths": [w // 5] * 3,
                              "activation": "phi", "scales": SCALES, **points, **COMMON},
    }


def train_record(job: dict) -> dict:
    """Train one ``deep_ritz`` run; errors on the evaluation set; values at probe points.

    ``job``: problem (registered name), params (its parameters), label, options (solver
    options), points (:class:`~pdesolve.quadrature.PointSet`, the evaluation set), probes
    ({name: x (m, d)}). Returns plain data (picklable, for worker processes): {label, dofs,
    seconds (training, setup included), history (step, seconds, l2_rel of the monitor),
    metrics (:func:`pdesolve.metrics.error_metrics`), probes ({name: u_theta(x) (m,)})}.
    """
    problem = get_problem(job["problem"], **job["params"])
    result = solve(problem, "deep_ritz", **job["options"])
    metrics = error_metrics(job["points"], result.u, problem.exact, result.grad,
                            problem.exact_grad)
    log.info("%s: %d parameters, %d steps in %.0f s, l2_rel %.3e", job["label"], result.dofs,
             result.info["steps"], result.seconds, metrics["l2_rel"])
    history = {k: np.array([h[k] for h in result.history]) for k in ("step", "seconds", "l2_rel")}
    return {"label": job["label"], "dofs": result.dofs, "seconds": result.seconds,
            "history": history, "metrics": metrics,
            "probes": {name: result.u(x) for name, x in job.get("probes", {}).items()}}


def train_records(jobs: list[dict], workers: int, meanwhile=None) -> tuple[list[dict], object]:
    """:func:`train_record` for every job, in ``workers`` spawned processes (1: in this one).

    ``meanwhile`` (a callable, optional) runs in this process while the workers train; its
    return value is returned with the records. Each run keeps one torch thread; on a shared
    machine parallel runs slow each other, so a run's ``seconds`` is its wall time under
    that load.
    """
    if workers <= 1:
        return [train_record(job) for job in jobs], meanwhile() if meanwhile else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(train_record, job) for job in jobs]
        other = meanwhile() if meanwhile else None
        return [f.result() for f in futures], other


def plot_histories(ax, records: list[dict], title: str) -> None:
    """Monitor relative l2 error against training step, one line per record."""
    for rec in records:
        ax.semilogy(rec["history"]["step"], rec["history"]["l2_rel"], label=rec["label"])
    ax.set_xlabel("training step")
    ax.set_ylabel("relative l2 error (monitor)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


def slice_points() -> np.ndarray:
    """801 points on the line x2 = 0.5, x1 in [-1, 1], shape (801, 2)."""
    x1 = np.linspace(-1.0, 1.0, 801)
    return np.stack([x1, np.full_like(x1, 0.5)], axis=1)


def _plots(out_dir: Path, runs: dict[str, list[dict]], problems: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4))
    for ax, (name, records) in zip(np.atleast_1d(axes), runs.items()):
        plot_histories(ax, records, name)
    fig.tight_layout()
    fig.savefig(out_dir / "error_histories.png", dpi=90)
    plt.close(fig)

    x = slice_points()
    x1 = x[:, 0]
    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 3.6))
    for ax, (name, records) in zip(np.atleast_1d(axes), runs.items()):
        ax.plot(x1, problems[name].exact(x), "k", lw=2.5, alpha=0.4, label="exact")
        for rec in records:
            ax.plot(x1, rec["probes"]["slice"], lw=1, label=rec["label"])
        ax.set_xlabel("x1 (x2 = 0.5)")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "solution_slices.png", dpi=90)
    plt.close(fig)


def run(out_dir: Path, quick: bool = False) -> Path:
    """Run experiment 2 and write ``report.md``, ``error_histories.png``,
    ``solution_slices.png`` into ``out_dir``; returns the report's path."""
    start, machine = time.perf_counter(), machine_note()
    size = QUICK if quick else FULL
    configs = networks(size)
    problems = {name: get_problem(pname, dim=2, **params)
                for name, (pname, params) in PROBLEMS.items()}
    points = evaluation_points(problems[next(iter(PROBLEMS))].domain, seed=0,
                               cells=size["cells"])
    jobs = [{"problem": pname, "params": {"dim": 2, **params}, "label": label,
             "options": opts, "points": points, "probes": {"slice": slice_points()}}
            for pname, params in PROBLEMS.values() for label, opts in configs.items()]
    records = iter(train_records(jobs, size["workers"])[0])
    runs, rows = {}, []
    for name in PROBLEMS:
        runs[name] = [next(records) for _ in configs]
        for rec in runs[name]:
            m = rec["metrics"]
            rows.append([name, rec["label"], rec["dofs"], f"{m['l2_rel']:.3e}",
                         f"{m['h1_rel']:.3e}", f"{m['max_err']:.3e}", f"{rec['seconds']:.0f}"])
    _plots(out_dir, runs, problems)
    normal, mscale = (size["width"],) * 3, (size["width"] // 5,) * 3
    quick_note = "\n\nQUICK RUN: tiny networks and budget; the numbers are not the record." \
        if quick else ""
    setup = markdown_table(["", "paper", "here"], [
        ["normal network", "1000-1000-1000 ReLU", f"{'-'.join(map(str, normal))} ReLU"],
        ["MscaleDNN-2", "5 x 200-200-200, phi, scales 1, 2, 4, 8, 16",
         f"5 x {'-'.join(map(str, mscale))}, phi, scales 1, 2, 4, 8, 16"],
        ["points per step", "5000 interior + 4000 boundary",
         f"{size['interior']} + {size['boundary']}"],
        ["steps", "not stated (figures to ~1e5 epochs)", size["steps"]],
        ["learning rate", "1e-4, decay 5e-7 per step [code]",
         f"{COMMON['lr']:g}, decay {COMMON['lr_decay']:g} per step"]])
    text = f"""# Experiment 2: MscaleDNN-2 vs a plain network (arXiv 2007.11207)

-Lap u = f on [-1, 1]^2 with Dirichlet data from the exact solution; Deep Ritz loss
|Omega| mean(1/2 |grad u|^2 - f u) + beta |dOmega| mean((u - g)^2), beta = {COMMON['beta']:g}
(constant), points redrawn every step; Adam, lr {COMMON['lr']:g} decayed per step by
(1 - {COMMON['lr_decay']:g}), float32, seed {COMMON['seed']}, one torch thread per run.

{setup}
Widths are the paper's divided by {1000 // size['width']} (both networks alike, so their
ratio of sizes is kept); the lr is raised because the step budget is ~30 times smaller.
Whole experiment: {time.perf_counter() - start:.0f} s wall time ({machine}); {len(jobs)} runs,
{size['workers']} worker process(es).{quick_note}

## Final errors (harness evaluation set: composite Gauss rule, {len(points)} points)

The paper gives figures only: these numbers are the record.

{markdown_table(["problem", "network", "parameters", "rel L2", "rel H1", "max err",
                 "train s"], rows)}
![error histories](error_histories.png)

![solution slices](solution_slices.png)
"""
    report = out_dir / "report.md"
    report.write_text(text)
    return report
