"""Experiment 5: the knots of a trained shallow ReLU network (quick size)."""

import numpy as np
import pytest

from pdesolve.experiments import get_experiment, run_experiment, write_experiment_report
from pdesolve.experiments import relu_knots as rk
from pdesolve.experiments.stored import load_computed


def test_reference_cdfs_are_distributions():
    x = np.linspace(-1, 1, 2001)
    for cdf in rk.reference_cdfs(x).values():
        assert cdf[0] == 0 and abs(cdf[-1] - 1) < 1e-12 and np.all(np.diff(cdf) >= 0)


def test_kolmogorov_distance_of_a_sample_to_its_own_law_is_small(rng):
    x = np.linspace(-1, 1, 2001)
    uniform = rk.reference_cdfs(x)["uniform"]
    assert rk.kolmogorov_distance(rng.uniform(-1, 1, 2000), x, uniform) < 0.05
    assert rk.kolmogorov_distance(rng.uniform(-1, 0, 2000), x, uniform) > 0.45


@pytest.mark.slow
def test_trained_knots_move_to_the_steep_part(tmp_path):
    report = run_experiment("relu_knots", tmp_path, quick=True)
    result = rk.study(load_computed(tmp_path, rk.computations(True))["training"], quick=True)
    losses, knots = result["losses"], result["knots"]
    assert losses[-1] < 1e-3 * losses[0]
    near_zero = np.mean(np.abs(knots["trained"]) < 0.1)
    assert near_zero > 3 * np.mean(np.abs(knots["initial"]) < 0.1)  # measured 0.62 vs 0.13
    distance = result["distances"]["trained"]
    # measured 0.26 to f''^(2/5), 0.40 to uniform and to f'
    assert distance["f''^(2/5) (L2-optimal)"] == min(distance.values())
    text = report.read_text()
    assert f"{near_zero:.2f}" in text
    assert (tmp_path / "knots.png").stat().st_size > 1000
    report.unlink()
    assert write_experiment_report(tmp_path).read_text() == text


def test_registered():
    assert get_experiment("relu_knots") is rk
