"""ENGD: Jacobians against dense autograd, the Gauss-Newton step, damping, float64, Deep Ritz Gram."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from pdesolve import Box, Status, get_problem, solve
from pdesolve.errors import SolverFailed
from pdesolve.nn.activations import get_activation
from pdesolve.nn.factor import factor
from pdesolve.nn.gauss_newton import ParameterVector, residual_system, ritz_system
from pdesolve.nn.losses import DirichletAnsatz, ResidualLoss, RitzLoss, residual
from pdesolve.nn.networks import build_network
from pdesolve.nn.options import ENGD
from pdesolve.nn.sampling import BoundarySampler, InteriorSampler
from pdesolve.nn.training import Objective, Trainer

LOSSES = {"deep_ritz": RitzLoss, "pinn": ResidualLoss}


def assert_close(actual, expected, rtol=1e-7, atol=0.0):
    """np.testing.assert_allclose on tensors that may carry autograd graphs."""
    np.testing.assert_allclose(torch.as_tensor(actual).detach().numpy(),
                               torch.as_tensor(expected).detach().numpy(), rtol=rtol, atol=atol)


class Functional(nn.Module):
    """The network with its parameters taken from a flat vector (for dense autograd)."""

    def __init__(self, net: nn.Module, theta: torch.Tensor):
        super().__init__()
        self.net, self.vector = net, ParameterVector(net)
        self.theta = theta

    def forward(self, x):
        params, i = {}, 0
        for name, p in self.vector.named:
            params[name] = self.theta[i:i + p.numel()].reshape(p.shape)
            i += p.numel()
        return functional_call(self.net, params, (x,))


def tiny(dim=2, widths=(5,), seed=0):
    return build_network("mlp", dim, list(widths), get_activation("tanh"), seed=seed,
                         dtype=torch.float64)


def batch(problem, n=40, m=12, seed=0):
    x = InteriorSampler(problem.domain, n, seed=seed, dtype=torch.float64).sample()
    return (x, *BoundarySampler(problem.domain, m, seed=seed + 1, dtype=torch.float64).sample())


def dense_rho(net, problem, data, beta, theta):
    """rho(theta) by the loss code's own residual (double backward through a wrapper)."""
    x, y, wy = data
    model = Functional(net, theta)
    r = residual(model, problem, x) / math.sqrt(len(x))
    miss = torch.sqrt(beta * wy / problem.domain.boundary_measure) * (model(y) - problem.g(y))
    return torch.cat([r, miss])


@pytest.mark.parametrize("name,args", [("poisson_sine", {"dim": 2}),
                                       ("plaplace_5d", {"p": 3})])
def test_pinn_jacobian_equals_dense_autograd_and_the_loss(name, args):
    problem = get_problem(name, **args)
    net, data, beta = tiny(problem.dim), batch(problem), 3.0
    rho, jac = residual_system(net, problem, data, 1 / 40, beta, exact_boundary=False)
    theta = ParameterVector(net).get()
    dense = torch.autograd.functional.jacobian(
        lambda t: dense_rho(net, problem, data, beta, t), theta)
    assert_close(rho, dense_rho(net, problem, data, beta, theta), atol=1e-12)
    assert_close(jac, dense, rtol=1e-10, atol=1e-10)
    loss = ResidualLoss(problem)(net, data[0], 1 / 40, data[1], data[2], beta)[0]
    assert float(rho @ rho) == pytest.approx(loss.item(), rel=1e-12)


def test_engd_direction_is_the_gauss_newton_step_of_dense_autograd():
    problem = get_problem("poisson_sine", dim=2)
    net, data = tiny(widths=(3,)), batch(problem, n=60, m=20)
    theta = ParameterVector(net).get()
    dense = torch.autograd.functional.jacobian(
        lambda t: dense_rho(net, problem, data, 1.0, t), theta)
    rho = dense_rho(net, problem, data, 1.0, theta).detach()
    gauss_newton = torch.linalg.lstsq(dense, -rho, driver="gelsd").solution
    trainer = _trainer(net, problem, data, ENGD(steps=1, cutoff=0.0))
    step, predicted = trainer.phases[0][0]._direction(trainer.objective, data, 1.0)
    assert_close(step, gauss_newton, rtol=1e-8)
    after = rho + dense @ gauss_newton
    assert predicted == pytest.approx(float(rho @ rho - after @ after), rel=1e-10)


class Fixed:
    """A sampler that returns the same points at every draw."""

    resamples = False

    def __init__(self, value, weight=None):
        self.value, self.weight = value, weight

    def sample(self):
        return self.value

    def state_dict(self):
        return {}


def _objective(net, problem, data, kind="pinn", exact=False):
    x, y, wy = data
    return Objective(net, LOSSES[kind](problem, exact), Fixed(x, 1 / len(x)), Fixed((y, wy)),
                     beta_at=lambda step: 1.0)


def _trainer(net, problem, data, optimizer, kind="pinn", exact=False):
    x, y, wy = data
    return Trainer(net, LOSSES[kind](problem, exact), Fixed(x, 1 / len(x)), Fixed((y, wy)),
                   optimizer, beta=1.0)


def test_a_stepper_sees_the_objective_only():
    """ENGD's stepper runs on an Objective alone, with no training loop around it."""
    problem = get_problem("poisson_sine", dim=2)
    net, data = tiny(widths=(4,)), batch(problem, n=60, m=20)
    objective = _objective(net, problem, data)
    stepper = ENGD(steps=3).start(objective.params)
    before = objective.value(data, 1.0)[0].item()
    for step in (1, 2, 3):
        assert stepper.step(objective, step, 1) == 1
    assert objective.last_loss < before
    assert objective.value(data, 1.0)[0].item() == pytest.approx(objective.last_loss, rel=1e-12)


class Features(nn.Module):
    """u(x) = sum_k a_k tanh(w_k . x + b_k) with w, b frozen: linear in the parameters a."""

    def __init__(self, dim, width, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w = nn.Parameter(torch.randn(width, dim, generator=g, dtype=torch.float64) * 2,
                              requires_grad=False)
        self.b = nn.Parameter(torch.randn(width, generator=g, dtype=torch.float64),
                              requires_grad=False)
        self.a = nn.Parameter(torch.zeros(width, dtype=torch.float64))

    def forward(self, x):
        return torch.tanh(x @ self.w.T + self.b) @ self.a


@pytest.mark.parametrize("kind", ["pinn", "deep_ritz"])
def test_one_step_on_a_linear_in_parameters_model_solves_the_least_squares_problem(kind):
    problem = get_problem("poisson_sine", dim=2)
    net, data = Features(2, 12), batch(problem, n=200, m=40)
    trainer = _trainer(net, problem, data, ENGD(steps=1, cutoff=1e-12, adapt=False), kind)
    trainer.run()
    assert trainer.phases[0][0].alpha == 1.0  # the full step is the minimiser
    a = net.a.detach().clone()
    if kind == "pinn":  # the loss |rho(a)|^2 is quadratic: compare with the direct solution
        rho, jac = residual_system(net, problem, data, 1 / len(data[0]), 1.0, False)
        best = torch.linalg.lstsq(jac, jac @ a - rho, driver="gelsd").solution
        assert_close(a, best, rtol=1e-8)
    else:  # the energy is quadratic in a: its gradient vanishes at the minimiser
        _, grad, rows = ritz_system(net, problem, data, 1 / 200, 1.0, False)
        assert float(grad.norm()) < 1e-9 * float(rows.norm() ** 2 * a.norm())


def test_damping_keeps_the_step_finite_on_a_rank_deficient_gram():
    """Two identical hidden neurons: J has dependent columns (and rank 21 of 129 at the
    2-32-1 initialisation is the same situation)."""
    problem = get_problem("poisson_sine", dim=2)
    net, data = tiny(widths=(4,)), batch(problem, n=80, m=20)
    with torch.no_grad():
        net.hidden[0].weight[1] = net.hidden[0].weight[0]
        net.hidden[0].bias[1] = net.hidden[0].bias[0]
    rho, jac = residual_system(net, problem, data, 1 / len(data[0]), 1.0, False)
    s = torch.linalg.svdvals(jac)
    assert s[-1] < 1e-14 * s[0]  # numerically singular
    trainer = _trainer(net, problem, data, ENGD(steps=1, cutoff=1e-6, adapt=False))
    step, _ = trainer.phases[0][0]._direction(trainer.objective, data, 1.0)
    assert torch.isfinite(step).all()
    assert float(step.norm()) <= float(rho.norm()) / (1e-6 * float(s[0])) * (1 + 1e-12)
    before = trainer.objective.value(data, 1.0)[0].item()
    trainer.run()
    assert trainer.last_loss < before


@pytest.mark.parametrize("size", [(50, 7), (7, 50)])
def test_factor_matches_the_svd_in_the_tall_and_the_wide_case(size):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(*size, generator=g, dtype=torch.float64)
    r = torch.randn(size[0], generator=g, dtype=torch.float64)
    f = factor(a, r)
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    assert_close(f.s, s, rtol=1e-12)
    z = torch.randn(len(s), generator=g, dtype=torch.float64)
    sign = torch.sign(f.c / (u.T @ r))  # singular vectors are defined up to their signs
    assert_close(f.c, sign * (u.T @ r), rtol=1e-10)
    assert_close(f.right(z * sign), vh.T @ z, rtol=1e-10, atol=1e-12)
    g_vec = torch.randn(size[1], generator=g, dtype=torch.float64)
    assert_close(f.right_t(g_vec) * sign, vh @ g_vec, rtol=1e-10, atol=1e-12)


def _manual_ritz_gram(net, problem, data, weight, beta):
    """G_kl = w sum_i kappa (|grad u|^(p-2) grad phi_k . grad phi_l
    + (p-2) |grad u|^(p-4) (grad u . grad phi_k)(grad u . grad phi_l)) + 2 beta sum_j w_j phi_k phi_l,
    phi_k = du/dtheta_k, by dense autograd."""
    x, y, wy = data
    vector = ParameterVector(net)
    theta = vector.get()

    def grads(t):
        xl = x.clone().requires_grad_(True)
        (gu,) = torch.autograd.grad(Functional(net, t)(xl).sum(), xl, create_graph=True)
        return gu

    gu = grads(theta).detach()
    dgrad = torch.autograd.functional.jacobian(grads, theta)  # (n, d, P)
    phi_y = torch.autograd.functional.jacobian(lambda t: Functional(net, t)(y), theta)
    p, kappa, norm = problem.p, problem.kappa(x), torch.linalg.norm(gu, dim=1)
    first = torch.einsum("n,ndk,ndl->kl", kappa * norm ** (p - 2), dgrad, dgrad)
    along = torch.einsum("nd,ndk->nk", gu, dgrad)
    second = torch.einsum("n,nk,nl->kl", (p - 2) * kappa * norm ** (p - 4), along, along)
    return weight * (first + second) + 2 * beta * torch.einsum("m,mk,ml->kl", wy, phi_y, phi_y)


@pytest.mark.parametrize("name,args", [("poisson_sine", {"dim": 2}), ("plaplace_sine", {"p": 3}),
                                       ("plaplace_5d", {"p": 2})])
def test_ritz_gram_is_the_energys_second_variation_and_gradient_is_the_losss(name, args):
    problem = get_problem(name, **args)
    net, data, beta, weight = tiny(problem.dim), batch(problem, n=30, m=10), 5.0, 1 / 30
    energy, grad, rows = ritz_system(net, problem, data, weight, beta, exact_boundary=False)
    assert_close(rows.T @ rows, _manual_ritz_gram(net, problem, data, weight, beta),
                               rtol=1e-9, atol=1e-11)
    loss = RitzLoss(problem)(net, data[0], weight, data[1], data[2], beta)[0]
    assert float(energy) == pytest.approx(loss.item(), rel=1e-12)
    auto = torch.cat([g.flatten() for g in torch.autograd.grad(loss, list(net.parameters()))])
    assert_close(grad, auto, rtol=1e-10, atol=1e-12)


def test_exact_boundary_pinn_jacobian_through_the_dirichlet_ansatz():
    problem = get_problem("poisson_sine", dim=2)
    net, data = tiny(), batch(problem)
    model = DirichletAnsatz(net, problem.domain, problem.g).to(torch.float64)
    rho, jac = residual_system(model, problem, data, 1 / 40, 1.0, exact_boundary=True)
    theta = ParameterVector(model).get()

    def dense(t):
        return residual(Functional(model, t), problem, data[0]) / math.sqrt(len(data[0]))

    assert_close(jac, torch.autograd.functional.jacobian(dense, theta),
                               rtol=1e-10, atol=1e-10)
    assert rho.shape == (len(data[0]),)


def test_engd_pinn_is_float64_end_to_end_and_reaches_below_float32_resolution():
    problem = get_problem("poisson_sine", dim=1)
    result = solve(problem, "pinn", optimizer="engd", widths=[12], steps=60, sampler="grid",
                   batch_interior=40, threads=1, monitor_points=256)
    assert result.info["dtype"] == "float64" and result.info["optimizer"] == "engd"
    x = np.linspace(0, 1, 101)[:, None]
    error = np.max(np.abs(result.u(x) - problem.exact(x)))
    assert error < 1e-8  # float32 arithmetic cannot resolve this
    steps = [h["step"] for h in result.history]
    assert steps == list(range(steps[-1] + 1))  # every ENGD step is recorded
    assert {"alpha", "cutoff", "seconds", "l2_rel"} <= set(result.history[-1])


def test_engd_deep_ritz_with_exact_boundary_converges():
    problem = get_problem("poisson_sine", dim=1)
    result = solve(problem, "deep_ritz", optimizer="engd", widths=[10], steps=60,
                   sampler="gauss", batch_interior=8, boundary="exact", threads=1,
                   monitor_points=256)
    assert result.history[-1]["l2_rel"] < 1e-6 < 1e-2 < result.history[0]["l2_rel"]


def test_engd_stops_when_fixed_points_give_no_more_decrease():
    """a sin(w x + b) + c holds sin(pi x) exactly: Gauss-Newton gets there to round-off."""
    problem = get_problem("poisson_sine", dim=1)
    result = solve(problem, "pinn", optimizer="engd", widths=[1], activation="sin", steps=400,
                   sampler="grid", batch_interior=20, threads=1, monitor_points=64)
    assert result.status is Status.OK and result.info["steps"] < 100
    assert "no step length decreased the loss" in result.info["stop_reason"]
    assert result.history[-1]["l2_rel"] < 1e-14


def test_diverged_run_carries_parameter_count_and_history():
    base = get_problem("poisson_sine", dim=1)
    calls = {"n": 0}

    def f(x):
        calls["n"] += 1
        return base.f(x) * (float("nan") if calls["n"] > 3 else 1.0)

    from pdesolve.problems.base import Problem

    problem = Problem("exploding", base.domain, f, base.g, exact=base.exact)
    with pytest.raises(SolverFailed) as err:
        solve(problem, "deep_ritz", widths=[4], steps=10, log_every=1, threads=1,
              monitor_points=16)
    info = err.value.info
    assert info["dofs"] == (4 + 4) + (4 + 1) and err.value.status == "diverged"
    assert [h["step"] for h in info["history"]] == [0, 1, 2, 3]


def test_box_other_than_unit_square_and_boundary_nodes():
    box = Box((0.0, -1.0), (2.0, 1.0))
    y, w = BoundarySampler(box, 4, "grid", dtype=torch.float64).sample()
    assert len(y) == 16 and float(w.sum()) == pytest.approx(box.boundary_measure)
