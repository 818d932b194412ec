"""A memory directory: LanceDB tables (sources here; events, transcripts, entities and appearances
in their mixins), keyframes, and a format marker.

Every write is one LanceDB commit, so a crash or Ctrl-C leaves the tables readable at their
last version. Events belong to a *run*; only the run named on the source row is visible, so a
half-written re-ingest never mixes with (or destroys) the complete one it replaces.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmem.errors import StoreError
from mmem.store._util import now as _now
from mmem.store._util import quote as _q
from mmem.store._util import write_json as _write_json
from mmem.store.entity_tables import EntityTables
from mmem.store.event_tables import EventTables
from mmem.store.faults import storage_faults
from mmem.store.location import ObjectPath, as_location, explain, rmtree, storage_options
from mmem.store.lock import LEASE, LOCK, WriterLock
from mmem.store.model_record import ModelRecord
from mmem.store.names import APPEARANCES, EVENTS, SOURCES, SPANS, TABLES, TRANSCRIPTS
from mmem.store.rows import SourceRow
from mmem.store.schema import (
    MARKER,
    SCHEMA_VERSION,
    appearances_schema,
    events_schema,
    sources_schema,
    spans_schema,
    transcripts_schema,
)
from mmem.store.span_tables import SpanTables
from mmem.store.transcript_tables import TranscriptTables


def _check_location(root: Path | ObjectPath) -> None:
    """Raise StoreError if `root` could not hold a memory (a file, a foreign folder)."""
    if root.exists() and not root.is_dir():
        raise StoreError(f"--db {root} is a file, not a memory directory: pass a directory")
    if root.is_dir() and not (root / MARKER).exists() \
            and any(p.name not in (LOCK, LEASE) for p in root.iterdir()):
        raise StoreError(
            f"--db {root} is not an mmem memory (no {MARKER}) and is not empty: "
            "pass an empty or new directory"
        )


def _mkdir(root: Path | ObjectPath) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create --db {root} ({exc.strerror}): pass a writable directory") from None


def default_db() -> Path:
    env = os.environ.get("MMEM_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("mmem")) / "memory"


class Memory(EventTables, TranscriptTables, EntityTables, ModelRecord, SpanTables):
    def __init__(self, root: Path | ObjectPath, meta: dict[str, Any], scans_only: bool = False) -> None:
        self.root = root  # a local folder, or an object-store prefix (s3://bucket/memory)
        self.meta = meta
        self._lock: WriterLock | None = None  # held by a writer from open to close
        options = storage_options() if isinstance(root, ObjectPath) else None
        try:
            if scans_only and not os.environ.get("MMEM_PLAIN_LANCEDB"):
                from mmem.store.scans import ScanConnection

                self._db = ScanConnection(str(root / "lance"), options)
            else:
                from mmem.store._lancedb import connect

                self._db = connect(str(root / "lance"), options)
        except (ValueError, RuntimeError, OSError) as exc:
            if options is None:  # a local folder: as raised
                raise
            raise StoreError(f"{root}: {explain(exc)}") from None

    # -- opening ----------------------------------------------------------------------------
    @staticmethod
    def import_soon() -> None:
        """Start importing lancedb in the background (a writer about to load its models opens the
        memory after them without waiting for the import)."""
        from mmem.store._lancedb import import_soon

        import_soon()

    @staticmethod
    def check_location(path: Path | str) -> None:
        """Raise StoreError if `path` could not hold a memory (a file, a foreign folder)."""
        _check_location(as_location(path))

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False, write: bool | None = None,
             wait: bool = False, command: str = "mmem",
             on_wait: Callable[[str], None] | None = None, scans_only: bool = False) -> Memory:
        """Open (or with `create`, make) a memory. A writer (`write`, by default when `create`)
        takes the memory's writer lock (`mmem.store.lock`: MemoryBusy naming the holder, or with
        `wait` waits for it; `command` is what others are told holds it), finishes an operation
        an interrupted process left in the journal and sweeps what crashed runs left behind; it
        holds the lock until `close`. A reader never blocks, never writes and sees the last
        committed state. A reader opened `scans_only` reads through lancedb's compiled core
        alone (`mmem.store.scans`: plain scans, no vector search), which a cold listing opens in
        a fraction of the time; MMEM_PLAIN_LANCEDB=1 opens it through lancedb as any reader."""
        root = as_location(path)
        writer = create if write is None else write
        if writer and scans_only:
            raise ValueError("a memory opened to write is not scans_only (internal)")
        lock = None
        if writer:
            _check_location(root)
            if create:
                _mkdir(root)
            if isinstance(root, ObjectPath) or root.is_dir():
                lock = WriterLock(root, command)
                lock.acquire(wait, on_wait)
        try:
            memory = cls._open(root, create, scans_only)
            memory._lock = lock
            if writer:
                from mmem.store.journal import recover
                from mmem.store.sweep import sweep

                with storage_faults(root):
                    recover(memory)
                try:
                    sweep(memory)
                except (OSError, RuntimeError, ValueError):
                    pass  # housekeeping: a damaged table (doctor --repair) must not stop a writer
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return memory

    def close(self) -> None:
        """Release the writer lock (a reader has none). The OS releases it if the process dies."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def _open(cls, root: Path | ObjectPath, create: bool, scans_only: bool = False) -> Memory:
        marker = root / MARKER
        _check_location(root)
        if not marker.exists():
            if not create:
                raise StoreError(f"no memory at {root}: run `mmem ingest ...` first, or pass --db DIR")
            _mkdir(root)
            meta = {"format": "mmem-memory", "schema_version": SCHEMA_VERSION,
                    "created_at": _now(), "vector_model": None, "dim": None}
            with storage_faults(root):
                _write_json(marker, meta)
            return cls(root, meta)
        try:
            meta = json.loads(marker.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"{marker} is unreadable ({exc}): restore it from a backup or use another --db"
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != "mmem-memory":
            raise StoreError(f"{root} is not an mmem memory ({MARKER} is foreign): pass another --db")
        version = meta.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StoreError(
                f"{root} was written by a newer mmem (schema {version}, this one reads "
                f"{SCHEMA_VERSION}): upgrade mmem"
            )
        return cls(root, meta, scans_only)

    # -- tables -----------------------------------------------------------------------------
    def _table(self, name: str):
        try:
            return self._db.open_table(name)
        except (FileNotFoundError, ValueError):
            return None

    def _sources(self):
        t = self._table(SOURCES)
        if t is None:
            return self._db.create_table(SOURCES, schema=sources_schema())
        missing = [f for f in sources_schema() if f.name not in t.schema.names]
        if missing:  # a memory from before a column was added: add it (null in old rows)
            t.add_columns(missing)
        return t

    def _events(self):
        t = self._table(EVENTS)
        if t is None:
            dim = self.meta.get("dim")
            if dim is None:
                raise StoreError("events table has no vector width yet (internal): ingest first")
            t = self._db.create_table(EVENTS, schema=events_schema(int(dim)))
        return t

    # -- sources ----------------------------------------------------------------------------
    def source_by_hash(self, content_hash: str) -> SourceRow | None:
        t = self._table(SOURCES)
        if t is None:
            return None
        rows = t.search().where(f"content_hash = {_q(content_hash)}").limit(1).to_list()
        return SourceRow.from_dict(rows[0]) if rows else None

    def put_source(self, row: SourceRow) -> None:
        t = self._sources()
        t.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute([row.to_dict()])

    def update_source(self, source_id: str, **values: Any) -> None:
        self._sources().update(where=f"id = {_q(source_id)}", values=values)

    def sources(self) -> list[SourceRow]:
        t = self._table(SOURCES)
        return [SourceRow.from_dict(r) for r in t.search().limit(None).to_list()] if t is not None else []

    def find_sources(self, ref: str) -> list[SourceRow]:
        """Sources matching a path, a file name, or an id prefix."""
        out = []
        path = str(Path(ref).expanduser().resolve()) if ref else ""
        for row in self.sources():
            if ref in (row.id, row.uri) or row.uri == path or row.id.startswith(ref) \
                    or Path(row.uri).name == ref:
                out.append(row)
        return out

    def delete_sources(self, source_ids: list[str]) -> None:
        """Delete sources and every row of theirs (any run); their files are the caller's."""
        if not source_ids:
            return
        cond = "source_id IN (" + ", ".join(_q(s) for s in source_ids) + ")"
        for name in (EVENTS, TRANSCRIPTS, APPEARANCES, SPANS):
            t = self._table(name)
            if t is not None and t.count_rows(cond) > 0:
                t.delete(cond)
        t = self._table(SOURCES)
        if t is not None:
            t.delete("id IN (" + ", ".join(_q(s) for s in source_ids) + ")")

    def drop_runs(self, source_id: str, keep_run: str | None) -> None:
        """Delete a source's events and keyframes except those of `keep_run`."""
        cond = f"source_id = {_q(source_id)}"
        if keep_run:
            cond += f" AND run != {_q(keep_run)}"
        for name in (EVENTS, TRANSCRIPTS, APPEARANCES, SPANS):
            t = self._table(name)
            if t is not None and t.count_rows(cond) > 0:  # a delete is a commit: only when needed
                t.delete(cond)
        kdir = self.root / "keyframes" / source_id
        if kdir.is_dir():
            if keep_run is None:
                rmtree(kdir)
            else:
                for f in kdir.iterdir():
                    if f"-{keep_run}-" not in f.name:
                        f.unlink(missing_ok=True)

    def prepare(self, text_dim: int | None) -> None:
        """Create the tables concurrent writers (batch workers) append to, before they start."""
        self._events()
        if text_dim is not None and self._table(TRANSCRIPTS) is None:
            self._db.create_table(TRANSCRIPTS, schema=transcripts_schema(text_dim), exist_ok=True)
        if self._table(APPEARANCES) is None:
            self._db.create_table(APPEARANCES, schema=appearances_schema(), exist_ok=True)
        if self._table(SPANS) is None:
            self._db.create_table(SPANS, schema=spans_schema(), exist_ok=True)

    def _visible(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        runs = self.visible_runs()
        return [r for r in rows if r["source_id"] in runs and runs[r["source_id"]].run == r["run"]]

    def visible_runs(self) -> dict[str, SourceRow]:
        return {s.id: s for s in self.sources() if s.run}

    def compact(self) -> None:
        for name in TABLES:
            t = self._table(name)
            if t is not None:
                try:
                    t.optimize()
                except Exception:  # compaction is an optimisation; never fail an ingest on it
                    pass

    def versions(self) -> dict[str, int]:
        """Each existing table's current version: what changed since a reader last looked
        (`mmem serve` pushes new events when these move)."""
        out = {}
        for name in TABLES:
            t = self._table(name)
            if t is not None:
                out[name] = int(t.version)
        return out
