"""PINN speed and accuracy against DeepXDE (pytorch backend) on the 2-D Poisson problem.

Both solve -Lap u = 2 pi^2 sin(pi x) sin(pi y) on [0,1]^2, u = 0 on the boundary
(``poisson_sine``, dim 2) with a [2, 100, 100, 100, 1] tanh network, 4096 domain + 1024
boundary points, Adam lr 1e-3 (no decay), residual and boundary mean squares weighed 1:1,
for the same number of steps, with the same torch thread count. Both errors are measured by
``pdesolve.metrics.error_metrics`` on the same evaluation points.

DeepXDE is not a dependency of pdesolve: install it in a separate environment and pass its
interpreter, e.g.

    python -m venv --system-site-packages /tmp/dxenv && /tmp/dxenv/bin/pip install deepxde
    python benchmarks/bench_deepxde.py --deepxde-python /tmp/dxenv/bin/python [--steps 1000]

Without ``--deepxde-python`` the reference measured on this machine class is used
(DeepXDE 1.15: 12.7 it/s, relative L2 error 0.10 after 1000 iterations).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from pdesolve import get_problem, solve
from pdesolve.metrics import error_metrics
from pdesolve.quadrature import evaluation_points

REFERENCE = {"it_per_s": 12.7, "l2_rel": 0.10, "steps": 1000, "source": "REFERENCES.md"}
TARGET = 1.5

DEEPXDE_SCRIPT = """
import json, sys, time
import numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
import deepxde as dde
steps, out = int(sys.argv[2]), sys.argv[3]
pi = np.pi
geom = dde.geometry.Rectangle([0, 0], [1, 1])

def pde(x, u):
    lap = dde.grad.hessian(u, x, i=0, j=0) + dde.grad.hessian(u, x, i=1, j=1)
    return -lap - 2 * pi**2 * torch.sin(pi * x[:, 0:1]) * torch.sin(pi * x[:, 1:2])

bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda x, on_boundary: on_boundary)
data = dde.data.PDE(geom, pde, bc, num_domain=4096, num_boundary=1024)
net = dde.nn.FNN([2, 100, 100, 100, 1], "tanh", "Glorot normal")
model = dde.Model(data, net)
model.compile("adam", lr=1e-3)
start = time.perf_counter()
model.train(iterations=steps, display_every=steps)
seconds = time.perf_counter() - start
x = np.load(out + ".x.npy")
np.save(out + ".u.npy", model.predict(x).ravel())
json.dump({"seconds": seconds, "version": dde.__version__}, open(out + ".json", "w"))
"""


def run_deepxde(python: str, steps: int, threads: int, x: np.ndarray) -> dict:
    """Train DeepXDE in its own interpreter; its timing and predictions at x."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "dx")
        np.save(out + ".x.npy", x)
        env = dict(os.environ, DDE_BACKEND="pytorch")
        subprocess.run([python, "-c", DEEPXDE_SCRIPT, str(threads), str(steps), out], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info = json.loads(Path(out + ".json").read_text())
        info["u"] = np.load(out + ".u.npy")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deepxde-python", help="interpreter of an environment with deepxde")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    problem = get_problem("poisson_sine", dim=2)
    points = evaluation_points(problem.domain, seed=0)

    start = time.perf_counter()
    result = solve(problem, "pinn", network="mlp", widths=[100, 100, 100], activation="tanh",
                   steps=args.steps, lr=1e-3, lr_decay=0.0, beta=1.0, batch_interior=4096,
                   batch_boundary=1024, monitor_points=0, log_every=10**9, threads=args.threads)
    ours = {"it_per_s": args.steps / result.info["train_seconds"],
            "l2_rel": error_metrics(points, result.u, problem.exact)["l2_rel"],
            "wall": time.perf_counter() - start}

    if args.deepxde_python:
        info = run_deepxde(args.deepxde_python, args.steps, args.threads, points.points)
        e = info["u"] - problem.exact(points.points)
        ref = problem.exact(points.points)
        theirs = {"it_per_s": args.steps / info["seconds"], "steps": args.steps,
                  "l2_rel": float(np.sqrt(np.sum(points.weights * e**2)
                                          / np.sum(points.weights * ref**2))),
                  "source": f"measured, deepxde {info['version']}"}
    else:
        theirs = REFERENCE
    ratio = ours["it_per_s"] / theirs["it_per_s"]
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.steps} steps, "
          f"[2,100,100,100,1] tanh, 4096 + 1024 points", file=sys.stdout)
    print(f"pdesolve PINN: {ours['it_per_s']:6.1f} it/s   l2_rel {ours['l2_rel']:.3g}")
    print(f"DeepXDE  PINN: {theirs['it_per_s']:6.1f} it/s   l2_rel {theirs['l2_rel']:.3g} "
          f"after {theirs['steps']} steps ({theirs['source']})")
    print(f"speed ratio pdesolve/DeepXDE = {ratio:.2f}  (target >= {TARGET})")


if __name__ == "__main__":
    main()
