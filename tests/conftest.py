"""Shared fixtures: float64 torch, a seeded NumPy generator."""

import numpy as np
import pytest

try:
    import torch
except ImportError:  # the classical parts of the suite run without torch
    torch = None


@pytest.fixture(autouse=True)
def _strict_numerics():
    if torch is not None:
        old = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        torch.manual_seed(0)
        yield
        torch.set_default_dtype(old)
    else:
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
