"""Report figures (matplotlib, Agg): error vs DOFs and vs time, histories, slices.

Every function draws one figure from run records or seed points, saves it to
``path`` and returns the path, or None when there is nothing to draw.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after selecting the backend)
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from .execute import FINISHED  # noqa: E402
from .summary import Point, fitted_slope, series  # noqa: E402

log = logging.getLogger(__name__)

METRIC_NAMES = {"l2_rel": "relative L2 error", "h1_rel": "relative H1-seminorm error",
                "max_err": "max error", "l2re": "L2RE (RMS error / RMS solution)"}
MARKERS = "osD^v<>ph*"
MAX_PANELS = 8


def _save(fig, path: Path, drawn: bool = True) -> Path | None:
    """Save (when something was drawn) and close the figure; the path, or None."""
    if drawn:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path if drawn else None


def _series_style(index: int, family: str) -> dict:
    return {"marker": MARKERS[index % len(MARKERS)], "color": f"C{index % 10}",
            "linestyle": "-" if family == "classical" else "--"}


def _error_axes(ax, points: list[Point], x_field: str, metric: str, with_slopes: bool) -> bool:
    drawn = False
    for i, ((_, solver, label), pts) in enumerate(series(points).items()):
        pts = [p for p in pts if p.mean[metric] is not None and p.mean[x_field]]
        if not pts:
            continue
        x = [p.mean[x_field] for p in pts]
        y = [p.mean[metric] for p in pts]
        # seed range (min to max): always positive on a log axis, unlike mean - std
        yerr = np.array([[p.mean[metric] - p.low[metric] for p in pts],
                         [p.high[metric] - p.mean[metric] for p in pts]])
        name = label if label.startswith(solver) else f"{label} ({solver})"
        slope = fitted_slope(x, y) if with_slopes else None
        if slope is not None:
            name += f", slope {slope:.2f}"
        ax.errorbar(x, y, yerr=yerr if yerr.any() else None, label=name, capsize=3,
                    **_series_style(i, pts[0].family))
        drawn = True
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="both", alpha=0.3)
    ax.set_ylabel(f"{METRIC_NAMES[metric]} (dimensionless)")
    if drawn:
        ax.legend(fontsize=8)
    return drawn


def _metrics_to_draw(points: list[Point], metric: str) -> list[str]:
    extra = "h1_rel" if metric == "l2_rel" else None
    has_extra = extra and any(p.mean.get(extra) is not None for p in points)
    return [metric, extra] if has_extra else [metric]


def plot_error_vs_dofs(points: list[Point], metric: str, path: Path, title: str) -> Path | None:
    """Log-log error against degrees of freedom, one line per series, fitted slope in the legend."""
    metrics = _metrics_to_draw(points, metric)
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.4 * len(metrics), 4.8), squeeze=False,
                             layout="constrained")
    drawn = False
    for ax, m in zip(axes[0], metrics):
        drawn |= _error_axes(ax, points, "dofs", m, with_slopes=True)
        ax.set_xlabel("degrees of freedom (unknowns or trainable parameters)")
        ax.set_title(f"{title}: {METRIC_NAMES[m]} vs DOFs", fontsize=10)
    return _save(fig, path, drawn)


def _training_curves(ax, records: list[dict], points: list[Point], metric: str) -> None:
    """Each neural run's monitored error against training time, thin, in its series' colour."""
    colours = {(solver, label): i for i, (_, solver, label) in enumerate(series(points))}
    drawn = False
    for r in records:
        history = [h for h in r.get("history") or [] if h.get(metric) is not None
                   and h.get("seconds")]
        key = (r["solver"], r["label"])
        if r.get("family") == "neural" and len(history) > 1 and key in colours:
            ax.plot([h["seconds"] for h in history], [h[metric] for h in history], lw=0.8,
                    alpha=0.6, color=f"C{colours[key] % 10}")
            drawn = True
    if drawn:
        ax.plot([], [], lw=0.8, color="grey", label="training history (monitor points)")
        ax.legend(fontsize=8)


def plot_error_vs_time(points: list[Point], metric: str, path: Path, title: str,
                       records: list[dict] = ()) -> Path | None:
    """Log-log error against wall time of the solve/training (evaluation excluded); with
    ``records``, also the training histories of neural runs (error on their monitor points)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    drawn = _error_axes(ax, points, "seconds", metric, with_slopes=False)
    if drawn:
        _training_curves(ax, records, points, metric)
    ax.set_xlabel("wall time of solve or training [s]")
    ax.set_title(f"{title}: {METRIC_NAMES[metric]} vs wall time", fontsize=10)
    return _save(fig, path, drawn)


def _by_series(records: list[dict], keep) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        if keep(r):
            out.setdefault(r["label"], []).append(r)
    return dict(list(out.items())[:MAX_PANELS])


HISTORY_QUANTITIES = ("loss", "energy", "residual", "l2_rel", "h1_rel", "boundary")
"""History entries drawn when present, in this order (learning rates, penalty weights
and timings are bookkeeping, not progress)."""
HISTORY_X = ("step", "iteration", "epoch")
LINE_STYLES = ("-", "--", ":", "-.", (0, (1, 3)), (0, (5, 1)))


def _history_keys(history: list[dict]) -> tuple[str, list[str]]:
    """x key and the quantities worth drawing of a history (none for fewer than 2 entries)."""
    if len(history) < 2:
        return "", []
    present = {k for h in history for k, v in h.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    x_key = next((k for k in HISTORY_X if k in present), "")
    return x_key, [k for k in HISTORY_QUANTITIES if k in present]


def _goes_negative(runs: list[dict], key: str) -> bool:
    """Whether ``key`` takes a negative value in some history (e.g. a Ritz energy loss)."""
    return any(isinstance(h.get(key), (int, float)) and h[key] < 0
               for r in runs for h in r["history"])


def _panels(n: int):
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.9 * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def plot_histories(records: list[dict], path: Path) -> Path | None:
    """Training/iteration histories: one panel per series, one colour per run, one style per
    quantity (``HISTORY_QUANTITIES``); a quantity that goes negative (a Ritz energy) is drawn
    on a linear right axis, the others on a log axis."""
    groups = _by_series(records, lambda r: _history_keys(r.get("history") or [])[1])
    if not groups:
        return None
    fig, axes = _panels(len(groups))
    for ax, (label, runs) in zip(axes, groups.items()):
        signed = [k for k in HISTORY_QUANTITIES if _goes_negative(runs, k)]
        linear = ax.twinx() if signed else None
        styles = {}
        for j, r in enumerate(runs):
            x_key, keys = _history_keys(r["history"])
            x = [h.get(x_key, i) for i, h in enumerate(r["history"])]
            for k in keys:
                y = [np.nan if h.get(k) is None else h[k] for h in r["history"]]
                styles[k] = LINE_STYLES[HISTORY_QUANTITIES.index(k)]
                (linear if k in signed else ax).plot(x, y, linestyle=styles[k], color=f"C{j % 10}",
                                                     marker="." if len(x) < 20 else None)
            ax.plot([], [], color=f"C{j % 10}", label=f"DOFs {r.get('dofs')}, seed {r.get('seed')}")
        for k, style in styles.items():
            ax.plot([], [], linestyle=style, color="k",
                    label=f"{k} (right axis)" if k in signed else k)
        ax.set_yscale("log")
        if linear is not None:
            linear.set_ylabel(f"{', '.join(signed)} (solver units, linear scale)")
        ax.set_xlabel(f"{x_key or 'record'} (count)")
        ax.set_ylabel("loss (solver units) or relative error, log scale")
        ax.set_title(label, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    return _save(fig, path)


def plot_frequency(records: list[dict], path: Path) -> Path | None:
    """Per-frequency error histories of the largest run of each series that recorded them."""
    from ..spectral import plot_frequency_history

    groups = _by_series(records, lambda r: any("freq_err" in h for h in r.get("history") or []))
    if not groups:
        return None
    fig, axes = _panels(len(groups))
    for ax, (label, runs) in zip(axes, groups.items()):
        run = max(runs, key=lambda r: r.get("dofs") or 0)
        x_key = _history_keys(run["history"])[0] or "step"
        plot_frequency_history(run["history"], ax=ax, x_key=x_key)
        ax.set_xlabel(f"{x_key} (count)")
        ax.set_ylabel("relative error of the frequency (dimensionless)")
        ax.set_title(f"{label}, DOFs {run.get('dofs')}", fontsize=10)
    return _save(fig, path)


def _best_runs(records: list[dict]) -> dict[str, dict]:
    groups = _by_series(records, lambda r: r["status"] in FINISHED and r.get("slice"))
    return {label: max(runs, key=lambda r: r.get("dofs") or 0) for label, runs in groups.items()}


def plot_solutions(records: list[dict], path: Path) -> Path | None:
    """Each series' largest run against the reference: a line (1-D) or a plane (d >= 2)."""
    best = _best_runs(records)
    if not best:
        return None
    first = next(iter(best.values()))["slice"]
    if len(first["coords"]) == 1:
        return _save(_line_figure(best), path)
    return _save(_plane_figure(best), path)


def _line_figure(best: dict[str, dict]):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.5), sharex=True, layout="constrained")
    first = next(iter(best.values()))["slice"]
    x = np.asarray(first["coords"][0])
    top.plot(x, first["reference"], "k-", lw=2.5, alpha=0.4, label="reference")
    for i, (label, r) in enumerate(best.items()):
        u, ref = np.asarray(r["slice"]["u"], float), np.asarray(r["slice"]["reference"], float)
        top.plot(x, u, color=f"C{i % 10}", lw=1, label=f"{label}, DOFs {r.get('dofs')}")
        bottom.plot(x, u - ref, color=f"C{i % 10}", lw=1, label=label)
    top.set_ylabel("u (solution units)")
    top.legend(fontsize=8)
    bottom.set_ylabel("u_h - u (solution units)")
    bottom.set_xlabel("x_1")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    top.set_title("solutions and pointwise errors", fontsize=10)
    return fig


def _plane_figure(best: dict[str, dict]):
    """Row 0: the reference on the plane and a cut at x_2 = centre; then u_h and u_h - u per series."""
    fig, axes = plt.subplots(len(best) + 1, 2, figsize=(9.5, 3.6 * (len(best) + 1)),
                             squeeze=False, layout="constrained")
    first = next(iter(best.values()))["slice"]
    x1, x2 = (np.asarray(c) for c in first["coords"])
    shape, extent, mid = (len(x1), len(x2)), (x1[0], x1[-1], x2[0], x2[-1]), len(x2) // 2
    fixed = first["fixed"][2:]
    where = f", x_3..x_d = {fixed[0]:g}" if fixed else ""
    ref = np.asarray(first["reference"], float).reshape(shape)
    _image(fig, axes[0][0], ref, extent, "reference u", f"reference u{where}")
    cut = axes[0][1]
    cut.plot(x1, ref[:, mid], "k-", lw=2.5, alpha=0.4, label="reference")
    for i, (label, r) in enumerate(best.items(), start=1):
        u = np.asarray(r["slice"]["u"], float).reshape(shape)
        cut.plot(x1, u[:, mid], color=f"C{(i - 1) % 10}", lw=1, label=label)
        name = f"{label} (DOFs {r.get('dofs')})"
        _image(fig, axes[i][0], u, extent, "u_h", f"{name}: u_h")
        _image(fig, axes[i][1], u - ref, extent, "u_h - u", f"{name}: u_h - u")
    cut.set_xlabel("x_1")
    cut.set_ylabel("u (solution units)")
    cut.set_title(f"cut at x_2 = {x2[mid]:g}", fontsize=9)
    cut.grid(True, alpha=0.3)
    cut.legend(fontsize=7)
    return fig


def _image(fig, ax, values: np.ndarray, extent: tuple, name: str, title: str) -> None:
    """values (n1, n2) on the (x_1, x_2) plane; a symmetric diverging map for errors."""
    signed = name.endswith("- u")
    lim = float(np.abs(values).max()) or 1.0
    image = ax.imshow(values.T, origin="lower", extent=extent, aspect="auto",
                      cmap="RdBu_r" if signed else "viridis",
                      **({"vmin": -lim, "vmax": lim} if signed else {}))
    fig.colorbar(image, ax=ax, label=f"{name} (solution units)")
    ax.set_xlabel("x_1")
    ax.set_ylabel("x_2")
    ax.set_title(title, fontsize=9)
