"""A trained network seen as a NumPy function: what ``Result.u`` and ``Result.grad`` call."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

CHUNK = 1 << 15


def predict(model: nn.Module, x: np.ndarray, dtype: torch.dtype, device: torch.device) -> np.ndarray:
    """model(x) for NumPy x (n, d), evaluated in chunks without autograd, shape (n,)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(x), CHUNK):
            xt = torch.as_tensor(np.asarray(x[i:i + CHUNK]), dtype=dtype, device=device)
            out.append(model(xt).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


def predict_grad(model: nn.Module, x: np.ndarray, dtype: torch.dtype,
                 device: torch.device) -> np.ndarray:
    """grad model(x) for NumPy x (n, d), by autograd in chunks, shape (n, d)."""
    out = []
    for i in range(0, len(x), CHUNK):
        xt = torch.as_tensor(np.asarray(x[i:i + CHUNK]), dtype=dtype, device=device)
        xt.requires_grad_(True)
        (g,) = torch.autograd.grad(model(xt).sum(), xt)
        out.append(g.cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, np.shape(x)[1]))


class NetworkFunction:
    """u(x) and grad u(x) of a trained model on NumPy points; time spent is added to ``info``.

    ``info["eval_seconds"]`` accumulates the wall time of every call, so evaluation is
    recorded apart from the training time.
    """

    def __init__(self, model: nn.Module, dtype: torch.dtype, device: torch.device, info: dict):
        self.model = model.eval()
        self.dtype, self.device, self.info = dtype, device, info
        info.setdefault("eval_seconds", 0.0)

    def _timed(self, fn, x):
        start = time.perf_counter()
        try:
            return fn(self.model, x, self.dtype, self.device).astype(np.float64)
        finally:
            self.info["eval_seconds"] += time.perf_counter() - start

    def u(self, x: np.ndarray) -> np.ndarray:
        """Approximate solution at x (n, d), shape (n,)."""
        return self._timed(predict, x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """Its gradient at x (n, d), shape (n, d)."""
        return self._timed(predict_grad, x)
