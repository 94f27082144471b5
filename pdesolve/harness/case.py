"""Case files: read a TOML case and check its shape (keys, tables, types).

A case names one problem, one or more solver tables (each may sweep options)
and what to report; see ``docs/case-files.md``. This module checks everything
that can be checked without the solvers; :mod:`pdesolve.harness.sweep` then
validates every expanded configuration against its solver's ``Options``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

PLOTS = ("error_vs_dofs", "error_vs_time", "time_to_tolerance", "history", "frequency",
         "solution")
"""Plot names accepted by ``[report] plots``."""

METRICS = ("l2_rel", "h1_rel", "max_err", "l2re")
"""Error measures accepted by ``[report] metric``."""

TOP_LEVEL = ("name", "description", "seed", "problem", "evaluation", "solver", "report", "quick")
SOLVER_RESERVED = ("kind", "label", "zip", "seeds", "quick")
EVALUATION_KEYS = ("n_sobol", "cells", "order")
REPORT_KEYS = ("plots", "metric")
QUICK_KEYS = ("evaluation",)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Case:
    """A parsed case file.

    Attributes
    ----------
    name : the case name (directory under the results root).
    description : free text for the report.
    seed : evaluation-set seed, and the run seed of solvers that take one and are not given one.
    problem : the ``[problem]`` table (see :func:`pdesolve.problems.loading.problem_from_table`).
    evaluation : keyword arguments of :func:`pdesolve.quadrature.evaluation_points`.
    solvers : the ``[[solver]]`` tables, as written.
    report : the ``[report]`` table with defaults filled in (``plots``, ``metric``).
    quick_evaluation : evaluation overrides used by ``--quick``.
    path : the file read.
    """

    name: str
    description: str
    seed: int
    problem: dict[str, Any]
    evaluation: dict[str, int]
    solvers: list[dict[str, Any]]
    report: dict[str, Any]
    quick_evaluation: dict[str, int] = field(default_factory=dict)
    path: Path | None = None

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
    if "label" in table:
        _expect(table["label"], str, f"{where}.label", "a string")
    if "zip" in table:
        names = _expect(table["zip"], list, f"{where}.zip", "a list of option names")
        if len(names) < 2 or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{where}.zip: expected a list of at least two option names, got {names!r}")
    if "seeds" in table:
        seeds = _expect(table["seeds"], list, f"{where}.seeds", "a list of integers")
        if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise ConfigError(f"{where}.seeds: expected a non-empty list of integers, got {seeds!r}")
    if "quick" in table:
        _table(table["quick"], f"{where}.quick")
    return table


def parse_case(data: dict, name: str, path: Path | None = None) -> Case:
    """Check the shape of a decoded case file and return a :class:`Case`.

    Raises ConfigError naming the offending field and the allowed values.
    """
    _check_keys(data, TOP_LEVEL, "case", "top-level key")
    name = _expect(data.get("name", name), str, "name", "a string")
    if not _NAME.match(name):
        raise ConfigError(f"name: {name!r} is not allowed; use letters, digits, '_', '-' and '.'")
    seed = _expect(data.get("seed", 0), int, "seed", "a non-negative integer")
    if seed < 0:
        raise ConfigError(f"seed: must be a non-negative integer, got {seed!r}")
    if "problem" not in data:
        raise ConfigError("problem: missing; a case needs a [problem] table with a 'name'")
    problem = _table(data["problem"], "problem")
    solvers = data.get("solver")
    if not solvers:
        raise ConfigError("solver: missing; a case needs at least one [[solver]] table")
    _expect(solvers, list, "solver", "an array of tables ([[solver]])")
    solvers = [_solver_table(t, f"solver[{i}]") for i, t in enumerate(solvers)]
    report = dict(_table(data.get("report", {}), "report"))
    _check_keys(report, REPORT_KEYS, "report")
    plots = _expect(report.get("plots", list(PLOTS)), list, "report.plots", "a list of plot names")
    for p in plots:
        if p not in PLOTS:
            raise ConfigError(f"report.plots: {p!r} is not allowed; allowed: {', '.join(PLOTS)}")
    metric = report.get("metric", "l2_rel")
    if metric not in METRICS:
        raise ConfigError(f"report.metric: {metric!r} is not allowed; allowed: {', '.join(METRICS)}")
    quick = _table(data.get("quick", {}), "quick")
    _check_keys(quick, QUICK_KEYS, "quick")
    return Case(
        name=name,
        description=_expect(data.get("description", ""), str, "description", "a string"),
        seed=seed,
        problem=dict(problem),
        evaluation=_evaluation(data.get("evaluation", {}), "evaluation"),
        solvers=solvers,
        report={"plots": plots, "metric": metric},
        quick_evaluation=_evaluation(quick.get("evaluation", {}), "quick.evaluation"),
        path=path,
    )


def load_case(path: str | Path) -> Case:
    """Read and check the case file at ``path``.

    Raises ConfigError for a missing file, a TOML syntax error (with its line)
    or a malformed case; every message starts with the file name.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: case file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    try:
        return parse_case(data, path.stem, path)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
