"""Build a Problem from a case file's ``[problem]`` table, and check it.

Three ways, chosen by the keys present:

- ``module = "path/to/file.py"`` (relative to the case file) or an importable module
  name: the module is imported (its :func:`~pdesolve.problems.register_problem`
  decorators run), then the problem ``name`` is built with the other keys as parameters;
- ``exact = "..."`` and/or ``f = "..."`` (with ``g``, ``kappa``, ``p``, ``box``,
  ``dim``, ``name``): a problem written as formulas (:mod:`.formulas`);
- otherwise ``name`` (+ parameters): a registered problem, built-in or from a plugin.

Any of them takes ``[problem.domain]`` (:func:`pdesolve.domains.tables.domain_from_table`):
the problem's functions are then posed on that domain instead of their own (formulas on its
bounding box when no ``box`` is given). Every problem built here then passes
:func:`check_problem`.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from ..domains import Box, Domain, check_dim
from ..errors import ConfigError, ErrorCollector
from ..user_code import import_user_module
from . import operator
from .base import Problem
from .registry import get_problem, list_problems

FORMULA_KEYS = ("exact", "f", "g", "kappa", "reaction", "boundary", "p", "box", "dim", "name")
"""Keys of a ``[problem]`` table written as formulas."""

MISMATCH_TOLERANCE = 1e-5
"""Relative size of f + div(kappa |grad u|^(p-2) grad u) (by fourth-order differences with
steps 5e-4 of the edge lengths, far more accurate than this) that makes f an error."""


def problem_from_table(table: dict, *, base_dir: Path | str = ".") -> Problem:
    """The problem described by a case file's ``[problem]`` table.

    Parameters
    ----------
    table : the decoded ``[problem]`` table.
    base_dir : the case file's directory; ``module`` paths are relative to it.

    Raises
    ------
    ConfigError
        Naming the field (``problem.<key>``) for any mistake.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"problem: expected a table, got {table!r}")
    table = dict(table)
    domain = _domain(table, Path(base_dir))
    boundary = None  # formula problems read their own; registered ones get it below
    if "module" in table:
        boundary = table.pop("boundary", None)
        problem = _from_module(table, Path(base_dir))
    elif "exact" in table or "f" in table:
        if domain is not None and "box" not in table:
            table["box"] = [list(r) for r in zip(*(b.tolist() for b in domain.bounds))]
        problem = _from_formulas(table, domain)
    elif "name" in table:
        boundary = table.pop("boundary", None)
        problem = _build(_string(table.pop("name"), "problem.name"), table)
    else:
        raise ConfigError('problem: give name = "..." (a registered problem), module = "..." '
                          '(your own Python file or module) or exact = "..." (formulas)')
    if domain is not None:
        if domain.dim != problem.dim:
            raise ConfigError(f"problem.domain: is {domain.dim}-dimensional, the problem "
                              f"{problem.name!r} is {problem.dim}-dimensional")
        problem = dataclasses.replace(problem, domain=domain)
    if boundary is not None:
        problem = _with_boundary(problem, boundary)
    check_problem(problem, where="problem")
    return problem


def _with_boundary(problem: Problem, table) -> Problem:
    """A registered problem with the Neumann/Robin parts of a ``[problem.boundary]`` table:
    h derived from its exact solution and gradient (or given, and then checked against
    them), alpha and h written as formulas (:mod:`.conditions`)."""
    if problem.fluxes:
        raise ConfigError(f"problem.boundary: {problem.name!r} sets its own boundary "
                          f"conditions (on {', '.join(problem.fluxes)}); they cannot be changed "
                          f"from the case file")
    from .conditions import flux_conditions
    from .formulas import parse_formula, point_function  # sympy only for such cases

    dim = problem.dim
    exact = (problem.exact, problem.exact_grad) if problem.exact_grad is not None else None
    fluxes = flux_conditions(
        table, problem.domain, parse=lambda text, field: parse_formula(text, field=field, dim=dim),
        point_function=lambda e: point_function(e, dim), exact=exact, kappa=problem.kappa,
        p=problem.p)
    return dataclasses.replace(problem, fluxes=fluxes)


def _domain(table: dict, base_dir: Path) -> Domain | None:
    """The ``domain`` table popped from ``table`` as a Domain, or None."""
    if "domain" not in table:
        return None
    from ..domains.tables import domain_from_table  # gmsh/meshio only for such cases

    dim = table.get("dim")
    dim = dim if isinstance(dim, int) and not isinstance(dim, bool) else None
    return domain_from_table(table.pop("domain"), base_dir=base_dir, dim=dim)


def _string(value, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{field}: expected a non-empty string, got {value!r}")
    return value


def _from_module(table: dict, base_dir: Path) -> Problem:
    module = import_user_module(_string(table.pop("module"), "problem.module"), base_dir,
                                "problem.module")
    own = [n for n, e in list_problems().items() if e.factory.__module__ == module.__name__]
    if "name" in table:
        return _build(_string(table.pop("name"), "problem.name"), table)
    if len(own) != 1:
        found = ", ".join(own) or "none"
        raise ConfigError(f"problem.name: needed to choose a problem of {module.__name__!r} "
                          f"(it registers: {found})")
    return _build(own[0], table)


def _build(name: str, params: dict) -> Problem:
    """get_problem, with a failing factory (a user's code) reported as a ConfigError."""
    try:
        return get_problem(name, **params)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"problem: building {name!r} with {params} failed: "
                          f"{type(exc).__name__}: {exc}") from None


def _from_formulas(table: dict, domain: Domain | None) -> Problem:
    from . import formulas  # sympy is imported only by cases that use formulas

    errors = ErrorCollector()
    with errors.check():
        unknown = [k for k in table if k not in FORMULA_KEYS]
        if unknown:
            raise ConfigError(f"problem: unknown key {unknown[0]!r} for a problem given by "
                              f"formulas; allowed: {', '.join(FORMULA_KEYS)}")
    box = None
    with errors.check():
        box = _box(table.get("box"), _dimension(table))
    with errors.check():
        name = _string(table.get("name", "formula"), "problem.name")
    errors.raise_any()
    fields = {k: table[k] for k in ("exact", "f", "g", "kappa", "reaction", "boundary")
              if k in table}
    try:
        return formulas.formula_problem(box, p=table.get("p", 2.0), name=name, domain=domain,
                                        **fields)
    except ConfigError:
        raise
    except Exception as exc:  # sympy failing on an unusual formula: say so without its internals
        raise ConfigError(f"problem: cannot derive the problem from the formulas "
                          f"{', '.join(f'{k} = {v!r}' for k, v in fields.items())} "
                          f"({type(exc).__name__}); give simpler formulas, or f and g "
                          f"explicitly") from None


def _dimension(table: dict) -> int:
    """d from ``dim``, else from ``box`` given per direction, else the coordinates used."""
    from . import formulas

    dims = {}
    if "dim" in table:
        dims["dim"] = check_dim(table["dim"], "problem.dim")
    box = table.get("box")
    if isinstance(box, list) and box and all(isinstance(r, list) for r in box):
        dims["box"] = len(box)
    if len(set(dims.values())) > 1:
        raise ConfigError(f"problem.box: has {dims['box']} directions but problem.dim = "
                          f"{dims['dim']}")
    if dims:
        return next(iter(dims.values()))
    from .conditions import uses_coordinates

    texts = [table[k] for k in ("exact", "f", "g", "kappa", "reaction") if k in table]
    used = [formulas.coordinates_used(t) for t in texts + uses_coordinates(table.get("boundary"))]
    if max(used) == 0:
        raise ConfigError("problem.dim: cannot tell the dimension from constant formulas; "
                          "give dim or box")
    return max(used)


def _box(spec, dim: int) -> Box:
    """``box = [a, b]`` (the cube [a, b]^d), ``[[a1, b1], ..., [ad, bd]]``, or [0, 1]^d."""
    if spec is None:
        return Box.cube(dim, 0.0, 1.0)
    number = (int, float)
    if (isinstance(spec, list) and len(spec) == 2
            and all(isinstance(v, number) and not isinstance(v, bool) for v in spec)):
        spec = [list(spec)] * dim
    if not (isinstance(spec, list) and all(
            isinstance(r, list) and len(r) == 2
            and all(isinstance(v, number) and not isinstance(v, bool) for v in r) for r in spec)):
        raise ConfigError(f"problem.box: expected [a, b] or one [a, b] per direction, got {spec!r}")
    try:
        return Box([r[0] for r in spec], [r[1] for r in spec])
    except ConfigError as exc:
        raise ConfigError(f"problem.box: {exc}") from None


def sample_points(box: Box, n: int, rng: np.random.Generator, margin: float = 0.0):
    """n points inside the box (kept ``margin`` of each edge length away from the boundary)
    and n points on its faces, each (n, d)."""
    lo = np.asarray(box.lower)
    inner = lo + (np.asarray(box.upper) - lo) * rng.uniform(margin, 1 - margin, size=(n, box.dim))
    unit = rng.uniform(size=(n, box.dim))
    face = 2 * rng.integers(box.dim, size=n) + rng.integers(2, size=n)
    return inner, box.boundary_points(unit, face)


def _check_points(domain: Domain, n: int, rng: np.random.Generator, rounds: int = 2):
    """n interior points (away from the boundary by 5 % of the smallest edge of the bounding
    box, so that the finite-difference stencils stay inside; on a domain too thin for that,
    or whose ``level`` is not a normalised distance (a mesh file's), the deepest of
    ``rounds`` draws) and n boundary points."""
    if domain.structured:
        return sample_points(domain, n, rng, margin=0.05)
    margin = 0.05 * float(np.min(domain.lengths))
    x = np.concatenate([domain.sample_interior(4 * n, rng) for _ in range(rounds)])
    depth = np.asarray(domain.level(x))
    inner = x[depth >= margin]
    if len(inner) < n:
        inner = x[np.argsort(-depth, kind="stable")]
    return inner[:n], domain.sample_boundary(n, rng).points


def _evaluate(fn, x: np.ndarray, field: str, shape: tuple) -> np.ndarray:
    try:
        with np.errstate(all="ignore"):  # a non-finite value is reported below, by field
            value = np.asarray(fn(x), dtype=float)
    except Exception as exc:  # a user function that cannot evaluate NumPy points
        raise ConfigError(f"{field}: evaluating it at points of shape {x.shape} failed: "
                          f"{type(exc).__name__}: {exc}") from None
    if value.shape != shape:
        raise ConfigError(f"{field}: returned shape {value.shape} for points of shape "
                          f"{x.shape}; expected {shape}")
    bad = ~np.isfinite(value.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        where = ", ".join(f"{v:.6g}" for v in x[np.argmax(bad)])
        raise ConfigError(f"{field}: not finite on the domain, e.g. at x = ({where})")
    return value


def fd_operator(problem: Problem, x: np.ndarray, h: float = 5e-4) -> np.ndarray:
    """-div(kappa |grad u|^(p-2) grad u) of problem.exact by finite differences, (n,).

    The flux uses exact_grad when given (else differences of exact); its divergence
    is the fourth-order central difference with step h times each edge length.
    """
    grad = _gradient(problem, h)

    def flux(y):
        return operator.flux(problem.kappa(y), grad(y), problem.p)

    steps = h * problem.domain.lengths
    return -sum(_derivative(lambda y, i=i: flux(y)[:, i], x, i, s) for i, s in enumerate(steps))


def _derivative(fn, x: np.ndarray, axis: int, step: float) -> np.ndarray:
    """d fn / d x_axis by (-F(2s) + 8 F(s) - 8 F(-s) + F(-2s)) / (12 s), F(t) = fn(x + t e_axis)."""
    e = np.zeros(x.shape[1])
    e[axis] = step
    return (fn(x - 2 * e) - 8 * fn(x - e) + 8 * fn(x + e) - fn(x + 2 * e)) / (12 * step)


def _gradient(problem: Problem, h: float = 5e-4):
    """exact_grad, or fourth-order differences of exact (step h times each edge length)."""
    if problem.exact_grad is not None:
        return problem.exact_grad
    steps = h * problem.domain.lengths

    def grad(x):
        return np.stack([_derivative(problem.exact, x, i, s) for i, s in enumerate(steps)], axis=1)

    return grad


DERIVED = ("exact_grad", "f", "g")
"""Functions of a formula problem derived from its exact solution."""


def _smooth_kappa(problem: Problem, x: np.ndarray, h: float = 5e-4) -> np.ndarray:
    """Which points' finite-difference stencils (:func:`fd_operator`) see no switch of kappa
    (kappa at the stencil's ends within 1e-3 of its value): f is judged only there."""
    kappa = problem.kappa(x)
    keep = np.ones(len(x), dtype=bool)
    for i, s in enumerate(2 * h * problem.domain.lengths):
        for sign in (-1, 1):
            y = x.copy()
            y[:, i] += sign * s
            keep &= np.abs(problem.kappa(y) - kappa) <= 1e-3 * np.abs(kappa)
    return keep


def check_problem(problem: Problem, *, where: str = "problem", n: int = 64) -> None:
    """Check a problem's functions at random points and the special points of its closed domain
    (:meth:`~pdesolve.domains.base.Domain.special_points`: a lattice, a mesh file's nodes).

    Raises one ConfigError listing every mistake, each naming ``<where>.f``, ``.g``,
    ``.kappa``, ``.exact`` or ``.exact_grad``: a value that is not finite, a wrong shape, a
    non-positive kappa, a negative reaction, and, when an exact solution is given, an f that
    differs from -div(kappa |grad u|^(p-2) grad u) + c u (by :func:`fd_operator`) or a g that
    differs from u on the Dirichlet parts by more than :data:`MISMATCH_TOLERANCE`.
    """
    rng = np.random.default_rng(0)  # the same points for every case: the same verdict
    inner, faces = _check_points(problem.domain, n, rng)
    if problem.fluxes:  # g is prescribed (and checked) on the Dirichlet parts only
        parts = problem.dirichlet_parts
        faces = (problem.domain.sample_boundary(n, rng, parts=parts).points if parts
                 else np.zeros((0, problem.dim)))
    closed = np.concatenate([inner, faces, problem.domain.special_points()])
    m = len(closed)
    errors = ErrorCollector()
    values = {}
    checks = [("exact", problem.exact, closed, (m,)),
              # inside only: a gradient may be singular at a corner of the boundary
              ("exact_grad", problem.exact_grad, inner, (n, problem.dim)),
              ("f", problem.f, closed, (m,)), ("kappa", problem.kappa, closed, (m,)),
              ("reaction", problem.reaction, closed, (m,)),
              ("g", problem.g if len(faces) else None, faces, (len(faces),))]
    for name, fn, x, shape in checks:
        if fn is not None and not (name in DERIVED and errors and "exact" not in values):
            with errors.check():  # (what is derived from a failing exact solution fails too)
                values[name] = _evaluate(fn, x, f"{where}.{name}", shape)
    if "kappa" in values:
        kappa = values["kappa"]
        # kappa may vanish on the boundary (plaplace_5d: 0 at some corners) but not inside
        bad = np.flatnonzero((kappa < -1e-12) | ((kappa <= 0) & (np.arange(m) < n)))
        if bad.size:
            at = ", ".join(f"{v:.6g}" for v in closed[bad[0]])
            errors.messages.append(f"{where}.kappa: must be positive inside the domain; it is "
                                   f"{kappa[bad[0]]:.3g} at x = ({at})")
    if "reaction" in values and (bad := np.flatnonzero(values["reaction"] < 0)).size:
        at = ", ".join(f"{v:.6g}" for v in closed[bad[0]])
        errors.messages.append(f"{where}.reaction: must be >= 0; it is "
                               f"{values['reaction'][bad[0]]:.3g} at x = ({at})")
    if errors or problem.exact is None:
        errors.raise_any()
        return
    u, g = values["exact"], values.get("g", np.zeros(0))
    g_gap = np.abs(g - u[n:n + len(faces)]).max(initial=0.0)
    if g_gap > MISMATCH_TOLERANCE * max(np.abs(u).max(), 1.0):
        errors.messages.append(f"{where}.g: does not match the exact solution on the boundary: "
                               f"max |g - u| = {g_gap:.3g} at {len(faces)} random boundary points")
    lu = fd_operator(problem, inner)
    if problem.reaction is not None:
        lu = lu + values["reaction"][:n] * u[:n]
    # the operator's own size, |div flux| and |flux| / edge length, so that f = 0 is judged fairly
    flux = np.linalg.norm(operator.flux(values["kappa"][:n], _gradient(problem)(inner), problem.p),
                          axis=1)
    scale = max(np.abs(lu).max(), flux.max() / problem.domain.lengths.min(),
                math.ulp(1.0))
    gap = np.abs(values["f"][:n] - lu)[_smooth_kappa(problem, inner)].max(initial=0.0)
    if gap > MISMATCH_TOLERANCE * scale:
        errors.messages.append(
            f"{where}.f: does not match its exact solution: max |f + div(kappa |grad u|^(p-2) "
            f"grad u)| = {gap:.3g} (relative {gap / scale:.2g}, allowed {MISMATCH_TOLERANCE:g}, "
            f"the accuracy of the finite-difference check) at {n} random interior points")
    errors.raise_any()
