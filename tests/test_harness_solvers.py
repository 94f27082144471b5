"""Tiny deterministic solvers for the harness tests (no tests here).

``solve`` returns the exact solution scaled by 1 + c / n^2 (c grows with the
seed), so errors are known in advance: l2_rel = h1_rel = c / n^2.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from typing import Literal

from pdesolve.config import opt
from pdesolve.domains import Box
from pdesolve.errors import SolverFailed
from pdesolve.problems import Problem, register_problem
from pdesolve.result import Result
from pdesolve.solvers import register_solver

MODULE = __name__
FAMILY = "classical"
DOFS = "toy unknowns"


@dataclass
class Options:
    n: int = opt(4, help="resolution", min=1)
    seed: int = opt(0, help="seed", min=0)
    widths: list[int] = opt([8], help="a list-valued option")
    mode: Literal["ok", "raise", "diverge", "warn"] = opt("ok", help="how the run ends")
    delay: float = opt(0.0, help="seconds to sleep", min=0)
    steps: int = opt(5, help="history length", min=1)


def supports(problem) -> str | None:
    return None if problem.dim <= 3 else "the toy solver needs d <= 3"


def solve(problem, options: Options, *, progress: bool = False) -> Result:
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    history = []
    for step in tqdm(range(options.steps), disable=not progress, leave=False, desc="toy"):
        time.sleep(options.delay / options.steps)
        history.append({"step": step, "loss": 1.0 / (step + 1),
                        "freq_err": {"k=1": 0.5 ** step, "k=4": 0.9 ** step}})
    if options.mode == "raise":
        raise RuntimeError("boom: the toy solver was asked to fail")
    if options.mode == "diverge":
        raise SolverFailed("loss became NaN at step 3", status="diverged",
                           info={"dofs": options.n, "history": history[:3]})
    if options.mode == "warn":
        warnings.warn(f"toy warning n={options.n}", stacklevel=1)
        logging.getLogger(__name__).warning("toy log warning n=%d", options.n)
    scale = 1.0 + (1.0 + 0.1 * options.seed) / options.n**2
    if not problem.has_exact:  # no solution to scale: the boundary data stands in
        return Result(solver="toy", u=problem.g, dofs=options.n, seconds=0.0, history=history)
    return Result(
        solver="toy",
        u=lambda x: scale * problem.exact(x),
        grad=lambda x: scale * problem.exact_grad(x),
        dofs=options.n ** problem.dim * sum(options.widths) // 8,
        seconds=time.perf_counter() - t0,
        history=history,
        info={"threads": 1, "h": 1.0 / options.n},
    )


def register() -> None:
    """Make this module available as solver kind 'toy' (classical), and tests.toynet_solver
    (the same solver, neural) as 'toynet'."""
    register_solver("toy", MODULE)
    register_solver("toynet", "tests.toynet_solver")


@register_problem("toy_no_exact", replace=True)
def toy_no_exact(dim: int = 1) -> Problem:
    """-Lap u = 1 on the unit cube, u = 0 on the boundary: no closed-form solution."""
    def zero(x):
        return 0.0 * x[:, 0]

    return Problem("toy_no_exact", Box.cube(dim), f=lambda x: 1.0 + zero(x), g=zero,
                   params={"dim": dim})
