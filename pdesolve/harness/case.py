"""Case files: read a TOML case and check its shape (keys, tables, types).

A case names one problem, one or more solver tables (each may sweep options)
and what to report; see ``docs/case-files.md``. This module checks everything
that can be checked without the solvers; :mod:`pdesolve.harness.sweep` then
validates every expanded configuration against its solver's ``Options``.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ErrorCollector, shortened

PLOTS = ("error_vs_dofs", "error_vs_time", "time_to_tolerance", "history", "frequency",
         "solution")
"""Plot names accepted by ``[report] plots``."""

METRICS = ("l2_rel", "h1_rel", "max_err", "l2re")
"""Error measures accepted by ``[report] metric``."""

TOP_LEVEL = ("name", "description", "seed", "problem", "evaluation", "solver", "report", "quick")
SOLVER_RESERVED = ("kind", "label", "module", "zip", "seeds", "repeats", "quick")
EVALUATION_KEYS = ("n_sobol", "cells", "order", "probes", "reference_n")
REPORT_KEYS = ("plots", "metric", "published")
PUBLISHED_KEYS = ("label", "value", "metric", "source")
QUICK_KEYS = ("evaluation",)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_NAME = 128
"""Longest case name (the results directory ``<name>-quick`` stays a valid file name)."""


@dataclass(frozen=True)
class Case:
    """A parsed case file.

    Attributes
    ----------
    name : the case name (directory under the results root).
    description : free text for the report.
    seed : evaluation-set seed, and the run seed of solvers that take one and are not given one.
    problem : the ``[problem]`` table (see :func:`pdesolve.problems.tables.problem_from_table`);
        None only in a partial Case returned with errors (see :func:`parse_case`).
    evaluation : the first rule of :func:`pdesolve.quadrature.box_rules` (seed, n_sobol, cells,
        order) and probes, reference_n.
    solvers : the ``[[solver]]`` tables, as written.
    report : the ``[report]`` table with defaults filled in (``plots``, ``metric``).
    quick_evaluation : evaluation overrides used by ``--quick``.
    path : the file read.
    solver_indices : position of each solver table in the file (default 0, 1, ...).
    """

    name: str
    description: str
    seed: int
    problem: dict[str, Any] | None
    evaluation: dict[str, int]
    solvers: list[dict[str, Any]]
    report: dict[str, Any]
    quick_evaluation: dict[str, int] = field(default_factory=dict)
    path: Path | None = None
    solver_indices: list[int] | None = None

    @property
    def base_dir(self) -> str:
        """The directory that relative paths of the case file refer to."""
        return str(self.path.parent.resolve()) if self.path else "."


def _check_keys(table: dict, allowed: tuple[str, ...], where: str, what: str = "key") -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ConfigError(f"{where}: unknown {what} {unknown[0]!r}; allowed: {', '.join(allowed)}")


def _expect(value, types, where: str, description: str):
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        raise ConfigError(f"{where}: expected {description}, got {value!r}")
    return value


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _positive_int(value, where: str) -> int:
    _expect(value, int, where, "a positive integer")
    if value < 1:
        raise ConfigError(f"{where}: must be a positive integer, got {value!r}")
    return value


def _table(value, where: str) -> dict:
    return _expect(value, dict, where, "a table")


def _evaluation(table, where: str) -> dict[str, int]:
    table = _table(table, where)
    _check_keys(table, EVALUATION_KEYS, where)
    return {k: _positive_int(v, f"{where}.{k}") for k, v in table.items()}


def _solver_table(table, where: str) -> dict:
    table = _table(table, where)
    if "kind" not in table:
        raise ConfigError(f"{where}: missing 'kind'; every [[solver]] table names its solver kind")
    _expect(table["kind"], str, f"{where}.kind", "a string")
    errors = ErrorCollector()
    for key, description in (("label", "a string"), ("module", "a module name or a .py file path")):
        if key in table:
            with errors.check():
                _expect(table[key], str, f"{where}.{key}", description)
    if "zip" in table:
        with errors.check():
            names = _expect(table["zip"], list, f"{where}.zip", "a list of option names")
            if len(names) < 2 or not all(isinstance(n, str) for n in names):
                raise ConfigError(f"{where}.zip: expected a list of at least two option names, "
                                  f"got {names!r}")
    if "seeds" in table:
        with errors.check():
            seeds = _expect(table["seeds"], list, f"{where}.seeds", "a list of integers")
            if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
                raise ConfigError(f"{where}.seeds: expected a non-empty list of integers, "
                                  f"got {seeds!r}")
    quick = table.get("quick", {})
    if "quick" in table:
        with errors.check():
            _table(quick, f"{where}.quick")
    for part, name in ((table, "repeats"), (quick, "quick.repeats")):
        if isinstance(part, dict) and "repeats" in part:
            with errors.check():
                _positive_int(part["repeats"], f"{where}.{name}")
    errors.raise_any()
    return table


def _refuse_shared_labels(solvers: list[tuple[int, dict]], errors: ErrorCollector) -> None:
    """A label (default: the kind) names one series of the report: two tables of a kind
    with the same label would be merged into one."""
    first: dict[tuple, int] = {}
    for i, t in solvers:
        key = (t["kind"], t.get("label", t["kind"]))
        if key in first:
            errors.messages.append(
                f"solver[{i}].label: {key[1]!r} is also the label of solver[{first[key]}] "
                f"({key[0]}), so the report would merge them; give each table its own label")
        first.setdefault(key, i)


def _report(data: dict) -> dict:
    report = dict(_table(data.get("report", {}), "report"))
    _check_keys(report, REPORT_KEYS, "report")
    plots = _expect(report.get("plots", list(PLOTS)), list, "report.plots", "a list of plot names")
    for p in plots:
        if p not in PLOTS:
            raise ConfigError(f"report.plots: {p!r} is not allowed; allowed: {', '.join(PLOTS)}")
    metric = report.get("metric", "l2_rel")
    if metric not in METRICS:
        raise ConfigError(f"report.metric: {metric!r} is not allowed; allowed: {', '.join(METRICS)}")
    published = _expect(report.get("published", []), list, "report.published",
                        "a list of tables {label, value, metric, source}")
    return {"plots": plots, "metric": metric,
            "published": [_published(e, metric, f"report.published[{i}]")
                          for i, e in enumerate(published)]}


def _published(entry, metric: str, where: str) -> dict:
    """A published result quoted beside the runs: label, value > 0, metric, source."""
    entry = dict(_table(entry, where))
    _check_keys(entry, PUBLISHED_KEYS, where)
    label = _expect(entry.get("label"), str, f"{where}.label", "a string")
    value = _expect(entry.get("value"), (int, float), f"{where}.value", "a positive number")
    if not 0 < value < math.inf:
        raise ConfigError(f"{where}.value: must be a finite positive number, got {value!r}")
    entry.setdefault("metric", metric)
    if entry["metric"] not in METRICS:
        raise ConfigError(f"{where}.metric: {entry['metric']!r} is not allowed; allowed: "
                          f"{', '.join(METRICS)}")
    source = _expect(entry.get("source", ""), str, f"{where}.source", "a string")
    return {"label": label, "value": float(value), "metric": entry["metric"], "source": source}


def parse_case(data: dict, name: str, path: Path | None = None,
               errors: ErrorCollector | None = None) -> Case:
    """Check the shape of a decoded case file and return a :class:`Case`.

    Every section is checked, so that all mistakes are reported at once: with
    ``errors`` given they are collected there and the returned Case holds only the
    parts that passed (``problem`` None when it did not); without it one ConfigError
    lists them all, each naming the offending field and the allowed values.
    """
    own = errors is None
    errors = ErrorCollector() if own else errors
    with errors.check():
        _check_keys(data, TOP_LEVEL, "case", "top-level key")
    with errors.check():
        name = _expect(data.get("name", name), str, "name", "a string")
        if not _NAME.match(name):
            raise ConfigError(f"name: {shortened(name)!r} is not allowed; use letters, digits, "
                              f"'_', '-' and '.'")
        if len(name) > MAX_NAME:
            raise ConfigError(f"name: {shortened(name)!r} has {len(name)} characters, too long "
                              f"for a directory name; at most {MAX_NAME}")
    seed = 0
    with errors.check():
        seed = _expect(data.get("seed", 0), int, "seed", "a non-negative integer")
        if seed < 0:
            seed = 0
            raise ConfigError(f"seed: must be a non-negative integer, got {data['seed']!r}")
    problem = None
    with errors.check():
        if "problem" not in data:
            raise ConfigError("problem: missing; a case needs a [problem] table with a 'name'")
        problem = dict(_table(data["problem"], "problem"))
    solvers = []
    with errors.check():
        tables = data.get("solver")
        if not tables:
            raise ConfigError("solver: missing; a case needs at least one [[solver]] table")
        _expect(tables, list, "solver", "an array of tables ([[solver]])")
        for i, t in enumerate(tables):
            with errors.check():
                solvers.append((i, _solver_table(t, f"solver[{i}]")))
        _refuse_shared_labels(solvers, errors)
    report = {"plots": list(PLOTS), "metric": METRICS[0], "published": []}
    with errors.check():
        report = _report(data)
    evaluation, quick_evaluation, description = {}, {}, ""
    with errors.check():
        evaluation = _evaluation(data.get("evaluation", {}), "evaluation")
    with errors.check():
        quick = _table(data.get("quick", {}), "quick")
        _check_keys(quick, QUICK_KEYS, "quick")
        quick_evaluation = _evaluation(quick.get("evaluation", {}), "quick.evaluation")
    with errors.check():
        description = _expect(data.get("description", ""), str, "description", "a string")
    if own:
        errors.raise_any()
    return Case(name=name, description=description,
                seed=seed, problem=problem, evaluation=evaluation,
                solvers=[t for _, t in solvers], report=report,
                quick_evaluation=quick_evaluation, path=path,
                solver_indices=[i for i, _ in solvers])


def read_case_file(path: str | Path) -> dict:
    """The decoded TOML of the case file at ``path``.

    Raises ConfigError for a missing file, a directory, a TOML syntax error (with its
    line) or a file that is not UTF-8 text; every message starts with the path.
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.toml"))[:5]
        hint = f" (it holds {', '.join(found)})" if found else ""
        raise ConfigError(f"{path}: is a directory, not a case file; give the path of a .toml "
                          f"case file{hint}")
    if not path.is_file():
        raise ConfigError(f"{path}: case file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the case file ({exc.strerror})") from None


def load_case(path: str | Path) -> Case:
    """Read and check the case file at ``path``.

    Raises ConfigError for a file that cannot be read (see :func:`read_case_file`) or a
    malformed case, listing every mistake; every message starts with the file name.
    """
    path = Path(path)
    data = read_case_file(path)
    try:
        return parse_case(data, path.stem, path)
    except ConfigError as exc:
        raise exc.prefixed(f"{path.name}: ") from None
