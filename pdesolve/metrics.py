"""Error measures shared by every solver, each with an estimate of its own quadrature error.

With e = u_h - u the same four integrals are measured for every method:

    E0 = int e^2,  U0 = int u^2,  E1 = int |grad e|^2,  U1 = int |grad u|^2   (over Omega)
    l2_rel = sqrt(E0 / U0),  h1_rel = sqrt(E1 / U1)   (H1 seminorm)

:func:`measure_errors` integrates them with the rules of a family (level 0, 1, ...) until
two successive rules agree; the reported values come from the finer rule (level l + 1).
The relative uncertainty of a ratio sqrt(E / U) is its quadrature part
SAFETY (|dE| / E + |dU| / U) / 2, d the change from level l to l + 1, plus two sampling
standard errors of the ratio for randomised rules (0 for deterministic ones). If each
level is at least 1.5x as accurate as the one before (|I_(l+1) - I| <= 2/3 |I_l - I|),
then |I_(l+1) - I| <= 2 |d|: SAFETY = 2 covers coarse meshes, where the rules are not yet
in their asymptotic regime (on fine meshes the ratio is far smaller). Refinement stops
once the uncertainty is below :data:`TARGET` for l2_rel and h1_rel, or, for an error at
round-off, its absolute uncertainty (value times relative uncertainty) is below
:data:`ROUNDOFF` (a 1e-13 error needs no finer rule to be told from 1e-8, the tightest
tolerance reports use; refining it would only sample round-off), or after
:data:`MAX_LEVELS` rules, or when the next rule would take the measurement past its time
budget (the harness's :data:`pdesolve.harness.execute.MEASURE_SECONDS`).

The family is the solution's own cells when it has them (``u_h.error_rules``, e.g. a
finite element function: the error is smooth on each cell, so a rule exact for the element
degree converges fast), else the reference's cells, else the caller's default (composite
Gauss or randomised Sobol on the box, :func:`pdesolve.quadrature.box_rules`).

Point statistics of the finest rule's points, without an accuracy estimate:
    max_err = max |e| (a lower bound of the maximum norm)
    l2re    = sqrt(sum e^2 / sum u^2), unweighted (PINNacle's L2RE on these points)

The result is an :class:`ErrorMeasurement`; its :meth:`~ErrorMeasurement.record` is what a
run record stores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .quadrature import MeasurementRule, RuleFamily

Fn = Callable[[np.ndarray], np.ndarray]

TARGET = 2.5e-3
"""Refine the rule until the relative uncertainty of l2_rel and h1_rel is at most this."""

ROUNDOFF = 1e-11
"""An error whose value times relative uncertainty is below this is measured well enough."""

FLAG = 1e-2
"""Reports flag an error whose relative measurement uncertainty exceeds this."""

SAFETY = 2.0
"""The quadrature uncertainty is SAFETY times the change between the last two rules."""

MAX_LEVELS = 6
"""Most rules of a family evaluated for one measurement."""

NON_FINITE = "non-finite error: the approximate solution has NaN/inf values"
"""The message of the FloatingPointError raised for NaN/inf values."""

MEASURES = ("l2_rel", "h1_rel", "max_err", "l2re")
"""The error measures of a record's ``metrics``, in order."""


@dataclass(frozen=True)
class ErrorMeasurement:
    """The errors of u_h against u_ref and how they were measured (:func:`measure_errors`).

    l2_rel, h1_rel : relative L2 and H1-seminorm errors (h1_rel None without gradients);
    max_err, l2re : point statistics of the finest rule (module docstring);
    uncertainty : relative measurement uncertainty of l2_rel and h1_rel (None where not
        measured), by name;
    rule, check_rule : descriptions of the rule the values come from and of the coarser one
        it was checked against (None when only one rule was evaluated);
    owner : whose cells the rules follow: "solution", "reference" or "domain";
    levels, points : rules evaluated, and points evaluated in all.
    """

    l2_rel: float
    h1_rel: float | None
    max_err: float
    l2re: float
    uncertainty: dict[str, float | None]
    rule: dict
    check_rule: dict | None
    owner: str
    levels: int
    points: int

    def __post_init__(self):
        if not all(v is None or np.isfinite(v) for v in self.metrics().values()):
            raise FloatingPointError(NON_FINITE)

    def metrics(self) -> dict[str, float | None]:
        """{l2_rel, h1_rel, max_err, l2re}: a record's ``metrics``."""
        return {name: getattr(self, name) for name in MEASURES}

    def record(self) -> dict:
        """The JSON fields of a run record: {"metrics": :meth:`metrics`, "measurement":
        {uncertainty, rule, check_rule, owner, levels, points}}."""
        return {"metrics": self.metrics(),
                "measurement": {"uncertainty": dict(self.uncertainty), "rule": self.rule,
                                "check_rule": self.check_rule, "owner": self.owner,
                                "levels": self.levels, "points": self.points}}


@dataclass(frozen=True)
class Estimate:
    """Integrals (E0, U0, E1, U1) of one rule, the covariance (4, 4) of their sampling
    errors (zero for deterministic rules) and point statistics."""

    totals: np.ndarray
    cov: np.ndarray
    max_err: float
    squares: tuple[float, float]
    points: int


def _row_squares(a: np.ndarray) -> np.ndarray:
    """|a_i|^2 for the rows of a (n, d), column by column (5x faster than a row reduction)."""
    out = a[:, 0] * a[:, 0]
    for k in range(1, a.shape[1]):
        out += a[:, k] * a[:, k]
    return out


def integrate(rule: MeasurementRule, u_h: Fn, u_ref: Fn, grad_h: Fn | None,
              grad_ref: Fn | None, owner: str | None = None) -> Estimate:
    """E0, U0, E1, U1 by ``rule`` (E1, U1 NaN without both gradients).

    ``owner`` ("solution" or "reference") names the function whose values the rule's
    samples carry; the other one is evaluated at the points. FloatingPointError when an
    integral is NaN/inf.
    """
    with_grad = grad_h is not None and grad_ref is not None
    groups = rule.strata * rule.replicates
    acc = np.zeros((4, groups))
    max_err, sq_e, sq_u, count = 0.0, 0.0, 0.0, 0
    for s in rule.samples():
        known = s.u is not None
        uh = s.u if known and owner == "solution" else np.asarray(u_h(s.points))
        ur = s.u if known and owner == "reference" else np.asarray(u_ref(s.points))
        e = uh - ur
        e2, u2 = e * e, ur * ur
        integrands = [e2, u2]
        if with_grad:
            gh = s.grad if known and owner == "solution" else np.asarray(grad_h(s.points))
            gr = s.grad if known and owner == "reference" else np.asarray(grad_ref(s.points))
            integrands += [_row_squares(gh - gr), _row_squares(gr)]
        for i, values in enumerate(integrands):
            acc[i] += (np.bincount(s.group, weights=s.weights * values, minlength=groups)
                       if groups > 1 else s.weights @ values)
        max_err = max(max_err, float(np.max(np.abs(e), initial=0.0)))
        sq_e, sq_u, count = sq_e + float(e2.sum()), sq_u + float(u2.sum()), count + len(e2)
    if not np.all(np.isfinite(acc if with_grad else acc[:2])):
        raise FloatingPointError(NON_FINITE)
    if not with_grad:
        acc[2:] = np.nan
    per = acc.reshape(4, rule.strata, rule.replicates)
    totals = per.mean(axis=2).sum(axis=1)
    cov = np.zeros((4, 4))
    if rule.replicates > 1:  # sum over strata of the covariance of the replicate means
        dev = (per - per.mean(axis=2, keepdims=True)).reshape(4, -1)
        cov = dev @ dev.T / ((rule.replicates - 1) * rule.replicates)
    return Estimate(totals, cov, max_err, (sq_e, sq_u), count)


def _relative(value: float, delta: float) -> float:
    if value > 0:
        return float(delta / value)
    return 0.0 if delta == 0 else float("inf")


def _uncertainty(coarse: Estimate, fine: Estimate) -> dict[str, float | None]:
    """Relative uncertainty of l2_rel and h1_rel = sqrt(E / U) from two successive rules.

    Quadrature part: SAFETY (|dE| / E + |dU| / U) / 2, d the change between the rules.
    Sampling part: 2 standard errors of sqrt(E / U) by the delta method,
    (var E / E^2 + var U / U^2 - 2 cov(E, U) / (E U))^(1/2) / 2, so sampling errors that E
    and U share (the same cells) cancel as they do in the ratio.
    """
    change = np.abs(coarse.totals - fine.totals)
    out = {}
    for name, (e, u) in (("l2_rel", (0, 1)), ("h1_rel", (2, 3))):
        E, U = fine.totals[e], fine.totals[u]
        if np.isnan(E):
            out[name] = None
            continue
        quadrature = SAFETY / 2 * (_relative(E, change[e]) + _relative(U, change[u]))
        c = fine.cov
        var = (c[e, e] / E**2 + c[u, u] / U**2 - 2 * c[e, u] / (E * U)) if E > 0 and U > 0 \
            else (0.0 if c[e, e] == 0 else np.inf)
        out[name] = float(quadrature + np.sqrt(max(var, 0.0)))
    return out


def measured_enough(values: dict, uncertainty: dict, target: float = TARGET) -> bool:
    """True when every measure's relative uncertainty is at most ``target``, or its absolute
    uncertainty (value x relative) at most :data:`ROUNDOFF` (an error at round-off)."""
    return all(u is None or u <= target or (values.get(k) or 0.0) * u <= ROUNDOFF
               for k, u in uncertainty.items())


def _beyond(seconds: np.ndarray, budget: float) -> bool:
    """Whether the next level, predicted to take the last level's time times its growth over
    the one before, would end past ``budget`` seconds in all."""
    growth = max(seconds[-1] / max(seconds[-2], 1e-9), 1.0)
    return float(seconds.sum() + seconds[-1] * growth) > budget


def _ratio(num: float, den: float) -> float | None:
    if np.isnan(num):
        return None
    return float(np.sqrt(max(num, 0.0) / den)) if den > 0 else float("inf")


def own_family(u_h, u_ref) -> tuple[RuleFamily | None, str | None]:
    """The cell family of the solution or of the reference (the one with more cells), if any."""
    best, owner, cells = None, None, -1
    for name, fn in (("solution", u_h), ("reference", u_ref)):
        family = getattr(fn, "error_rules", None)
        first = family(0) if family is not None else None
        if first is not None and first.describe()["cells"] > cells:
            best, owner, cells = family, name, first.describe()["cells"]
    return best, owner


def measure_errors(u_h: Fn, u_ref: Fn, grad_h: Fn | None = None, grad_ref: Fn | None = None,
                   *, domain=None, default: RuleFamily | None = None, target: float = TARGET,
                   max_levels: int = MAX_LEVELS, budget: float | None = None) -> ErrorMeasurement:
    """Errors of u_h against u_ref with their measurement uncertainty (module docstring).

    ``default`` is the family used when neither function has cells of its own
    (:func:`pdesolve.quadrature.box_rules`); given ``domain`` instead, that domain's
    (``domain.error_rules()``: any domain). With ``budget`` (seconds), a rule from level 2
    on is not started when the time spent plus its predicted time (the last level's times
    its growth over the one before) would exceed it: the values then carry the uncertainty
    reached, which reports flag above :data:`FLAG`.

    Returns an :class:`ErrorMeasurement`. Raises FloatingPointError for non-finite values
    and ValueError when the family has no rule.
    """
    family, owner = own_family(u_h, u_ref)
    if family is None:
        if default is None and domain is None:
            raise ValueError("measure_errors needs domain= or default= for functions without "
                             "cells of their own")
        family = default or domain.error_rules()
    rules = [family(0)]
    if rules[0] is None:
        raise ValueError("the measurement family has no rule at level 0")
    clock = [time.perf_counter()]
    estimates = [integrate(rules[0], u_h, u_ref, grad_h, grad_ref, owner)]
    clock.append(time.perf_counter())
    uncertainty = {"l2_rel": float("inf"), "h1_rel": None if grad_h is None or grad_ref is None
                   else float("inf")}
    for level in range(1, max_levels):
        if budget is not None and level >= 2 and _beyond(np.diff(clock), budget):
            break
        rule = family(level)
        if rule is None:
            break
        rules.append(rule)
        estimates.append(integrate(rule, u_h, u_ref, grad_h, grad_ref, owner))
        clock.append(time.perf_counter())
        uncertainty = _uncertainty(estimates[-2], estimates[-1])
        values = {"l2_rel": _ratio(*estimates[-1].totals[:2]),
                  "h1_rel": _ratio(*estimates[-1].totals[2:])}
        if measured_enough(values, uncertainty, target):
            break
    fine = estimates[-1]
    return ErrorMeasurement(
        l2_rel=_ratio(fine.totals[0], fine.totals[1]),
        h1_rel=_ratio(fine.totals[2], fine.totals[3]),
        max_err=fine.max_err, l2re=_ratio(*fine.squares), uncertainty=uncertainty,
        rule=rules[-1].describe(), check_rule=rules[-2].describe() if len(rules) > 1 else None,
        owner=owner or "domain", levels=len(rules), points=int(sum(e.points for e in estimates)))
