"""Sample-space natural gradient: the Woodbury step against the parameter-space solve, the
Nyström sketch with the identity against the exact kernel, and SPRING training a PINN."""

from __future__ import annotations

import torch

from pdesolve import get_problem
from pdesolve.nn.spring import woodbury_step
from pdesolve.solvers import solve


def _system(m: int = 30, P: int = 200):
    gen = torch.Generator().manual_seed(0)
    rows = torch.logspace(0, -3, m, dtype=torch.float64)[:, None]
    B = torch.randn(m, P, generator=gen, dtype=torch.float64) * rows
    return B, torch.randn(P, generator=gen, dtype=torch.float64), torch.randn(
        P, generator=gen, dtype=torch.float64)


def test_woodbury_step_is_the_damped_natural_gradient_with_momentum():
    B, g, previous = _system()
    tau, mu = 1e-2, 0.9
    lam = tau**2 * torch.linalg.eigvalsh(B @ B.mT)[-1]
    direct = torch.linalg.solve(B.mT @ B + lam * torch.eye(B.shape[1], dtype=B.dtype),
                                g + lam * mu * previous)
    step = woodbury_step(B, g, tau, previous=previous, momentum=mu)
    assert torch.allclose(step, direct, rtol=1e-9, atol=1e-9 * direct.abs().max())


def test_sketched_step_with_the_identity_sketch_is_the_exact_step():
    B, g, previous = _system()
    exact = woodbury_step(B, g, 1e-3, previous=previous, momentum=0.5)
    sketched = woodbury_step(B, g, 1e-3, torch.eye(B.shape[0], dtype=B.dtype), previous, 0.5)
    assert torch.allclose(sketched, exact, rtol=1e-8, atol=1e-8 * exact.abs().max())


def test_spring_trains_a_pinn_on_redrawn_mini_batches():
    problem = get_problem("poisson_sine", dim=2)
    options = dict(widths=[24, 24], optimizer="spring", steps=20, batch_interior=128,
                   batch_boundary=32, sampler="uniform", engd_cutoff=1e-3, threads=1)
    # measured: 0.72 -> 3.5e-3 (exact kernel), 0.72 -> 2.3e-3 (sketch of 64 of the 160 rows)
    for sketch in (0, 64):
        errors = [h["l2_rel"] for h in solve(problem, "pinn", spring_sketch=sketch,
                                             **options).history]
        assert errors[-1] < 2e-2 * errors[0]
