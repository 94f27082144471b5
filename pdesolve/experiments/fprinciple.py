"""Experiment 1: the frequency principle, Jacobi against a network (arXiv 1901.06523).

-u'' = g on (-1, 1), u(+-1) = 0, g = sin x + 4 sin 4x - 8 sin 8x + 16 sin 24x
(``poisson_multifreq_1d``), on n + 2 evenly spaced nodes (the paper: 1001, n = 999).

- Jacobi (:mod:`pdesolve.solvers.jacobi`) on A u = b, A = tridiag(-1, 2, -1) / h^2: the
  error's sine mode k is multiplied by cos(k pi / (n + 1)) per sweep, so high frequencies
  converge first.
- Deep Ritz on the grid nodes (``sampler = "grid"``):
  I(h) = sum_i (1/2 |h'(x_i)|^2 - g(x_i) h(x_i)) dx + beta (h(x_0)^2 + h(x_n)^2); Adam
  fits the low frequencies first.
- Per-frequency error Delta_F(k) = |h^_k - u^_k| / |u^_k|, ^ the DFT over the nodes, at the
  peaks of |u^| (:func:`pdesolve.spectral.dft_errors`).
- Hybrid: train the network for M steps, put its values at the interior nodes into the
  Jacobi iterate (boundary values g), and sweep. Max error over the nodes against the exact
  solution versus wall time (network training with its setup, evaluation at the nodes, Jacobi
  setup and sweeps), for several M, against Jacobi alone (from u = 0) and the network alone.

The exact solution is odd, and Jacobi from u = 0 keeps it so: the even eigenmodes of the
error (k = 1, 3, ...; k = 1 the slowest) are never present. The hybrid's network therefore
has the same symmetry built in (``parity = "odd"``) and the boundary values too
(``boundary = "exact"``): a plain network's error has an even part, which gives Jacobi the
slowest mode back (the report shows both). The Jacobi continuation uses the solver's own
:class:`~pdesolve.solvers.jacobi.GridSystem` (same grid operator), whose iterate is filled
in place: the ``jacobi`` solver itself always starts from u = 0.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from pdesolve import spectral
from pdesolve.experiments import machine_note, markdown_table
from pdesolve.problems.base import Problem
from pdesolve.problems.registry import get_problem
from pdesolve.solvers import solve
from pdesolve.solvers.grid import make_grid
from pdesolve.solvers.jacobi import GridSystem

log = logging.getLogger(__name__)

TARGET = 1e-4
"""Max error over the nodes that the hybrid race is timed to."""

THRESHOLD = 0.1
"""Delta_F below which a frequency counts as converged (order of convergence)."""

NETWORK = {"widths": [32, 32], "activation": "tanh", "sampler": "grid", "beta": 100.0,
           "lr": 1e-2, "lr_decay": 5e-5, "monitor_points": 0, "freq_history": True,
           "threads": 1, "seed": 0}
"""Deep Ritz options (the paper publishes none): tanh 1-32-32-1, Adam, boundary penalty."""

SYMMETRIC = {"boundary": "exact", "parity": "odd"}
"""What the hybrid's network adds to :data:`NETWORK`: u(-x) = -u(x) and u(+-1) = 0 built in."""

FULL = {"n": 999, "jacobi_sweeps": 200_000, "jacobi_record": 1000,
        "Ms": [5, 10, 25, 50, 100, 250, 400, 1000], "plain_Ms": [250, 2000], "repeats": 3,
        "log_every": 50, "max_sweeps": 3_000_000, "batch": 2000}
QUICK = {"n": 399, "jacobi_sweeps": 8000, "jacobi_record": 200, "Ms": [100, 300],
         "plain_Ms": [600], "repeats": 1, "log_every": 25, "max_sweeps": 600_000, "batch": 1000}
"""Ms: the hybrid's network steps (symmetric network); plain_Ms: the same with the plain
network, the last also the network of the frequency figure; repeats: races run, times are
their medians (the machine is noisy; the errors are the same in every race)."""


def nodes(n: int) -> np.ndarray:
    """The n + 2 grid nodes of [-1, 1], boundary included, shape (n + 2, 1)."""
    return np.linspace(-1.0, 1.0, n + 2)[:, None]


def train_network(problem: Problem, n: int, steps: int, log_every: int, symmetric: bool = False):
    """Deep Ritz on the n + 2 nodes for ``steps`` Adam steps (options :data:`NETWORK`, with
    :data:`SYMMETRIC` when ``symmetric``)."""
    options = {**NETWORK, **SYMMETRIC} if symmetric else NETWORK
    return solve(problem, "deep_ritz", batch_interior=n + 1, steps=steps, log_every=log_every,
                 **options)


def jacobi_trace(problem: Problem, n: int, initial: np.ndarray | None, *, max_sweeps: int,
                 batch: int, target: float = TARGET) -> dict[str, np.ndarray]:
    """Jacobi sweeps from ``initial`` (interior values (n,); None: zero) until the max error
    over the nodes is <= ``target`` or ``max_sweeps`` is reached.

    Returns {"seconds": (m,), "max_err": (m,), "sweeps": (m,)}, recorded every ``batch``
    sweeps; seconds include the system's setup, not the error evaluations.
    """
    start = time.perf_counter()
    grid = make_grid(problem, n)
    system = GridSystem(problem, grid, 1.0)
    if initial is not None:
        system.values[grid.interior] = initial
    exact = problem.exact(nodes(n))
    elapsed = time.perf_counter() - start
    seconds, errors, sweeps = [elapsed], [float(np.max(np.abs(system.values - exact)))], [0]
    while errors[-1] > target and sweeps[-1] < max_sweeps:
        tic = time.perf_counter()
        system.sweep(batch)
        elapsed += time.perf_counter() - tic
        seconds.append(elapsed)
        errors.append(float(np.max(np.abs(system.values - exact))))
        sweeps.append(sweeps[-1] + batch)
    return {"seconds": np.array(seconds), "max_err": np.array(errors), "sweeps": np.array(sweeps)}


def time_to(trace: dict[str, np.ndarray], target: float = TARGET) -> float:
    """First recorded time with max error <= target (inf when never reached)."""
    hit = np.nonzero(trace["max_err"] <= target)[0]
    return float(trace["seconds"][hit[0]]) if hit.size else float("inf")


def hybrid(problem: Problem, size: dict) -> tuple[dict, list[dict], object]:
    """Jacobi alone, and network-then-Jacobi for every M in ``size["Ms"]`` (symmetric
    network) and ``size["plain_Ms"]`` (plain network).

    Returns (Jacobi trace, [{M, symmetric, net_seconds, net_max_err, trace, slow}], the
    plain network's result of the last plain M).
    """
    n, x = size["n"], nodes(size["n"])
    exact = problem.exact(x)
    jacobi = jacobi_trace(problem, n, None, max_sweeps=size["max_sweeps"], batch=size["batch"])
    jacobi["slow"] = slow_modes(-exact)
    for symmetric in (False, True):  # warm-up: first-call costs not timed
        train_network(problem, n, 1, size["log_every"], symmetric)
    runs, result = [], None
    plan = [(m, True) for m in size["Ms"]] + [(m, False) for m in size["plain_Ms"]]
    for m, symmetric in plan:
        result = train_network(problem, n, m, size["log_every"], symmetric)
        tic = time.perf_counter()
        values = result.u(x)
        net_seconds = result.seconds + time.perf_counter() - tic
        trace = jacobi_trace(problem, n, values[1:-1], max_sweeps=size["max_sweeps"],
                             batch=size["batch"])
        trace["seconds"] = trace["seconds"] + net_seconds
        error = values - exact
        error[[0, -1]] = 0.0  # Jacobi restores the boundary values
        runs.append({"M": m, "symmetric": symmetric, "net_seconds": net_seconds,
                     "net_max_err": float(np.max(np.abs(values - exact))), "trace": trace,
                     "slow": slow_modes(error)})
        log.info("%s: network %.1f s (max err %.2e), to %.0e in %.1f s", label(runs[-1]),
                 net_seconds, runs[-1]["net_max_err"], TARGET, time_to(trace))
    return jacobi, runs, result


def label(run: dict) -> str:
    """"hybrid M = 250" (symmetric network) or "hybrid M = 250, plain network"."""
    return f"hybrid M = {run['M']}" + ("" if run["symmetric"] else ", plain network")


def slow_modes(error: np.ndarray, modes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Amplitudes of the slowest Jacobi eigenmodes in a nodal error, and sweeps to TARGET.

    error : (n + 2,) nodal error, boundary included. Mode k is sin(i k pi / (n + 1)) with
    amplitude a_k = 2 / (n + 1) sum_i e_i sin(i k pi / (n + 1)) (:func:`pdesolve.spectral.dst1`);
    Jacobi multiplies it by cos(k pi / (n + 1)) per sweep, so it needs
    ln(|a_k| / TARGET) / -ln cos(k pi / (n + 1)) sweeps to fall to TARGET.
    Returns (|a_k|, sweeps), each (modes,), k = 1..modes.
    """
    n = error.size - 2
    k = np.arange(1, modes + 1)
    amp = np.abs(2.0 / (n + 1) * spectral.dst1(error[1:-1])[:modes])
    rate = -np.log(np.cos(k * np.pi / (n + 1)))
    return amp, np.maximum(np.log(amp / TARGET), 0.0) / rate


def frequency_orders(jacobi_history: list[dict], net_history: list[dict],
                     threshold: float = THRESHOLD) -> dict[str, dict]:
    """First sweep / step at which each Delta_F falls below ``threshold``, for both methods
    (:func:`pdesolve.spectral.convergence_steps`; None: never)."""
    return {"jacobi": spectral.convergence_steps(jacobi_history, threshold),
            "network": spectral.convergence_steps(net_history, threshold)}


def _plots(out_dir: Path, jacobi_result, net_result, jacobi, runs) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    spectral.plot_frequency_history(jacobi_result.history, ax=ax1)
    ax1.set_xlabel("Jacobi sweep")
    ax1.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    ax1.set_title("Jacobi: high frequency first", fontsize=10)
    spectral.plot_frequency_history(net_result.history, ax=ax2)
    ax2.set_xlabel("Adam step (Deep Ritz)")
    ax2.set_title("network: low frequency first", fontsize=10)
    for ax in (ax1, ax2):
        ax.axhline(THRESHOLD, color="grey", lw=0.8, ls=":")
        ax.set_ylabel(r"$\Delta_F(k)$ at the DFT peaks")
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "frequency_histories.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.loglog(jacobi["seconds"][1:], jacobi["max_err"][1:], "k", lw=2, label="Jacobi only")
    for symmetric, marker in ((True, "s"), (False, "o")):
        ends = [r for r in runs if r["symmetric"] is symmetric]
        ax.loglog([r["net_seconds"] for r in ends], [r["net_max_err"] for r in ends],
                  marker + ":", color="grey",
                  label=f"{'symmetric' if symmetric else 'plain'} network only (after M steps)")
    for r in runs:
        ax.loglog(r["trace"]["seconds"], r["trace"]["max_err"], "-" if r["symmetric"] else "--",
                  lw=1, label=label(r))
    ax.axhline(TARGET, color="r", lw=0.8, ls=":")
    ax.set_xlabel("wall time, s")
    ax.set_ylabel("max error over the nodes")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "hybrid_time.png", dpi=90)
    plt.close(fig)


def run(out_dir: Path, quick: bool = False) -> Path:
    """Run experiment 1 and write ``report.md``, ``frequency_histories.png`` and
    ``hybrid_time.png`` into ``out_dir``; returns the report's path."""
    start, machine = time.perf_counter(), machine_note()
    size = QUICK if quick else FULL
    problem = get_problem("poisson_multifreq_1d")
    jacobi_result = solve(problem, "jacobi", n=size["n"], sweeps=size["jacobi_sweeps"],
                          record_every=size["jacobi_record"])
    races = [hybrid(problem, size) for _ in range(size["repeats"])]
    jacobi, runs, net_result = races[0]  # the same numbers in every race; times differ
    _plots(out_dir, jacobi_result, net_result, jacobi, runs)
    jacobi["time"] = float(np.median([time_to(race[0]) for race in races]))
    for i, r in enumerate(runs):
        r["time"] = float(np.median([time_to(race[1][i]["trace"]) for race in races]))
        r["net_median"] = float(np.median([race[1][i]["net_seconds"] for race in races]))
    orders = frequency_orders(jacobi_result.history, net_result.history)

    t_jacobi = jacobi["time"]

    def slow(run):
        (a1, a2), (s1, s2) = run["slow"]
        return [f"{a1:.1e} ({s1:,.0f})", f"{a2:.1e} ({s2:,.0f})"]

    rows = [["Jacobi only", "-", "-", *slow(jacobi), f"{jacobi['sweeps'][-1]:,}",
             f"{t_jacobi:.2f}"]]
    rows += [[label(r), f"{r['net_median']:.2f}", f"{r['net_max_err']:.2e}", *slow(r),
              f"{r['trace']['sweeps'][-1]:,}", f"{r['time']:.2f}"] for r in runs]
    best = min((r for r in runs if r["symmetric"]), key=lambda r: r["time"])
    plain = min((r for r in runs if not r["symmetric"]), key=lambda r: r["time"])
    t_best = best["time"]
    t_network = min(time_to({"seconds": np.array([r["net_median"]]),
                             "max_err": np.array([r["net_max_err"]])}) for r in runs)
    order_rows = [[method, *(f"{s:,}" if s is not None else "never" for s in steps.values())]
                  for method, steps in orders.items()]
    labels = list(orders["jacobi"])
    sweeps_per_step = best["net_median"] / best["M"] / (t_jacobi / jacobi["sweeps"][-1])
    if t_best < min(t_jacobi, t_network):
        verdict = (f"The hybrid beats both pure methods, as the paper reports "
                   f"({t_jacobi / t_best:.2f}x faster than Jacobi alone).")
    else:
        verdict = "**Not reproduced in this run.**"
    smallest = ", the smallest M tried" if best["M"] == min(size["Ms"]) else ""
    winners = [r["M"] for r in runs if r["symmetric"] and r["time"] < t_jacobi]
    winners_text = (f"The symmetric hybrid beats Jacobi alone for M = "
                    f"{', '.join(map(str, winners))} of the M tried. " if winners else "")
    mode1 = {sym: [r["slow"][0][0] for r in runs if r["symmetric"] is sym] for sym in (True, False)}
    races_text = f"{size['repeats']} race" + ("s" if size["repeats"] > 1 else "")
    symmetric_options = ", ".join(f'{k} = "{v}"' for k, v in SYMMETRIC.items())
    quick_note = (f"\n\nQUICK RUN: n = {size['n']} (not the paper's 999), short training."
                  if quick else "")
    text = f"""# Experiment 1: frequency principle, Jacobi vs network (arXiv 1901.06523)

-u'' = sin x + 4 sin 4x - 8 sin 8x + 16 sin 24x on (-1, 1), u(+-1) = 0; {size['n'] + 2}
evenly spaced nodes. Jacobi (omega = 1) on the central-difference system from u = 0; the
network: Deep Ritz on the same nodes, tanh 1-{'-'.join(map(str, NETWORK['widths']))}-1,
Adam lr {NETWORK['lr']:g}, beta = {NETWORK['beta']:g}, float32, seed {NETWORK['seed']} (the
paper publishes no network size, activation, lr or beta). The hybrid's network is the same
with odd parity and the boundary values built in ({symmetric_options}).
Delta_F(k) = |h^_k - u^_k| / |u^_k| at the peaks k of the DFT of the exact solution over
the nodes ({', '.join(labels)}).
Whole experiment: {time.perf_counter() - start:.0f} s wall time ({machine}).{quick_note}

## Opposite orders

First sweep / step with Delta_F < {THRESHOLD:g} (paper: figure only; the network history
is the plain network's M = {runs[-1]['M']} run):

{markdown_table(["method", *labels], order_rows)}
![frequency histories](frequency_histories.png)

## Hybrid: network for M steps, then Jacobi

Wall time to a max error of {TARGET:g} over the nodes (against the exact solution), network
time including setup and evaluation at the nodes (an untimed 1-step warm-up run first);
times are medians of {races_text} (the figure: the first race).
"mode k": amplitude of the slowest Jacobi eigenmodes sin(i k pi / (n + 1)) in the error Jacobi
starts from, and (in brackets) the sweeps Jacobi needs to bring it to {TARGET:g}
(ln(a_k / {TARGET:g}) / -ln cos(k pi / (n + 1))).

{markdown_table(["run", "network s", "network max err", "mode 1 (sweeps)", "mode 2 (sweeps)",
                 "Jacobi sweeps", f"time to {TARGET:g}, s"], rows)}
Best M = {best['M']} (symmetric network{smallest}): {t_best:.2f} s against {t_jacobi:.2f} s
for Jacobi alone; the best plain-network hybrid ({label(plain)}) takes {plain['time']:.2f} s;
the network alone reaches max error {min(r['net_max_err'] for r in runs):.1e} at best
(never {TARGET:g} in this budget). {verdict} {winners_text}Mode 2 after M steps is not
monotone in M (Adam at lr {NETWORK['lr']:g} overshoots), so which M is best is partly chance;
the list of M that win is the robust result.

Mode 1, the slowest (contraction cos(pi / (n + 1)) per sweep), is absent from Jacobi's own
start: u is odd and Jacobi keeps it odd. In the plain network's error its amplitude is
{min(mode1[False]):.1e} to {max(mode1[False]):.1e}; in the symmetric network's, at most
{max(mode1[True]):.0e}. A network step costs about {sweeps_per_step:.0f} Jacobi sweeps here,
so M steps pay off when they save Jacobi more than {sweeps_per_step:.0f} M sweeps.

![max error vs time](hybrid_time.png)
"""
    report = out_dir / "report.md"
    report.write_text(text)
    return report
