"""Helpers shared by the tests: operators by autograd, fitted slopes, killed processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np


def fitted_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def autograd_operator(problem, x: np.ndarray) -> np.ndarray:
    """-div(kappa |grad u|^(p-2) grad u) of problem.exact at x, by torch autograd (float64)."""
    import torch

    from pdesolve.problems import operator

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    u = problem.exact(xt)
    (grad,) = torch.autograd.grad(u.sum(), xt, create_graph=True)
    flux = operator.flux(problem.kappa(xt), grad, problem.p)
    div = sum(
        torch.autograd.grad(flux[:, i].sum(), xt, retain_graph=True)[0][:, i]
        for i in range(x.shape[1])
    )
    return (-div).detach().numpy()


def kill_when(command: list[str], cwd, ready, timeout: float = 120) -> None:
    """Start ``command`` and kill it with SIGKILL (no clean-up) as soon as ``ready()`` holds."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
