"""The results store: ``<root>/runs/<run-id>.json``, one file per run, written atomically.

A run file appears complete or not at all (temporary file + fsync + rename), so a
sweep killed at any moment leaves only finished runs behind. ``manifest.json``
lists the runs of the latest sweep in order, so the report ignores runs of
earlier versions of the case.

Several processes may share one store: a process *claims* a run before doing it (an
exclusive lock on ``runs/.locks/<run-id>.lock``, released by the operating system if
the process dies) and writes its record while holding the claim, so a run is done by
one process at a time and a temporary file whose run nobody claims is a leftover of a
killed writer. Damaged files heal: an unreadable run record counts as not done, an
unreadable manifest is rebuilt from the records, each with a warning.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ConfigError
from ..files import file_lock, write_json_atomic
from ..result import FINISHED

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FOLDERS = ("runs", "runs/.locks", "reference")
"""The folders of a results directory that a sweep writes in."""


def check_output_directory(root: str | Path, what: str = "--out") -> None:
    """ConfigError unless ``root`` is a directory this process can write in (and in its
    :data:`FOLDERS` that exist), or can be created as one; nothing is created."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{what}: {root} is a file; give a directory (it is created if "
                          f"missing)")
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what}: cannot create {root}: {existing} is a file, not a "
                          f"directory; give a directory")
    for folder in (existing, *(root / sub for sub in FOLDERS)):
        if folder.is_dir():
            try:
                tempfile.TemporaryFile(dir=folder).close()
            except OSError as exc:
                raise ConfigError(f"{what}: cannot write in {folder} ({exc.strerror}); give "
                                  f"a directory you can write to") from None


RECORD_FIELDS = {"run_id": str, "case": str, "label": str, "solver": str, "status": str,
                 "options": dict, "swept": dict, "problem": dict, "history": list}
"""Fields every run record has, and their JSON types."""

OPTIONAL_FIELDS = {"metrics": (dict,), "dofs": (int,), "seconds": (float, int), "info": (dict,)}
"""Fields a run record may leave null, and their JSON types otherwise."""

JSON_TYPES = {str: "string", dict: "object", list: "array", int: "integer", float: "number"}


def not_a_record(record, run_id: str) -> str | None:
    """What makes decoded JSON not a record of ``run_id`` (a list, a missing field, a field
    of the wrong type), or None for a record."""
    if not isinstance(record, dict):
        return f"a JSON {JSON_TYPES.get(type(record), 'value')}, not a record"
    for key, kind in RECORD_FIELDS.items():
        if not isinstance(record.get(key), kind):
            return f"field {key!r} is missing or not a JSON {JSON_TYPES[kind]}"
    for key, kinds in OPTIONAL_FIELDS.items():
        if record.get(key) is not None and (not isinstance(record[key], kinds)
                                            or isinstance(record[key], bool)):
            return f"field {key!r} is not a JSON {JSON_TYPES[kinds[0]]} or null"
    if record["run_id"] != run_id:
        return f"it holds run {record['run_id']!r}"
    if not isinstance(record["problem"].get("name"), str):
        return "field 'problem' has no name"
    return None


def _try_lock(path: Path) -> FileLock | None:
    """The lock at ``path`` if it was free (now held by this process), else None."""
    lock = file_lock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return None
    return lock


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
        """The stored record of ``run_id``, or None (absent, unreadable, or JSON that is not
        a record of it: :func:`not_a_record`)."""
        try:
            record = json.loads(self.path(run_id).read_text(encoding="utf-8"))
            wrong = not_a_record(record, run_id)
            if wrong:
                raise ValueError(wrong)
            return record
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("run file %s is damaged (%s): the run counts as not done and is "
                        "redone", self.path(run_id), exc)
            return None

    def is_finished(self, run_id: str) -> bool:
        """True when the run is stored with a status a rerun keeps (see ``FINISHED``)."""
        record = self.load(run_id)
        return record is not None and record.get("status") in FINISHED

    def written_since(self, run_id: str, since: float | None) -> bool:
        """True when a readable record of ``run_id`` was stored at or after time ``since``."""
        try:
            recent = since is not None and self.path(run_id).stat().st_mtime >= since - 1.0
        except FileNotFoundError:
            return False
        return recent and self.load(run_id) is not None

    def claim(self, run_id: str) -> FileLock | None:
        """The lock of ``run_id`` if this process got it, None if another process holds it."""
        return _try_lock(self.runs / ".locks" / f"{run_id}.lock")

    def write(self, record: dict) -> None:
        """Store a record (atomically); the caller holds the run's claim."""
        write_json_atomic(self.path(record["run_id"]), record)

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files (``.<stem>.*.tmp``) of run records and reference caches
        that no live process is writing: a writer holds the lock of its file while it
        writes, so an unlocked temporary is the leftover of one that was killed."""
        locks = {self.runs: lambda stem: self.runs / ".locks" / f"{stem}.lock",
                 self.root / "reference": lambda stem: self.root / "reference" / f"{stem}.lock"}
        for directory, lock_path in locks.items():
            for tmp in directory.glob(".*.tmp"):
                lock = _try_lock(lock_path(tmp.name[1:].rsplit(".", 2)[0]))
                if lock is None:
                    continue
                try:
                    tmp.unlink(missing_ok=True)
                finally:
                    lock.release()

    def report_lock(self) -> FileLock:
        """The lock that serialises writing summary.csv, report.md and the figures."""
        return file_lock(self.root / ".report.lock")

    def write_manifest(self, case: str, run_ids: list[str]) -> None:
        if (self.root / MANIFEST).is_file():
            try:
                self._manifest()
            except ValueError as exc:
                log.warning("%s was damaged (%s); rewritten for this sweep",
                            self.root / MANIFEST, exc)
        write_json_atomic(self.root / MANIFEST, {"case": case, "runs": run_ids})

    def _manifest(self) -> list[str]:
        """Run ids of the manifest; ValueError when it cannot be read."""
        try:
            ids = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))["runs"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{type(exc).__name__}: {exc}") from None
        if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise ValueError("no list of run ids under 'runs'")
        return ids

    def records(self) -> list[dict]:
        """Records of the latest sweep (manifest order), or of every stored run without one.

        A damaged manifest is rebuilt from the stored records (in sweep order), with a
        warning saying so.
        """
        stored = sorted(p.stem for p in self.runs.glob("*.json"))
        if not (self.root / MANIFEST).is_file():
            return [r for r in map(self.load, stored) if r is not None]
        try:
            return [r for r in map(self.load, self._manifest()) if r is not None]
        except ValueError as exc:
            damage = str(exc)
        records = sorted((r for r in map(self.load, stored) if r is not None),
                         key=lambda r: (r.get("index", 0), r["run_id"]))
        log.warning("%s is damaged (%s): rebuilt it from the %d run records in %s (runs of "
                    "earlier versions of the case, if any, are included)", self.root / MANIFEST,
                    damage, len(records), self.runs)
        if records:
            write_json_atomic(self.root / MANIFEST, {"case": records[0].get("case", ""),
                                                     "runs": [r["run_id"] for r in records]})
        return records
