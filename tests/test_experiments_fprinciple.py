"""Experiment 1 (arXiv 1901.06523): opposite frequency orders of Jacobi and a network; hybrid."""

import numpy as np

from pdesolve.experiments import fprinciple as fp
from pdesolve.problems.registry import get_problem
from pdesolve.solvers import solve

PROBLEM = get_problem("poisson_multifreq_1d")


def test_jacobi_high_first_network_low_first():
    size = fp.QUICK
    jacobi = solve(PROBLEM, "jacobi", n=size["n"], sweeps=size["jacobi_sweeps"],
                   record_every=size["jacobi_record"])
    network = fp.train_network(PROBLEM, size["n"], size["plain_Ms"][-1], size["log_every"])
    orders = fp.frequency_orders(jacobi.history, network.history)
    assert set(orders["jacobi"]) == {"k=1", "k=8"}
    # Jacobi: the high peak converges, the low one does not (within the quick budget)
    assert orders["jacobi"]["k=8"] is not None and orders["jacobi"]["k=1"] is None
    # network: the low peak converges, the high one does not
    assert orders["network"]["k=1"] is not None and orders["network"]["k=8"] is None


def test_jacobi_continuation_starts_from_the_given_iterate():
    n = 99
    exact = PROBLEM.exact(fp.nodes(n))
    # target -1: never stop before max_sweeps
    trace = fp.jacobi_trace(PROBLEM, n, exact[1:-1], max_sweeps=10, batch=5, target=-1.0)
    # from the exact nodal values the error grows to the discretisation error (O(h^2))
    assert trace["max_err"][0] == 0.0
    assert 0 < trace["max_err"][-1] < 1e-2
    cold = fp.jacobi_trace(PROBLEM, n, None, max_sweeps=10, batch=5, target=-1.0)
    assert cold["max_err"][-1] > 0.3
    assert trace["sweeps"][-1] == cold["sweeps"][-1] == 10
    assert fp.time_to(cold, 1e-12) == np.inf


def test_slow_modes_of_the_zero_start_predict_the_jacobi_sweeps():
    n = 399  # discretisation error 3e-5, below the target 1e-4
    exact = PROBLEM.exact(fp.nodes(n))
    (a1, a2), (s1, s2) = fp.slow_modes(-exact)
    # u is odd: the slowest (even) mode is absent, the second mode sets the work
    assert a1 < 1e-12 and s1 == 0 and a2 > 0.1
    cold = fp.jacobi_trace(PROBLEM, n, None, max_sweeps=150_000, batch=500)
    assert abs(cold["sweeps"][-1] - s2) < 0.05 * s2


def test_quick_run_writes_report(tmp_path):
    text = fp.run(tmp_path, quick=True).read_text()
    assert "| jacobi | never |" in text and "| network |" in text
    assert text.count("| hybrid M = ") == len(fp.QUICK["Ms"]) + len(fp.QUICK["plain_Ms"])
    assert text.count(", plain network |") == len(fp.QUICK["plain_Ms"])
    for png in ("frequency_histories.png", "hybrid_time.png"):
        assert (tmp_path / png).stat().st_size > 1000


def test_symmetric_network_leaves_the_slowest_jacobi_mode_out():
    """The odd network's error has no even part: mode 1 stays at round-off."""
    n = 199
    result = fp.train_network(PROBLEM, n, 20, 10, symmetric=True)
    error = result.u(fp.nodes(n)) - PROBLEM.exact(fp.nodes(n))
    assert abs(error[0]) < 1e-6 and abs(error[-1]) < 1e-6  # boundary values built in
    (a1, a2), _ = fp.slow_modes(error)
    assert a1 < 1e-6 * a2
