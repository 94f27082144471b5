"""Every shipped case file validates at full size and runs at its quick size (``--quick``)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from pdesolve.cli import main
from pdesolve.harness import expand_case, load_case
from pdesolve.solvers import solvers

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.toml"))


def missing_solvers(path: Path) -> list[str]:
    """Solver kinds the case uses whose module is not part of this installation (yet)."""
    kinds = {table.get("kind") for table in load_case(path).solvers}
    known = solvers()
    return sorted(k for k in kinds if k in known
                  and importlib.util.find_spec(known[k].module_name) is None)


@pytest.fixture(params=CASES, ids=[p.stem for p in CASES])
def case_path(request) -> Path:
    missing = missing_solvers(request.param)
    if missing:
        pytest.skip(f"{request.param.name} uses solvers not yet in the package: {', '.join(missing)}")
    return request.param


def test_case_validates_at_full_size(case_path):
    assert expand_case(load_case(case_path))


@pytest.mark.slow
def test_case_runs_at_quick_size(case_path, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["run", str(case_path), "--quick", "--out", str(out), "--quiet"]) == 0, \
        capsys.readouterr().err
    rows = list(csv.DictReader(open(out / "summary.csv")))
    assert rows and all(r["status"] in ("ok", "not_converged", "not_applicable") for r in rows)
    assert (out / "report.md").is_file()
    for record in (json.loads(f.read_text()) for f in (out / "runs").rglob("*.json")):
        if record.get("family") == "neural" and record["status"] == "ok" \
                and record["options"].get("monitor_points", 1):
            # errors along training: against the exact solution, or else the reference
            assert any("l2_rel" in h for h in record["history"]), record["label"]
    always_drawn = {"error_vs_dofs", "error_vs_time", "solution"}
    for plot in always_drawn & set(load_case(case_path).report["plots"]):
        assert (out / f"{plot}.png").is_file(), plot
