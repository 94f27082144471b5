"""PINN speed and accuracy against DeepXDE (pytorch backend) on the 2-D Poisson problem.

Both solve -Lap u = 2 pi^2 sin(pi x) sin(pi y) on [0,1]^2, u = 0 on the boundary
(``poisson_sine``, dim 2) with a [2, 100, 100, 100, 1] tanh network, 4096 domain + 1024
boundary points, Adam lr 1e-3 (no decay), residual and boundary mean squares weighed 1:1,
for the same number of steps, with the same torch thread count. The two alternate in chunks
(``--chunk`` steps of pdesolve, then as many DeepXDE iterations in its own process), so both
see the same background load on a shared machine. Both errors are measured by
``pdesolve.measure_errors`` on the box's rules (composite Gauss, refined until two agree).

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
import tempfile
from pathlib import Path

import numpy as np
import torch

from pdesolve import get_problem
from pdesolve.config import build_options
from pdesolve.metrics import measure_errors
from pdesolve.nn.losses import ResidualLoss
from pdesolve.nn.runner import train
from pdesolve.nn.training import Callback
from pdesolve.solvers import pinn

REFERENCE = {"it_per_s": 12.7, "l2_rel": 0.10, "steps": 1000, "source": "REFERENCES.md"}
TARGET = 1.5

DEEPXDE_SCRIPT = """
import json, sys, time
import numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
import deepxde as dde
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
print(json.dumps({"version": dde.__version__}), flush=True)
for line in sys.stdin:
    command, arg = line.split()
    if command == "train":
        start = time.perf_counter()
        model.train(iterations=int(arg), display_every=10**9, verbose=0)
        print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
    else:
        np.save(arg, model.predict(np.load(arg)).ravel())
        print(json.dumps({"saved": arg}), flush=True)
"""


class DeepXDE:
    """DeepXDE training in its own interpreter, driven chunk by chunk over a pipe."""

    def __init__(self, python: str, threads: int):
        env = dict(os.environ, DDE_BACKEND="pytorch")
        self.proc = subprocess.Popen([python, "-c", DEEPXDE_SCRIPT, str(threads)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.version = self._ask(None)["version"]
        self.seconds = 0.0

    def _ask(self, line: str | None) -> dict:
        if line is not None:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        while True:
            out = self.proc.stdout.readline()
            if not out:
                raise RuntimeError("the DeepXDE process ended")
            if out.startswith("{"):
                return json.loads(out)

    def train(self, iterations: int) -> None:
        self.seconds += self._ask(f"train {iterations}")["seconds"]

    def predict(self, x: np.ndarray) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "x.npy")
            np.save(path, x)
            self._ask(f"predict {path}")
            return np.load(path)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


class Alternate(Callback):
    """After every ``chunk`` pdesolve steps, let DeepXDE train ``chunk`` iterations.

    Both then see the same background load; callback time is not pdesolve training time.
    """

    def __init__(self, other: DeepXDE, chunk: int):
        self.other, self.chunk = other, chunk

    def on_step_end(self, trainer) -> None:
        if trainer.step % self.chunk == 0:
            self.other.train(self.chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deepxde-python", help="interpreter of an environment with deepxde")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    problem = get_problem("poisson_sine", dim=2)
    other = DeepXDE(args.deepxde_python, args.threads) if args.deepxde_python else None
    options = build_options(pinn.Options, {
        "network": "mlp", "widths": [100, 100, 100], "activation": "tanh",
        "steps": args.steps, "lr": 1e-3, "lr_decay": 0.0, "beta": 1.0,
        "batch_interior": 4096, "batch_boundary": 1024, "monitor_points": 0,
        "log_every": 10**9, "threads": args.threads})
    hooks = [Alternate(other, args.chunk)] if other else []
    result = train(problem, options, ResidualLoss(problem), name="pinn", callbacks=hooks)
    ours = {"it_per_s": args.steps / result.info["train_seconds"],
            "l2_rel": measure_errors(result.u, problem.exact, domain=problem.domain).l2_rel}
    if other:
        done = (args.steps // args.chunk) * args.chunk
        theirs = {"it_per_s": done / other.seconds, "steps": done,
                  "l2_rel": measure_errors(lambda x: other.predict(x), problem.exact,
                                           domain=problem.domain).l2_rel,
                  "source": f"measured in alternating chunks of {args.chunk}, "
                            f"deepxde {other.version}"}
        other.close()
    else:
        theirs = REFERENCE
    ratio = ours["it_per_s"] / theirs["it_per_s"]
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.steps} steps, "
          f"[2,100,100,100,1] tanh, 4096 + 1024 points")
    print(f"pdesolve PINN: {ours['it_per_s']:6.2f} it/s   l2_rel {ours['l2_rel']:.3g}")
    print(f"DeepXDE  PINN: {theirs['it_per_s']:6.2f} it/s   l2_rel {theirs['l2_rel']:.3g} "
          f"after {theirs['steps']} steps ({theirs['source']})")
    print(f"speed ratio pdesolve/DeepXDE = {ratio:.2f}  (target >= {TARGET})")


if __name__ == "__main__":
    main()
