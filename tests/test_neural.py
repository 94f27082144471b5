"""Neural solvers end to end through ``pdesolve.solvers.solve``: small, seeded runs."""

import numpy as np
import pytest
import torch

from pdesolve import ConfigError, Status, get_problem, solve
from pdesolve.errors import SolverFailed
from pdesolve.metrics import measure_errors
from pdesolve.nn.engd import ENGDStepper
from pdesolve.problems.base import Problem

FAST = {"threads": 1, "widths": [16, 16], "log_every": 50, "monitor_points": 256}


def l2_rel(problem, result):
    return measure_errors(result.u, problem.exact, domain=problem.domain).l2_rel


@pytest.mark.slow
def test_deep_ritz_small_run_reaches_modest_error_and_fills_the_result():
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "deep_ritz", **FAST, steps=400, lr=1e-2, sampler="sobol",
                   batch_interior=512, boundary="exact")
    assert l2_rel(problem, result) < 0.03
    x = np.random.default_rng(0).uniform(size=(7, 2))
    assert result.u(x).shape == (7,) and result.grad(x).shape == (7, 2)
    assert result.dofs == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert result.status is Status.OK and result.info["steps"] == 400
    assert result.info["eval_seconds"] > 0 and result.seconds >= result.info["train_seconds"]
    steps = [h["step"] for h in result.history]
    assert steps == list(range(0, 401, 50))
    assert {"loss", "l2_rel", "beta", "lr", "seconds"} <= set(result.history[-1])


@pytest.mark.slow
def test_pinn_small_run_with_adam_then_lbfgs():
    problem = get_problem("poisson_sine", dim=2)
    result = solve(problem, "pinn", **FAST, optimizer="adam+lbfgs", steps=200, lbfgs_steps=100,
                   lr=1e-2, batch_interior=512, batch_boundary=128, beta=100.0)
    assert l2_rel(problem, result) < 0.03
    assert result.history[-1]["lr"] is None  # the last entries come from the L-BFGS phase


def test_mscale_uses_the_staircase_and_float64():
    problem = get_problem("poisson_sin_prod", dim=2, mu=3.0)
    result = solve(problem, "deep_ritz", **dict(FAST, widths=[8, 8]), network="mscale2",
                   scales=[1, 2, 4], activation="s2relu", steps=40, dtype="float64",
                   freq_history=True,
                   freq_count=3)
    bands = result.history[-1]["freq_err"]
    assert len(bands) == 3 and all(label.startswith("|k| in") for label in bands)
    betas = [h["beta"] for h in result.history]
    assert betas[0] == 1000.0 and betas[-1] == 500 * 1000.0
    assert result.info["beta_schedule"] == "staircase" and result.info["dtype"] == "float64"


@pytest.mark.slow
def test_frequency_principle_low_frequency_converges_first():
    """Deep Ritz on the paper's 1-D grid: DFT peak k=1 falls below 1e-2 before k=8."""
    problem = get_problem("poisson_multifreq_1d")
    result = solve(problem, "deep_ritz", threads=1, widths=[32, 32], sampler="grid",
                   batch_interior=1000, lr=1e-2, beta=100.0, steps=1200, log_every=50,
                   freq_history=True, freq_count=4)
    errs = [h["freq_err"] for h in result.history]
    assert set(errs[0]) == {"k=1", "k=8"}
    first_low = next(i for i, e in enumerate(errs) if e["k=1"] < 1e-2)
    assert all(e["k=8"] > 1e-2 for e in errs[: first_low + 1])
    assert errs[first_low]["k=8"] > 0.1


def _exploding_problem(after_calls):
    base = get_problem("poisson_sine", dim=1)
    calls = {"n": 0}

    def f(x):
        calls["n"] += 1
        value = base.f(x)
        return value * float("nan") if calls["n"] > after_calls else value

    return Problem("exploding", base.domain, f, base.g, exact=base.exact)


def test_nan_loss_stops_the_run_naming_step_and_last_finite_loss():
    with pytest.raises(SolverFailed, match=r"diverged at step 4: .*last finite loss -?\d") as err:
        solve(_exploding_problem(3), "deep_ritz", **FAST, steps=10)
    assert err.value.status == "diverged" and err.value.info["step"] == 4


class _Killed(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "adam+lbfgs", "engd"])
def test_killed_and_resumed_run_ends_with_identical_parameters(tmp_path, monkeypatch, optimizer):
    problem = get_problem("poisson_sine", dim=2)
    opts = dict(FAST, steps=20, lbfgs_steps=30, optimizer=optimizer, dtype="float64",
                checkpoint_every=5, checkpoint_dir=str(tmp_path), batch_interior=64,
                batch_boundary=16, sampler="sobol")
    x = np.random.default_rng(1).uniform(size=(50, 2))
    reference = solve(problem, "deep_ritz", **dict(opts, checkpoint_dir=str(tmp_path / "ref")))

    owner = ENGDStepper if optimizer == "engd" else torch.optim.Adam
    real_step = owner.step
    calls = {"n": 0}

    def dying_step(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 13:
            raise _Killed
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(owner, "step", dying_step)
    with pytest.raises(_Killed):
        solve(problem, "deep_ritz", **opts)
    monkeypatch.setattr(owner, "step", real_step)
    resumed = solve(problem, "deep_ritz", **opts, resume=True)
    assert resumed.history[0]["step"] == 0 and resumed.info["steps"] == reference.info["steps"]
    np.testing.assert_array_equal(resumed.u(x), reference.u(x))
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in reference.history]


def test_resume_refuses_a_checkpoint_of_other_options(tmp_path):
    problem = get_problem("poisson_sine", dim=1)
    opts = dict(FAST, steps=10, checkpoint_every=5, checkpoint_dir=str(tmp_path))
    solve(problem, "pinn", **opts)
    with pytest.raises(ConfigError, match="lr"):
        solve(problem, "pinn", **dict(opts, lr=0.5), resume=True)


def test_resume_accepts_a_checkpoint_written_before_an_option_existed(tmp_path):
    """An option missing from an older checkpoint counts as its default."""
    problem = get_problem("poisson_sine", dim=1)
    opts = dict(FAST, steps=10, checkpoint_every=5, checkpoint_dir=str(tmp_path))
    solve(problem, "pinn", **opts)
    path = tmp_path / "checkpoint.pt"
    saved = torch.load(path, weights_only=True)
    del saved["options"]["parity"]
    torch.save(saved, path)
    assert solve(problem, "pinn", **opts, resume=True).info["steps"] == 10
    with pytest.raises(ConfigError, match="parity = 'none', this run has 'even'"):
        solve(problem, "pinn", **dict(opts, parity="even"), resume=True)


@pytest.mark.parametrize("options,match", [
    ({"activation": "gelu"}, "allowed: 'relu', 'tanh'"),
    ({"network": "resnet"}, "allowed"),
    ({"sampler": "grid", "batch_interior": 1}, "batch_interior: a grid needs at least 2"),
    ({"resume": True}, "checkpoint_dir"),
    ({"lr_decay": 2.0}, "<= 1"),
    ({"parity": "odd"}, "parity: .odd. needs kappa even"),
])
def test_bad_options_raise_config_error(options, match):
    with pytest.raises(ConfigError, match=match):
        solve(get_problem("poisson_sine", dim=2), "pinn", steps=1, **options)


def test_the_optimiser_is_a_configured_object_built_at_validation():
    """Validation builds the optimiser once, with its options; the precision and the history
    interval default to what it declares."""
    import typing

    from pdesolve.nn.options import BUILDERS, ENGD, LBFGS, Adam, Chain, OptimizerOptions
    from pdesolve.solvers import configure

    problem = get_problem("poisson_sine", dim=2)
    _, opts = configure(problem, "pinn", {"optimizer": "engd", "engd_cutoff": 1e-3, "steps": 7})
    names = typing.get_args(typing.get_type_hints(OptimizerOptions)["optimizer"])
    assert set(names) == set(BUILDERS)
    assert opts.configured_optimizer == ENGD(steps=7, cutoff=1e-3, adapt=True)
    assert (opts.resolved_dtype(), opts.resolved_log_every()) == ("float64", 1)
    _, opts = configure(problem, "pinn", {"optimizer": "adam+lbfgs", "steps": 5,
                                          "lbfgs_steps": 3, "lr": 0.01})
    chain = opts.configured_optimizer
    assert chain == Chain(optimizers=(Adam(steps=5, lr=0.01, lr_decay=5e-5), LBFGS(steps=3)))
    assert (chain.steps, chain.dtype, chain.log_every) == (8, "float32", 100)
    _, opts = configure(problem, "deep_ritz", {"optimizer": "spring", "seed": 4,
                                               "dtype": "float32", "log_every": 10})
    assert opts.configured_optimizer.seed == 4
    assert (opts.resolved_dtype(), opts.resolved_log_every()) == ("float32", 10)


@pytest.mark.parametrize("options,match", [
    ({"parity": "odd"}, "parity: .odd. needs kappa even"),
    ({"sampler": "gauss", "batch_interior": 1000}, "batch_interior: a Gauss rule with 1000 cells"),
    ({"sampler": "grid", "batch_interior": 10**4}, "batch_interior: a grid with 10000 intervals"),
    ({"network": "mscale1", "widths": [4], "scales": [1, 2, 4, 8, 16]},
     "scales: 5 scales need a first hidden layer"),
])
def test_options_that_cannot_run_are_refused_at_validation(options, match):
    from pdesolve.solvers import configure

    with pytest.raises(ConfigError, match=match):
        configure(get_problem("poisson_sine", dim=2), "pinn", options)


def test_optimiser_names_are_read_once():
    """Only the table of pdesolve.nn.options reads the ``optimizer`` option's names."""
    import pathlib
    import re

    import pdesolve

    root = pathlib.Path(pdesolve.__file__).parent
    name = r"[\"'](engd|spring|lbfgs|adam)[\"']"
    compared = re.compile(rf"optimizer\s*(==|!=|in\s)|{name}\s*(==|!=|in\s)|(==|!=)\s*{name}")
    found = [f"{path.relative_to(root)}:{n}" for folder in ("nn", "solvers")
             for path in sorted((root / folder).glob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if compared.search(line)]
    assert found == []


def test_same_seed_same_numbers():
    problem = get_problem("poisson_sine", dim=1)
    a = solve(problem, "pinn", **FAST, steps=30, seed=4)
    b = solve(problem, "pinn", **FAST, steps=30, seed=4)
    c = solve(problem, "pinn", **FAST, steps=30, seed=5)
    x = np.linspace(0, 1, 9)[:, None]
    np.testing.assert_array_equal(a.u(x), b.u(x))
    assert not np.array_equal(a.u(x), c.u(x))


def test_time_budget_stops_training_with_a_usable_result():
    problem = get_problem("poisson_sine", dim=1)
    result = solve(problem, "deep_ritz", **FAST, steps=10**6, max_seconds=0.3)
    assert result.status is Status.TIME_LIMIT and "max_seconds" in result.info["stop_reason"]
    assert 0 < result.info["steps"] < 10**6 and result.history[-1]["step"] == result.info["steps"]


def test_lbfgs_alone_and_progress_bar(capsys):
    problem = get_problem("poisson_sine", dim=1)
    result = solve(problem, "pinn", **FAST, optimizer="lbfgs", steps=40, progress=True,
                   batch_interior=64)
    assert result.history[-1]["l2_rel"] < 0.5 * result.history[0]["l2_rel"]
    assert result.history[-1]["lr"] is None
    assert "pinn" in capsys.readouterr().err
