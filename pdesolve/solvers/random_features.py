"""Random features: a network with its hidden layer frozen at random, output weights by least
squares (extreme learning machines; the random feature method, Chen, Chi, E & Yang 2022).

u(x) = sum_k c_k phi_k(x), phi_k = sigma(w_k . x + b_k) seeded and frozen
(:mod:`pdesolve.rfm.basis`: weight-scale rule, MscaleDNN scales per group, the partition of
unity for ``patches > 1``). The coefficients solve, in float64 (:mod:`pdesolve.rfm.systems`):

- ``loss = "collocation"``: the strong form's weighted least squares at interior, Dirichlet
  and flux points, for p = 2 one column-scaled pivoted-QR solve (:mod:`pdesolve.rfm.lstsq`),
  for p != 2 Gauss-Newton on the same rows;
- ``loss = "ritz"``: the energy on the sampler's rule (``gauss``: a Gauss rule) with a Dirichlet
  penalty; p = 2 one Newton step (a QR of the Hessian's square root), p != 2 Newton's method.

Both nonlinear iterations start from the p = 2 solution and use the Armijo damping of FEM's
and the grid's Newton (:func:`pdesolve.newton.minimise`), on the features the p = 2 solve's
cut-off kept (Ritz: the pivoted QR's columns; collocation: all), so that the subspace is
fixed and ||J'|| on it can reach ``newton_tol``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config import opt
from ..errors import ConfigError
from ..nn.options import ActivationName
from ..problems.base import Problem
from ..resources import require_memory
from ..result import Result, Status

FAMILY = "neural"
DOFS = "random features (output weights solved for)"

CHUNK = 1 << 13

RCOND = {"collocation": 1e-15, "ritz": 1e-12}
"""Default rank cut-offs (measured best on 2-D poisson_sine with 400 tanh features): the Ritz
load vector is not in the range of the factored rows, so its rounding grows like 1 / cut-off."""

BETA = {"collocation": 1.0, "ritz": 1e8}
"""Default boundary weights: collocation's on the mean squares (as the PINN loss's), the Ritz
penalty's (its consistency error ~ 1 / beta against the cut-off's rounding)."""


@dataclass
class Options:
    """Random-feature options (features, solve, training points)."""

    features: int = opt(400, help="features (per patch with patches > 1): the DOFs", min=1)
    activation: ActivationName = opt(
        "tanh", help="relu, tanh, sin, relu2, relu3, reluk (ReLU^power), srelu, s2relu, "
                     "phi/bspline2")
    power: float = opt(3.0, help="exponent k of the reluk activation", min=1)
    weight_scale: float | None = opt(
        None, help="r: weights ~ U(-r, r) / (box half-length); None: 1",
        min=0)
    scales: list[float] = opt([1.0], help="MscaleDNN scales a_i: the features split into equal "
                                          "groups, group i's weights times a_i", min=0, min_items=1)
    patches: int = opt(1, help="patches per direction: > 1 puts local features on a box "
                               "partition glued by a C^2 partition of unity", min=1)
    overlap: float = opt(0.5, help="partition of unity: overlap as a fraction of half a patch "
                                   "width", min=0.01, max=1)
    loss: Literal["collocation", "ritz"] = opt(
        "collocation", help="collocation (strong form; Gauss-Newton for p != 2) or ritz (the "
                            "energy on the sampler's rule; Newton for p != 2)")
    sampler: Literal["uniform", "sobol", "grid", "gauss"] = opt(
        "sobol", help="training points: uniform, scrambled sobol, grid nodes or gauss rule")
    batch_interior: int = opt(2500, help="interior points (grid/gauss: intervals/cells per "
                                         "direction)", min=1)
    batch_boundary: int = opt(400, help="boundary points (grid/gauss: intervals/cells per "
                                        "direction)", min=1)
    quadrature_order: int = opt(4, help="gauss sampler: points per cell and direction", min=1)
    beta: float | None = opt(None, help="boundary weight; None: 1 (collocation, on mean "
                                        "squares) or 1e8 (ritz penalty)", min=0)
    rcond: float | None = opt(None, help="rank cut-off of the pivoted QR solve (relative); None: "
                                         "1e-15 (collocation) or 1e-12 (ritz)", min=0, max=1)
    newton_tol: float = opt(1e-10, help="p != 2: stop when ||J'(c)|| <= newton_tol times its value "
                                         "at the start (the p = 2 solution)", min=0)
    newton_maxiter: int = opt(50, help="p != 2: most Newton iterations", min=1)
    seed: int = opt(0, help="seed of the features and the training points")
    monitor_points: int = opt(1024, help="Sobol points for the l2_rel recorded in the history "
                                         "(0: none)", min=0)


def supports(problem: Problem) -> str | None:
    """Any problem on any domain: the features live on the bounding box, the points come from
    the domain's samplers."""
    return None


def check(problem: Problem, options: Options) -> None:
    """Refuse what Gauss-Newton collocation lacks for p != 2 (the partition of unity's
    Hessians, nonlinear flux rows) and systems too large for the memory available."""
    if options.loss == "collocation" and problem.p != 2 and options.patches > 1:
        raise ConfigError(f"patches: Gauss-Newton collocation for p = {problem.p:g} needs "
                          f"global features (patches = 1), or use loss = 'ritz'")
    if options.loss == "collocation" and problem.p != 2 and problem.fluxes:
        raise ConfigError(f"loss: collocation has flux rows for p = 2 only; the problem has "
                          f"p = {problem.p:g} and {problem.beyond_dirichlet}; use loss = 'ritz'")
    from ..rfm.lstsq import DENSE_COLUMNS

    columns = options.features * options.patches ** problem.dim
    rows = (options.batch_interior if options.sampler in ("uniform", "sobol")
            else (options.batch_interior * options.quadrature_order) ** problem.dim)
    # value, gradient and Laplacian matrices (a point meets at most 2^d patches), and a QR's R,
    # or for lstsq's sparse path those in CSR, the Jacobian and its product with the per-patch
    # blocks, and B^T B (a patch meets 3^d patches) with its LU (measured: 4x its nonzeros)
    stored = rows * min(columns, options.features * 2 ** problem.dim)
    if options.loss == "collocation" and options.patches > 1 and columns > DENSE_COLUMNS:
        need = (12.0 * (5 + problem.dim) * stored
                + 12.0 * 5 * columns * options.features * 3 ** problem.dim)
    else:
        need = 8.0 * (3 + problem.dim) * stored + 16.0 * columns**2
    require_memory(need, f"features: {columns} features on {rows} points")


def _training_points(problem: Problem, options: Options):
    """Interior, Dirichlet and flux points from the domain's samplers (fixed draws)."""
    import torch

    from ..nn.flux_points import FluxPoints
    from ..nn.runner import samplers
    from ..rfm.systems import Points

    interior, boundary = samplers(problem, _sampling(options), False,
                                  (options.seed, options.seed + 1), torch.float64, "cpu")
    x = interior.sample().numpy()
    w = np.broadcast_to(np.asarray(interior.weight, dtype=float), (len(x),))
    y, v = (t.numpy() for t in boundary.sample())
    if problem.fluxes:
        fp = FluxPoints.draw(problem, options.batch_boundary, options.seed + 2, torch.float64,
                             torch.device("cpu"), options.sampler, options.quadrature_order)
        flux = tuple(t.numpy() for t in (fp.y, fp.normals, fp.weights, fp.alpha, fp.h))
    else:
        flux = (np.zeros((0, problem.dim)),) * 2 + (np.zeros(0),) * 3
    if problem.fluxes and not problem.dirichlet_parts:
        y, v = np.zeros((0, problem.dim)), np.zeros(0)
    return Points(x, np.ascontiguousarray(w), y, v, *flux,
                  boundary_measure=problem.domain.boundary_measure)


def _sampling(options: Options):
    from ..nn.options import SamplingOptions

    return SamplingOptions(batch_interior=options.batch_interior,
                           batch_boundary=options.batch_boundary, sampler=options.sampler,
                           quadrature_order=options.quadrature_order, resample=False)


def build_basis(problem: Problem, options: Options):
    """The seeded features of ``options`` on the problem's bounding box."""
    from ..rfm.basis import DEFAULT_WEIGHT_SCALE, PartitionFeatures, RandomFeatures, activation

    lower, upper = problem.domain.bounds
    sigma = activation(options.activation, options.power)
    r = DEFAULT_WEIGHT_SCALE if options.weight_scale is None else options.weight_scale
    rng = np.random.default_rng(options.seed)
    if options.patches == 1:
        return RandomFeatures(lower, upper, options.features, sigma, options.scales, r, rng)
    return PartitionFeatures(lower, upper, options.patches, options.features, sigma,
                             options.scales, r, options.overlap, rng)


class FeatureFunction:
    """u = sum_k c_k phi_k and its gradient at NumPy points (n, d), in chunks."""

    def __init__(self, basis, coef: np.ndarray):
        self.basis, self.coef = basis, coef

    def u(self, x: np.ndarray) -> np.ndarray:
        parts = [self.basis.evaluate(x[i:i + CHUNK], lap=False).value @ self.coef
                 for i in range(0, len(x), CHUNK)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def grad(self, x: np.ndarray) -> np.ndarray:
        parts = [np.stack([g @ self.coef for g in
                           self.basis.evaluate(x[i:i + CHUNK], lap=False).grad], axis=1)
                 for i in range(0, len(x), CHUNK)]
        return np.concatenate(parts) if parts else np.zeros((0, np.shape(x)[1]))


def _minimise(problem: Problem, system, basis, options: Options):
    """Coefficients from ``system(problem, basis)`` (a StrongForm or RitzEnergy): for p = 2
    one step from the system's start; for p != 2 Newton (:func:`pdesolve.newton.minimise`)
    from the solution for p = 2 (the Poisson problem with the same f and g), on the features
    that solve kept (its ``kept`` columns; the rest stay 0). Returns (coef, history, info,
    converged)."""
    from ..newton import minimise
    from ..rfm.basis import Selected

    linear = system(dataclasses.replace(problem, p=2.0) if problem.p != 2 else problem, basis)
    coef = linear.start + linear.newton_step(linear.start, linear.gradient(linear.start), 1.0)[0]
    if problem.p == 2:
        return coef, [], linear.solved, True
    kept = linear.kept
    on = basis if len(kept) == basis.size else Selected(basis, kept)
    sub, report = minimise(system(problem, on), coef[kept], tol=options.newton_tol,
                           maxiter=options.newton_maxiter)
    coef[kept] = sub
    return coef, report.history, {**linear.solved, "newton_iterations": report.iterations,
                                  "newton_residual": report.residual,
                                  "newton_features": len(kept)}, report.converged


def _monitored(problem: Problem, function: FeatureFunction, options: Options) -> dict:
    """{"l2_rel": ...} on ``monitor_points`` private Sobol points (against the exact solution
    or the problem's reference), as the trained networks' monitor records; {} without either."""
    from ..nn.callbacks import MONITOR_SEED_OFFSET
    from ..quadrature import sobol_points

    target = problem.exact if problem.has_exact else problem.reference
    if target is None or not options.monitor_points:
        return {}
    x = sobol_points(problem.domain, options.monitor_points,
                     options.seed + MONITOR_SEED_OFFSET).points
    ref = np.asarray(target(x))
    return {"l2_rel": float(np.linalg.norm(function.u(x) - ref) / np.linalg.norm(ref))}


def solve(problem: Problem, options: Options, *, progress: bool = False) -> Result:
    """Draw the features and the points, solve for the coefficients (module docstring)."""
    from ..nn import flux_points, runner  # noqa: F401 - torch and samplers load before the clock
    from ..rfm.systems import RitzEnergy, StrongForm

    start = time.perf_counter()
    basis = build_basis(problem, options)
    points = _training_points(problem, options)
    rcond = RCOND[options.loss] if options.rcond is None else options.rcond
    beta = BETA[options.loss] if options.beta is None else options.beta
    kind = StrongForm if options.loss == "collocation" else RitzEnergy

    def system(p, on):
        return kind(p, on, points, beta, rcond)
    coef, history, info, converged = _minimise(problem, system, basis, options)
    seconds = time.perf_counter() - start
    info.update(features=basis.size, interior_points=len(points.x), loss=options.loss,
                rcond=rcond)
    function = FeatureFunction(basis, coef)
    if not history:
        history.append({"step": 0})
    history[-1].update(seconds=seconds, **_monitored(problem, function, options))
    return Result("random_features", function.u, basis.size, seconds, grad=function.grad,
                  history=history, info=info,
                  status=Status.OK if converged else Status.NOT_CONVERGED)
