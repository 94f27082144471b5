"""Experiment 2 (arXiv 2007.11207): MscaleDNN-2 vs a plain ReLU network, quick run."""

import re

from pdesolve.experiments import mscale_paper as mp


def test_networks_keep_the_papers_shapes():
    nets = mp.networks(mp.FULL)
    normal, mscale = nets["normal (ReLU)"], nets["MscaleDNN-2 (phi)"]
    assert normal["widths"] == [mp.FULL["width"]] * 3 and normal["activation"] == "relu"
    assert mscale["widths"] == [mp.FULL["width"] // 5] * 3 and mscale["activation"] == "phi"
    assert mscale["scales"] == [1.0, 2.0, 4.0, 8.0, 16.0]
    # same optimiser, penalty, points and seed for both
    for key in ("lr", "beta", "beta_schedule", "batch_interior", "batch_boundary", "steps", "seed"):
        assert normal[key] == mscale[key]


def test_quick_run_writes_report_with_four_finite_errors(tmp_path):
    report = mp.run(tmp_path, quick=True)
    text = report.read_text()
    rows = [line for line in text.splitlines() if line.startswith(("| A:", "| B:"))]
    assert len(rows) == 4
    for row in rows:
        l2 = float(row.split("|")[4])
        assert 0 < l2 < 10
    assert re.search(r"QUICK RUN", text)
    for png in ("error_histories.png", "solution_slices.png"):
        assert (tmp_path / png).stat().st_size > 1000
