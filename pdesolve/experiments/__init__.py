"""Reproductions of the founding experiments, each on the comparison harness.

An experiment module declares

    CASES          names of case files in ``pdesolve/experiments/cases`` (possibly none): its
                   PDE solves, run by the harness into ``<out>/<case>/`` (stored, resumed);
    cases(quick), case(name)
                   optional, instead of CASES: the case names of a full or quick run, and
                   the :class:`~pdesolve.harness.case.Case` of each (cases built from a
                   template, e.g. one per dimension);
    WORKERS        optional: processes for the full runs (quick runs use one);
    computations(quick) -> {name: Computation}
                   optional: what is not a PDE solve (least-squares fits, a training loop of
                   its own), stored under ``<out>/computed/`` (resumed likewise);
    analyse(out, records, computed, quick) -> Path
                   figures and ``report.md`` in ``out`` from the stored records alone
                   ({case: run records}, {name: stored arrays}); returns the report's path.

:func:`run_experiment` runs the cases and computations not yet stored, then the analysis
(an experiment killed half-way resumes where it stopped); :func:`write_experiment_report`
(``pdesolve report <out>``) redoes only the reports, from what is stored. Modules are
imported only when their experiment runs, so listing experiments never imports torch.
Add an experiment by adding one entry to :data:`EXPERIMENTS`. Command line::

    pdesolve experiment NAME [--quick] [--out DIR]      (default DIR: results/NAME)
    python -m pdesolve.experiments NAME [--quick] [--out DIR]     (the same)
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError, PdesolveError
from .stored import (case_records, compute, experiment_case, load_computed, run_cases,
                     write_case_reports)

log = logging.getLogger(__name__)

EXPERIMENTS: dict[str, tuple[str, str]] = {
    "shallow_relu": (
        "pdesolve.experiments.shallow_relu",
        "ReLU basis vs P1 FEM least squares for arctan(25x) (arXiv 2306.17301, Table 1)",
    ),
    "relu_knots": (
        "pdesolve.experiments.relu_knots",
        "where a trained shallow ReLU network puts its knots on arctan(25x)",
    ),
    "fprinciple": (
        "pdesolve.experiments.fprinciple",
        "Jacobi vs Deep Ritz per frequency, and the network-then-Jacobi hybrid (arXiv 1901.06523)",
    ),
    "mscale_paper": (
        "pdesolve.experiments.mscale_paper",
        "MscaleDNN-2 vs a plain ReLU network, Deep Ritz on two 2-D tests (arXiv 2007.11207)",
    ),
    "plaplace5d": (
        "pdesolve.experiments.plaplace5d",
        "5-D p-Laplacian: MscaleDNN-1 (s2ReLU, sReLU, tanh) vs the grid solver (arXiv 2009.14597)",
    ),
    "dimension_sweep": (
        "pdesolve.experiments.dimension_sweep",
        "regime (f) of the verdict: time to 1e-3 and 1e-6 against the dimension d = 2..100, the "
        "fastest classical and the fastest network method",
    ),
    "engd": (
        "pdesolve.experiments.engd",
        "ENGD (Gauss-Newton natural gradient) vs Adam and L-BFGS: the paper's 2-D and 5-D PINNs, "
        "Deep Ritz, p-Laplacian (arXiv 2302.13163)",
    ),
}

MARKER = "experiment.json"
"""Written into an experiment's directory: which experiment, and whether it ran quick."""


def list_experiments() -> dict[str, str]:
    """Names of the registered experiments mapped to one-line descriptions."""
    return {name: description for name, (_, description) in EXPERIMENTS.items()}


def get_experiment(name: str):
    """The module of experiment ``name``; ConfigError listing the names if unknown."""
    if name not in EXPERIMENTS:
        raise ConfigError(f"experiment: unknown name {name!r}; available: "
                          f"{', '.join(EXPERIMENTS)}")
    return importlib.import_module(EXPERIMENTS[name][0])


def run_experiment(name: str, out_dir: Path | str | None = None, quick: bool = False,
                   workers: int | None = None) -> Path:
    """Run experiment ``name`` into ``out_dir`` (default ``results/<name>``), resuming what
    is stored there, and write its report; returns the report's path.

    ``workers``: processes for the runs (default: the experiment's ``WORKERS``, 1 when
    ``quick``). Raises PdesolveError when runs failed (after writing the case reports: a
    rerun retries them).
    """
    module = get_experiment(name)
    out = Path(out_dir) if out_dir is not None else Path("results") / name
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    if marker.is_file() and _marker(out) != {"experiment": name, "quick": quick}:
        raise ConfigError(f"{out}: holds the runs of {_marker(out)}; give another --out for "
                          f"experiment {name!r} (quick: {quick})")
    marker.write_text(json.dumps({"experiment": name, "quick": quick}) + "\n")
    cases = _cases(module, quick)
    failed = run_cases(out, cases, quick, workers or (1 if quick else getattr(module, "WORKERS", 1)),
                       getattr(module, "case", experiment_case))
    compute(out, _computations(module, quick))
    if failed:
        write_case_reports(out, cases)
        raise PdesolveError(f"experiment {name}: {failed} runs failed; see the reports of "
                            f"{', '.join(cases)} under {out} (a rerun retries them)")
    return write_experiment_report(out)


def write_experiment_report(out_dir: Path | str) -> Path:
    """Write the reports of the experiment stored in ``out_dir`` (each case's, then the
    experiment's) from its stored records; returns the experiment report's path."""
    out = Path(out_dir)
    info = _marker(out)
    module = get_experiment(info["experiment"])
    cases = _cases(module, info["quick"])
    write_case_reports(out, cases)
    report = module.analyse(out, case_records(out, cases),
                            load_computed(out, _computations(module, info["quick"])),
                            info["quick"])
    log.info("report written to %s", report)
    return report


def is_experiment_directory(path: Path | str) -> bool:
    return (Path(path) / MARKER).is_file()


def _marker(out: Path) -> dict:
    try:
        info = json.loads((out / MARKER).read_text(encoding="utf-8"))
        return {"experiment": str(info["experiment"]), "quick": bool(info["quick"])}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{out / MARKER}: unreadable ({exc}); it names the experiment whose "
                          f"runs the directory holds") from None


def _cases(module, quick: bool) -> tuple[str, ...]:
    return tuple(module.cases(quick)) if hasattr(module, "cases") else getattr(module, "CASES", ())


def _computations(module, quick: bool) -> dict:
    return module.computations(quick) if hasattr(module, "computations") else {}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; cells are converted with ``str``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def runs_note(records: dict[str, list[dict]]) -> str:
    """"11 runs, 250 s of run time in all (2 CPUs, host load average 0.8-2.1 during the
    runs)": what a report's wall times ran on, from the stored records."""
    runs = [r for group in records.values() for r in group]
    seconds = sum((r.get("environment") or {}).get("wall_seconds") or 0.0 for r in runs)
    loads = [x for r in runs for x in (r.get("environment") or {}).get("load_average") or []]
    cpus = next((r["environment"]["cpu_count"] for r in runs
                 if (r.get("environment") or {}).get("cpu_count")), None)
    load = f", host load average {min(loads):.1f}-{max(loads):.1f} during the runs" \
        if loads else ""
    return f"{len(runs)} runs, {seconds:.0f} s of run time in all ({cpus} CPUs{load})"
