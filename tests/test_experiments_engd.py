"""Experiment engd: case files through the harness, analysis of the stored records, quick run."""

import json

import pytest

from pdesolve.experiments import EXPERIMENTS, run_experiment, write_experiment_report
from pdesolve.experiments import engd
from pdesolve.experiments.stored import experiment_case
from pdesolve.harness import expand_case


def record(label, errors, seconds_per_step=0.1, seed=0, final=None, status="ok"):
    history = [{"step": s, "seconds": s * seconds_per_step, "l2_rel": e} for s, e in errors]
    return {"label": label, "seed": seed, "swept": {}, "history": history, "status": status,
            "seconds": history[-1]["seconds"], "info": {"steps": history[-1]["step"]},
            "metrics": {"l2_rel": final if final is not None else errors[-1][1]}}


def test_history_helpers_read_the_monitored_errors():
    r = record("ENGD", [(0, 1.0), (10, 1e-3), (50, 1e-8), (60, 5e-9)])
    assert engd.history_error(r, 51) == 1e-8 and engd.history_error(r, 9) is None
    assert engd.first_below(r, 1e-7) == (50, 5.0) and engd.first_below(r, 1e-10) is None
    assert abs(engd.seconds_per_step(r) - 0.1) < 1e-12


def test_verdict_states_the_ratios_at_equal_time():
    records = {"engd_pinn2d": [record("ENGD", [(0, 1.0), (100, 1e-8)]),
                               record("Adam", [(0, 1.0), (1000, 1e-4)]),
                               record("L-BFGS", [(0, 1.0), (300, 2e-4)])]}
    text = engd.verdict(records)
    assert "ENGD 1.00e-08" in text and "(10000x ENGD's error)" in text
    assert "(20000x ENGD's error)" in text


def test_every_case_validates_at_full_size():
    assert "engd" in EXPERIMENTS
    for name in engd.CASES:
        specs = expand_case(experiment_case(name))
        assert any(s.options["optimizer"] == "engd" for s in specs), name


@pytest.mark.slow
def test_quick_run_writes_the_report_and_resumes(tmp_path):
    report = run_experiment("engd", tmp_path, quick=True)
    text = report.read_text()
    for name in engd.CASES:
        assert f"## {name}" in text and (tmp_path / name / "report.md").is_file()
    assert "monitored error at step 51" in text and "monitored error at step 201" in text
    assert text.count("| ENGD |") >= len(engd.CASES)
    for png in ("iterations.png", "time.png"):
        assert (tmp_path / png).stat().st_size > 1000
    run_file = next((tmp_path / "engd_pinn2d" / "runs").glob("*.json"))
    stamp = run_file.stat().st_mtime_ns
    run_experiment("engd", tmp_path, quick=True)  # everything stored: nothing is run again
    assert run_file.stat().st_mtime_ns == stamp
    (tmp_path / "report.md").unlink()
    assert write_experiment_report(tmp_path).read_text() == text
    assert json.loads(run_file.read_text())["status"] == "ok"
