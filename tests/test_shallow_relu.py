"""Experiment 4 (arXiv 2306.17301, Table 1): ReLU basis vs P1 FEM least squares."""

import numpy as np
import pytest

from pdesolve import ConfigError
from pdesolve.cli import main
from pdesolve.experiments import (get_experiment, list_experiments, run_experiment,
                                  write_experiment_report)
from pdesolve.experiments import least_squares as sr
from pdesolve.experiments import shallow_relu
from pdesolve.experiments.stored import Computation

X = np.linspace(-1.0, 1.0, 10_000)  # the points that reproduce the paper's FEM entries


@pytest.mark.parametrize("kind", ["uniform", "adaptive"])
def test_exact_gram_matrices_match_quadrature(kind):
    knots = sr.make_knots(7, kind)
    # Gauss rule on each knot interval: exact for the piecewise quadratic products
    nodes, weights = np.polynomial.legendre.leggauss(20)
    mid, half = (knots[1:] + knots[:-1]) / 2, np.diff(knots) / 2
    x = (mid[:, None] + half[:, None] * nodes).ravel()
    w = (half[:, None] * weights).ravel()
    relu = np.column_stack([np.ones_like(x), np.maximum(x[:, None] - knots[:-1], 0)])
    hats = np.column_stack([np.interp(x, knots, np.eye(knots.size)[i]) for i in range(knots.size)])
    for basis, psi in [("NN", relu), ("FEM", hats)]:
        gram, load = (sr.relu_system if basis == "NN" else sr.p1_system)(knots)
        np.testing.assert_allclose(gram, psi.T @ (w[:, None] * psi), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(load, psi.T @ (w * sr.target(x)), rtol=1e-9, atol=1e-12)


def test_adaptive_knots_equidistribute_the_variation():
    knots = sr.make_knots(11, "adaptive")
    variation = np.diff(sr.target(knots))
    np.testing.assert_allclose(variation, variation[0], rtol=1e-12)
    assert knots[0] == -1.0 and knots[-1] == 1.0


@pytest.mark.parametrize("kind", ["uniform", "adaptive"])
@pytest.mark.parametrize("basis", ["NN", "FEM"])
def test_float64_reproduces_table1_within_factor_2_at_n100(basis, kind):
    published_max, published_mse = shallow_relu.PUBLISHED[(basis, kind)][2]
    err_max, mse = sr.fit_errors(basis, sr.make_knots(100, kind), np.float64, X)
    assert published_max / 2 < err_max < 2 * published_max
    assert published_mse / 2 < mse < 2 * published_mse


def test_float32_loses_the_relu_basis_but_not_fem():
    knots = sr.make_knots(300, "uniform")
    nn32 = sr.fit_errors("NN", knots, np.float32, X)
    fem32 = sr.fit_errors("FEM", knots, np.float32, X)
    fem64 = sr.fit_errors("FEM", knots, np.float64, X)
    assert 1e-2 < nn32[0] < 1e-1  # the paper: 6e-2 .. 7e-2 at n = 100, 1000
    assert fem32[0] == pytest.approx(fem64[0], rel=0.05)
    assert nn32[0] > 10 * fem32[0] and nn32[1] > 1e3 * fem32[1]


def test_relu_gram_eigenvalues_decay_like_k_to_minus_4():
    lam = sr.gram_spectrum(300)
    slope = sr.decay_slope(lam["NN"], (15, 150))
    assert abs(slope + 4) < 0.2  # measured -4.10 at n = 300, -4.03 at n = 1000
    fem = lam["FEM"]
    assert fem[0] / fem[-1] < 4.01  # P1 mass matrix on a uniform mesh: cond -> 4


def test_gradient_flow_mode_k_converges_on_time_scale_one_over_lambda_k():
    flow = sr.gradient_flow(30, 5_000)
    t_e = sr.e_folding_times(flow, np.arange(1, 30))
    ratio = (t_e * flow["lam"][1:])[np.isfinite(t_e)]
    assert ratio.size >= 4
    assert np.all((ratio > 0.95) & (ratio < 1.1))  # 1 up to the spacing of the records


@pytest.mark.slow
def test_quick_run_writes_report_and_plots(tmp_path):
    report = run_experiment("shallow_relu", tmp_path, quick=True)
    text = report.read_text()
    assert "| NN | uniform |" in text and "k^-4" in text
    assert (tmp_path / "gram_eigenvalues.png").stat().st_size > 1000
    assert (tmp_path / "gradient_flow.png").stat().st_size > 1000
    assert len(list((tmp_path / "computed").glob("*.npz"))) == 5
    report.unlink()
    assert write_experiment_report(tmp_path).read_text() == text


def test_registry_and_cli_reject_unknown_names(capsys):
    assert "shallow_relu" in list_experiments()
    with pytest.raises(ConfigError, match="experiment: unknown name 'nope'; available: "):
        get_experiment("nope")
    assert main(["experiment", "nope"]) == 2
    assert "unknown name 'nope'" in capsys.readouterr().err


CALLS = []


def stand_in_computation(quick: bool) -> dict:
    CALLS.append(quick)
    return {"value": np.arange(3.0) * (2 if quick else 1)}


def computations(quick):
    """The stand-in experiment: one stored computation, no cases."""
    return {"stand_in": Computation(stand_in_computation, {"quick": quick})}


def analyse(out_dir, records, computed, quick):
    report = out_dir / "report.md"
    report.write_text(f"quick={quick} value={computed['stand_in']['value'].tolist()}")
    return report


def test_experiments_store_their_computations_and_resume(tmp_path, monkeypatch, capsys):
    from pdesolve import experiments

    monkeypatch.setitem(experiments.EXPERIMENTS, "stand_in", (__name__, "test stand-in"))
    CALLS.clear()
    out = tmp_path / "out"
    assert main(["experiment", "stand_in", "--quick", "--out", str(out)]) == 0
    assert (out / "report.md").read_text() == "quick=True value=[0.0, 2.0, 4.0]"
    assert main(["experiment", "stand_in", "--quick", "--out", str(out)]) == 0
    assert CALLS == [True]  # stored: not computed again
    assert main(["report", str(out)]) == 0
    assert str(out / "report.md") in capsys.readouterr().out
    assert main(["experiment", "stand_in", "--out", str(out)]) == 2  # a quick run is there
    assert "holds the runs of" in capsys.readouterr().err
