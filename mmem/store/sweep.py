"""What crashed runs leave behind, found (`orphans`, for `mmem doctor`) and removed (`sweep`, by
every writer when it opens the memory, under the writer lock).

An orphan is a row or a file no committed state points at:
- rows of events, transcripts and appearances whose run is not the one their source row names
  (a run killed before its commit, or replaced by a later one);
- appearances of an entity that does not exist (matched by a run that never committed);
- face crops (entities/<id>/*.jpg) no appearance or entity points at, folders of entities that
  do not exist, and keyframes no event points at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mmem.store._util import quote as _q
from mmem.store.location import rmtree
from mmem.store.names import APPEARANCES, EVENTS, SPANS, TRANSCRIPTS

if TYPE_CHECKING:
    from mmem.store.memory import Memory


@dataclass
class Orphans:
    rows: dict[str, int] = field(default_factory=dict)  # table -> orphan rows
    files: list[str] = field(default_factory=list)  # paths relative to the memory
    _conds: dict[str, str] = field(default_factory=dict, repr=False)  # table -> delete filter

    @property
    def empty(self) -> bool:
        return not any(self.rows.values()) and not self.files

    def to_json(self) -> dict[str, Any]:
        return {"rows": {k: v for k, v in self.rows.items() if v}, "files": len(self.files)}


def _stale(memory: Memory, name: str, runs: dict[str, str], extra: list[str]) -> tuple[int, str | None]:
    """Rows of `name` whose (source, run) is not visible: (count, delete filter)."""
    t = memory._table(name)
    if t is None:
        return 0, None
    cols = ["source_id", "run", *extra]
    pairs: set[tuple[str, str]] = set()
    n = 0
    for r in t.search().select(cols).limit(None).to_list():
        if runs.get(r["source_id"]) != r["run"]:
            pairs.add((r["source_id"], r["run"]))
            n += 1
    conds = [f"(source_id = {_q(s)} AND run = {_q(run)})" if run is not None
             else f"(source_id = {_q(s)} AND run IS NULL)" for s, run in sorted(pairs, key=str)]
    return n, " OR ".join(conds) or None


def orphans(memory: Memory) -> Orphans:
    """What a sweep would remove. Reads only."""
    found = Orphans()
    runs = {s.id: s.run for s in memory.sources() if s.run}
    for name in (EVENTS, TRANSCRIPTS, APPEARANCES, SPANS):
        n, cond = _stale(memory, name, runs, [])
        found.rows[name] = n
        if cond:
            found._conds[name] = cond
    entity_ids = {r.id for r in memory.entity_rows()}
    kept_thumbs = {r.thumbnail for r in memory.entity_rows() if r.thumbnail}
    apps = memory._table(APPEARANCES)
    if apps is not None:
        lost = []
        cols = ["id", "entity_id", "source_id", "run", "thumbnail"]
        for r in apps.search().select(cols).limit(None).to_list():
            stale = runs.get(r["source_id"]) != r["run"]
            if r["entity_id"] not in entity_ids and not stale:
                lost.append(r["entity_id"])
            elif not stale and r["thumbnail"]:
                kept_thumbs.add(r["thumbnail"])
        if lost:
            found.rows[APPEARANCES] += len(lost)
            cond = "entity_id IN (" + ", ".join(_q(i) for i in sorted(set(lost))) + ")"
            prev = found._conds.get(APPEARANCES)
            found._conds[APPEARANCES] = f"({prev}) OR {cond}" if prev else cond
    found.files += _files(memory.root, "entities",
                          lambda rel, top: top not in entity_ids or rel not in kept_thumbs)
    kept_frames = _keyframes(memory, runs)
    found.files += _files(memory.root, "keyframes", lambda rel, top: rel not in kept_frames)
    return found


def _keyframes(memory: Memory, runs: dict[str, str]) -> set[str]:
    t = memory._table(EVENTS)
    if t is None:
        return set()
    kept: set[str] = set()
    for r in t.search().select(["source_id", "run", "keyframes"]).limit(None).to_list():
        if runs.get(r["source_id"]) == r["run"]:
            kept.update(r["keyframes"] or [])
    return kept


def _files(root: Any, top: str, orphan) -> list[str]:
    """Files under root/top/<folder>/ for which `orphan(relative path, folder)` holds."""
    base = root / top
    if not base.is_dir():
        return []
    out = []
    for folder in base.iterdir():
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            rel = f"{top}/{folder.name}/{f.name}"
            if orphan(rel, folder.name):
                out.append(rel)
    return sorted(out)


def sweep(memory: Memory) -> Orphans:
    """Remove the orphans (a writer, under the writer lock: no run is in flight), and mark a
    source a dead process left `ingesting` (it could not say so: a full disk, kill -9)
    `incomplete`, which the next ingest of it redoes. A live session commits as it goes, so one
    left `live` by a dead process keeps the events and people it committed; it becomes
    `interrupted`, with the events and the length they cover (its row was to get them at the end)."""
    for s in memory.sources():
        if s.status == "ingesting":
            memory.update_source(s.id, status="incomplete")
        elif s.status == "live":
            events = memory.events([s.id])
            memory.update_source(s.id, status="interrupted", n_events=len(events),
                                 duration=max((e.end for e in events), default=0.0))
    found = orphans(memory)
    if found.empty:
        return found
    for name, cond in found._conds.items():
        t = memory._table(name)
        if t is not None:
            t.delete(cond)
    for rel in found.files:
        (memory.root / rel).unlink(missing_ok=True)
    for top in ("entities", "keyframes"):  # folders left empty
        base = memory.root / top
        if base.is_dir():
            for folder in base.iterdir():
                if folder.is_dir() and not any(True for _ in folder.iterdir()):
                    rmtree(folder)
    return found
