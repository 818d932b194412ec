"""A memory's health for `mmem doctor`: disk use per table, versions kept, orphans, a pending
journal, who writes; and `repair`, which puts a table whose files are damaged back to its last
version that reads whole."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmem.store.names import TABLES

if TYPE_CHECKING:
    from mmem.store.memory import Memory


@dataclass
class TableHealth:
    name: str
    rows: int | None  # None: unreadable
    versions: int
    bytes: int
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "versions": self.versions, "bytes": self.bytes, "error": self.error}


@dataclass
class Health:
    tables: list[TableHealth] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # keyframes / entities (crops): bytes
    orphans: dict[str, Any] = field(default_factory=dict)
    journal: str | None = None  # the operation a crashed writer left, finished by the next writer
    writer: dict[str, Any] | None = None  # who holds the writer lock now

    def to_json(self) -> dict[str, Any]:
        return {"tables": {t.name: t.to_json() for t in self.tables}, "files": self.files,
                "orphans": self.orphans, "journal": self.journal, "writer": self.writer}


def _size(path: Any) -> int:
    if not isinstance(path, Path):
        return 0  # object stores: not walked (it would list every object)
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            try:
                total += (Path(folder) / f).stat().st_size
            except OSError:
                pass
    return total


def _check(t: Any) -> None:
    """Read every column of every row (a damaged file fails here)."""
    t.to_arrow()


def health(memory: Memory) -> Health:
    """Reads only."""
    from mmem.store.journal import pending
    from mmem.store.lock import holder
    from mmem.store.sweep import orphans

    out = Health()
    for name in TABLES:
        t = memory._table(name)
        if t is None:
            continue
        size = _size(memory.root / "lance" / f"{name}.lance")
        try:
            _check(t)
            out.tables.append(TableHealth(name, t.count_rows(), len(t.list_versions()), size))
        except (OSError, RuntimeError, ValueError) as exc:
            out.tables.append(TableHealth(name, None, len(t.list_versions()), size, _first(exc)))
    out.files = {d: _size(memory.root / d) for d in ("keyframes", "entities")}
    if all(t.error is None for t in out.tables):
        out.orphans = orphans(memory).to_json()
    op = pending(memory.root)
    out.journal = op.get("op") if op else None
    out.writer = holder(memory.root)
    return out


def repair(memory: Memory) -> dict[str, str]:
    """For each table that does not read whole: restore the newest older version that does
    (a writer, under the lock). Returns table -> what was done."""
    done: dict[str, str] = {}
    for name in TABLES:
        t = memory._table(name)
        if t is None:
            continue
        try:
            _check(t)
            continue
        except (OSError, RuntimeError, ValueError):
            pass
        current = t.version
        for v in sorted((int(x["version"]) for x in t.list_versions()), reverse=True):
            if v >= current:
                continue
            try:
                t.checkout(v)
                _check(t)
            except (OSError, RuntimeError, ValueError):
                continue
            t.restore(v)
            done[name] = f"restored version {v} (of {current})"
            break
        else:
            t.checkout_latest()
            done[name] = "no older version reads whole: restore the memory from a backup"
    return done


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
