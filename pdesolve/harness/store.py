"""The results store: ``<root>/runs/<run-id>.json``, one file per run, written atomically.

A run file appears complete or not at all (temporary file + fsync + rename), so a
sweep killed at any moment leaves only finished runs behind. ``manifest.json``
lists the runs of the latest sweep in order, so the report ignores runs of
earlier versions of the case.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from .execute import FINISHED

log = logging.getLogger(__name__)


def write_json_atomic(path: Path, data) -> None:
    """Write ``data`` as indented JSON to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """Run records of one case under ``root``.

    Parameters
    ----------
    root : the case's results directory (``results/<case-name>``).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"

    def path(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.json"

    def load(self, run_id: str) -> dict | None:
        """The stored record of ``run_id``, or None (absent or unreadable)."""
        try:
            return json.loads(self.path(run_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("ignoring unreadable run file %s: %s", self.path(run_id), exc)
            return None

    def is_finished(self, run_id: str) -> bool:
        """True when the run is stored with a status a rerun keeps (see ``FINISHED``)."""
        record = self.load(run_id)
        return record is not None and record.get("status") in FINISHED

    def write(self, record: dict) -> None:
        write_json_atomic(self.path(record["run_id"]), record)

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files left by a writer that was killed mid-write."""
        for tmp in self.runs.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def write_manifest(self, case: str, run_ids: list[str]) -> None:
        write_json_atomic(self.root / "manifest.json", {"case": case, "runs": run_ids})

    def records(self) -> list[dict]:
        """Records of the latest sweep (manifest order), or of every stored run without one."""
        manifest = self.root / "manifest.json"
        if manifest.is_file():
            ids = json.loads(manifest.read_text(encoding="utf-8"))["runs"]
        else:
            ids = sorted(p.stem for p in self.runs.glob("*.json"))
        return [r for r in map(self.load, ids) if r is not None]
