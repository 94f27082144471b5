"""--workers and Dask: the same run ids and the same errors as a serial sweep."""

from __future__ import annotations

import pytest

from pdesolve.harness import Store, expand_case, run_sweep
from pdesolve.harness.case import parse_case

from .test_harness_solvers import register

register()

CASE = {"problem": {"name": "poisson_sine", "dim": 1},
        "solver": [{"kind": "toy", "n": [2, 3, 4]},
                   {"kind": "toynet", "widths": [[8], [16]], "seeds": [0, 1]},
                   {"kind": "toy", "mode": "raise", "label": "bad"}]}


def sweep(tmp_path, name, **kwargs):
    specs = expand_case(parse_case(CASE, "parallel"))
    store = Store(tmp_path / name)
    outcome = run_sweep(specs, store, progress=False, **kwargs)
    return outcome, {r["run_id"]: r for r in store.records()}


def assert_same_results(serial, other):
    assert set(other) == set(serial)
    for run_id, record in serial.items():
        assert other[run_id]["status"] == record["status"]
        assert other[run_id]["dofs"] == record["dofs"]
        for key, value in (record["metrics"] or {}).items():
            assert other[run_id]["metrics"][key] == pytest.approx(value, rel=1e-12, abs=0)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    outcome, records = sweep(tmp_path_factory.mktemp("serial"), "serial")
    assert len(records) == 8 and len(outcome.failed) == 1
    return records


@pytest.mark.slow
def test_two_worker_processes_match_serial(tmp_path, serial):
    outcome, records = sweep(tmp_path, "workers", workers=2)
    assert len(outcome.failed) == 1
    assert_same_results(serial, records)
    env = next(iter(records.values()))["environment"]
    assert env["concurrent"] is True and env["thread_limit"] >= 1


@pytest.mark.slow
def test_dask_local_cluster_matches_serial(tmp_path, serial):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        outcome, records = sweep(tmp_path, "dask", scheduler=cluster.scheduler_address)
    assert len(outcome.failed) == 1
    assert_same_results(serial, records)
    assert {r["environment"]["concurrent"] for r in records.values()} == {True}
    # the client wrote every record; no worker touched the store
    assert len(list((tmp_path / "dask" / "runs").glob("*.json"))) == 8
