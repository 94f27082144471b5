"""Weighted Jacobi: one sweep by hand, the textbook per-mode contraction, frequency ordering."""

import numpy as np
import pytest

from pdesolve import Box, ConfigError, Status, get_problem, solve
from pdesolve.grid import stencil
from pdesolve.grid.tensor import TensorGrid
from pdesolve.grid.sweeps import JacobiSweeps
from pdesolve.spectral import convergence_steps


@pytest.mark.parametrize("constant", [True, False])
def test_one_sweep_by_hand(constant):
    """1-D, h = 1/4, kappa = 1: u_i <- (1 - w) u_i + w (h^2 f_i + u_{i-1} + u_{i+1}) / 2."""
    grid = TensorGrid(Box.cube(1), (3,))
    padded = np.array([1.0, 0.5, -1.0, 2.0, 3.0])
    f = np.array([16.0, 0.0, -32.0])
    omega = 0.5
    JacobiSweeps(grid, stencil.kappa_edges(grid, None), f, padded, omega, constant).sweep()
    expected = 0.5 * np.array([0.5, -1.0, 2.0]) + 0.5 * np.array([1.0, 2.5, 0.0]) / 2
    np.testing.assert_allclose(padded, [1.0, *expected, 3.0], atol=1e-14)


def test_sweep_is_the_matrix_iteration(rng):
    """Variable kappa in 2-D: one sweep equals u + w D^{-1} (b - A u)."""
    grid = TensorGrid(Box.cube(2), (5, 4))
    coeffs = stencil.kappa_edges(grid, lambda x: 1 + x[:, 0] * x[:, 1])
    boundary = grid.boundary_values(lambda x: x[:, 0] - x[:, 1])
    f = rng.standard_normal(grid.n)
    a = stencil.assemble(grid, coeffs)
    b = stencil.right_hand_side(grid, coeffs, f, boundary).ravel()
    padded = boundary.copy()
    padded[grid.interior] = rng.standard_normal(grid.n)
    u = padded[grid.interior].ravel().copy()
    JacobiSweeps(grid, coeffs, f, padded, 0.7, constant=False).sweep()
    np.testing.assert_allclose(padded[grid.interior].ravel(),
                               u + 0.7 * (b - a @ u) / a.diagonal(), atol=1e-12)


@pytest.mark.parametrize("system", ["grid", "fem"])
@pytest.mark.parametrize("omega", [1.0, 2 / 3])
def test_mode_contraction_matches_the_amplification_factor(omega, system):
    """Error in sine mode k shrinks by 1 - omega (1 - cos(k pi / (n + 1))) per sweep
    (the 1-D P1 stiffness matrix is tridiag(-1, 2, -1) / h: the same factors)."""
    n, every = 63, 4
    modes = [2, 8, 20, 40, 62]
    result = solve(get_problem("poisson_multifreq_1d"), "jacobi", n=n, omega=omega,
                   sweeps=2 * every, record_every=every, modes=modes, reference="discrete",
                   system=system)
    first, second = (np.array(list(h["mode_err"].values())) for h in result.history[1:3])
    measured = (second / first) ** (1 / every)
    theory = np.abs(1 - omega * (1 - np.cos(np.array(modes) * np.pi / (n + 1))))
    np.testing.assert_allclose(measured, theory, rtol=0.01)


@pytest.mark.parametrize("system", ["grid", "fem"])
def test_high_frequencies_converge_first(system):
    """The inverse F-principle on a 101-point grid: convergence times ordered by frequency.

    All tracked frequencies are ordered on the grid system (the paper's setup). On the P1
    system the DFT bins k = 3 and 8 (not eigenmodes: they collect leakage of the slow low
    sine modes) converge within a few sweeps of each other, so there the DFT check is
    lowest peak versus highest; the sine modes (eigenmodes) are fully ordered on both.
    """
    result = solve(get_problem("poisson_multifreq_1d"), "jacobi", n=99, sweeps=3000,
                   record_every=10, modes=[2, 4, 8, 16], system=system)
    assert result.info["peaks"] == [1, 3, 8]
    peaks = list(convergence_steps(result.history, 1e-2).values())
    modes = list(convergence_steps(result.history, 1e-2, key="mode_err").values())
    for times in ([peaks, modes] if system == "grid" else [modes]):
        assert None not in times and times == sorted(times, reverse=True)
        assert len(set(times)) == len(times)
    assert None not in peaks and 2 * peaks[-1] < peaks[0]


@pytest.mark.slow
def test_paper_setup_highest_peak_converges_10x_earlier():
    """1001 points on [-1, 1] (arXiv 1901.06523): peak k=8 below 1e-2 >= 10x earlier than k=1."""
    result = solve(get_problem("poisson_multifreq_1d"), "jacobi", n=999, sweeps=240_000,
                   record_every=100)
    steps = convergence_steps(result.history, 1e-2)
    assert list(steps) == ["k=1", "k=8"]
    assert steps["k=8"] * 10 <= steps["k=1"]


@pytest.mark.parametrize("system", ["grid", "fem"])
def test_radial_bands_in_2d_and_tolerance_stop(system):
    result = solve(get_problem("poisson_sin_sq", dim=2, mu=8.0), "jacobi", n=15, omega=0.8,
                   sweeps=5000, record_every=20, tol=1e-8, bands=4, reference="discrete",
                   system=system)
    assert result.status is Status.OK and result.info["sweeps"] < 5000
    assert len(result.history[0]["freq_err"]) == 4
    assert result.history[-1]["residual"] <= 1e-8
    first, last = (np.array(list(h["freq_err"].values())) for h in result.history[1::10][:2])
    assert np.all(last < first)


def test_fem_system_is_for_d_up_to_3():
    with pytest.raises(ConfigError, match="d <= 3"):
        solve(get_problem("poisson_sine", dim=4), "jacobi", n=3, system="fem")


def test_not_converged_and_bad_options():
    problem = get_problem("poisson_multifreq_1d")
    result = solve(problem, "jacobi", n=31, sweeps=10, record_every=5, tol=1e-12)
    assert result.status is Status.NOT_CONVERGED and result.dofs == 31
    with pytest.raises(ConfigError, match="omega"):
        solve(problem, "jacobi", omega=1.5)
    with pytest.raises(ConfigError, match="modes"):
        solve(problem, "jacobi", n=31, sweeps=1, modes=[40])
    with pytest.raises(ConfigError, match="p = 2"):
        solve(get_problem("plaplace_sine", p=3), "jacobi")


@pytest.mark.parametrize("system", ["grid", "fem"])
def test_initial_solver_solution_is_the_start(system):
    """Started from the grid solver's solution, Jacobi starts at the discrete solution of the
    FD system (residual of the CG tolerance), and within O(h^2) of the P1 system's."""
    problem = get_problem("poisson_multifreq_1d")
    options = dict(n=63, sweeps=10, record_every=5, system=system, reference="discrete",
                   modes=[2])
    result = solve(problem, "jacobi", initial={"kind": "grid", "n": 63, "tol": 1e-12}, **options)
    start = result.info["initial"]
    assert start["kind"] == "grid" and start["dofs"] == 63 and start["seconds"] > 0
    assert start["max_err"] == result.history[0]["max_err"]
    assert result.seconds >= start["seconds"]
    cold = solve(problem, "jacobi", **options)
    assert cold.history[0]["max_err"] > 0.5 and "initial" not in cold.info
    if system == "grid":
        assert result.history[0]["residual"] < 1e-10 and start["max_err"] < 1e-10
    else:
        assert start["max_err"] < 5e-3
    assert result.history[0]["mode_amp"]["k=2"] < 1e-2 * cold.history[0]["mode_amp"]["k=2"]


def test_max_err_tol_stops_and_mode_amplitudes_predict_the_sweeps():
    """From u = 0 the error is -u: its sine-mode amplitudes a_k set the sweeps to a max error
    of 1e-4, ln(a_2 / 1e-4) / -ln cos(2 pi / (n + 1)) (u is odd: mode 1 is absent)."""
    n = 399  # discretisation error 3e-5, below the target
    result = solve(get_problem("poisson_multifreq_1d"), "jacobi", n=n, sweeps=600_000,
                   record_every=500, max_err_tol=1e-4, modes=[1, 2])
    assert result.status is Status.OK and result.history[-1]["max_err"] <= 1e-4
    amplitudes = result.history[0]["mode_amp"]
    assert amplitudes["k=1"] < 1e-12 and amplitudes["k=2"] > 0.1
    predicted = np.log(amplitudes["k=2"] / 1e-4) / -np.log(np.cos(2 * np.pi / (n + 1)))
    assert abs(result.info["sweeps"] - predicted) < 0.05 * predicted
    seconds = [h["seconds"] for h in result.history]
    assert seconds == sorted(seconds) and seconds[-1] == result.seconds


@pytest.mark.parametrize("initial, message", [
    ({"n": 3}, "initial: a solver table needs kind"),
    ({"kind": "magic"}, "initial.kind: unknown solver 'magic'"),
    ({"kind": "grid", "n": 0}, "initial.n: must be >= 2"),
    ({"kind": "fem", "element": "P9"}, "initial.element: 'P9' is not allowed"),
    ("cold", "initial: expected one of 'zero' or a table"),
])
def test_bad_initial_tables_name_the_field(initial, message):
    with pytest.raises(ConfigError) as err:
        solve(get_problem("poisson_multifreq_1d"), "jacobi", n=31, initial=initial)
    assert message in str(err.value)


def test_jacobi_on_a_disk_converges_to_the_p1_solution_of_the_same_mesh():
    """system = "fem" on a disk iterates on the mesh's P1 system: with tol 1e-10 its iterate
    is the FEM P1 solution on that mesh (h = 1 / (n + 1) there, 1 / n for FEM), and the
    discrete residual falls at every record; no spectra off a box."""
    from pdesolve.problems.tables import problem_from_table
    from pdesolve.solvers import configure

    disk = {"kind": "disk", "center": [0.5, 0.5], "radius": 0.5}
    problem = problem_from_table({"name": "poisson_sine", "dim": 2, "domain": disk})
    module, options = configure(problem, "jacobi", {
        "n": 7, "system": "fem", "sweeps": 2000, "record_every": 50, "tol": 1e-10})
    result = module.solve(problem, options)
    fem_module, fem_options = configure(problem, "fem", {"n": 8, "element": "P1"})
    fem = fem_module.solve(problem, fem_options)
    assert result.status == Status.OK and result.dofs == fem.dofs
    residuals = [entry["residual"] for entry in result.history]
    assert residuals[-1] <= 1e-10 and all(np.diff(residuals) < 0)
    assert "freq_err" not in result.history[-1]
    x = np.random.default_rng(0).uniform(0.25, 0.75, (40, 2))
    np.testing.assert_allclose(result.u(x), fem.u(x), atol=1e-8)
    assert result.history[-1]["l2_rel"] < 0.05
