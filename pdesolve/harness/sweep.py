"""Sweep expansion: solver tables -> validated run specifications with stable ids.

An option given as a list is swept (cartesian product); ``zip = [...]`` pairs
listed options instead; ``seeds = [...]`` sweeps the ``seed`` option; ``repeats = r``
runs each configuration r times (repeat 0, 1, ...: timings to take a median of). An option
whose own value is a list (``pdesolve.config.is_list_option``) is swept only when
given a list of lists. An option whose value is a solver table (Jacobi's ``initial``,
``pdesolve.config.is_table_option``) sweeps the lists inside it the same way, as
``<option>.<key>``. A table's ``module`` (a file or module name) is imported first, so
that the solver kind it registers is known. Every configuration is built with
:func:`pdesolve.config.build_options` here, before any run starts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..config import build_options, is_list_option, is_table_option, option_fields
from ..errors import ConfigError, ErrorCollector
from ..problems import Problem
from ..problems.tables import problem_from_table
from ..solvers import list_solvers, solver_module
from ..user_code import import_user_module
from .case import SOLVER_RESERVED, Case
from .inputs import input_hashes


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
    evaluation : the ``[evaluation]`` keys (seed included): the first rule of ``box_rules``.
    seed : the run's ``seed`` option, or None for solvers without one.
    module_file : the solver table's ``module`` (imported, relative to ``base_dir``, before
        ``module``: a file registers its solver kind under a name of its own), or None.
    repeat : which repetition of the configuration this run is (0, 1, ...).
    inputs : hashes of the files the case reads (:mod:`.inputs`), part of the run id.
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
    module_file: str | None = None
    repeat: int = 0
    inputs: dict[str, str] = field(default_factory=dict)


def jsonable(value):
    """Plain JSON types for option values (tuples become lists)."""
    return json.loads(json.dumps(value, default=list))


def run_id(config: dict) -> str:
    """12 hex digits of SHA-256 over the canonical JSON of ``config`` (with the hashes of
    the files the case reads, :mod:`.inputs`) and the package version."""
    text = json.dumps({"config": config, "version": __version__}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_problem(table: dict, base_dir: str) -> Problem:
    """The problem of a case's ``[problem]`` table (registered, from a module, or formulas).

    Raises ConfigError naming the field for any mistake in the table.
    """
    return problem_from_table(table, base_dir=base_dir)


def _is_sweep(options_cls, name: str, value) -> bool:
    if not isinstance(value, list):
        return False
    if is_list_option(options_cls, name):
        return bool(value) and all(isinstance(v, list) for v in value)
    return True


def _nested_sweeps(name: str, table: dict) -> dict[str, list]:
    """The swept options of a solver table given as an option's value, keyed
    ``name.option``. Nothing is swept in a table whose kind is unknown (the option's check
    reports that)."""
    try:
        options_cls = solver_module(table["kind"]).Options
    except (KeyError, TypeError, ConfigError, ImportError):
        return {}
    fields = option_fields(options_cls)
    return {f"{name}.{k}": values for k, values in table.items()
            if k in fields and _is_sweep(options_cls, k, values)}


def _folded(values: dict) -> dict:
    """Options with the swept keys ``option.key`` of table options put into their tables."""
    out = {k: v for k, v in values.items() if "." not in k}
    for k, v in values.items():
        if "." in k:
            outer, inner = k.split(".", 1)
            out[outer] = {**out[outer], inner: v}
    return out


def _axes(table: dict, options_cls, where: str) -> tuple[dict, list[list[dict]]]:
    """Split a solver table into fixed options and sweep axes (each a list of partial configs)."""
    options = {k: v for k, v in table.items() if k not in SOLVER_RESERVED}
    fields = option_fields(options_cls)
    swept = {k: v for k, v in options.items() if k in fields and _is_sweep(options_cls, k, v)}
    nested = {key: values for k, v in options.items() if k in fields and isinstance(v, dict)
              and is_table_option(options_cls, k) for key, values in _nested_sweeps(k, v).items()}
    for k, v in {**swept, **nested}.items():
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
    axes += [[{k: v} for v in values] for k, values in nested.items()]
    if "seeds" in table:
        if "seed" not in fields:
            raise ConfigError(f"{where}.seeds: solver {table['kind']!r} has no 'seed' option")
        if "seed" in options:
            raise ConfigError(f"{where}.seeds: give either 'seed' or 'seeds', not both")
        axes.append([{"seed": s} for s in table["seeds"]])
    axes.append([{"repeat": r} for r in range(table.get("repeats", 1))])
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
    for other in list_solvers():
        try:
            if other != kind and not solver_module(other).supports(problem):
                others.append(other)
        except (ImportError, ConfigError):  # a kind that cannot load cannot solve it either
            continue
    raise ConfigError(f"{where}.kind: {kind!r} cannot solve this problem ({reason}); "
                      f"kinds that can: {', '.join(others) or '(none)'}")


def _with_quick(table: dict, module, where: str) -> dict:
    """The table with its ``quick`` overrides (tables in it update the table options they
    name), the overrides checked first."""
    overrides = table.get("quick", {})
    build_options(module.Options, {k: v for k, v in overrides.items()
                                   if k not in ("seeds", "repeats")
                                   and not _is_sweep(module.Options, k, v)},
                  where=f"{where}.quick")
    merged = dict(table)
    for k, v in overrides.items():
        merged[k] = {**table[k], **v} if isinstance(v, dict) and isinstance(table.get(k), dict) \
            else v
    return merged


def expand_solver(case: Case, index: int, table: dict, *, quick: bool,
                  problem: Problem | None = None,
                  errors: ErrorCollector | None = None) -> list[dict]:
    """Every configuration of one solver table: the RunSpec fields kind, module, family,
    label, options, swept, module_file and repeat.

    With ``problem``, each configuration is also checked against it: the solver must
    support it, and its ``check(problem, options)`` hook (sizes that cannot fit, options
    the problem rules out) must pass. Mistakes are collected in ``errors`` (default: raised
    at once, all of them).
    """
    own = errors is None
    errors = ErrorCollector() if own else errors
    kind = table["kind"]
    where = f"solver[{index}] ({kind})"
    module_file = table.get("module")
    if module_file is not None:
        import_user_module(module_file, case.base_dir, f"solver[{index}].module")
    try:
        module = solver_module(kind, f"solver[{index}]")
    except ImportError as exc:
        raise ConfigError(f"solver[{index}].kind: solver {kind!r} is not available in this "
                          f"installation ({exc})") from None
    if problem is not None:
        with errors.check():
            _applicable(kind, module, problem, where)
    quick_table = _with_quick(table, module, where)  # checked with or without --quick
    if quick:
        table = quick_table
    fixed, axes = _axes(table, module.Options, where)
    supported = problem is not None and not module.supports(problem)
    check = getattr(module, "check", None) if supported else None
    configs = []
    for parts in itertools.product(*axes):
        combo = {k: v for part in parts for k, v in part.items()}
        repeat = combo.pop("repeat")
        values = _folded({**fixed, **combo})
        if "seed" in option_fields(module.Options) and "seed" not in values:
            values["seed"] = case.seed
        with errors.check():
            built = build_options(module.Options, values, where=where)
            if check is not None:
                with errors.check(f"{where}."):
                    check(problem, built)
            configs.append({"kind": kind, "module": module.__name__, "family": module.FAMILY,
                            "label": _label(table, combo),
                            "options": jsonable(dataclasses.asdict(built)),
                            "swept": jsonable(combo), "module_file": module_file,
                            "repeat": repeat})
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
            problem = build_problem(case.problem, case.base_dir)
    evaluation = {**case.evaluation, **(case.quick_evaluation if quick else {}), "seed": case.seed}
    indices = case.solver_indices or list(range(len(case.solvers)))
    specs: dict[str, RunSpec] = {}
    read = input_hashes(case.problem, [], case.base_dir)  # mesh files can be large: once
    for i, table in zip(indices, case.solvers):
        configs = []
        with errors.check():
            configs = expand_solver(case, i, table, quick=quick, problem=problem, errors=errors)
        inputs = {**read, **input_hashes(None, [table.get("module")], case.base_dir)}
        for c in configs:
            config = {"problem": case.problem, "evaluation": evaluation, "kind": c["kind"],
                      "label": c["label"], "options": c["options"]}
            if c["repeat"]:
                config["repeat"] = c["repeat"]
            if inputs:  # the contents of the files the case reads
                config["inputs"] = inputs
            rid = run_id(jsonable(config))
            specs.setdefault(rid, RunSpec(
                run_id=rid, case=case.name, index=len(specs), problem=dict(case.problem or {}),
                base_dir=case.base_dir, evaluation=evaluation, seed=c["options"].get("seed"),
                inputs=inputs, **c))
    if own:
        errors.raise_any()
    return list(specs.values())
