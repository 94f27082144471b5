"""Sweep expansion: solver tables -> validated run specifications with stable ids.

An option given as a list is swept (cartesian product); ``zip = [...]`` pairs
listed options instead; ``seeds = [...]`` sweeps the ``seed`` option. An option
whose own value is a list (``pdesolve.config.is_list_option``) is swept only when
given a list of lists. Every configuration is built with
:func:`pdesolve.config.build_options` here, before any run starts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..config import build_options, is_list_option, option_fields
from ..errors import ConfigError, ErrorCollector
from ..problems import Problem
from ..problems.loading import problem_from_table
from ..solvers import SOLVER_FAMILIES, SOLVER_MODULES, solver_module
from .case import SOLVER_RESERVED, Case


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs to do one run (picklable, JSON-able fields).

    Attributes
    ----------
    run_id : hash of the resolved configuration and the package version.
    case : case name.
    index : position in the sweep (report order).
    kind, module, family : solver kind, its importable module path, "classical"/"neural".
    label : series name in tables and legends.
    options : every option of the solver, defaults filled in.
    swept : the options this run varies within its solver table.
    problem : the case's ``[problem]`` table.
    base_dir : the case file's directory (``problem.module`` paths are relative to it).
    evaluation : keyword arguments of ``evaluation_points`` (seed included).
    seed : the run's ``seed`` option, or None for solvers without one.
    """

    run_id: str
    case: str
    index: int
    kind: str
    module: str
    family: str
    label: str
    options: dict[str, Any]
    swept: dict[str, Any]
    problem: dict[str, Any]
    base_dir: str
    evaluation: dict[str, Any]
    seed: int | None


def jsonable(value):
    """Plain JSON types for option values (tuples become lists)."""
    return json.loads(json.dumps(value, default=list))


def run_id(config: dict) -> str:
    """12 hex digits of SHA-256 over the canonical JSON of ``config`` and the package version."""
    text = json.dumps({"config": config, "version": __version__}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_problem(table: dict, base_dir: str, seed: int) -> Problem:
    """The problem of a case's ``[problem]`` table (registered, from a module, or formulas).

    ``seed`` seeds the consistency check of the problem. Raises ConfigError naming
    the field for any mistake in the table.
    """
    return problem_from_table(table, base_dir=base_dir, seed=seed)


def _is_sweep(options_cls, name: str, value) -> bool:
    if not isinstance(value, list):
        return False
    if is_list_option(options_cls, name):
        return bool(value) and all(isinstance(v, list) for v in value)
    return True


def _axes(table: dict, options_cls, where: str) -> tuple[dict, list[list[dict]]]:
    """Split a solver table into fixed options and sweep axes (each a list of partial configs)."""
    options = {k: v for k, v in table.items() if k not in SOLVER_RESERVED}
    fields = option_fields(options_cls)
    swept = {k: v for k, v in options.items() if k in fields and _is_sweep(options_cls, k, v)}
    for k, v in swept.items():
        if not v:
            raise ConfigError(f"{where}.{k}: an empty list sweeps nothing; give at least one value")
    fixed = {k: v for k, v in options.items() if k not in swept}
    zipped = table.get("zip", [])
    for k in zipped:
        if k not in swept:
            raise ConfigError(f"{where}.zip: {k!r} is not a swept option; "
                              f"swept options here: {', '.join(swept) or '(none)'}")
    if zipped and len({len(swept[k]) for k in zipped}) > 1:
        lengths = ", ".join(f"{k}: {len(swept[k])}" for k in zipped)
        raise ConfigError(f"{where}.zip: zipped options need lists of equal length, got {lengths}")
    axes = []
    if zipped:
        axes.append([dict(zip(zipped, values)) for values in zip(*(swept[k] for k in zipped))])
    axes += [[{k: v} for v in values] for k, values in swept.items() if k not in zipped]
    if "seeds" in table:
        if "seed" not in fields:
            raise ConfigError(f"{where}.seeds: solver {table['kind']!r} has no 'seed' option")
        if "seed" in options:
            raise ConfigError(f"{where}.seeds: give either 'seed' or 'seeds', not both")
        axes.append([{"seed": s} for s in table["seeds"]])
    return fixed, axes


def _label(table: dict, combo: dict) -> str:
    """The table's label (default: its kind), extended by swept string/boolean options."""
    parts = [table.get("label", table["kind"])]
    parts += [f"{k}={v}" for k, v in combo.items() if isinstance(v, (str, bool)) and k != "seed"]
    return " ".join(parts)


def _applicable(kind: str, module, problem: Problem, where: str) -> None:
    """ConfigError when solver ``kind`` cannot solve ``problem``, naming the kinds that can."""
    reason = module.supports(problem)
    if not reason:
        return
    others = []
    for other in SOLVER_MODULES:
        try:
            if other != kind and not solver_module(other).supports(problem):
                others.append(other)
        except ImportError:
            continue
    raise ConfigError(f"{where}.kind: {kind!r} cannot solve this problem ({reason}); "
                      f"kinds that can: {', '.join(others) or '(none)'}")


def expand_solver(case: Case, index: int, table: dict, *, quick: bool,
                  problem: Problem | None = None,
                  errors: ErrorCollector | None = None) -> list[tuple]:
    """(kind, module, family, label, options, swept) for every configuration of one table.

    With ``problem``, each configuration is also checked against it: the solver must
    support it, and its ``check(problem, options)`` hook (sizes that cannot fit, options
    the problem rules out) must pass. Mistakes are collected in ``errors`` (default: raised
    at once, all of them).
    """
    own = errors is None
    errors = ErrorCollector() if own else errors
    kind = table["kind"]
    where = f"solver[{index}] ({kind})"
    try:
        module = solver_module(kind)
    except ImportError as exc:
        raise ConfigError(f"solver[{index}].kind: solver {kind!r} is not available in this "
                          f"installation ({exc})") from None
    except ConfigError as exc:  # an unknown kind: "solver.kind: ..." names the table
        raise ConfigError(str(exc).replace("solver.kind", f"solver[{index}].kind", 1)) from None
    if problem is not None:
        with errors.check():
            _applicable(kind, module, problem, where)
    if quick:
        overrides = table.get("quick", {})
        build_options(module.Options, {k: v for k, v in overrides.items()
                                       if k != "seeds" and not _is_sweep(module.Options, k, v)},
                      where=f"{where}.quick")
        table = {**table, **overrides}
    fixed, axes = _axes(table, module.Options, where)
    supported = problem is not None and not module.supports(problem)
    check = getattr(module, "check", None) if supported else None
    configs = []
    for parts in itertools.product(*axes):
        combo = {k: v for part in parts for k, v in part.items()}
        values = {**fixed, **combo}
        if "seed" in option_fields(module.Options) and "seed" not in values:
            values["seed"] = case.seed
        with errors.check():
            built = build_options(module.Options, values, where=where)
            if check is not None:
                with errors.check(f"{where}."):
                    check(problem, built)
            options = jsonable(dataclasses.asdict(built))
            configs.append((kind, SOLVER_MODULES[kind], SOLVER_FAMILIES.get(kind, "classical"),
                            _label(table, combo), options, jsonable(combo)))
    if own:
        errors.raise_any()
    return configs


def expand_case(case: Case, *, quick: bool = False,
                errors: ErrorCollector | None = None) -> list[RunSpec]:
    """Validate every configuration of ``case`` and return its runs in sweep order.

    The problem is built and checked, then every configuration of every solver table
    against it, and every mistake is reported: with ``errors`` given they are collected
    there, otherwise one ConfigError lists them all (each naming the field and the
    allowed values), before anything runs. Identical configurations (same id) are kept once.
    """
    own = errors is None
    errors = ErrorCollector() if own else errors
    problem = None
    if case.problem is not None:
        with errors.check():
            problem = build_problem(case.problem, case.base_dir, case.seed)
    evaluation = {**case.evaluation, **(case.quick_evaluation if quick else {}), "seed": case.seed}
    indices = case.solver_indices or list(range(len(case.solvers)))
    specs: dict[str, RunSpec] = {}
    for i, table in zip(indices, case.solvers):
        configs = []
        with errors.check():
            configs = expand_solver(case, i, table, quick=quick, problem=problem, errors=errors)
        for kind, module, family, label, options, swept in configs:
            config = {"problem": case.problem, "evaluation": evaluation, "kind": kind,
                      "label": label, "options": options}
            rid = run_id(jsonable(config))
            specs.setdefault(rid, RunSpec(
                run_id=rid, case=case.name, index=len(specs), kind=kind, module=module,
                family=family, label=label, options=options, swept=swept,
                problem=dict(case.problem or {}), base_dir=case.base_dir,
                evaluation=evaluation, seed=options.get("seed")))
    if own:
        errors.raise_any()
    return list(specs.values())
