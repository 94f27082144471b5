"""Building blocks of the neural solvers: activations, networks, samplers, loss derivatives."""

import math

import numpy as np
import pytest
import torch

from pdesolve import Box, ConfigError, get_problem
from pdesolve.nn.activations import ACTIVATIONS, DERIVATIVES, get_activation
from pdesolve.nn.laplacian import mlp_laplacian
from pdesolve.nn.losses import DirichletAnsatz, ResidualLoss, RitzLoss, residual
from pdesolve.nn.networks import MLP, build_network, count_parameters, group_scales
from pdesolve.nn.parity import Parity, check_parity
from pdesolve.nn.sampling import BoundarySampler, InteriorSampler, face_counts

LOSSES = {"deep_ritz": RitzLoss, "pinn": ResidualLoss}


def relu(x):
    return np.maximum(x, 0.0)


def srelu_np(x):
    return relu(x) * relu(1 - x)


# name -> (sigma(x), sigma'(x)) written out from the formulas
FORMULAS = {
    "relu": (relu, lambda x: (x > 0).astype(float)),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sin": (np.sin, np.cos),
    "relu2": (lambda x: relu(x) ** 2, lambda x: 2 * relu(x)),
    "relu3": (lambda x: relu(x) ** 3, lambda x: 3 * relu(x) ** 2),
    "srelu": (srelu_np, lambda x: np.where((x > 0) & (x < 1), 1 - 2 * x, 0.0)),
    "s2relu": (
        lambda x: np.sin(2 * np.pi * x) * srelu_np(x),
        lambda x: np.where((x > 0) & (x < 1), 2 * np.pi * np.cos(2 * np.pi * x) * x * (1 - x)
                           + np.sin(2 * np.pi * x) * (1 - 2 * x), 0.0),
    ),
    "phi": (
        lambda x: relu(x) ** 2 - 3 * relu(x - 1) ** 2 + 3 * relu(x - 2) ** 2 - relu(x - 3) ** 2,
        lambda x: 2 * relu(x) - 6 * relu(x - 1) + 6 * relu(x - 2) - 2 * relu(x - 3),
    ),
}


@pytest.mark.parametrize("name", list(FORMULAS))
def test_activation_and_derivative_match_formula(name):
    x = np.linspace(-1.5, 4.5, 601) + 1e-3  # avoid the kinks exactly
    xt = torch.tensor(x, requires_grad=True)
    y = get_activation(name)(xt)
    (dy,) = torch.autograd.grad(y.sum(), xt)
    value, deriv = FORMULAS[name]
    np.testing.assert_allclose(y.detach().numpy(), value(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy.numpy(), deriv(x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", list(DERIVATIVES))
def test_activation_derivative_tables_match_autograd(name):
    x = torch.linspace(-1.5, 4.5, 301, dtype=torch.float64) + 1e-3
    x.requires_grad_(True)
    act = get_activation(name, power=2.5)
    (d1,) = torch.autograd.grad(act(x).sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    value, first, second = act.derivatives(x.detach())
    assert torch.allclose(value, act(x).detach(), rtol=1e-12, atol=1e-12)
    assert torch.allclose(first, d1.detach(), rtol=1e-10, atol=1e-10)
    assert torch.allclose(second, d2, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("network,activation,residual_skip", [
    ("mlp", "tanh", False), ("mlp", "sin", True), ("mscale1", "s2relu", False),
    ("mscale1", "relu3", True)])
def test_forward_laplacian_equals_double_backward(network, activation, residual_skip):
    net = build_network(network, 3, [12, 12, 12], get_activation(activation), scales=[1, 2, 4],
                        residual=residual_skip, seed=0, dtype=torch.float64)
    x = torch.rand(40, 3, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
    lap = sum(torch.autograd.grad(g[:, i].sum(), x, retain_graph=True)[0][:, i] for i in range(3))
    assert torch.allclose(mlp_laplacian(net, x.detach()), lap, rtol=1e-10, atol=1e-10)


def test_relu_power_and_bspline_alias():
    x = torch.linspace(-2, 4, 61)
    assert torch.allclose(get_activation("reluk", power=1.5)(x), torch.relu(x) ** 1.5)
    assert torch.equal(get_activation("bspline2")(x), get_activation("phi")(x))
    # phi is the (unnormalised) quadratic B-spline: support [0, 3], peak 3/2 at x = 3/2
    phi = get_activation("phi")
    assert float(phi(torch.tensor(1.5))) == 1.5
    assert torch.all(phi(torch.tensor([-0.5, 3.0, 3.5])) == 0)


def test_option_literal_lists_every_activation():
    from typing import get_args

    from pdesolve.nn.options import ActivationName

    assert list(get_args(ActivationName)) == list(ACTIVATIONS) == list(DERIVATIVES)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ConfigError, match="valid: relu, tanh") as err:
        get_activation("swish")
    assert all(name in str(err.value) for name in ACTIVATIONS)


def test_mscale2_with_one_scale_equals_mlp():
    act = get_activation("s2relu")
    x = torch.rand(50, 2)
    mlp = build_network("mlp", 2, [16, 16], act, seed=3, dtype=torch.float64)
    ms = build_network("mscale2", 2, [16, 16], act, scales=[1.0], seed=3, dtype=torch.float64)
    assert torch.equal(mlp(x), ms(x))
    ms_scaled = build_network("mscale2", 2, [16, 16], act, scales=[5.0], seed=3,
                              dtype=torch.float64)
    assert torch.allclose(ms_scaled(x), mlp(5 * x), rtol=1e-14)
    assert count_parameters(ms) == count_parameters(mlp)


def test_mscale1_scales_the_product_not_the_bias():
    scales = group_scales(6, [1, 2, 4])
    np.testing.assert_array_equal(scales, [1, 1, 2, 2, 4, 4])
    net = MLP(2, [6], torch.nn.Identity(), first_scales=scales).double()
    x = torch.rand(10, 2, dtype=torch.float64)
    layer = net.hidden[0]
    pre = (x @ layer.weight.T) * torch.tensor(scales) + layer.bias
    assert torch.allclose(net(x), net.out(pre).squeeze(-1))
    with pytest.raises(ConfigError, match="at least that wide"):
        group_scales(2, [1, 2, 4])


def test_residual_skips_only_equal_widths():
    net = MLP(2, [8, 8, 4], torch.nn.Tanh(), residual=True)
    assert net.skip == [False, True, False]


def test_init_std_follows_papers_rule():
    net = build_network("mlp", 400, [600], get_activation("relu"), init_scale=0.5, seed=1)
    w = net.hidden[0].weight.detach()
    expected = 0.5 * math.sqrt(2 / (400 + 600))
    assert abs(float(w.std()) / expected - 1) < 0.01


def test_boundary_sampler_spreads_by_area_and_weights_sum_to_measure():
    box = Box((0.0, 0.0), (2.0, 1.0))
    counts = face_counts(box, 60)
    np.testing.assert_array_equal(counts, [10, 10, 20, 20])  # faces x=0, x=2 have length 1
    y, w = BoundarySampler(box, 60, "uniform", seed=0, dtype=torch.float64).sample()
    assert box.on_boundary(y.numpy()).all()
    assert float(w.sum()) == pytest.approx(box.boundary_measure)
    ends, w1 = BoundarySampler(Box.cube(1, -1, 1), 100).sample()
    assert ends.flatten().tolist() == [-1.0, 1.0] and w1.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_interior_sampler_is_seeded_and_resumable(kind):
    box = Box.cube(3, -1, 2)
    a = InteriorSampler(box, 64, kind, seed=5)
    b = InteriorSampler(box, 64, kind, seed=5)
    assert torch.equal(a.sample(), b.sample())
    state = a.state_dict()
    nxt = a.sample()
    assert box.contains(nxt.numpy()).all() and not torch.equal(nxt, b.sample() * 0)
    a.load_state_dict(state)
    assert torch.equal(a.sample(), nxt)
    assert a.weight == pytest.approx(box.volume / 64)


def test_grid_sampler_is_the_papers_grid():
    s = InteriorSampler(Box.cube(1, -1, 1), 1000, "grid", dtype=torch.float64)
    x = s.sample()
    assert x.shape == (1001, 1) and s.weight == pytest.approx(2 / 1000)
    with pytest.raises(ConfigError, match="batch_interior: a grid needs at least 2"):
        InteriorSampler(Box.cube(2), 1, "grid")


def test_grid_samplers_in_2d_are_the_engd_papers_points():
    """29 intervals: the 28 x 28 interior nodes j/29 and 29 nodes per side, corners once."""
    box = Box.cube(2)
    inner = InteriorSampler(box, 29, "grid", dtype=torch.float64)
    x = inner.sample()
    assert x.shape == (28 * 28, 2) and inner.weight == pytest.approx(1 / 784)
    np.testing.assert_allclose(torch.unique(x[:, 0]).numpy(), np.arange(1, 29) / 29)
    y, w = BoundarySampler(box, 29, "grid", dtype=torch.float64).sample()
    assert y.shape == (116, 2) and box.on_boundary(y.numpy()).all()
    assert len({tuple(p) for p in y.tolist()}) == 116 and float(w.sum()) == pytest.approx(4.0)
    assert inner.sample() is x and not inner.resamples


@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_samplers_without_resampling_keep_their_first_draw(kind):
    box = Box.cube(3)
    inner = InteriorSampler(box, 50, kind, resample=False, seed=3)
    outer = BoundarySampler(box, 30, kind, resample=False, seed=4)
    assert torch.equal(inner.sample(), inner.sample()) and not inner.resamples
    assert torch.equal(outer.sample()[0], outer.sample()[0]) and not outer.resamples
    assert torch.equal(inner.sample(), InteriorSampler(box, 50, kind, seed=3).sample())


def _flat_grad(loss, params):
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)])


@pytest.mark.parametrize("kind", ["deep_ritz", "pinn"])
@pytest.mark.parametrize("problem_args", [("poisson_sine", {"dim": 2}),
                                          ("plaplace_5d", {"p": 3})])
def test_loss_parameter_gradient_matches_finite_differences(kind, problem_args):
    problem = get_problem(problem_args[0], **problem_args[1])
    net = build_network("mlp", problem.dim, [8, 8], get_activation("tanh"), seed=0,
                        dtype=torch.float64)
    x = InteriorSampler(problem.domain, 32, seed=0, dtype=torch.float64).sample()
    y, wy = BoundarySampler(problem.domain, 16, seed=1, dtype=torch.float64).sample()
    loss = LOSSES[kind](problem)
    params = list(net.parameters())
    grad = _flat_grad(loss(net, x, 1 / 32, y, wy, 10.0)[0], params)
    direction = torch.randn(grad.shape, generator=torch.Generator().manual_seed(2),
                            dtype=torch.float64)
    flat = torch.nn.utils.parameters_to_vector(params).detach()
    h, values = 1e-5, []
    for sign in (1, -1):
        torch.nn.utils.vector_to_parameters(flat + sign * h * direction, params)
        values.append(loss(net, x, 1 / 32, y, wy, 10.0)[0].detach().item())
    torch.nn.utils.vector_to_parameters(flat, params)
    fd = (values[0] - values[1]) / (2 * h)
    assert float(grad @ direction) == pytest.approx(fd, rel=1e-7)


def test_laplacian_by_double_backward_matches_finite_differences():
    problem = get_problem("poisson_sine", dim=2)
    net = build_network("mlp", 2, [16, 16], get_activation("tanh"), seed=0, dtype=torch.float64)
    x = torch.rand(20, 2, dtype=torch.float64)
    h = 1e-4
    lap = sum((net(x + h * e) - 2 * net(x) + net(x - h * e)) / h**2
              for e in torch.eye(2, dtype=torch.float64))
    expected = -lap - problem.f(x)
    assert torch.allclose(residual(net, problem, x), expected.detach(), rtol=1e-5, atol=1e-5)


def test_residual_vanishes_at_exact_solution_with_kappa_and_p():
    problem = get_problem("plaplace_5d", p=3)
    x = InteriorSampler(problem.domain, 64, seed=0, dtype=torch.float64).sample()
    r = residual(problem.exact, problem, x).detach()
    assert float(r.abs().max()) < 1e-10 * float(problem.f(x).abs().max())


def test_dirichlet_ansatz_matches_g_on_the_boundary():
    problem = get_problem("poisson_sin_prod", dim=2)
    net = build_network("mlp", 2, [8], get_activation("tanh"), dtype=torch.float64)
    model = DirichletAnsatz(net, problem.domain, problem.g).double()
    y, _ = BoundarySampler(problem.domain, 40, seed=0, dtype=torch.float64).sample()
    assert torch.allclose(model(y), problem.g(y), atol=1e-14)
    centre = torch.zeros(1, 2, dtype=torch.float64)
    assert float(model.distance(centre)) == 1.0


def test_dirichlet_extension_uses_boundary_values_only():
    """G interpolates g from the faces; it is not g inside (there g is the exact solution)."""
    problem = get_problem("poisson_sine", dim=2, k=0.5)  # u = sin(pi x/2) sin(pi y/2): g != 0
    net = build_network("mlp", 2, [8], get_activation("tanh"), dtype=torch.float64)
    model = DirichletAnsatz(net, problem.domain, problem.g).double()
    y, _ = BoundarySampler(problem.domain, 40, seed=0, dtype=torch.float64).sample()
    assert torch.allclose(model.extension(y), problem.g(y), atol=1e-12)
    inside = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    # nearest-face weights 1/4 each: g = 0 on x=0, y=0; sin(pi/4) on x=1 and y=1
    expected = 2 * math.sin(math.pi / 4) / 4
    assert float(model.extension(inside)) == pytest.approx(expected, rel=1e-12)
    assert float(problem.g(inside)) != pytest.approx(expected)


@pytest.mark.parametrize("parity, sign", [("odd", -1.0), ("even", 1.0)])
def test_parity_wrapper_is_exactly_odd_or_even_about_the_centre(parity, sign):
    box = Box((0.0, -1.0), (2.0, 3.0))  # centre (1, 1)
    net = build_network("mlp", 2, [8], get_activation("tanh"), dtype=torch.float64)
    model = Parity(net, box.lower, box.upper, parity).double()
    x = InteriorSampler(box, 50, seed=0, dtype=torch.float64).sample()
    mirrored = torch.tensor([2.0, 2.0], dtype=torch.float64) - x
    assert torch.allclose(model(mirrored), sign * model(x), rtol=0, atol=1e-15)
    assert float(model(x).detach().abs().max()) > 1e-3  # not the zero function


def test_parity_check_accepts_the_symmetric_problem_and_names_what_breaks_it():
    odd_problem = get_problem("poisson_multifreq_1d")  # f odd on (-1, 1), g = 0
    check_parity(odd_problem, "odd")
    with pytest.raises(ConfigError, match="f is not even"):
        check_parity(odd_problem, "even")
    # A = 1 + cos(pi x1) cos(2 pi x2) ... changes sign under x -> 1 - x: no parity
    with pytest.raises(ConfigError, match="plaplace_5d's kappa is not even"):
        check_parity(get_problem("plaplace_5d"), "even")
    check_parity(get_problem("poisson_sin_prod", dim=2), "even")


def test_parity_inside_the_dirichlet_ansatz_keeps_parity_and_boundary_values():
    """u = G + phi Parity(N): phi is even and G inherits g's parity, so u is odd and u = g."""
    box = Box((1.0, 0.0), (3.0, 2.0))  # centre (2, 1)

    def g(x):  # odd about the centre, not zero on the boundary
        return (x[:, 0] - 2) * torch.cos(x[:, 1] - 1) + torch.sin(x[:, 1] - 1)

    net = build_network("mlp", 2, [8], get_activation("tanh"), dtype=torch.float64)
    model = DirichletAnsatz(Parity(net, box.lower, box.upper, "odd"), box, g).double()
    x = InteriorSampler(box, 50, seed=0, dtype=torch.float64).sample()
    mirrored = torch.tensor([4.0, 2.0], dtype=torch.float64) - x
    with torch.no_grad():
        assert torch.allclose(model(mirrored), -model(x), rtol=0, atol=1e-14)
        y, _ = BoundarySampler(box, 40, seed=0, dtype=torch.float64).sample()
        assert torch.allclose(model(y), g(y), atol=1e-14)


def test_losses_are_objects_and_nn_knows_no_solver_names():
    """Training takes the loss object a solver builds; no loss is chosen by a name in nn/."""
    import pathlib
    import re

    from pdesolve.nn import losses
    from pdesolve.nn.runner import train
    from pdesolve.solvers.pinn import Options

    problem = get_problem("poisson_sine", dim=2)
    with pytest.raises(TypeError):
        losses.Loss(problem)  # abstract: a loss says what its interior term is
    with pytest.raises(ValueError, match="boundary"):
        train(problem, Options(steps=1, boundary="exact"), ResidualLoss(problem), name="x")
    nn_dir = pathlib.Path(losses.__file__).parent
    named = [p.name for p in nn_dir.glob("*.py")
             if re.search(r"deep_ritz|pinn", p.read_text(), re.IGNORECASE)]
    assert named == []
