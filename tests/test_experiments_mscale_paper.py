"""Experiment 2 (arXiv 2007.11207): MscaleDNN-2 vs a plain ReLU network, quick run."""

import re

import pytest

from pdesolve.experiments import mscale_paper as mp
from pdesolve.experiments import run_experiment, write_experiment_report
from pdesolve.experiments.stored import experiment_case
from pdesolve.harness import expand_case


@pytest.mark.parametrize("quick", [False, True])
def test_networks_keep_the_papers_shapes(quick):
    for name in mp.CASES:
        specs = {s.label: s.options for s in expand_case(experiment_case(name), quick=quick)}
        normal, mscale = specs["normal (ReLU)"], specs["MscaleDNN-2 (phi)"]
        width = normal["widths"][0]
        assert normal["widths"] == [width] * 3 and normal["activation"] == "relu"
        assert mscale["widths"] == [width // 5] * 3 and mscale["activation"] == "phi"
        assert mscale["scales"] == [1.0, 2.0, 4.0, 8.0, 16.0]
        # same optimiser, penalty, points and seed for both
        for key in ("lr", "lr_decay", "beta", "beta_schedule", "batch_interior",
                    "batch_boundary", "steps", "seed"):
            assert normal[key] == mscale[key]


@pytest.mark.slow
def test_quick_run_writes_report_with_four_finite_errors(tmp_path):
    report = run_experiment("mscale_paper", tmp_path, quick=True)
    text = report.read_text()
    rows = [line for line in text.splitlines() if line.startswith(("| A:", "| B:"))]
    assert len(rows) == 4
    for row in rows:
        l2 = float(row.split("|")[4])
        assert 0 < l2 < 10
    assert re.search(r"QUICK RUN", text)
    for png in ("error_histories.png", "solution_slices.png"):
        assert (tmp_path / png).stat().st_size > 1000
    report.unlink()
    assert write_experiment_report(tmp_path).read_text() == text
