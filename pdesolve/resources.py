"""What this machine has to give a run: memory now available, and the check that a run fits.

Used when a case is validated, so that a run too large for the machine is refused with
one sentence before anything runs, instead of failing after minutes with MemoryError.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

GB = 1e9

_CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                 ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


def _meminfo_available() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _cgroup_available() -> float | None:
    """Limit minus usage of this process's memory cgroup (containers), if it has a limit."""
    for limit_file, usage_file in _CGROUP_FILES:
        try:
            limit = Path(limit_file).read_text().strip()
            usage = float(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and float(limit) < 2**60:
            return max(float(limit) - usage, 0.0)
    return None


def available_memory() -> float | None:
    """Bytes of memory a new run can use now (MemAvailable, capped by a cgroup limit);
    None when the system does not tell."""
    values = [v for v in (_meminfo_available(), _cgroup_available()) if v is not None]
    return min(values) if values else None


def require_memory(needed: float, what: str) -> None:
    """ConfigError ``"<what> needs about X GB of memory; Y GB available"`` when ``needed``
    bytes exceed the memory available now."""
    available = available_memory()
    if available is not None and needed > available:
        raise ConfigError(f"{what} needs about {needed / GB:.3g} GB of memory; "
                          f"{available / GB:.3g} GB available on this machine")
