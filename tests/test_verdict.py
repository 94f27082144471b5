"""The verdict of a comparison: fastest per family at each tolerance, the strongest member of
each family, the warning when a family has only weak members, and the README table equal to
the curated regime reports."""

import re
from pathlib import Path

from pdesolve.harness.verdict import (REGIMES, dimension_table, markdown, problem_verdict,
                                      readme_table, weakness)

ROOT = Path(__file__).resolve().parents[1]


def _record(solver, label, family, error, seconds, options=None, history=None):
    return {"case": "c", "problem": {"name": "p", "params": {}}, "solver": solver,
            "label": label, "family": family, "status": "ok", "options": options or {},
            "metrics": {"l2_rel": error}, "seconds": seconds, "dofs": 10, "swept": {},
            "history": history or [], "environment": {}}


def test_fastest_per_family_and_the_strongest_member():
    records = [_record("fem", "FEM P1", "classical", 1e-3, 0.1, {"element": "P1"}),
               _record("spectral", "spectral", "classical", 1e-9, 0.01),
               _record("random_features", "RF", "neural", 1e-5, 1.0),
               _record("pinn", "PINN Adam", "neural", 1e-2, 50.0, {"optimizer": "adam"})]
    verdict = problem_verdict(records, "l2_rel")
    row = verdict["rows"]["1e-04"]
    assert row["classical"]["method"] == "spectral" and row["classical"]["seconds"] == 0.01
    assert row["neural"]["seconds"] == 1.0
    assert verdict["rows"]["1e-06"]["neural"] is None
    families = verdict["families"]
    assert families["classical"]["tolerance"] == 1e-8 and families["neural"]["tolerance"] == 1e-5
    assert families["classical"]["warning"] is None and families["neural"]["warning"] is None


def test_a_family_of_weak_members_only_is_warned_about():
    records = [_record("fem", "FEM P1", "classical", 1e-3, 0.1, {"element": "P1"}),
               _record("grid", "FD", "classical", 1e-3, 0.2),
               _record("pinn", "PINN", "neural", 1e-2, 50.0, {"optimizer": "adam"}),
               _record("pinn", "PINN ENGD", "neural", 1e-4, 50.0, {"optimizer": "engd"})]
    verdict = problem_verdict(records, "l2_rel")
    warning = verdict["families"]["classical"]["warning"]
    assert "only weak members" in warning and "uniform P1" in warning
    assert verdict["families"]["neural"]["warning"] is None
    assert any("Warning" in line for line in markdown(verdict))
    assert weakness(_record("fem", "P1a", "classical", 1, 1,
                            {"element": "P1", "refine": "adaptive"})) is None


def test_the_readme_verdict_table_is_the_curated_reports():
    """README.md between the verdict markers holds exactly readme_table() of results/ (regenerate
    with ``python -m pdesolve.harness.verdict`` after rerunning a regime)."""
    missing = [case for _, case in REGIMES if not (ROOT / "results" / case / "verdict.json").is_file()]
    assert not missing, f"curated regime reports without verdict.json: {missing}"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- verdict:start -->\n(.*?)<!-- verdict:end -->", text, re.S)
    assert readme_table(ROOT / "results") in section.group(1)
    assert dimension_table(ROOT / "results") in section.group(1)
