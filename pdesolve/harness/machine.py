"""What the machine gave a run: CPU time, load average, and whether other load slowed it.

A run's wall time is *inflated by other load* when both

- the host was oversubscribed: its 1-minute load average, before or after the run, was
  above its CPU count (more runnable threads than cores, so every one of them waited), and
- the run's process got less than :data:`SHARE` of the cores it may use: CPU time (user +
  system, all threads, and children) < SHARE x wall time x min(threads, CPUs).

Its wall time is then not the method's cost on an idle machine; the report says so.
"""

from __future__ import annotations

import os
import resource

SHARE = 0.8
"""Fraction of its usable cores below which a run on an oversubscribed host is flagged."""

MIN_WALL = 0.1
"""Shorter runs are not judged (their CPU and wall times are too coarse)."""

RULE = (f"the host's 1-minute load average exceeded its CPU count and the run's CPU time was "
        f"below {SHARE:g} x wall time x min(threads, CPUs)")


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads) and its waited-for children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def load_average() -> float:
    """The host's 1-minute load average."""
    return os.getloadavg()[0]


def inflated_by_load(environment: dict) -> bool:
    """True when a run's ``environment`` (as recorded by the harness) meets the rule above."""
    cpu, wall = environment.get("cpu_seconds"), environment.get("wall_seconds")
    loads, cpus = environment.get("load_average") or [], environment.get("cpu_count")
    if cpu is None or not wall or wall < MIN_WALL or not loads or not cpus:
        return False
    usable = min(environment.get("threads") or 1, cpus)
    return max(loads) > cpus and cpu < SHARE * wall * usable
