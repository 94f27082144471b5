"""Cost of one ENGD step against the parameter count P, and its peak memory.

The ENGD paper's 2-D PINN points (poisson_sine, the 28 x 28 interior nodes of a grid of 29
intervals and its 116 boundary nodes: N = 900 residual rows) with a tanh network 2-w-1,
P = 4 w + 1, float64. Each P runs in a fresh process (so its peak resident memory is its own);
a step is split into the Jacobian (torch.func), the factorisation (QR + SVD, or LQ + SVD in
sample space when N <= P) and the line search (loss evaluations). Printed: ms per step
(median over the timed steps) and the peak resident memory above the process's baseline after
setup; the growth between the two largest sizes gives the largest P within a memory budget.

    python benchmarks/bench_engd.py [--sizes 101 301 1001 3001 10001] [--steps 5] [--threads 1]
        [--budget-gb 4]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(size: int, steps: int, threads: int) -> dict:
    """Time ENGD steps of a 2-w-1 network with P = size parameters (w = (size - 1) / 4)."""
    import torch

    from pdesolve import get_problem
    from pdesolve.nn.activations import get_activation
    from pdesolve.nn.factor import factor
    from pdesolve.nn.gauss_newton import residual_system
    from pdesolve.nn.losses import ResidualLoss
    from pdesolve.nn.networks import build_network, count_parameters
    from pdesolve.nn.options import ENGD
    from pdesolve.nn.sampling import BoundarySampler, InteriorSampler
    from pdesolve.nn.training import Trainer

    torch.set_num_threads(threads)
    problem = get_problem("poisson_sine", dim=2)
    width = max((size - 1) // 4, 1)
    net = build_network("mlp", 2, [width], get_activation("tanh"), seed=0, dtype=torch.float64)
    interior = InteriorSampler(problem.domain, 29, "grid", dtype=torch.float64)
    boundary = BoundarySampler(problem.domain, 29, "grid", dtype=torch.float64)
    trainer = Trainer(net, ResidualLoss(problem), interior, boundary, ENGD(steps=steps + 1))
    optimizer = trainer.phases[0][0]
    batch = trainer.objective.draw()
    base = rss_mb()
    parts = {"jacobian": [], "factor": [], "step": []}
    for k in range(steps + 1):  # the first step warms up
        t0 = time.perf_counter()
        rho, jac = residual_system(net, problem, batch, interior.weight, 1.0, False)
        t1 = time.perf_counter()
        factor(jac, rho)
        t2 = time.perf_counter()
        optimizer.step(trainer.objective, k + 1, 1)
        t3 = time.perf_counter()
        if k:
            parts["jacobian"].append(t1 - t0)
            parts["factor"].append(t2 - t1)
            parts["step"].append(t3 - t2)
    ms = {k: 1e3 * statistics.median(v) for k, v in parts.items()}
    return {"P": count_parameters(net), "rows": int(jac.shape[0]), "width": width,
            "ms_step": ms["step"], "ms_jacobian": ms["jacobian"], "ms_factor": ms["factor"],
            "peak_mb": rss_mb() - base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[101, 301, 1001, 3001, 10001])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget-gb", type=float, default=4.0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.steps, args.threads)))
        return
    rows = []
    print(f"{'P':>7} {'rows':>5} {'ms/step':>9} {'Jacobian':>9} {'factor':>9} {'peak MB':>8}"
          "   (ms/step: a whole ENGD step; Jacobian, factor: those parts timed alone)")
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--steps",
                              str(args.steps), "--threads", str(args.threads)],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{row['P']:>7} {row['rows']:>5} {row['ms_step']:>9.1f} {row['ms_jacobian']:>9.1f} "
              f"{row['ms_factor']:>9.1f} {row['peak_mb']:>8.0f}", flush=True)
    if len(rows) < 2:
        return
    (p0, m0), (p1, m1) = sorted((r["P"], r["peak_mb"]) for r in rows)[-2:]
    slope = (m1 - m0) / (p1 - p0)  # memory is affine in P once J dominates: the two largest
    largest = p1 + (args.budget_gb * 1024 - m1) / slope
    print(f"peak memory grows by {slope * 1e3:.1f} MB per 1000 parameters between P = {p0} and "
          f"{p1}; {args.budget_gb:g} GB holds P up to about {largest:,.0f} at {rows[0]['rows']} "
          f"residual rows (extrapolated: check with --sizes)")


if __name__ == "__main__":
    main()
