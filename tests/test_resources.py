"""Runs too large for the machine are refused at validation, from a memory estimate that
matches what a solve really takes."""

from __future__ import annotations

import tracemalloc

import pytest

import pdesolve.resources as resources
from pdesolve import ConfigError, get_problem, solve
from pdesolve.solvers import fem, jacobi

def test_too_large_a_mesh_is_refused_with_what_it_needs_and_what_there_is(monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 1e9)
    problem = get_problem("poisson_sine", dim=2)
    fem.check(problem, fem.Options(n=100))  # 1e4 DOFs: fits
    with pytest.raises(ConfigError, match=r"^n: n = 2000 \(P1, d = 2, 4e\+06 DOFs\) needs "
                       r"about 4\.8\d* GB of memory; 1 GB available on this machine$"):
        fem.check(problem, fem.Options(n=2000))
    with pytest.raises(ConfigError, match=r"^n: n = 5000 in d = 2 \(2\.5e\+07 unknowns\) needs "
                       r"about 2\.5 GB"):
        jacobi.check(problem, jacobi.Options(n=5000))


def test_available_memory_is_known_on_this_machine():
    assert resources.available_memory() > 1e8


@pytest.mark.slow
def test_the_fem_estimate_is_within_a_factor_of_two_of_the_measured_peak():
    """3-D P2 above the direct solver's limit (1e4 DOFs in 3-D: AMG), where large runs are.

    The peak is what tracemalloc sees (NumPy arrays and Python objects, not the sparse
    solvers' own C buffers), so it is a lower bound of the true peak; unlike the resident
    set size it does not depend on what the kernel reclaimed meanwhile."""
    problem = get_problem("poisson_sine", dim=3)
    solve(problem, "fem", n=2)  # imports and caches warm
    tracemalloc.start()
    try:
        result = solve(problem, "fem", element="P2", n=15)
        measured = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.info["linear_solver"] == "amg"
    estimate = fem.BYTES_PER_DOF[3] * (2 * 15 + 1) ** 3
    assert 0.5 < measured / estimate < 2.0, (measured, estimate)
