"""Problems written as formulas: the method of manufactured solutions with sympy.

A formula is a string in the coordinates ``x1 .. xd`` (or ``x, y, z`` for d <= 3),
with ``^`` or ``**`` for powers, implicit multiplication (``3 x2``; function calls
need parentheses: ``sin(x1)``), the constants ``pi`` and ``E`` and the elementary
functions listed in :data:`FUNCTIONS`; ``where(z < 0.5, 64, 100)`` is piecewise (conditions
combine with ``&`` and ``|``).

From an exact solution u (and kappa, p) the source term f = -div(kappa |grad u|^(p-2) grad u)
is derived symbolically (the derivatives of u and kappa by sympy, combined by
:func:`pdesolve.problems.operator.strong_form`), and g = u. Each simplified expression is
printed as array-API code, so the functions evaluate NumPy arrays and torch tensors (with
autograd) alike.
"""

from __future__ import annotations

import functools
import math
import io
import tokenize

import sympy as sp
from array_api_compat import array_namespace
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)
from sympy.printing.numpy import NumPyPrinter

from ..domains import MAX_DIM, Box, Domain, boundary_data
from ..errors import ConfigError, ErrorCollector, shortened
from . import operator
from .base import Problem
from .conditions import flux_conditions, reaction_source
from .formula_checks import check_given, domain_regions, refuse_flux_jumps, refuse_singular

COORDINATES = sp.symbols(f"x1:{MAX_DIM + 1}", real=True)
"""The symbols x1 .. x10; ``x, y, z`` are aliases of x1, x2, x3."""

_ALIASES = dict(zip("xyz", COORDINATES))

FUNCTIONS = {
    f.__name__: f
    for f in (sp.sin, sp.cos, sp.tan, sp.asin, sp.acos, sp.atan, sp.atan2, sp.sinh, sp.cosh,
              sp.tanh, sp.asinh, sp.acosh, sp.atanh, sp.exp, sp.log, sp.sqrt, sp.sign, sp.Min,
              sp.Max)
}
FUNCTIONS["abs"] = sp.Abs


def _where(condition, then, otherwise):
    """where(condition, a, b): a where the condition holds, else b (a sympy Piecewise)."""
    return sp.Piecewise((then, condition), (otherwise, True))


FUNCTIONS["where"] = _where
CONSTANTS = {"pi": sp.pi, "E": sp.E}

MAX_FORMULA = 5000
"""Longest formula read (sympy derives f from it symbolically, which grows with its length)."""

_TRANSFORMATIONS = standard_transformations + (implicit_multiplication, convert_xor)


def coordinate_hint(dim: int | None) -> str:
    """How to write the coordinates of a ``dim``-dimensional problem, e.g. 'x1..x2 (or x, y)'."""
    if dim is None:
        return "x1..xd, d the dimension (or x, y, z)"
    names = "x1" if dim == 1 else f"x1..x{dim}"
    return f"{names} (or {', '.join('xyz'[:dim])})" if dim <= 3 else names


def parse_formula(text, *, field: str, dim: int | None = None) -> sp.Expr:
    """Parse a formula into a sympy expression in x1 .. xd.

    Parameters
    ----------
    text : the formula, e.g. ``"exp(x1) sin(3 x2)"``, or a number.
    field : the case-file field, named in every error (e.g. ``"problem.exact"``).
    dim : the problem's dimension, if known: coordinates beyond it are refused.

    Raises ConfigError for a syntax error, an unknown symbol or function, or a
    coordinate beyond ``dim``.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return sp.nsimplify(text, rational=True)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{field}: expected a formula (a string) or a number, got {text!r}")
    if len(text) > MAX_FORMULA:
        raise ConfigError(f"{field}: the formula {text[:30]!r}... has {len(text):,} characters, "
                          f"more than the {MAX_FORMULA:,} a formula may have; define the "
                          f"problem in a Python module instead (module = \"file.py\")")
    if "__" in text or _has_attribute(text):
        raise ConfigError(f"{field}: cannot read {shortened(text)!r} as a formula")
    names = {str(s): s for s in COORDINATES} | _ALIASES | FUNCTIONS | CONSTANTS
    _check_names(text, names, field, dim)
    try:
        expr = sp.sympify(parse_expr(text, local_dict=names, global_dict=_parser_globals(),
                                     transformations=_TRANSFORMATIONS))
    except tokenize.TokenError:
        raise ConfigError(f"{field}: cannot read {shortened(text)!r} as a formula (unbalanced "
                          f"parentheses)") from None
    except SyntaxError:
        raise ConfigError(f"{field}: cannot read {shortened(text)!r} as a formula (invalid syntax; "
                          f"functions need parentheses, e.g. sin(x1))") from None
    except Exception:  # sympy's own messages name its internals, not the user's mistake
        raise ConfigError(f"{field}: cannot read {shortened(text)!r} as a formula; write it with "
                          f"{coordinate_hint(dim)}, numbers, + - * / ^, the constants "
                          f"{', '.join(CONSTANTS)} and the functions "
                          f"{', '.join(FUNCTIONS)}") from None
    if not isinstance(expr, sp.Expr):
        raise ConfigError(f"{field}: {shortened(text)!r} is not a scalar formula")
    if dim is not None and formula_dim(expr) > dim:
        raise ConfigError(f"{field}: x{formula_dim(expr)} is beyond the problem's dimension "
                          f"{dim}; use {coordinate_hint(dim)}")
    return expr


def _check_names(text: str, names: dict, field: str, dim: int | None) -> None:
    """ConfigError for a name that is neither a coordinate, a constant nor a known function."""
    tokens = [t for t in _tokens(text) if t.type not in (tokenize.NL, tokenize.NEWLINE)]
    for token, following in zip(tokens, tokens[1:] + [None]):
        if token.type != tokenize.NAME or token.string in names:
            continue
        if following is not None and following.string == "(":
            raise ConfigError(f"{field}: unknown function {token.string!r}; available: "
                              f"{', '.join(FUNCTIONS)}")
        raise ConfigError(f"{field}: unknown symbol {token.string!r}; use {coordinate_hint(dim)}, "
                          f"the constants {', '.join(CONSTANTS)} and the functions "
                          f"{', '.join(FUNCTIONS)}")


def _has_attribute(text: str) -> bool:
    """True when the text accesses an attribute (``name.attr``), which no formula needs."""
    return any(tok.type == tokenize.OP and tok.string == "." for tok in _tokens(text))


def _tokens(text: str) -> list:
    """The Python tokens of ``text``, up to a tokenizer error (unbalanced parentheses)."""
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(token)
    except tokenize.TokenError:
        pass  # parse_formula reports it; the tokens read so far are still useful
    return tokens


def _parser_globals() -> dict:
    """What a parsed formula may reach: sympy's number and symbol constructors only."""
    return {"__builtins__": {}, "Integer": sp.Integer, "Float": sp.Float,
            "Rational": sp.Rational, "Symbol": sp.Symbol, "Function": sp.Function}


def formula_dim(expr: sp.Expr) -> int:
    """The highest coordinate index a formula uses (0 for a constant)."""
    return max((COORDINATES.index(s) + 1 for s in expr.free_symbols if s in COORDINATES),
               default=0)


def coordinates_used(text) -> int:
    """The highest coordinate index named in a formula's text (x1..x10, or x, y, z), or 0.

    Read from the tokens, before parsing, so that parse errors can already name the
    dimension.
    """
    if not isinstance(text, str):
        return 0
    index = {str(s): i + 1 for i, s in enumerate(COORDINATES)}
    index.update({c: i + 1 for i, c in enumerate("xyz")})
    return max((index.get(t.string, 0) for t in _tokens(text) if t.type == tokenize.NAME),
               default=0)


class _ArrayAPIPrinter(NumPyPrinter):
    """Prints sympy expressions as calls into an array-API namespace named ``xp``."""

    _module = "xp"
    _kf = {k: "xp." + v for k, v in {
        "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos",
        "atan": "atan", "atan2": "atan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
        "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "exp": "exp", "log": "log",
        "sign": "sign"}.items()}
    _kc = {"Exp1": "xp.e", "Pi": "xp.pi"}

    def _print_Heaviside(self, expr):
        # H(0) = 1/2, sympy's default, which is how a derivative of Max or Min reads at a tie
        return f"((xp.sign({self._print(expr.args[0])}) + 1) / 2)"

    def _print_Max(self, expr):
        return self._fold("xp.maximum", expr.args)

    def _print_Min(self, expr):
        return self._fold("xp.minimum", expr.args)

    def _print_Piecewise(self, expr):
        zero = f"xp.zeros_like({COORDINATES[0]})"  # x1 is always an argument: dtype and device
        pieces = list(expr.args)
        value, cond = pieces.pop()
        code = (f"({self._print(value)} + {zero})" if cond == sp.true
                else f"xp.where({self._print(cond)}, {self._print(value)} + {zero}, xp.nan + {zero})")
        for value, cond in reversed(pieces):
            code = f"xp.where({self._print(cond)}, {self._print(value)} + {zero}, {code})"
        return code

    def _fold(self, fn, args):
        code = self._print(args[0])
        for a in args[1:]:
            code = f"{fn}({code}, {self._print(a)})"
        return code


def point_function(expr: sp.Expr, dim: int):
    """x (n, d) -> (n,): ``expr`` evaluated with the array namespace of x.

    Works on NumPy arrays and torch tensors (differentiable by autograd); dtype and
    device follow x.
    """
    if expr.is_number:
        value = float(expr)

        def constant(x):
            xp = array_namespace(x)
            return xp.full_like(x[:, 0], value)

        constant.expr = expr
        return constant

    args = ", ".join(str(s) for s in COORDINATES[:dim])
    code = f"def _formula(xp, {args}):\n    return {_ArrayAPIPrinter().doprint(expr)}\n"
    namespace: dict = {}
    exec(compile(code, f"<formula {expr}>", "exec"), namespace)  # noqa: S102 - our own printed code
    compiled = namespace["_formula"]

    def evaluate(x):
        xp = array_namespace(x)
        return compiled(xp, *(x[:, i] for i in range(dim))) + xp.zeros_like(x[:, 0])

    evaluate.expr = expr
    return evaluate


def gradient_function(exprs, dim: int):
    """x (n, d) -> (n, d): the stacked point functions of ``exprs`` (d components)."""
    components = [point_function(e, dim) for e in exprs]

    def evaluate(x):
        xp = array_namespace(x)
        return xp.stack([c(x) for c in components], axis=1)

    return evaluate


@functools.lru_cache(maxsize=64)
def plaplace_parts(u: sp.Expr, kappa: sp.Expr, dim: int) -> tuple[sp.Expr, ...]:
    """The derivatives of u and kappa that :func:`.operator.strong_form` combines, simplified.

    Every first and second derivative of u and kappa is simplified on its own; div_flux and
    sq are simplified again as a whole, while the others (the long curvature term's full
    simplification costs seconds in 3-D and rarely shortens it) are assembled from the
    simplified derivatives.

    Returns
    -------
    div_flux : div(kappa grad u) = kappa Lap u + grad kappa . grad u (the p = 2 operator).
    lap : Lap u. flux_dot : grad kappa . grad u. gHg : grad u^T H grad u (H the Hessian of u).
    sq : |grad u|^2.
    """
    X = COORDINATES[:dim]
    grad = [sp.simplify(sp.diff(u, xi)) for xi in X]
    hess = [[sp.simplify(sp.diff(gi, xj)) for xj in X] for gi in grad]
    lap = sum(hess[i][i] for i in range(dim))
    flux_dot = sum(sp.simplify(sp.diff(kappa, xi)) * gi for xi, gi in zip(X, grad))
    div_flux = -operator.strong_form(kappa, None, lap, flux_dot, None, 2)
    gHg = sum(grad[i] * hess[i][j] * grad[j] for i in range(dim) for j in range(dim))
    sq = sum(gi**2 for gi in grad)
    return sp.simplify(div_flux), lap, flux_dot, gHg, sp.simplify(sq)


def not_twice_differentiable(u: sp.Expr, kappa: sp.Expr, dim: int) -> bool:
    """True when a second derivative of u or a first derivative of kappa is a distribution
    (a kink such as abs or Max: f would contain a Dirac delta)."""
    X = COORDINATES[:dim]
    derivatives = [sp.diff(u, a, b) for a in X for b in X] + [sp.diff(kappa, a) for a in X]
    return any(d.has(sp.DiracDelta) for d in derivatives)


@functools.lru_cache(maxsize=64)
def manufactured_source(u: sp.Expr, kappa: sp.Expr, p: float, dim: int):
    """f = -div(kappa |grad u|^(p-2) grad u) for the exact solution u (:mod:`.operator`).

    Returns
    -------
    expr : f as one sympy expression (for the record).
    f : x (n, d) -> (n,). For p = 2 the simplified -div(kappa grad u); for p != 2 the pieces
        of :func:`plaplace_parts` are combined at run time by :func:`.operator.strong_form`, so
        that f stays finite where grad u = 0.
    """
    div_flux, *pieces = plaplace_parts(u, kappa, dim)
    if p == 2:
        return -div_flux, point_function(-div_flux, dim)
    lap, flux_dot, gHg, sq = pieces
    expr = operator.strong_form(kappa, sq, lap, flux_dot, gHg, sp.nsimplify(p))
    kappa_fn, sq_fn, lap_fn, flux_dot_fn, gHg_fn = (point_function(e, dim) for e in
                                                    (kappa, sq, lap, flux_dot, gHg))

    def f(x):
        return operator.strong_form(kappa_fn(x), sq_fn(x), lap_fn(x), flux_dot_fn(x), gHg_fn(x),
                                    p)

    return expr, f


def check_p(p, field: str) -> float:
    """p as a float; ConfigError unless it is a number >= 2."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 2 <= p < math.inf:
        raise ConfigError(f"{field}: must be a finite number >= 2, got {p!r}")
    return float(p)


def formula_problem(box: Box, *, exact=None, f=None, g=None, kappa=None, p=2.0,
                    name: str = "formula", where: str = "problem",
                    domain: Domain | None = None, reaction=None, boundary=None) -> Problem:
    """A :class:`Problem` on ``box`` given by formulas (strings, see :func:`parse_formula`).

    Parameters
    ----------
    box : the domain; its dimension d limits the coordinates x1 .. xd.
    exact : the exact solution u. Then f = -div(kappa |grad u|^(p-2) grad u) and g = u
        are derived unless given (a given f or g must match them to round-off), and
        exact_grad is differentiated symbolically.
    f, g : source term and boundary data; both are needed when ``exact`` is absent
        (errors are then measured against a reference solution). ``g`` may be a table of
        formulas by boundary part or group of ``domain`` (:func:`pdesolve.domains.boundary_data`).
    kappa : the coefficient (default 1), p : the exponent (>= 2).
    name : the problem's label; where : the prefix of error messages.
    domain : the domain the problem is posed on (default ``box``, its bounding box here).
    reaction : c >= 0 of -div(...) + c u = f (f derived with it).
    boundary : the ``[problem.boundary]`` table of Neumann/Robin parts
        (:mod:`.conditions`); g is then needed on the Dirichlet parts only.

    Raises one ConfigError listing every mistake, each naming its field: a malformed
    formula, one that is singular or not real somewhere on the closed box (found from its
    denominators, logs and roots, see :mod:`.singular`), an exact solution with a kink,
    a given f or g that does not match the exact solution.
    """
    dim = box.dim
    domain = domain or box
    given = {"exact": exact, "f": f, "g": g, "kappa": kappa, "reaction": reaction}
    by_part = g if isinstance(g, dict) else None
    if by_part is not None:
        given = {**given, "g": None} | {f"g.{k}": v for k, v in by_part.items()}
    errors = ErrorCollector()
    parsed = {}
    for k, v in given.items():
        if v is not None:
            with errors.check():
                parsed[k] = parse_formula(v, field=f"{where}.{k}", dim=dim)
    with errors.check():
        if exact is None and f is None:
            raise ConfigError(f'{where}: give exact = "..." (f and g are derived from it) or '
                              f'f = "..." with g = "..."')
        if exact is None and g is None and not _all_flux(boundary, domain):
            raise ConfigError(f"{where}.g: needed when no exact solution is given "
                              f"(the boundary data u = g)")
    with errors.check():
        p = check_p(p, f"{where}.p")
    errors.raise_any()
    closed, interior = domain_regions(domain, box)
    for k, expr in parsed.items():
        with errors.check():
            refuse_singular([expr], COORDINATES[:dim], closed, f"{where}.{k}")
    kappa_expr = parsed.get("kappa", sp.Integer(1))
    u = parsed.get("exact")
    if u is not None:
        with errors.check():
            if not_twice_differentiable(u, kappa_expr, dim):
                raise ConfigError(f"{where}.exact: has a kink (abs, Max, Min, sign), so f would "
                                  f"contain a Dirac delta; give a smooth exact solution and "
                                  f"kappa")
    errors.raise_any()
    functions = {} if kappa_expr == 1 else {"kappa": point_function(kappa_expr, dim)}
    notes = [f"{k} = {v}" for k, v in parsed.items()]
    if u is not None:
        grad = [sp.diff(u, s) for s in COORDINATES[:dim]]
        refuse_singular([*grad, *plaplace_parts(u, kappa_expr, dim)], COORDINATES[:dim],
                        interior, f"{where}.exact", "its gradient or the derived f is ")
        refuse_flux_jumps(u, kappa_expr, p, box, f"{where}.exact")
        functions["exact"] = point_function(u, dim)
        functions["exact_grad"] = gradient_function(grad, dim)
        f_expr, functions["f"] = manufactured_source(u, kappa_expr, p, dim)
        if "reaction" in parsed:
            f_expr = f_expr + parsed["reaction"] * u
            functions["f"] = reaction_source(functions["f"], point_function(parsed["reaction"],
                                                                             dim), functions["exact"])
        given_parts = {f"given_{k}": point_function(parsed[k], dim) for k in ("f", "g")
                       if k in parsed}  # data by part: checked on the domain's boundary
        check_given({**functions, **given_parts, "p": p}, box, where)
        if "f" not in parsed:
            notes.append(f"f = {f_expr} (derived)")
    if "f" in parsed:
        functions["f"] = point_function(parsed["f"], dim)
    functions["g"] = (point_function(parsed["g"], dim) if "g" in parsed
                      else functions.get("exact", point_function(sp.Integer(0), dim)))
    extra = {}
    if "reaction" in parsed:
        extra["reaction"] = point_function(parsed["reaction"], dim)
    if boundary is not None:
        extra["fluxes"] = flux_conditions(
            boundary, domain, parse=lambda text, field: parse_formula(text, field=field, dim=dim),
            point_function=lambda e: point_function(e, dim), kappa=functions.get(
                "kappa", point_function(sp.Integer(1), dim)), p=p, where=f"{where}.boundary",
            exact=(functions["exact"], functions["exact_grad"]) if u is not None else None)
    if by_part is not None:
        functions["g"] = boundary_data(domain, {
            k: point_function(parsed[f"g.{k}"], dim) for k in by_part}, f"{where}.g",
            optional=tuple(extra.get("fluxes", ())))
    params = {"box": [list(ab) for ab in zip(box.lower, box.upper)], "p": p,
              **{k: str(v) for k, v in parsed.items()}}
    return Problem(name=name, domain=box, p=p, params=params, description="; ".join(notes),
                   **functions, **extra)


def _all_flux(boundary, domain: Domain) -> bool:
    """Whether a boundary table makes every part Neumann or Robin (then no g is needed)."""
    if not isinstance(boundary, dict):
        return False
    named = set()
    for name, value in boundary.items():
        kind = value.get("kind") if isinstance(value, dict) else value
        if kind in ("neumann", "robin") and name in domain.groups:
            named.update(domain.groups[name])
    return len(named) == len(domain.parts)
