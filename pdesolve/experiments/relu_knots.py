"""Experiment 5: where a trained shallow ReLU network puts its knots on arctan(25x).

A width-m network ``N(x) = sum_i a_i ReLU(w_i x - b_i) + c`` is trained by Adam on the
mean squared error against ``f(x) = arctan(25 x)`` at fixed uniform points of [-1, 1],
from knots ``t_i = b_i / w_i`` spread uniformly. The trained network is converted to its
linear spline (``pdesolve.nn.relu_spline``) and the distribution of its knots inside
(-1, 1) is compared, as a cumulative distribution, with

- uniform knots, ``(x + 1) / 2``;
- experiment 4's adaptive knots, ``F(x) = int_{-1}^x |f'| / int |f'|``;
- the asymptotically L2-optimal free knots of P1 interpolation, density ``|f''|^(2/5)``

by the Kolmogorov distance ``sup_x |CDF_knots(x) - CDF_ref(x)|``. The trained network's
error is set beside the least-squares P1 fits with the same number of interior knots.

No PDE is solved, so there are no cases: the training is a computation, stored (the
networks before and after, and the losses) and read back by :func:`analyse`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..harness.plots import plt, save_figure
from ..nn.relu_spline import ShallowReLU, network_to_spline
from . import markdown_table
from .least_squares import SHARPNESS, fit_errors, make_knots, target
from .stored import Computation

log = logging.getLogger(__name__)


def train_network(
    width: int, steps: int, *, seed: int = 0, lr: float = 1e-2, n_points: int = 2001
) -> tuple[ShallowReLU, ShallowReLU, np.ndarray]:
    """Train N on ``mean((N(x_j) - f(x_j))^2)``, x_j uniform on [-1, 1] (float64, full batch).

    Initialisation (seeded): knots ``t_i ~ U(-1, 1)``, ``w_i = +-1`` with random sign,
    ``b_i = w_i t_i``, ``a_i ~ N(0, 1/width)``, ``c = 0``. Runs on one torch thread (the
    tensors are tiny; more threads only add overhead) and restores the thread count.

    Returns
    -------
    (initial network, trained network, loss history of shape (steps,))
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    opts = {"dtype": torch.float64}
    knots = 2 * torch.rand(width, generator=gen, **opts) - 1
    w = torch.where(torch.rand(width, generator=gen, **opts) < 0.5, -1.0, 1.0).to(**opts)
    params = {
        "a": torch.randn(width, generator=gen, **opts) / width**0.5,
        "w": w,
        "b": w * knots,
        "c": torch.zeros((), **opts),
    }
    for p in params.values():
        p.requires_grad_(True)

    def snapshot() -> ShallowReLU:
        a, w, b, c = (params[k].detach().numpy().copy() for k in "awbc")
        return ShallowReLU(a=a, w=w, b=b, c=float(c))

    initial = snapshot()
    x = torch.linspace(-1.0, 1.0, n_points, **opts)
    y = torch.atan(SHARPNESS * x)
    optimizer = torch.optim.Adam(params.values(), lr=lr)
    losses = np.empty(steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for step in range(steps):
            optimizer.zero_grad()
            hidden = torch.relu(x[:, None] * params["w"] - params["b"])
            loss = torch.mean((hidden @ params["a"] + params["c"] - y) ** 2)
            loss.backward()
            optimizer.step()
            losses[step] = loss.item()
    finally:
        torch.set_num_threads(threads)
    if not np.isfinite(losses[-1]):
        raise FloatingPointError(f"training diverged (loss {losses[-1]})")
    return initial, snapshot(), losses


def reference_cdfs(x: np.ndarray) -> dict[str, np.ndarray]:
    """Knot distributions on [-1, 1] at the increasing points x (p,): name -> CDF (p,)."""
    a = SHARPNESS
    second = np.abs(2 * a**3 * x / (1 + (a * x) ** 2) ** 2) ** 0.4
    optimal = np.concatenate([[0.0], np.cumsum((second[1:] + second[:-1]) / 2 * np.diff(x))])
    f = target
    return {
        "uniform": (x + 1) / 2,
        "f' (adaptive, exp. 4)": (f(x) - f(-1.0)) / (f(1.0) - f(-1.0)),
        "f''^(2/5) (L2-optimal)": optimal / optimal[-1],
    }


def knots_in_domain(net: ShallowReLU) -> np.ndarray:
    """Sorted knots of ``net``'s spline inside (-1, 1), shape (k,)."""
    knots = network_to_spline(net).knots
    return knots[(knots > -1) & (knots < 1)]


def kolmogorov_distance(knots: np.ndarray, x: np.ndarray, cdf: np.ndarray) -> float:
    """``sup |empirical CDF of knots - cdf|`` over the points x (p,) and the knots."""
    sample = np.searchsorted(np.sort(knots), x, side="right") / knots.size
    at_knots = np.interp(np.sort(knots), x, cdf)
    ranks = np.arange(knots.size)
    gaps = np.maximum(
        np.abs(at_knots - ranks / knots.size), np.abs(at_knots - (ranks + 1) / knots.size)
    )
    return float(max(np.abs(sample - cdf).max(), gaps.max()))


def _errors(values: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    err = values - target(x)
    return float(np.abs(err).max()), float(np.mean(err**2))


def _plots(out_dir: Path, x, initial, trained, knots, x_ref, cdfs):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(x, target(x), "k", lw=3, alpha=0.3, label="arctan(25x)")
    ax1.plot(x, trained(x), "C0", lw=1, label="trained network")
    ax1.plot(knots["trained"], trained(knots["trained"]), "C3|", ms=10, label="its knots")
    ax1.set(xlabel="x", title=f"width {initial.a.size}: trained network and its knots")
    ax1.legend(fontsize=8)
    for j, (name, cdf) in enumerate(cdfs.items()):
        ax2.plot(x_ref, cdf, color=f"C{j + 1}", ls="--", lw=1.5, label=name)
    for name, style in [("initial", "C7"), ("trained", "C0")]:
        k = np.sort(knots[name])
        steps = np.arange(k.size + 2).clip(max=k.size) / k.size
        ax2.step(np.concatenate([[-1], k, [1]]), steps, where="post", color=style,
                 lw=2 if name == "trained" else 1, label=f"{name} knots")
    ax2.set(xlabel="x", ylabel="fraction of knots left of x", title="knot distributions")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_dir / "knots.png")


SIZES = {True: {"width": 30, "steps": 2000, "n_points": 501},
         False: {"width": 100, "steps": 5000, "n_points": 2001}}
"""Network width, Adam steps (lr 1e-2) and training points of the quick and the full run."""


def train(width: int, steps: int, n_points: int) -> dict[str, np.ndarray]:
    """:func:`train_network`'s networks (``initial_a`` ... ``trained_c``) and its losses."""
    initial, trained, losses = train_network(width, steps, n_points=n_points)
    nets = {f"{name}_{k}": getattr(net, k) for name, net in (("initial", initial),
                                                            ("trained", trained)) for k in "awbc"}
    return {**nets, "losses": losses}


def computations(quick: bool) -> dict[str, Computation]:
    return {"training": Computation(train, SIZES[quick])}


def _network(training: dict, name: str) -> ShallowReLU:
    a, w, b, c = (training[f"{name}_{k}"] for k in "awbc")
    return ShallowReLU(a=a, w=w, b=b, c=float(c))


def study(training: dict, quick: bool = False) -> dict:
    """Everything the report shows, as a dict, from the stored training (:func:`train`).

    Errors on 10^4 + 1 uniform points; CDFs on 2 10^4 + 1.
    """
    initial, trained = _network(training, "initial"), _network(training, "trained")
    x = np.linspace(-1.0, 1.0, 10_001)
    x_ref = np.linspace(-1.0, 1.0, 20_001)
    cdfs = reference_cdfs(x_ref)
    knots = {"initial": knots_in_domain(initial), "trained": knots_in_domain(trained)}
    distances = {
        name: {ref: kolmogorov_distance(k, x_ref, cdf) for ref, cdf in cdfs.items()}
        for name, k in knots.items()
    }
    n_nodes = initial.a.size + 2
    fits = {"trained network": _errors(trained(x), x)}
    for kind in ("uniform", "adaptive"):
        fits[f"P1 least squares, {n_nodes} {kind} nodes"] = fit_errors(
            "FEM", make_knots(n_nodes, kind), np.float64, x
        )
    # the best fit with the trained knots separates knot placement from outer-weight training
    own = np.concatenate([[-1.0], knots["trained"], [1.0]])
    fits[f"P1 least squares, trained knots + endpoints ({own.size} nodes)"] = fit_errors(
        "FEM", own, np.float64, x
    )
    return dict(
        quick=quick, **SIZES[quick], seconds=training["_seconds"],
        initial=initial, trained=trained, losses=training["losses"], x=x, x_ref=x_ref,
        cdfs=cdfs, knots=knots, distances=distances, fits=fits,
    )


def write_report(out_dir: Path, result: dict) -> Path:
    """Write ``report.md`` and ``knots.png`` of a ``study`` result into out_dir."""
    knots, cdfs, x_ref, x = result["knots"], result["cdfs"], result["x_ref"], result["x"]
    distances, fits, losses = result["distances"], result["fits"], result["losses"]
    _plots(out_dir, x, result["initial"], result["trained"], knots, x_ref, cdfs)
    dist_rows = [
        [name, knots[name].size, f"{np.mean(np.abs(knots[name]) < 0.1):.2f}"]
        + [f"{d:.3f}" for d in distances[name].values()]
        for name in knots
    ]
    dist_header = ["knots", "in (-1,1)", "fraction in (-0.1,0.1)"]
    dist_header += [f"KS to {r}" for r in cdfs]
    ref_rows = [
        [r, f"{np.interp(0.1, x_ref, c) - np.interp(-0.1, x_ref, c):.2f}"] for r, c in cdfs.items()
    ]
    fit_rows = [[name, f"{e[0]:.2e}", f"{e[1]:.2e}"] for name, e in fits.items()]
    log.info("knot distances:\n%s", markdown_table(dist_header, dist_rows))
    quick_note = " QUICK RUN (small width, few steps)." if result["quick"] else ""
    text = f"""# Experiment 5: the knots of a trained shallow ReLU network on arctan(25x)

Width {result["width"]}, N(x) = sum_i a_i ReLU(w_i x - b_i) + c, Adam (lr 1e-2) for
{result["steps"]} full-batch steps on the MSE at {result["n_points"]} uniform points of
[-1, 1], float64, seed 0; initial knots b_i / w_i uniform on (-1, 1). Training took
{result["seconds"]:.1f} s; loss {losses[0]:.2e} -> {losses[-1]:.2e}.{quick_note}
The network is converted to its linear spline (pdesolve.nn.relu_spline); its knots in
(-1, 1) are compared with reference knot distributions by the Kolmogorov (KS) distance
of the cumulative distributions (0: same distribution).

{markdown_table(dist_header, dist_rows)}
Fraction of each reference distribution in (-0.1, 0.1):

{markdown_table(["reference", "fraction in (-0.1,0.1)"], ref_rows)}
Error of the trained network beside least squares with as many interior knots
(MAX, MSE on {x.size} uniform points):

{markdown_table(["approximation", "MAX", "MSE"], fit_rows)}
![knots](knots.png)
"""
    report = out_dir / "report.md"
    report.write_text(text)
    return report


def analyse(out_dir: Path, records: dict, computed: dict, quick: bool) -> Path:
    """Write ``report.md`` and ``knots.png`` from the stored training; the report's path."""
    return write_report(out_dir, study(computed["training"], quick))
