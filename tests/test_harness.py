"""Harness: case checks, sweep expansion, records, failures, resume and reports (in process)."""

from __future__ import annotations

import csv
import dataclasses
import json
import re

import pytest

from pdesolve.errors import ConfigError
from pdesolve.harness import Store, expand_case, run_sweep
from pdesolve.harness.case import parse_case
from pdesolve.harness.execute import execute_run
from pdesolve.harness.report import write_report

from .test_harness_solvers import register

register()


def case_of(*solvers, dim=1, **top):
    return parse_case({"problem": {"name": "poisson_sine", "dim": dim},
                       "solver": list(solvers), **top}, "t")


def test_sweep_is_cartesian_product_with_zip_and_seeds():
    specs = expand_case(case_of({"kind": "toy", "n": [2, 4], "steps": [1, 2, 3]}))
    assert [(s.options["n"], s.options["steps"]) for s in specs] == [
        (2, 1), (2, 2), (2, 3), (4, 1), (4, 2), (4, 3)]
    zipped = expand_case(case_of({"kind": "toy", "n": [2, 4], "steps": [1, 2], "zip": ["n", "steps"],
                                  "seeds": [5, 6]}))
    assert [(s.options["n"], s.options["steps"], s.seed) for s in zipped] == [
        (2, 1, 5), (2, 1, 6), (4, 2, 5), (4, 2, 6)]


def test_list_option_sweeps_only_as_list_of_lists():
    fixed = expand_case(case_of({"kind": "toy", "widths": [8, 16]}))
    assert [s.options["widths"] for s in fixed] == [[8, 16]]
    swept = expand_case(case_of({"kind": "toy", "widths": [[8], [16, 16]]}))
    assert [s.options["widths"] for s in swept] == [[8], [16, 16]]


def test_run_ids_are_stable_and_depend_on_the_configuration():
    a = expand_case(case_of({"kind": "toy", "n": [2, 4]}))
    b = expand_case(case_of({"kind": "toy", "n": [4, 2]}))
    assert {s.run_id for s in a} == {s.run_id for s in b}
    assert len({s.run_id for s in a}) == 2
    # the case seed is the default run seed and the evaluation seed
    c = expand_case(case_of({"kind": "toy", "n": [2, 4]}, seed=1))
    assert not {s.run_id for s in a} & {s.run_id for s in c}
    assert {s.seed for s in c} == {1}


def test_string_sweeps_split_the_label():
    specs = expand_case(case_of({"kind": "toy", "label": "T", "mode": ["ok", "raise"]}))
    assert [s.label for s in specs] == ["T mode=ok", "T mode=raise"]


@pytest.mark.parametrize("solver, message", [
    ({"kind": "toy", "n": 0}, "solver[0] (toy).n: must be >= 1, got 0"),
    ({"kind": "toy", "n": [4, "x"]}, "solver[0] (toy).n: expected an integer, got 'x'"),
    ({"kind": "toy", "colour": 1}, "unknown option 'colour'; allowed: n, seed, widths"),
    ({"kind": "toy", "mode": "maybe"}, "'maybe' is not allowed; allowed: 'ok', 'raise', 'diverge'"),
    ({"kind": "nope"}, "unknown solver 'nope'; available: fem"),
    ({"kind": "toy", "n": [2, 4], "steps": [1], "zip": ["n", "steps"]},
     "zipped options need lists of equal length"),
    ({"kind": "toy", "seeds": [1], "seed": 2}, "give either 'seed' or 'seeds'"),
    ({"kind": "toy", "n": []}, "solver[0] (toy).n: an empty list sweeps nothing"),
    ({"n": 2}, "solver[0]: missing 'kind'"),
])
def test_invalid_solver_tables_name_the_field(solver, message):
    with pytest.raises(ConfigError, match=None) as err:
        expand_case(case_of({"kind": "toy", "label": "first"}, solver))
    assert message in str(err.value).replace("solver[1]", "solver[0]")


def test_all_configurations_are_validated_before_running():
    case = case_of({"kind": "toy", "n": [2, 4]}, {"kind": "toy", "label": "B", "n": [3, -1]})
    with pytest.raises(ConfigError, match=r"solver\[1\] \(toy\).n: must be >= 1, got -1"):
        expand_case(case)


def test_records_errors_on_the_case_evaluation_set(tmp_path):
    specs = expand_case(case_of({"kind": "toy", "n": [2, 4]}, {"kind": "toynet", "seeds": [0, 1]}))
    outcome = run_sweep(specs, Store(tmp_path), progress=False)
    assert outcome.failed == [] and len(outcome.executed) == 4
    record = json.loads((tmp_path / "runs" / f"{specs[1].run_id}.json").read_text())
    # the toy solver's error is exactly 1/n^2 (seed 0): l2 and H1-seminorm alike
    assert record["metrics"]["l2_rel"] == pytest.approx(1 / 16, rel=1e-12)
    assert record["metrics"]["h1_rel"] == pytest.approx(1 / 16, rel=1e-12)
    assert record["status"] == "ok" and record["dofs"] == 4
    # a toy without cells: composite Gauss on the box, refined until two levels agree
    measurement = record["measurement"]
    assert measurement["rule"]["kind"] == "gauss" and measurement["owner"] == "domain"
    assert measurement["uncertainty"]["l2_rel"] < 2.5e-3
    assert record["solution_seconds"]["points"] == 2**16
    assert record["eval_seconds"] >= 0 and record["seconds"] >= 0
    assert record["environment"]["concurrent"] is False
    assert {"numpy", "pdesolve", "python"} <= set(record["environment"]["versions"])
    assert record["options"] == {"n": 4, "seed": 0, "widths": [8], "mode": "ok", "delay": 0.0,
                                 "steps": 5}


def test_failures_are_recorded_and_retried_on_rerun(tmp_path):
    specs = expand_case(case_of({"kind": "toy", "mode": ["ok", "raise", "diverge"]}))
    store = Store(tmp_path)
    first = run_sweep(specs, store, progress=False)
    assert len(first.executed) == 3 and len(first.failed) == 2
    statuses = {store.load(s.run_id)["status"]: store.load(s.run_id)["message"] for s in specs}
    assert statuses["failed"] == "RuntimeError: boom: the toy solver was asked to fail"
    assert statuses["diverged"] == "loss became NaN at step 3"
    assert store.load(specs[1].run_id)["metrics"] is None
    diverged = store.load(specs[2].run_id)  # its parameter count and history up to the failure
    assert diverged["dofs"] == 4 and [h["step"] for h in diverged["history"]] == [0, 1, 2]
    second = run_sweep(specs, store, progress=False)
    assert second.skipped == [specs[0].run_id]
    assert sorted(second.executed) == sorted(s.run_id for s in specs[1:])
    forced = run_sweep(specs, store, force=True, progress=False)
    assert len(forced.executed) == 3


def test_an_unsupported_problem_is_refused_before_running_and_recorded_if_run_anyway():
    with pytest.raises(ConfigError, match=r"solver\[0\] \(toy\).kind: 'toy' cannot solve this "
                       r"problem \(the toy solver needs d <= 3\); kinds that can: grid, spectral, "
                       r"sparse_grid, jacobi"):
        expand_case(case_of({"kind": "toy"}, dim=4))
    (spec,) = expand_case(case_of({"kind": "toy"}, dim=3))
    record = execute_run(dataclasses.replace(spec, problem={"name": "poisson_sine", "dim": 4}))
    assert record["status"] == "not_applicable" and record["metrics"] is None
    assert record["message"] == "the toy solver needs d <= 3"


def test_problem_without_exact_solution(tmp_path):
    case = parse_case({"problem": {"name": "toy_no_exact"}, "solver": [{"kind": "toy"}]}, "t")
    specs = expand_case(case)
    run_sweep(specs, Store(tmp_path), progress=False)
    record = Store(tmp_path).load(specs[0].run_id)
    assert record["error_reference"] == "reference" and record["metrics"]["l2_rel"] > 0
    assert (tmp_path / "report.md") in write_report(tmp_path)


@pytest.mark.slow
def test_report_tables_rates_and_figures(tmp_path):
    specs = expand_case(case_of({"kind": "toy", "label": "A", "n": [2, 4, 8]},
                                {"kind": "toynet", "widths": [[8], [16]], "seeds": [0, 1]},
                                {"kind": "toy", "label": "bad", "mode": "raise"}, dim=2))
    run_sweep(specs, Store(tmp_path), progress=False)
    written = write_report(tmp_path)
    names = {p.name for p in written}
    assert {"summary.csv", "report.md", "error_vs_dofs.png", "error_vs_time.png", "history.png",
            "frequency.png", "solution.png", "time_to_tolerance.png"} <= names
    rows = list(csv.DictReader(open(tmp_path / "summary.csv")))
    assert len(rows) == 8
    assert {"case", "solver", "label", "dofs", "seconds", "l2_rel", "h1_rel", "max_err", "status",
            "l2re", "eval_seconds", "seed", "run_id"} <= set(rows[0])
    text = (tmp_path / "report.md").read_text()
    # error 1/n^2 with DOFs n^2 and h = 1/n: slope -1 in DOFs, rate 2 in h
    assert "| toy | A | 3 points, DOFs 4-64 | -1.00 | -1.00 | 2.00 | 2.00 |" in text
    assert "### Time to tolerance (relative L2 error)" in text and "| A (toy) |" in text
    assert "0 runs above 1%" in text
    # two seeds: mean and spread; the failed run is listed with its message
    assert "6.56e-02 ± 4.4e-03" in text
    assert "RuntimeError: boom" in text


def test_report_of_an_empty_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no run records found"):
        write_report(tmp_path)


@pytest.mark.slow
def test_a_run_that_reaches_its_time_limit_is_finished_with_its_partial_history(tmp_path):
    case = case_of({"kind": "jacobi", "n": 31, "sweeps": 10**6, "record_every": 50,
                    "max_seconds": 0.0})
    specs = expand_case(case)
    store = Store(tmp_path)
    outcome = run_sweep(specs, store, progress=False)
    record = store.load(specs[0].run_id)
    assert outcome.failed == [] and record["status"] == "time_limit"
    assert record["message"] == "max_seconds reached after 50 sweeps"
    assert [h["step"] for h in record["history"]] == [0, 50] and record["dofs"] == 31
    assert 0 < record["metrics"]["l2_rel"] < 1  # the iterate after 50 sweeps, measured
    assert run_sweep(specs, store, progress=False).skipped == [specs[0].run_id]  # not retried
    write_report(tmp_path)
    assert "1 runs, 1 finished, 0 failed." in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("environment, inflated", [
    ({"cpu_seconds": 0.5, "wall_seconds": 1.0, "threads": 1, "cpu_count": 2,
      "load_average": [2.5, 3.1]}, True),
    ({"cpu_seconds": 0.95, "wall_seconds": 1.0, "threads": 1, "cpu_count": 2,
      "load_average": [2.5, 3.1]}, False),  # had its core
    ({"cpu_seconds": 0.5, "wall_seconds": 1.0, "threads": 1, "cpu_count": 2,
      "load_average": [1.5, 1.9]}, False),  # nobody waited for a core
    ({"cpu_seconds": 1.2, "wall_seconds": 1.0, "threads": 2, "cpu_count": 2,
      "load_average": [3.0, 3.0]}, True),  # two threads, 60 % of two cores
    ({"cpu_seconds": 0.01, "wall_seconds": 0.02, "threads": 1, "cpu_count": 2,
      "load_average": [3.0, 3.0]}, False),  # too short to judge
    ({"cpu_seconds": None, "wall_seconds": None, "load_average": [3.0, 3.0]}, False),
])
def test_wall_time_inflated_by_load(environment, inflated):
    from pdesolve.harness.machine import inflated_by_load

    assert inflated_by_load(environment) is inflated


@pytest.mark.slow
def test_cpu_time_and_load_are_recorded_and_the_report_flags_inflated_runs(tmp_path):
    specs = expand_case(case_of({"kind": "jacobi", "n": 63, "sweeps": 20000,
                                 "record_every": 5000}, {"kind": "toy"}))
    store = Store(tmp_path)
    run_sweep(specs, store, progress=False)
    jacobi = store.load(specs[0].run_id)["environment"]
    assert 0 < jacobi["cpu_seconds"] <= jacobi["cpu_count"] * jacobi["wall_seconds"] + 0.05
    assert len(jacobi["load_average"]) == 2 and min(jacobi["load_average"]) >= 0
    toy = store.load(specs[1].run_id)
    toy["environment"].update(cpu_seconds=0.25, wall_seconds=1.0, threads=1, cpu_count=2,
                              load_average=[3.5, 3.9])
    store.write(toy)
    write_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    # the Jacobi run too when this machine is busy: the rule is about the machine, not the test
    assert re.search(r"Wall times inflated by other load \(the host's 1-minute load average "
                     r"exceeded .*\): [12] of 2 runs: .*toy " + toy["run_id"] +
                     r" \(CPU 0\.25 s in 1\.00 s\)", text)
    rows = {r["run_id"]: r for r in csv.DictReader(open(tmp_path / "summary.csv"))}
    assert rows[toy["run_id"]]["load_inflated"] == "True"
    assert float(rows[specs[0].run_id]["cpu_seconds"]) == pytest.approx(jacobi["cpu_seconds"])


def test_two_executions_of_a_run_differ_only_in_what_measures_them():
    from pdesolve.harness.execute import without_measurements

    (spec,) = expand_case(case_of({"kind": "jacobi", "n": 15, "sweeps": 200, "max_seconds": 60},
                                  {"kind": "fem", "n": 4}, dim=2))[:1]
    first, second = execute_run(spec), execute_run(spec)
    assert first["seconds"] != second["seconds"]
    assert without_measurements(first) == without_measurements(second)
    kept = without_measurements(first)
    assert kept["options"]["max_seconds"] == 60 and "cpu_seconds" not in kept["environment"]
    assert kept["metrics"] == first["metrics"] and kept["history"][1]["l2_rel"] > 0


@pytest.mark.slow
def test_published_results_are_quoted_with_each_methods_time_to_reach_them(tmp_path):
    from pdesolve.harness.report import save_settings

    case = case_of({"kind": "toy", "label": "A", "n": [2, 4, 8]}, dim=2, report={"published": [
        {"label": "paper X", "value": 0.1, "source": "Table 1"}, {"label": "paper Y", "value": 1e-9}]})
    run_sweep(expand_case(case), Store(tmp_path), progress=False)
    save_settings(tmp_path, {**case.report, "description": ""})
    write_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "### Published results (relative L2 error)" in text
    # error 1/n^2: 0.1 is reached at n = 4 and 8 (the faster of the two is quoted); 1e-9 never
    assert re.search(r"\| paper X \| 0\.1 \| Table 1 \| [0-9.e+-]+ s \((16|64)\) \|", text)
    assert "| paper Y | 1e-09 |  | not reached |" in text
    assert "| best error here | | | 1.56e-02 |" in text
    with pytest.raises(ConfigError,
                       match=r"report.published\[0\].value: must be a finite positive number"):
        case_of({"kind": "toy"}, report={"published": [{"label": "x", "value": -1}]})
