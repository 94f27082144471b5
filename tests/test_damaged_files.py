"""Damaged files heal: a truncated reference cache, manifest, run record or report
settings file is recomputed or rebuilt with a warning, and the sweep and the report go on."""

from __future__ import annotations

import json
import logging
import textwrap

import numpy as np
import pytest

import pdesolve.harness.reference as reference
from pdesolve.cli import main

from .test_harness_solvers import register

register()

SOURCE_ONLY = textwrap.dedent("""
    name = "healing"
    [problem]
    f = "pi^2 sin(pi x)"
    g = "0"
    dim = 1

    [[solver]]
    kind = "fem"
    element = "P1"
    n = [4, 8]

    [report]
    plots = []
""")
TOY = textwrap.dedent("""
    [problem]
    name = "poisson_sine"
    dim = 1

    [[solver]]
    kind = "toy"
    n = [2, 3, 4]

    [report]
    plots = ["error_vs_dofs"]
""")


def truncate(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def run(case, out, *extra) -> int:
    return main(["run", str(case), "--out", str(out), "--quiet", *extra])


def metrics(out) -> dict:
    return {p.stem: json.loads(p.read_text())["metrics"] for p in (out / "runs").glob("*.json")}


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other settings"])
def test_a_damaged_reference_cache_is_recomputed(tmp_path, monkeypatch, caplog, damage):
    case, out = tmp_path / "case.toml", tmp_path / "out"
    case.write_text(SOURCE_ONLY)
    monkeypatch.setattr(reference, "_loaded", {})
    assert run(case, out) == 0
    (cache,) = (out / "reference").glob("formula-*.npz")
    first = metrics(out)
    if damage == "truncated":
        truncate(cache)
    elif damage == "garbage":
        cache.write_bytes(b"PK\x03\x04 not a zip file")
    else:  # a readable file that holds another reference
        np.savez(cache, meta=np.array(json.dumps({"kind": "grid", "options": {"n": 3}})),
                 values=np.zeros(5))
    monkeypatch.setattr(reference, "_loaded", {})  # a new process would read the file
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert run(case, out, "--force") == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"reference cache {cache} is unreadable (" in w and w.endswith("recomputing it")
               for w in warnings), warnings
    assert metrics(out) == first
    monkeypatch.setattr(reference, "_loaded", {})
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert run(case, out, "--force") == 0  # healed: read back without a warning
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("loaded from" in r.getMessage() for r in caplog.records)


def test_a_damaged_manifest_is_rebuilt_by_report_and_by_run(tmp_path, caplog, capsys):
    case, out = tmp_path / "case.toml", tmp_path / "out"
    case.write_text(TOY)
    assert run(case, out) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    truncate(out / "manifest.json")
    with caplog.at_level(logging.WARNING):
        assert main(["report", str(out)]) == 0
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "manifest.json is damaged (JSONDecodeError" in warning
    assert "rebuilt it from the 3 run records" in warning
    assert json.loads((out / "manifest.json").read_text()) == manifest  # same runs, same order
    assert "3 runs, 3 finished" in (out / "report.md").read_text()
    truncate(out / "manifest.json")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert run(case, out) == 0
    assert any("manifest.json was damaged" in r.getMessage() and "rewritten" in r.getMessage()
               for r in caplog.records)
    assert "3 already finished" in capsys.readouterr().out


def test_a_damaged_run_record_is_redone_and_damaged_report_settings_fall_back(tmp_path, caplog,
                                                                              capsys):
    case, out = tmp_path / "case.toml", tmp_path / "out"
    case.write_text(TOY)
    assert run(case, out) == 0
    capsys.readouterr()
    victim = sorted((out / "runs").glob("*.json"))[0]
    intact = victim.read_bytes()
    truncate(victim)
    truncate(out / "report.json")
    with caplog.at_level(logging.WARNING):
        assert run(case, out) == 0
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"run file {victim} is damaged" in m and "redone" in m for m in messages)
    assert "1 executed (0 failed), 2 already finished" in capsys.readouterr().out
    assert json.loads(victim.read_bytes())["metrics"] == json.loads(intact)["metrics"]
    truncate(out / "report.json")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(["report", str(out)]) == 0
    assert any("report.json is damaged" in r.getMessage() for r in caplog.records)


def test_json_that_is_not_a_record_counts_as_damaged_in_report_and_run(tmp_path, caplog, capsys):
    """`[]`, `{"status": "ok"}` and a record with a field of the wrong type are warned about
    and left out by `report`, and redone by `run`."""
    case, out = tmp_path / "case.toml", tmp_path / "out"
    case.write_text(TOY.replace('["error_vs_dofs"]', "[]"))
    assert run(case, out) == 0
    capsys.readouterr()
    files = sorted((out / "runs").glob("*.json"))
    wrong_type = {**json.loads(files[2].read_text()), "history": "none"}
    for path, text in zip(files, ("[]", '{"status": "ok"}', json.dumps(wrong_type))):
        path.write_text(text)
    with caplog.at_level(logging.WARNING):
        assert main(["report", str(out)]) == 2  # no record left to report
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sorted(w.split(" is damaged (")[1].split(")")[0] for w in warnings) == [
        "a JSON array, not a record", "field 'history' is missing or not a JSON array",
        "field 'run_id' is missing or not a JSON string"]
    assert run(case, out) == 0
    assert "3 executed (0 failed), 0 already finished" in capsys.readouterr().out
