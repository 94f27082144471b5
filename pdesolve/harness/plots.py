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

from .summary import Point, fitted_slope, series, series_name  # noqa: E402
from .tolerance import TOLERANCES, Method, error_at_time, time_to_tolerance  # noqa: E402

log = logging.getLogger(__name__)

METRIC_NAMES = {"l2_rel": "relative L2 error", "h1_rel": "relative H1-seminorm error",
                "max_err": "max error", "l2re": "L2RE (RMS error / RMS solution)"}
MARKERS = "osD^v<>ph*"
MAX_PANELS = 8


def save_figure(fig, path: Path, drawn: bool = True) -> Path | None:
    """Save (when something was drawn) and close the figure; the path, or None."""
    if drawn:  # a constrained layout fits already; "tight" would lay it out a second time
        fig.savefig(path, dpi=110, bbox_inches=None if fig.get_layout_engine() else "tight")
    plt.close(fig)
    return path if drawn else None


def _series_style(index: int, family: str) -> dict:
    return {"marker": MARKERS[index % len(MARKERS)], "color": f"C{index % 10}",
            "linestyle": "-" if family == "classical" else "--"}


def _series_name(solver: str, label: str, description: str = "") -> str:
    name = series_name(solver, label)
    return f"{name}: {description}" if description else name


def _legend(ax, count: int) -> None:
    """A legend inside the axes for a few series, below them for many."""
    if count > 4:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    else:
        ax.legend(fontsize=7)


def _error_axes(ax, points: list[Point], x_field: str, metric: str, with_slopes: bool,
                names: dict) -> bool:
    """One series per line; with x = seconds, a series whose time does not grow with its
    DOFs is drawn as points (in DOF order, markers only) instead of a zig-zag line."""
    drawn = 0
    for i, (key, pts) in enumerate(series(points).items()):
        pts = [p for p in pts if p.mean[metric] is not None and p.mean[x_field]]
        if not pts:
            continue
        x = [p.mean[x_field] for p in pts]
        y = [p.mean[metric] for p in pts]
        # seed range (min to max): always positive on a log axis, unlike mean - std
        yerr = np.array([[p.mean[metric] - p.low[metric] for p in pts],
                         [p.high[metric] - p.mean[metric] for p in pts]])
        name = _series_name(key[1], key[2], names.get(key, ""))
        slope = fitted_slope(x, y) if with_slopes else None
        if slope is not None:
            name += f"; slope {slope:.2f}"
        style = _series_style(i, pts[0].family)
        if np.any(np.diff(x) < 0):
            style["linestyle"] = "none"
            name += " (time not monotone in DOFs: points)"
        ax.errorbar(x, y, yerr=yerr if yerr.any() else None, label=name, capsize=3, **style)
        drawn += 1
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="both", alpha=0.3)
    ax.set_ylabel(f"{METRIC_NAMES[metric]} (dimensionless)")
    if drawn:
        _legend(ax, drawn)
    return bool(drawn)


def _metrics_to_draw(points: list[Point], metric: str) -> list[str]:
    extra = "h1_rel" if metric == "l2_rel" else None
    has_extra = extra and any(p.mean.get(extra) is not None for p in points)
    return [metric, extra] if has_extra else [metric]


def _height(count: int) -> float:
    """Figure height: room for a legend below the axes when there are many series."""
    return 4.8 + (0.18 * count if count > 4 else 0.0)


def plot_error_vs_dofs(points: list[Point], metric: str, path: Path, title: str,
                       names: dict | None = None) -> Path | None:
    """Log-log error against degrees of freedom, one line per series, fitted slope in the legend.

    ``names`` maps a series key to its configuration (:func:`summary.series_descriptions`).
    """
    metrics = _metrics_to_draw(points, metric)
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.4 * len(metrics),
                                                       _height(len(series(points)))),
                             squeeze=False, layout="constrained")
    drawn = False
    for ax, m in zip(axes[0], metrics):
        drawn |= _error_axes(ax, points, "dofs", m, with_slopes=True, names=names or {})
        ax.set_xlabel("degrees of freedom (unknowns or trainable parameters)")
        ax.set_title(f"{title}: {METRIC_NAMES[m]} vs DOFs", fontsize=10)
    return save_figure(fig, path, drawn)


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
        _legend(ax, len(series(points)) + 1)


def plot_error_vs_time(points: list[Point], metric: str, path: Path, title: str,
                       names: dict | None = None, records: list[dict] = ()) -> Path | None:
    """Log-log error against wall time of the solve/training (evaluation excluded); with
    ``records``, also the training histories of neural runs (error on their monitor points)."""
    fig, ax = plt.subplots(figsize=(7.2, _height(len(series(points)))), layout="constrained")
    drawn = _error_axes(ax, points, "seconds", metric, with_slopes=False, names=names or {})
    if drawn:
        _training_curves(ax, records, points, metric)
    ax.set_xlabel("wall time of solve or training [s]")
    ax.set_title(f"{title}: {METRIC_NAMES[metric]} vs wall time", fontsize=10)
    return save_figure(fig, path, drawn)


def plot_time_to_tolerance(found: list[Method], metric: str, path: Path, title: str,
                           names: dict | None = None) -> Path | None:
    """Left: time to first reach each tolerance; right: the error after a given time.

    Both from :mod:`pdesolve.harness.tolerance` (the report's two tables), one line per
    method; the right panel is the staircase of the best error reached by each time.
    """
    names = names or {}
    if not found:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.8, _height(len(found))),
                                      layout="constrained")
    times = [t for m in found for trs in m.configs.values() for tr in trs for t in tr.times]
    budgets = np.geomspace(min(times), max(times), 200)
    drawn = 0
    for i, m in enumerate(found):
        style = _series_style(i, m.family)
        name = _series_name(m.solver, m.label, names.get((m.problem, m.solver, m.label), ""))
        reached = [(tol, time_to_tolerance(m, tol)) for tol in TOLERANCES]
        reached = [(tol, r[0]) for tol, r in reached if r]
        if reached:
            left.plot(*zip(*reached), label=name, **style)
            drawn += 1
        errors = [error_at_time(m, b) for b in budgets]
        keep = [(b, e) for b, e in zip(budgets, errors) if e is not None]
        if keep:
            right.step(*zip(*keep), where="post", color=style["color"],
                       linestyle=style["linestyle"], label=name)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    left.invert_xaxis()
    left.set_xlabel(f"tolerance on the {METRIC_NAMES[metric]}")
    left.set_ylabel("wall time to first reach it [s] (set-up included)")
    left.set_title(f"{title}: time to tolerance", fontsize=10)
    right.set_xlabel("wall time [s]")
    right.set_ylabel(f"{METRIC_NAMES[metric]} reached by then")
    right.set_title(f"{title}: error at equal time", fontsize=10)
    if drawn:
        _legend(left, len(found))
    return save_figure(fig, path, bool(drawn))


def by_series(records: list[dict], keep) -> dict[str, list[dict]]:
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


SPIKE = 10.0
"""A curve's first value more than this many times its later maximum is a start-up spike."""


def _limits(curves: list[np.ndarray], log: bool) -> tuple[float, float] | None:
    """y-limits of the curves (one per run and quantity) that ignore a first-step spike.

    The range of every value, except that a curve's first value is left out when it exceeds
    SPIKE times the largest of its later values (log scale: positive values only).
    """
    kept = []
    for c in curves:
        c = c[np.isfinite(c) & (c > 0)] if log else c[np.isfinite(c)]
        if c.size > 2 and abs(c[0]) > SPIKE * np.abs(c[1:]).max():
            c = c[1:]
        kept.append(c)
    values = np.concatenate(kept + [np.empty(0)])
    if not values.size:
        return None
    lo, hi = values.min(), values.max()
    if log:
        return lo / 1.5, hi * 1.5
    pad = 0.05 * (hi - lo) or 0.05 * abs(hi) or 1.0
    return lo - pad, hi + pad


def plot_histories(records: list[dict], path: Path) -> Path | None:
    """Training/iteration histories: one panel per series, one colour per run, one style per
    quantity (``HISTORY_QUANTITIES``); a quantity that goes negative (a Ritz energy) is drawn
    on a linear right axis, the others on a log axis. The y-ranges leave out a first value
    that dwarfs the rest (:func:`_limits`), so the training itself stays readable."""
    groups = by_series(records, lambda r: _history_keys(r.get("history") or [])[1])
    if not groups:
        return None
    fig, axes = _panels(len(groups))
    for ax, (label, runs) in zip(axes, groups.items()):
        signed = [k for k in HISTORY_QUANTITIES if _goes_negative(runs, k)]
        linear = ax.twinx() if signed else None
        styles, curves = {}, {True: [], False: []}
        for j, r in enumerate(runs):
            x_key, keys = _history_keys(r["history"])
            x = [h.get(x_key, i) for i, h in enumerate(r["history"])]
            for k in keys:
                y = np.array([np.nan if h.get(k) is None else h[k] for h in r["history"]], float)
                curves[k not in signed].append(y[~np.isnan(y)])
                styles[k] = LINE_STYLES[HISTORY_QUANTITIES.index(k)]
                (linear if k in signed else ax).plot(x, y, linestyle=styles[k], color=f"C{j % 10}",
                                                     marker="." if len(x) < 20 else None)
            ax.plot([], [], color=f"C{j % 10}", label=f"DOFs {r.get('dofs')}, seed {r.get('seed')}")
        for k, style in styles.items():
            ax.plot([], [], linestyle=style, color="k",
                    label=f"{k} (right axis)" if k in signed else k)
        ax.set_yscale("log")
        for axis, log in ((ax, True), (linear, False)):
            limits = _limits(curves[log], log) if axis is not None else None
            if limits:
                axis.set_ylim(*limits)
        if linear is not None:
            linear.set_ylabel(f"{', '.join(signed)} (solver units, linear scale)")
        ax.set_xlabel(f"{x_key or 'record'} (count)")
        ax.set_ylabel("loss (solver units) or relative error, log scale")
        ax.set_title(label, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    return save_figure(fig, path)


def plot_frequency(records: list[dict], path: Path) -> Path | None:
    """Per-frequency error histories of the largest run of each series that recorded them."""
    from ..spectral import plot_frequency_history

    groups = by_series(records, lambda r: any("freq_err" in h for h in r.get("history") or []))
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
    return save_figure(fig, path)
