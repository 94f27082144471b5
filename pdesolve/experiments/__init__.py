"""Reproductions of the founding experiments (issue 7), one module per experiment.

Each experiment module exposes ``run(out_dir: Path, quick: bool) -> Path``: it computes,
writes ``report.md`` and a few PNGs into ``out_dir`` (an existing directory:
:func:`run_experiment` creates it) and returns the report's path.
``quick=True`` runs a smaller size with the same qualitative result (the tests use it).

The registry maps a name to its module, imported only when the experiment runs, so that
listing experiments never imports torch. Add an experiment by adding one entry to
``EXPERIMENTS``. Command line::

    python -m pdesolve.experiments NAME [--quick] [--out DIR]

(default ``DIR`` is ``results/NAME``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

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
    "engd": (
        "pdesolve.experiments.engd",
        "ENGD (Gauss-Newton natural gradient) vs Adam and L-BFGS: the paper's 2-D and 5-D PINNs, "
        "Deep Ritz, p-Laplacian (arXiv 2302.13163)",
    ),
}


def list_experiments() -> dict[str, str]:
    """Names of the registered experiments mapped to one-line descriptions."""
    return {name: description for name, (_, description) in EXPERIMENTS.items()}


def get_experiment(name: str) -> Callable[[Path, bool], Path]:
    """The ``run(out_dir, quick)`` function of experiment ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    if name not in EXPERIMENTS:
        raise ValueError(
            f"unknown experiment {name!r}; choose one of: {', '.join(sorted(EXPERIMENTS))}"
        )
    return importlib.import_module(EXPERIMENTS[name][0]).run


def run_experiment(name: str, out_dir: Path | str | None = None, quick: bool = False) -> Path:
    """Run experiment ``name`` into ``out_dir`` (default ``results/<name>``).

    Returns the path of the report it wrote.
    """
    run = get_experiment(name)
    out = Path(out_dir) if out_dir is not None else Path("results") / name
    out.mkdir(parents=True, exist_ok=True)
    return run(out, quick)


def machine_note() -> str:
    """"2 CPU cores, load average 0.1 at the start": what a report's wall times ran on."""
    return f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at the start"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; cells are converted with ``str``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``NAME [--quick] [--out DIR]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m pdesolve.experiments",
        description="Run one reproduction experiment and write its report.",
        epilog="experiments: "
        + "; ".join(f"{k}: {v}" for k, v in list_experiments().items()),
    )
    parser.add_argument("name", help="experiment name")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--out", default=None, help="output folder (default results/NAME)")
    args = parser.parse_args(argv)
    if args.name not in EXPERIMENTS:
        parser.error(
            f"unknown experiment {args.name!r}; choose one of: {', '.join(sorted(EXPERIMENTS))}"
        )
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = run_experiment(args.name, args.out, args.quick)
    logging.getLogger(__name__).info("report written to %s", report)
    return 0
