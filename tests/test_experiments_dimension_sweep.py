"""Experiment dimension_sweep (regime f): one case per dimension from a template, the fastest
method per family and tolerance, the crossover with its bracket, a quick run."""

import json
import math

import pytest

from pdesolve.experiments import EXPERIMENTS, run_experiment
from pdesolve.experiments import dimension_sweep as sweep
from pdesolve.harness import expand_case


def _row(classical, network):
    entry = lambda t: None if t is None else {"seconds": t, "dofs": 1, "method": "m"}  # noqa: E731
    return {"1e-03": {"classical": entry(classical), "neural": entry(network)}}


def test_each_dimension_gets_the_solvers_of_its_range():
    assert "dimension_sweep" in EXPERIMENTS
    for name in sweep.cases(quick=False):
        d = sweep.dimension(name)
        case = sweep.case(name)
        assert case.problem["dim"] == d and case.problem["width"] == pytest.approx(math.sqrt(d / 5))
        runs = expand_case(case)
        labels = {s.label for s in runs}
        assert labels == {label for label, (lo, hi) in sweep.RANGES.items() if lo <= d <= hi}
        levels = {s.options["level"] for s in runs if s.label == "Sparse grid"}
        assert levels == (set() if d > 10 else {1} if d == 10 else {1, 2})


def test_crossover_is_the_first_dimension_from_which_networks_lead_beyond_a_tie():
    table = {2: _row(0.01, 1.0), 4: _row(0.1, 0.15), 8: _row(10.0, 1.0), 20: _row(None, 3.0)}
    assert sweep.crossover(table, "1e-03") == (4, 8)
    assert sweep.lead(table[20]["1e-03"]) == 0.0 and sweep.lead(table[2]["1e-03"]) == 100.0
    assert sweep.crossover(table, "1e-03", compared={2, 4}) is None
    table[20] = _row(1.0, None)
    assert sweep.crossover(table, "1e-03") is None


@pytest.mark.slow
def test_quick_run_writes_the_report_the_figure_and_the_table(tmp_path):
    report = run_experiment("dimension_sweep", tmp_path, quick=True)
    text = report.read_text()
    assert "QUICK RUN" in text and "| 20 |" in text and "Crossover" in text
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert set(data["dims"]) == {str(d) for d in sweep.QUICK_DIMS}
    assert data["dims"]["4"]["1e-03"]["classical"]["method"] == "Spectral"
    assert (tmp_path / "time_vs_dimension.png").stat().st_size > 1000
