"""Experiment 4: shallow ReLU basis vs P1 FEM as least-squares representations.

Reproduces Table 1 of Zhang, Zhao, Zhong, Zhou (arXiv 2306.17301): the L2 projection of
``f(x) = arctan(25 x)`` on (-1, 1) onto the span of n functions at fixed knots, in the
shallow ReLU basis and the P1 hat basis of the same space (:mod:`.least_squares`). The
errors MAX and MSE = mean((u - f)^2) are measured on a uniform grid. Also: the eigenvalue
decay of both Gram matrices, and gradient flow of the outer weights.

No PDE is solved, so there are no cases: the fits, spectra and flows are computations,
stored (``<out>/computed/``) and read back by :func:`analyse`.
Full: n = 100, 1000, spectra at n = 1000, flow at n = 100 for 10^5 steps. Quick:
n = 100, 200 (pinv variants at 100), spectra at n = 300, flow at n = 50 for 2 10^4 steps.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..harness.plots import plt, save_figure
from . import markdown_table
from .least_squares import (DTYPES, PINV_METHODS, decay_slope, e_folding_times, fit_errors,
                            gradient_flow, gram_spectrum, make_knots)
from .stored import Computation

log = logging.getLogger(__name__)

PUBLISHED = {
    ("NN", "uniform"): [
        (6.09e-2, 9.58e-5), (7.19e-2, 1.43e-4), (1.37e-2, 1.70e-6), (1.05e-4, 1.33e-10)
    ],
    ("FEM", "uniform"): [
        (1.37e-2, 1.70e-6), (1.05e-4, 1.33e-10), (1.37e-2, 1.70e-6), (1.05e-4, 1.33e-10)
    ],
    ("NN", "adaptive"): [
        (6.83e-2, 7.54e-5), (1.89e-2, 1.06e-5), (3.93e-3, 1.42e-6), (4.74e-5, 1.17e-10)
    ],
    ("FEM", "adaptive"): [
        (2.92e-3, 9.95e-7), (3.79e-5, 1.02e-10), (2.92e-3, 9.95e-7), (3.77e-5, 1.02e-10)
    ],
}
"""Table 1 of arXiv 2306.17301: (MAX, MSE) for float32 n=100, n=1000, float64 n=100, n=1000."""

KNOTS = ("uniform", "adaptive")
POINTS = 10_000
"""Errors on linspace(-1, 1, POINTS): the paper's points (inferred: they reproduce its FEM
entries to three digits); the FEM MAX also on 10^5 + 1 points."""


def table1(ns: tuple[int, int], x: np.ndarray, method: str = "eigh") -> dict:
    """Our Table 1: {(basis, knots): [(MAX, MSE) for float32 n0, n1, float64 n0, n1]}."""
    return {
        (basis, kind): [
            fit_errors(basis, make_knots(n, kind), dtype, x, method)
            for dtype in DTYPES
            for n in ns
        ]
        for basis, kind in PUBLISHED
    }


def fits(ns: list[int], n_variants: int) -> dict[str, np.ndarray]:
    """Table 1 (4, 4, 2) in the order of PUBLISHED; the float64 FEM MAX on 10^5 + 1 points
    (uniform, adaptive x ns); the NN fits by every PINV_METHODS at n_variants (knots x
    methods, dtypes, (MAX, MSE))."""
    x = np.linspace(-1.0, 1.0, POINTS)
    fine = np.linspace(-1.0, 1.0, 100_001)
    fine_max = [fit_errors("FEM", make_knots(n, kind), np.float64, fine)[0]
                for kind in KNOTS for n in ns]
    table = list(table1(tuple(ns), x).values())
    variants = [[fit_errors("NN", make_knots(n_variants, kind), dt, x, method) for dt in DTYPES]
                for kind in KNOTS for method in PINV_METHODS]
    return {"table": np.array(table), "fine_max": np.array(fine_max),
            "variants": np.array(variants)}


def conditions(ns: list[int]) -> dict[str, np.ndarray]:
    """cond(G) = lambda_max / lambda_min (float64) and the eigenvalues of the float32 Gram
    matrix above eps32 lambda_max, each (knots, ns, basis NN/FEM)."""
    cond = np.empty((len(KNOTS), len(ns), 2))
    kept = np.empty((len(KNOTS), len(ns), 2), dtype=int)
    for i, kind in enumerate(KNOTS):
        for j, n in enumerate(ns):
            single = gram_spectrum(n, kind, np.float32)
            for b, (basis, lam) in enumerate(gram_spectrum(n, kind).items()):
                cond[i, j, b] = lam[0] / lam[-1]
                kept[i, j, b] = np.sum(single[basis] > np.finfo(np.float32).eps * single[basis][0])
    return {"cond": cond, "kept": kept}


def computations(quick: bool) -> dict[str, Computation]:
    """The stored computations of the quick or the full experiment."""
    ns = [100, 200] if quick else [100, 1000]
    n_flow, flow_steps = (50, 20_000) if quick else (100, 100_000)
    return {
        # the formed-pinv SVDs dominate the quick run at n = 200
        "fits": Computation(fits, {"ns": ns, "n_variants": ns[0] if quick else ns[1]}),
        "spectrum": Computation(gram_spectrum, {"n": 300 if quick else 1000}),
        "conditions": Computation(conditions, {"ns": ns}),
        "flow": Computation(gradient_flow, {"n": n_flow, "steps": flow_steps}),
        "fem_flow": Computation(gradient_flow, {"n": n_flow, "steps": flow_steps,
                                                "basis": "FEM"}),
    }


def _fmt(pair) -> str:
    return f"{pair[0]:.2e}, {pair[1]:.2e}"


def _table_markdown(ours: dict, ns: tuple[int, int]) -> str:
    columns = [(j, p, n) for j, p in enumerate(("float32", "float64")) for n in ns]
    header = ["basis", "knots"]
    header += [f"{p} n={n} ({who})" for _, p, n in columns for who in ("ours", "paper")]
    rows = []
    for key, values in ours.items():
        cells = []
        for (j, _, n), pair in zip(columns, values):
            published = n in (100, 1000)
            cells += [_fmt(pair), _fmt(PUBLISHED[key][2 * j + (n == 1000)]) if published else "-"]
        rows.append(list(key) + cells)
    return markdown_table(header, rows)


def _plots(out_dir: Path, spectrum, flow, fem_flow, shown: np.ndarray, slope: float, k_fit):
    fig, ax = plt.subplots(figsize=(5.5, 4))
    k = np.arange(1, spectrum["NN"].size + 1)
    for name, lam in spectrum.items():
        ax.loglog(k, lam / lam[0], label=f"{name} Gram (cond {lam[0] / lam[-1]:.1e})")
    kk = np.arange(*k_fit)
    ref = spectrum["NN"][k_fit[0] - 1] / spectrum["NN"][0] * (kk / k_fit[0]) ** slope
    ax.loglog(kk, ref, "k--", label=f"fit k^{slope:.2f}")
    ax.set(xlabel="k", ylabel="lambda_k / lambda_1", title=f"Gram eigenvalues, n={k.size}, uniform")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_dir / "gram_eigenvalues.png")

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4))
    for j, k in enumerate(shown):
        color = f"C{j}"
        ax1.semilogx(flow["t"], flow["modes"][:, k], color=color, lw=4, alpha=0.5,
                     label=f"k={k + 1}")
        ax1.semilogx(flow["t"], np.exp(-flow["lam"][k] * flow["t"]), "k--", lw=1)
    ax1.set(
        xlabel="t",
        ylabel="|v_k.(a(t) - a*)| / |v_k.(a(0) - a*)|",
        ylim=(0, 1.05),
        title="outer-weight gradient flow (dashed: exp(-lambda_k t))",
    )
    ax1.legend(fontsize=8)
    modes = np.arange(flow["lam"].size)
    t_e = e_folding_times(flow, modes)
    ok = np.isfinite(t_e)
    ax2.loglog(1 / flow["lam"][ok], t_e[ok], "o", ms=3, label="measured 1/e time")
    span = np.array([1 / flow["lam"][ok].max(), 1 / flow["lam"][ok].min()])
    ax2.loglog(span, span, "k--", label="t = 1/lambda_k")
    ax2.set(xlabel="1/lambda_k", ylabel="time for mode k to drop by e", title="mode time scales")
    ax2.legend(fontsize=8)
    for name, fl in [("NN basis", flow), ("FEM basis", fem_flow)]:
        ax3.loglog(fl["steps"], fl["l2"], label=name)
    ax3.set(xlabel="gradient-descent steps, dt = 1/lambda_max", ylabel="||u(t) - u*||_L2",
            title="distance to the least-squares fit")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_dir / "gradient_flow.png")


def analyse(out_dir: Path, records: dict, computed: dict, quick: bool) -> Path:
    """Write ``report.md``, ``gram_eigenvalues.png`` and ``gradient_flow.png`` from the stored
    computations; returns the report's path."""
    jobs = computations(quick)
    ns = tuple(jobs["fits"].params["ns"])
    n_var = jobs["fits"].params["n_variants"]
    stored = computed["fits"]
    ours = {key: [tuple(pair) for pair in values]
            for key, values in zip(PUBLISHED, stored["table"].tolist())}
    fine_max = [f"{value:.2e} ({kind}, n = {n})" for value, (kind, n)
                in zip(stored["fine_max"], [(k, n) for k in KNOTS for n in ns])]
    variant_rows = [[method, kind] + [_fmt(pair) for pair in pairs] for (kind, method), pairs
                    in zip([(k, m) for k in KNOTS for m in PINV_METHODS],
                           stored["variants"].tolist())]
    spectrum = {k: computed["spectrum"][k] for k in ("NN", "FEM")}
    n_spec = spectrum["NN"].size
    k_fit = (n_spec // 20, n_spec // 2)
    slope = decay_slope(spectrum["NN"], k_fit)
    conds = {(basis, kind, n): (float(computed["conditions"]["cond"][i, j, b]),
                                int(computed["conditions"]["kept"][i, j, b]))
             for i, kind in enumerate(KNOTS) for j, n in enumerate(ns)
             for b, basis in enumerate(("NN", "FEM"))}
    flow, fem_flow = computed["flow"], computed["fem_flow"]
    flow_steps = jobs["flow"].params["steps"]
    # mode 1 is left out: Euler with dt = 1/lambda_1 removes it in one step
    shown = np.array([1, 3, 7, 15] if not quick else [1, 3, 7])
    t_e = e_folding_times(flow, np.arange(flow["lam"].size))
    ratio = t_e * flow["lam"]
    reached = np.isfinite(ratio)
    _plots(out_dir, spectrum, flow, fem_flow, shown, slope, k_fit)
    seconds = sum(c["_seconds"] for c in computed.values())
    cpu = sum(c["_cpu_seconds"] for c in computed.values())
    table = _table_markdown(ours, ns)
    log.info("Table 1 (MAX, MSE), ours vs paper:\n%s", table)
    cond_rows = [[b, k, n, f"{c:.2e}", kept] for (b, k, n), (c, kept) in conds.items()]
    quick_note = " QUICK RUN (small n, no published column for n = 200)." if quick else ""
    text = f"""# Experiment 4: shallow ReLU basis vs P1 FEM (arXiv 2306.17301, Table 1)

Least-squares fit of f(x) = arctan(25x) on (-1, 1) by the span of n functions at knots
-1 = b_1 < ... < b_n = 1: "NN" = {{1, ReLU(x - b_i), i < n}} (a shallow ReLU network with
output bias and frozen inner weights), "FEM" = P1 hats on the same nodes. Both bases span the
same space, so in exact arithmetic both rows agree. Gram matrix and load are exact (closed
form, float64) and rounded to the working precision; coefficients G^+ F by the eigen-decomposition
of G with cut-off eps(dtype) * lambda_max, applied without forming G^+. MAX and
MSE = mean((u - f)^2) on linspace(-1, 1, {POINTS}): these points reproduce the paper's FEM
entries to three digits, so we take them to be the paper's. MAX is a maximum over those
points; over 10^5 + 1 points the float64 FEM MAX is {", ".join(fine_max)}. The computations
took {seconds:.0f} s wall time, {cpu:.0f} s CPU time (all threads).{quick_note}

## Table 1 (MAX, MSE)

{table}
## How G^+ F is computed matters (NN basis, n = {n_var}; MAX, MSE)

eigh: V diag(1/lambda) V^T F over lambda > eps lambda_max (used above); pinv / pinvh:
numpy.linalg.pinv / scipy.linalg.pinvh with default cut-off (1e-15 / n eps), formed, then
multiplied; pinv_eps: numpy.linalg.pinv with cut-off eps, formed. Where cond(G) nears 1/eps
(adaptive knots, float64, n = 1000) the formed-pinv rows are rounding noise and change from
run to run with the BLAS thread count; the eigh rows do not.

{markdown_table(["method", "knots", "float32", "float64"], variant_rows)}
## Gram matrices

NN eigenvalues decay like k^{slope:.2f} (least-squares fit over k = {k_fit[0]}..{k_fit[1]},
n = {n_spec}, uniform knots; the paper: k^-4). Condition numbers lambda_max / lambda_min
(float64 eigenvalues; a value near 1/eps = 4.5e15 only says "at least that"), and how many
eigenvalues of the float32 Gram matrix exceed eps32 * lambda_max (the directions G^+ keeps):

{markdown_table(["basis", "knots", "n", "cond", "modes kept in float32"], cond_rows)}
![Gram eigenvalues](gram_eigenvalues.png)

## Gradient flow of the outer weights

Gradient descent (Euler, dt = 1/lambda_max) for da/dt = -(G a - F), NN basis, uniform knots,
n = {flow["lam"].size}, {flow["t"].size} log-spaced records up to t = {flow["t"][-1]:.3g}.
Error component k decays like exp(-lambda_k t): over the {int(reached.sum())} modes that fell
below 1/e, lambda_k t_(1/e) lies in [{np.nanmin(ratio):.3f}, {np.nanmax(ratio):.3f}]
(1 up to the record spacing); the slowest of them has lambda_k / lambda_1 =
{flow["lam"][reached].min() / flow["lam"][0]:.1e}; the slower modes have not yet dropped
by e at the final time (mode k needs t ~ 1/lambda_k ~ k^4). Distance ||u - u*||_L2 to the
least-squares fit after {flow_steps} steps: NN basis {flow["l2"][-1]:.1e} (from
{flow["l2"][0]:.1e} after one step), FEM basis (same dt rule) {fem_flow["l2"][-1]:.1e}.

![gradient flow](gradient_flow.png)
"""
    report = out_dir / "report.md"
    report.write_text(text)
    return report
