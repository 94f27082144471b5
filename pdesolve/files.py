"""Files that several processes share: atomic writes and exclusive locks."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from filelock import FileLock


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file (``.<stem>.*.tmp`` beside it), fsync
    and a rename: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data) -> None:
    """Write ``data`` as indented JSON (sorted keys, no NaN) to ``path`` atomically."""
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def file_lock(path: Path, timeout: float = -1) -> FileLock:
    """An exclusive lock on ``path`` (an flock: released when its process ends).

    ``timeout`` 0 tries once, -1 waits. The lock file stays on disk, which keeps one
    inode per lock (no race between unlinking and locking).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path, timeout=timeout, preserve_lock_file=True)
