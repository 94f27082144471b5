"""Networks on domains other than boxes: samplers through the Domain, the boundary ansatz by
distance functions, boundary data given per part, and training that reaches small errors."""

import numpy as np
import pytest
import torch

from pdesolve.domains import boundary_data
from pdesolve.errors import ConfigError
from pdesolve.metrics import measure_errors
from pdesolve.nn.losses import DirichletAnsatz
from pdesolve.nn.networks import build_network
from pdesolve.nn.activations import get_activation
from pdesolve.nn.sampling import BoundarySampler, InteriorSampler
from pdesolve.problems.tables import problem_from_table
from pdesolve.quadrature import domain_rules
from pdesolve.solvers import configure

DISK = {"kind": "disk", "center": [0.5, 0.5], "radius": 0.5}
HOLES = {"kind": "difference", "base": {"kind": "box", "bounds": [[-0.5, 0.5], [-0.5, 0.5]]},
         "remove": [{"kind": "disk", "center": [sx * 0.3, sy * 0.3], "radius": 0.1}
                    for sx in (1, -1) for sy in (1, -1)]}  # PINNacle's 2d-C domain


def sine_on(domain):
    return problem_from_table({"name": "poisson_sine", "dim": 2, "domain": domain})


@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_random_interior_points_lie_inside_with_weights_summing_to_the_volume(kind):
    domain = sine_on(HOLES).domain
    sampler = InteriorSampler(domain, 500, kind, seed=3, dtype=torch.float64)
    first, second = sampler.sample(), sampler.sample()
    assert first.shape == (500, 2) and not torch.equal(first, second)
    assert domain.contains(first.numpy(), tol=0.0).all()
    assert sampler.weight * 500 == pytest.approx(1 - 4 * np.pi * 0.01, rel=1e-12)
    state = sampler.state_dict()
    again = sampler.sample()
    sampler.load_state_dict(state)
    assert torch.equal(sampler.sample(), again)  # a resumed run draws the same points


def test_fixed_interior_rules_on_a_domain():
    domain = sine_on(DISK).domain
    gauss = InteriorSampler(domain, 8, "gauss", order=4, dtype=torch.float64)
    w = gauss.weight
    assert (w > 0).all()  # the triangle rule of degree 8, not 7 (a negative weight)
    assert float(w.sum()) == pytest.approx(np.pi / 4, rel=1e-5)  # quadratic cells: O(h^3)
    x = gauss.sample().numpy()
    assert float(torch.sum(w * torch.as_tensor(((x - 0.5) ** 2).sum(1)))) == pytest.approx(
        np.pi / 32, rel=5e-5)  # int |x - c|^2 = pi r^4 / 2 (measured 1.4e-5 off)
    grid = InteriorSampler(domain, 10, "grid", dtype=torch.float64)
    assert (domain.level(grid.sample().numpy()) > 0).all()
    assert grid.weight * len(grid.sample()) == pytest.approx(np.pi / 4)


def test_boundary_points_lie_on_the_boundary_with_their_measure():
    domain = sine_on(HOLES).domain
    y, w = BoundarySampler(domain, 800, seed=2, dtype=torch.float64).sample()
    assert np.abs(domain.level(y.numpy())).max() < 1e-12
    assert float(w.sum()) == pytest.approx(4 + 4 * 2 * np.pi * 0.1, rel=1e-3)


def test_boundary_data_by_part_and_its_mistakes():
    problem = problem_from_table({"f": "0", "g": {"outer": "1", "holes": "x - y"},
                                  "domain": HOLES})
    y = np.array([[0.5, 0.2], [-0.1, -0.5], [0.4, 0.3], [-0.3, -0.2]])
    assert np.allclose(problem.g(y), [1, 1, 0.1, -0.1])
    assert torch.allclose(problem.g(torch.tensor(y)), torch.tensor([1, 1, 0.1, -0.1],
                                                                   dtype=torch.float64))
    with pytest.raises(ConfigError, match=r"problem.g: no data for the boundary part\(s\) hole2"):
        problem_from_table({"f": "0", "g": {"outer": "1", "hole1": "0"}, "domain": HOLES})
    with pytest.raises(ConfigError, match="given twice"):
        boundary_data(problem.domain, {"holes": np.sin, "hole2": np.cos, "outer": np.cos})


@pytest.mark.parametrize("domain", [DISK, HOLES], ids=["disk", "holes"])
def test_dirichlet_ansatz_is_g_on_the_boundary_and_smooth_inside(domain):
    problem = sine_on(domain)
    net = build_network("mlp", 2, [8], get_activation("tanh"), dtype=torch.float64)
    model = DirichletAnsatz(net, problem.domain, problem.g).double()
    y, _ = BoundarySampler(problem.domain, 200, seed=0, dtype=torch.float64).sample()
    assert torch.allclose(model(y), problem.g(y), atol=1e-12)
    # near the disk's centre the extension rho^3 g(P x) keeps a finite Laplacian
    centre = [0.5 + 1e-6, 0.5] if domain is DISK else [0.0, 0.0]
    x = torch.tensor([centre], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(model(x).sum(), x, create_graph=True)
    lap = sum(torch.autograd.grad(grad[:, i].sum(), x, retain_graph=True)[0][:, i] for i in range(2))
    assert torch.isfinite(lap).all() and float(lap.abs().max()) < 1e3


def train(problem, kind, **options):
    module, opts = configure(problem, kind, options)
    result = module.solve(problem, opts)
    measured = measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                              default=domain_rules(problem.domain))
    return result, measured


@pytest.mark.slow
@pytest.mark.parametrize("domain", [DISK, HOLES], ids=["disk", "holes"])
def test_engd_pinn_on_curved_domains_reaches_small_errors(domain):
    """Measured at 150 steps: 1.3e-6 on the disk, 1.2e-4 on 2d-C's domain (1e-3 is passed
    after about 110 and 120 steps)."""
    problem = sine_on(domain)
    _, measured = train(problem, "pinn", optimizer="engd", steps=150, widths=[16],
                        batch_interior=400, batch_boundary=200, threads=1)
    assert measured.l2_rel < 1e-3


@pytest.mark.slow
def test_deep_ritz_with_built_in_boundary_on_a_disk():
    """Measured: 9.2e-3 after 70 steps, 3.6e-3 after 100."""
    problem = sine_on(DISK)
    _, measured = train(problem, "deep_ritz", optimizer="engd", steps=100, widths=[16],
                        sampler="gauss", batch_interior=10, boundary="exact", threads=1)
    assert measured.l2_rel < 1e-2


def test_parity_needs_a_box():
    problem = sine_on(DISK)
    with pytest.raises(ConfigError, match="parity: 'even' mirrors about a box's centre"):
        configure(problem, "pinn", {"parity": "even"})
