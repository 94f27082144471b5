"""Figure parts the experiments share, drawn from stored run records (matplotlib, Agg)."""

from __future__ import annotations

import numpy as np


def monitor_histories(ax, records: list[dict], title: str, names: list[str] | None = None) -> None:
    """The training monitor's relative l2 error against the step, one line per run record
    (named by ``names``, default the records' labels)."""
    for i, rec in enumerate(records):
        history = [h for h in rec.get("history") or [] if h.get("l2_rel") is not None]
        ax.semilogy([h["step"] for h in history], [h["l2_rel"] for h in history],
                    label=names[i] if names else rec["label"])
    ax.set_xlabel("training step")
    ax.set_ylabel("relative l2 error (monitor)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


def slice_cut(record: dict, x2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The line of a record's stored plane slice (:mod:`pdesolve.harness.slices`) at the
    pixel row nearest x_2 = ``x2``: (x_1 pixel centres, reference, u_h, that row's x_2)."""
    s = record["slice"]
    x1, rows = (np.asarray(c) for c in s["coords"])
    row = int(np.argmin(np.abs(rows - x2)))
    shape = (len(x1), len(rows))
    reference = np.asarray(s["reference"], float).reshape(shape)[:, row]
    error = np.asarray(s["error"], float).reshape(shape)[:, row]
    return x1, reference, reference + error, float(rows[row])
