"""In a terminal, the sweep's progress bar stays on its line: every log line and warning
(of this process and of worker processes) is printed above it, never inside it; off a
terminal there is no bar at all."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import textwrap
from pathlib import Path

import pytest

from .test_cli import CLI

termios = pytest.importorskip("termios", reason="needs a POSIX terminal")
import fcntl  # noqa: E402 - POSIX only, like termios
import pty  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASE = textwrap.dedent("""
    [problem]
    name = "poisson_sine"
    dim = 1

    [[solver]]
    kind = "toy"
    n = [1, 2, 3]
    mode = ["ok", "warn"]
    delay = 0.15

    [report]
    plots = []
""")
LOG_LINE = re.compile(r"^(INFO|WARNING) \S+: ")


def run_in_terminal(argv: list[str], columns: int = 100) -> tuple[int, str]:
    """Exit status and everything written to a pseudo-terminal of ``columns`` columns."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def segments(output: str) -> list[str]:
    """What is drawn between carriage returns and newlines, in order (blank ones dropped)."""
    return [s for s in re.split(r"[\r\n]", output) if s.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_log_lines_print_above_the_bar(tmp_path, workers):
    case = tmp_path / "toy.toml"
    case.write_text(CASE)
    code, output = run_in_terminal(CLI + ["run", str(case), "--out", str(tmp_path / "out"),
                                          "--workers", workers])
    assert code == 0, output
    parts = segments(output)
    bars = [i for i, s in enumerate(parts) if re.search(r"\d+/6 \[", s)]
    logs = [i for i, s in enumerate(parts) if re.search(r"INFO|WARNING", s)]
    assert bars and len(logs) >= 6 + 3 * 2  # a line per run, two warnings per "warn" run
    # a log line is always a segment of its own, starting at the left edge
    assert all(LOG_LINE.match(parts[i]) for i in logs), [parts[i] for i in logs]
    assert not any(re.search(r"INFO|WARNING", parts[i]) for i in bars)
    warnings = [parts[i] for i in logs if parts[i].startswith("WARNING")]
    assert sum("toy warning n=" in w for w in warnings) == 3  # warnings.warn, from any process
    finished = [i for i in logs if "toy mode=" in parts[i]]
    assert len(finished) == 6 and max(finished) < max(bars)  # the bar is drawn last
    assert "6/6" in parts[max(bars)]


@pytest.mark.slow
def test_no_bar_off_a_terminal(tmp_path):
    case = tmp_path / "toy.toml"
    case.write_text(CASE)
    proc = subprocess.run(CLI + ["run", str(case), "--out", str(tmp_path / "out")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "%|" not in proc.stderr
    assert all(LOG_LINE.match(line) for line in proc.stderr.splitlines()), proc.stderr
