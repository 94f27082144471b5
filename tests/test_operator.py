"""The p-Laplacian is defined once (pdesolve.problems.operator) and every solver derives from it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from pdesolve import get_problem, solve
from pdesolve.nn.activations import get_activation
from pdesolve.nn.gauss_newton import residual_system
from pdesolve.nn.losses import ResidualLoss, RitzLoss
from pdesolve.nn.networks import build_network
from pdesolve.problems import operator

SCALE = 2.0
"""The modified density is SCALE psi: its minimiser solves -div(flux) = f / SCALE."""


@pytest.mark.parametrize("p", [2.0, 3.0, 4.5])
def test_weights_and_flux_are_the_derivatives_of_the_density(p):
    sq = torch.linspace(0.1, 3.0, 7, dtype=torch.float64, requires_grad=True)
    kappa = torch.linspace(0.5, 2.0, 7, dtype=torch.float64)
    (d1,) = torch.autograd.grad(operator.density(kappa, sq, p).sum(), sq, create_graph=True)
    (d2,) = torch.autograd.grad((d1 + 0 * sq).sum(), sq)  # p = 2: d1 is constant
    torch.testing.assert_close(operator.flux_weight(kappa, sq, p) + 0 * sq, 2 * d1, rtol=1e-13,
                               atol=0)
    torch.testing.assert_close(operator.curvature_weight(kappa, sq, p), 4 * d2, rtol=1e-12,
                               atol=1e-14)
    g = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                    requires_grad=True)
    (dg,) = torch.autograd.grad(operator.density(kappa, (g * g).sum(1), p).sum(), g)
    torch.testing.assert_close(operator.flux(kappa, g, p), dg, rtol=1e-13, atol=0)


def _scaled(fn):
    return lambda *args, **kwargs: SCALE * fn(*args, **kwargs)


@pytest.fixture
def modified_density(monkeypatch):
    """Replace psi by SCALE psi in the one module (its derivatives with it)."""

    def apply():
        for name in ("density", "flux_weight", "curvature_weight", "flux"):
            monkeypatch.setattr(operator, name, _scaled(getattr(operator, name)))

    return apply


def _relative(a, b) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("p", [2.0, 3.0])
@pytest.mark.parametrize("kind, options", [("fem", {"n": 6}), ("grid", {"n": 8})])
def test_modified_density_changes_the_classical_solvers(kind, options, p, modified_density):
    """SCALE psi has the minimiser of psi with f / SCALE: the FEM and grid solvers (linear
    systems for p = 2, Newton for p = 3) must find it."""
    problem = get_problem("plaplace_sine", dim=2, p=p)
    halved = dataclasses.replace(problem, f=lambda x: problem.f(x) / SCALE)
    x = np.random.default_rng(0).uniform(0.05, 0.95, (200, 2))
    original = solve(problem, kind, **options).u(x)
    target = solve(halved, kind, **options).u(x)
    modified_density()
    modified = solve(problem, kind, **options).u(x)
    assert _relative(target, original) > 0.1  # the modification is visible
    assert _relative(modified, target) < 1e-7


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_modified_density_changes_the_neural_losses(p, modified_density):
    """Ritz energy, strong-form residual and its Gauss-Newton residual vector follow psi (p = 2
    with kappa = 1 on an MLP takes the forward Laplacian, scaled by the flux weight)."""
    problem = get_problem("plaplace_sine", dim=2, p=p)
    halved = dataclasses.replace(problem, f=lambda x: problem.f(x) / SCALE)
    net = build_network("mlp", 2, [8], get_activation("tanh"), seed=0, dtype=torch.float64)
    x = torch.rand(64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.zeros(1, 2, dtype=torch.float64)
    batch = (x, y, torch.ones(1, dtype=torch.float64))

    def evaluate(pr):
        ritz = RitzLoss(pr, exact_boundary=True).interior(net, x, 1 / 64)
        res = ResidualLoss(pr, exact_boundary=True)
        rho = residual_system(net, pr, batch, 1 / 64, 1.0, exact_boundary=True)[0]
        return ritz.item(), res.interior(net, x, 1 / 64).item(), rho.detach()

    ritz0, res0, rho0 = evaluate(problem)
    ritz_half, res_half, rho_half = evaluate(halved)
    modified_density()
    ritz, res, rho = evaluate(problem)
    assert ritz == pytest.approx(SCALE * ritz_half, rel=1e-12)
    assert abs(ritz - ritz0) > 1e-6 * abs(ritz0)  # the density term is visible at rel=1e-12
    assert res == pytest.approx(SCALE**2 * res_half, rel=1e-10)
    torch.testing.assert_close(rho, SCALE * rho_half, rtol=1e-10, atol=1e-12)
    assert abs(res - res0) > 1e-3 * res0
    assert not torch.allclose(rho, rho0)
