"""The report's solution figure: each series' largest run on a line (1-D) or a plane.

Slices come from :mod:`pdesolve.harness.slices` (pixel means). The exact solution is
called "exact u" when the runs were measured against it, "reference u" when against a
reference solve. Planes keep the box's aspect ratio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..result import FINISHED
from .plots import by_series, save_figure, plt


def _best_runs(records: list[dict]) -> dict[str, dict]:
    groups = by_series(records, lambda r: r["status"] in FINISHED and r.get("slice"))
    return {label: max(runs, key=lambda r: r.get("dofs") or 0) for label, runs in groups.items()}


def _reference_name(best: dict[str, dict]) -> str:
    exact = all(r.get("error_reference") == "exact" for r in best.values())
    return "exact u" if exact else "reference u"


def _error(run: dict) -> np.ndarray:
    """u_h - u of a slice (older records hold u and the reference only)."""
    s = run["slice"]
    if "error" in s:
        return np.asarray(s["error"], float)
    return np.asarray(s["u"], float) - np.asarray(s["reference"], float)


def _solution(run: dict) -> np.ndarray:
    """u_h of a slice: reference + error."""
    return np.asarray(run["slice"]["reference"], float) + _error(run)


def plot_solutions(records: list[dict], path: Path) -> Path | None:
    """Each series' largest run against the exact/reference solution, with its error."""
    best = _best_runs(records)
    if not best:
        return None
    first = next(iter(best.values()))["slice"]
    if len(first["coords"]) == 1:
        return save_figure(_line_figure(best), path)
    return save_figure(_plane_figure(best), path)


def _line_figure(best: dict[str, dict]):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.5), sharex=True, layout="constrained")
    first = next(iter(best.values()))["slice"]
    x = np.asarray(first["coords"][0])
    reference = _reference_name(best)
    top.plot(x, first["reference"], "k-", lw=2.5, alpha=0.4, label=reference)
    for i, (label, r) in enumerate(best.items()):
        own = np.asarray(r["slice"]["coords"][0])
        top.plot(own, _solution(r), color=f"C{i % 10}", lw=1,
                 label=f"{label}, DOFs {r.get('dofs')}")
        bottom.plot(own, _error(r), color=f"C{i % 10}", lw=1, label=label)
    top.set_ylabel("u (solution units)")
    top.legend(fontsize=8)
    bottom.set_ylabel("u_h - u (solution units, mean over each pixel)")
    bottom.set_xlabel("x_1")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    top.set_title(f"solutions against the {reference} and pointwise errors", fontsize=10)
    return fig


def _plane_figure(best: dict[str, dict]):
    """Row 0: the exact/reference u on the plane and a cut at x_2 = centre; then u_h and
    u_h - u per series, each panel with the box's aspect ratio."""
    first = max(best.values(), key=lambda r: len(r["slice"]["coords"][0]))["slice"]
    x1, x2 = (np.asarray(c) for c in first["coords"])
    shape, mid = (len(x1), len(x2)), len(x2) // 2
    w1, w2 = x1[1] - x1[0], x2[1] - x2[0]
    extent = (x1[0] - w1 / 2, x1[-1] + w1 / 2, x2[0] - w2 / 2, x2[-1] + w2 / 2)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    panel = 4.6
    fig, axes = plt.subplots(len(best) + 1, 2, squeeze=False, layout="constrained",
                             figsize=(2 * panel + 1.2, (panel * min(max(aspect, 0.5), 1.5) + 0.6)
                                      * (len(best) + 1)))
    fixed = first["fixed"][2:]
    where = f", x_3..x_d = {fixed[0]:g}" if fixed else ""
    reference = _reference_name(best)
    ref = np.asarray(first["reference"], float).reshape(shape)
    _image(fig, axes[0][0], ref, extent, reference, f"{reference}{where}")
    cut = axes[0][1]
    cut.plot(x1, ref[:, mid], "k-", lw=2.5, alpha=0.4, label=reference)
    for i, (label, r) in enumerate(best.items(), start=1):
        c1, c2 = (np.asarray(c) for c in r["slice"]["coords"])
        own = (len(c1), len(c2))
        u = _solution(r).reshape(own)
        cut.plot(c1, u[:, len(c2) // 2], color=f"C{(i - 1) % 10}", lw=1, label=label)
        name = f"{label} (DOFs {r.get('dofs')})"
        _image(fig, axes[i][0], u, extent, "u_h", f"{name}: u_h")
        _image(fig, axes[i][1], _error(r).reshape(own), extent, "u_h - u",
               f"{name}: u_h - u ({own[0]} x {own[1]} pixel means)")
    cut.set_xlabel("x_1")
    cut.set_ylabel("u (solution units)")
    cut.set_title(f"cut at x_2 = {x2[mid]:.3g}", fontsize=9)
    cut.grid(True, alpha=0.3)
    cut.legend(fontsize=7)
    return fig


def _image(fig, ax, values: np.ndarray, extent: tuple, name: str, title: str) -> None:
    """values (n1, n2) on the (x_1, x_2) plane; a symmetric diverging map for errors."""
    signed = name.endswith("- u")
    lim = float(np.abs(values).max()) or 1.0
    image = ax.imshow(values.T, origin="lower", extent=extent, aspect="equal",
                      interpolation="nearest", cmap="RdBu_r" if signed else "viridis",
                      **({"vmin": -lim, "vmax": lim} if signed else {}))
    fig.colorbar(image, ax=ax, label=f"{name} (solution units)")
    ax.set_xlabel("x_1")
    ax.set_ylabel("x_2")
    ax.set_title(title, fontsize=9)
