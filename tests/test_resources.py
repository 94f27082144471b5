"""Runs too large for the machine are refused at validation, from a memory estimate that
matches what a solve really takes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pdesolve.resources as resources
from pdesolve import ConfigError, get_problem
from pdesolve.solvers import fem, jacobi

MEASURE = textwrap.dedent("""
    import json, os, resource, sys
    from pdesolve import get_problem, solve
    problem = get_problem("poisson_sine", dim=2)
    solve(problem, "fem", n=4)  # imports and caches warm
    with open("/proc/self/statm") as fh:  # resident pages now
        base = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    result = solve(problem, "fem", element=sys.argv[1], n=int(sys.argv[2]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"bytes": peak - base}))
""")


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


@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="reads /proc/self/statm")
def test_the_fem_estimate_is_within_a_factor_of_two_of_the_measured_peak():
    """Above the direct solver's limit (2e5 DOFs in 2-D: AMG), where large runs are."""
    element, n = "P1", 500
    proc = subprocess.run([sys.executable, "-c", MEASURE, element, str(n)], check=True,
                          capture_output=True, text=True, timeout=120)
    measured = json.loads(proc.stdout)["bytes"]
    dofs = (int(element[1]) * n + 1) ** 2
    estimate = fem.BYTES_PER_DOF[2] * dofs
    assert 0.5 < measured / estimate < 2.0, (measured, estimate)
