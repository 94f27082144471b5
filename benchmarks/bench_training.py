"""Framework overhead: a pdesolve training step against a bare PyTorch loop, same arithmetic.

Both train the same network (same initial parameters) on poisson_sine (2-D) with the same
batch, loss and Adam settings:

- "pdesolve": ``solve(problem, kind, ...)`` with monitoring off; time = ``info["train_seconds"]``
  (samplers, loss, NaN check, optimiser, scheduler, callbacks);
- "bare": a hand-written loop: ``torch.rand`` points, the loss written inline (grad by
  autograd; the PINN Laplacian by the same forward-Laplacian kernel pdesolve uses,
  :func:`pdesolve.nn.laplacian.mlp_laplacian`, so that only the framework around it differs),
  ``problem.f`` / ``problem.g`` for the data, Adam + ExponentialLR.

Rounds alternate between the two; the ratio of the medians is printed per loss.

    python benchmarks/bench_training.py [--steps 300] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from pdesolve import get_problem, solve
from pdesolve.nn.activations import get_activation
from pdesolve.nn.laplacian import mlp_laplacian
from pdesolve.nn.networks import build_network

WIDTHS = [64, 64, 64]
N_INTERIOR, N_BOUNDARY = 1024, 256
LR, DECAY, BETA = 1e-3, 5e-5, 100.0


def bare_loop(problem, kind: str, steps: int) -> float:
    """Seconds per step of the hand-written loop."""
    d = problem.dim
    net = build_network("mlp", d, WIDTHS, get_activation("tanh"), seed=0)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=1 - DECAY)
    gen = torch.Generator().manual_seed(0)
    per_face = N_BOUNDARY // (2 * d)
    axis = torch.arange(2 * d).repeat_interleave(per_face) // 2
    side = (torch.arange(2 * d).repeat_interleave(per_face) % 2).float()
    rows = torch.arange(len(axis))
    start = time.perf_counter()
    for _ in range(steps):
        x = torch.rand(N_INTERIOR, d, generator=gen).requires_grad_(True)
        y = torch.rand(len(axis), d, generator=gen)
        y[rows, axis] = side
        opt.zero_grad(set_to_none=True)
        fx = problem.f(x.detach())
        if kind == "deep_ritz":
            u = net(x)
            (g,) = torch.autograd.grad(u.sum(), x, create_graph=True)
            interior = torch.mean(0.5 * (g * g).sum(1) - fx * u)
            bnd = 2 * d * torch.mean((net(y) - problem.g(y)) ** 2)
        else:
            interior = torch.mean((-mlp_laplacian(net, x.detach()) - fx) ** 2)
            bnd = torch.mean((net(y) - problem.g(y)) ** 2)
        loss = interior + BETA * bnd
        loss.item()
        loss.backward()
        opt.step()
        sched.step()
    return (time.perf_counter() - start) / steps


def pdesolve_loop(problem, kind: str, steps: int) -> float:
    """Seconds per training step through ``solve``."""
    result = solve(problem, kind, network="mlp", widths=WIDTHS, activation="tanh", steps=steps,
                   lr=LR, lr_decay=DECAY, beta=BETA, batch_interior=N_INTERIOR,
                   batch_boundary=N_BOUNDARY, monitor_points=0, log_every=10**9)
    return result.info["train_seconds"] / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    problem = get_problem("poisson_sine", dim=2)
    print(f"torch {torch.__version__}, {args.threads} thread(s), MLP 2-{WIDTHS}-1 tanh, "
          f"{N_INTERIOR} + {N_BOUNDARY} points, {args.steps} steps x {args.rounds} rounds")
    for kind in ("deep_ritz", "pinn"):
        bare, ours = [], []
        bare_loop(problem, kind, 20)  # warm-up
        for _ in range(args.rounds):
            bare.append(bare_loop(problem, kind, args.steps))
            ours.append(pdesolve_loop(problem, kind, args.steps))
        b, o = statistics.median(bare), statistics.median(ours)
        print(f"{kind:10s} bare {1e3 * b:7.3f} ms/step  pdesolve {1e3 * o:7.3f} ms/step  "
              f"ratio pdesolve/bare = {o / b:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
