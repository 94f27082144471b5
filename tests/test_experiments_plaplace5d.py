"""Experiment 3 (arXiv 2009.14597, Ex. 4.6): the 5-D p-Laplacian, networks vs grid, quick run."""

import numpy as np
import pytest

from pdesolve.experiments import plaplace5d as pl
from pdesolve.experiments import run_experiment, write_experiment_report
from pdesolve.experiments.stored import experiment_case
from pdesolve.harness import expand_case


def test_mscale1_scales_follow_the_authors_driver():
    assert pl.mscale1_scales(1000)[:4] == [1.0, 1.0, 2.0, 3.0]
    assert len(pl.mscale1_scales(1000)) == 100 and pl.mscale1_scales(1000)[-1] == 99.0


@pytest.mark.parametrize("quick", [False, True])
def test_cases_use_the_drivers_scales_and_the_seeds_of_the_claim(quick):
    specs = [s for name in pl.CASES for s in expand_case(experiment_case(name), quick=quick)]
    nets = [s for s in specs if s.family == "neural"]
    for s in nets:
        assert s.options["scales"] == pl.mscale1_scales(s.options["widths"][0])
    keys = [(s.options["activation"], s.options["boundary"], s.options["seed"]) for s in nets]
    for activation in ("s2relu", "tanh"):
        assert [k[2] for k in keys if k[:2] == (activation, "exact")][:len(pl.SEEDS)] == \
            list(pl.SEEDS)


def test_paper_errors_are_a_ratio_of_squares():
    x = np.random.default_rng(1).random((1600, 5))
    u = lambda y: np.prod(np.sin(np.pi * y), axis=1)  # noqa: E731
    errs = pl.paper_errors(1.1 * u(x), u(x))
    # u_h = 1.1 u: MSE = 0.01 mean u^2, REL = 0.01 exactly (no square root)
    assert abs(errs["rel"] - 0.01) < 1e-12
    assert abs(errs["mse"] - 0.01 * np.mean(u(x) ** 2)) < 1e-15


@pytest.mark.slow
def test_quick_run_writes_report_networks_and_grid(tmp_path):
    report = run_experiment("plaplace5d", tmp_path, quick=True)
    text = report.read_text()
    n_seeds = len(pl.SEEDS)
    assert text.count("| s2relu |") == n_seeds + 3 and text.count("| tanh |") == n_seeds + 1
    assert "| srelu |" in text and "| penalty, beta0 = 1000 |" in text
    assert text.count("| exact |") == 2 * n_seeds + 2
    grid_rows = [line for line in text.splitlines() if line.startswith("| 2 | ")
                 or line.startswith("| 3 | ")]
    quick_grids = [s for name in pl.CASES for s in expand_case(experiment_case(name), quick=True)
                   if s.kind == "grid"]
    assert len(grid_rows) == len(quick_grids)
    # the grid converges: the finer p = 2 grid has the smaller error
    errs = [float(r.split("|")[5]) for r in grid_rows[:2]]
    assert errs[1] < errs[0]
    for png in ("histories.png", "error_vs_dofs_time.png"):
        assert (tmp_path / png).stat().st_size > 1000
    report.unlink()
    assert write_experiment_report(tmp_path).read_text() == text


def fake_errors(errors: dict) -> dict:
    """rel L2 of the runs of the cases by pl.run_key, ``errors[(activation, beta0)]`` + 1e-4
    per seed."""
    runs = [(act, 2.0, None, seed) for act in ("s2relu", "tanh") for seed in pl.SEEDS]
    runs += [("srelu", 2.0, None, 0), ("s2relu", 2.0, 10.0, 0), ("tanh", 2.0, 10.0, 0),
             ("s2relu", 2.0, 1000.0, 0), ("s2relu", 3.0, None, 0)]
    return {run: errors[(run[0], run[2])] + 1e-4 * run[3] for run in runs}


GRIDS = {2.0: [{"dofs": 1024, "seconds": 0.1, "l2_rel": 1e-1},
               {"dofs": 32768, "seconds": 1.0, "l2_rel": 5e-3}]}


def test_verdict_reports_what_the_numbers_say():
    base = {("srelu", None): 9e-3, ("s2relu", 1000.0): 0.3}
    won = fake_errors({**base, ("s2relu", None): 5e-3, ("tanh", None): 8e-3,
                       ("s2relu", 10.0): 0.05, ("tanh", 10.0): 0.4})
    text = pl.verdict(won, GRIDS)
    assert text.startswith("Reproduced") and "8.0x worse, the paper's ranking" in text
    assert "with 32768 unknowns" in text
    tied = fake_errors({**base, ("s2relu", None): 8e-3, ("tanh", None): 7.9e-3,
                        ("s2relu", 10.0): 0.5, ("tanh", 10.0): 0.4})
    text = pl.verdict(tied, GRIDS)
    assert "not reliably below tanh" in text and "tanh has the lower median" in text
    assert "(not the paper's ranking)" in text
    lost = fake_errors({**base, ("s2relu", None): 0.2, ("tanh", None): 0.1,
                        ("s2relu", 10.0): 0.05, ("tanh", 10.0): 0.4})
    assert pl.verdict(lost, GRIDS).startswith("**Not reached")
