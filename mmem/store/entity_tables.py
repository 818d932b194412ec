"""Entity and appearance tables. Mixed into Memory (which provides `_table`, `_db`, `_visible`,
`meta`); operations over several tables go through mmem.store.journal."""

from __future__ import annotations

from typing import Any

from mmem.store._util import quote as _q
from mmem.store._util import write_json as _write_json
from mmem.store.names import APPEARANCES, ENTITIES
from mmem.store.rows import AppearanceRow, EntityRow
from mmem.store.schema import MARKER, appearances_schema, entities_schema


class EntityTables:
    root: Any
    meta: dict[str, Any]
    _db: Any

    def _table(self, name: str): ...  # provided by Memory

    def _visible(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]: ...  # provided by Memory

    def new_entity_id(self) -> str:
        n = int(self.meta.get("next_entity", 1))
        self.meta["next_entity"] = n + 1
        _write_json(self.root / MARKER, self.meta)
        return f"E{n}"

    def set_meta(self, **values: Any) -> None:
        self.meta.update(values)
        _write_json(self.root / MARKER, self.meta)

    def entity_rows(self) -> list[EntityRow]:
        t = self._table(ENTITIES)
        return [EntityRow.from_dict(r) for r in t.search().limit(None).to_list()] if t is not None else []

    def put_entities(self, rows: list[EntityRow]) -> None:
        if not rows:
            return
        t = self._table(ENTITIES)
        if t is None:
            t = self._db.create_table(ENTITIES, schema=entities_schema())
        full = [r.to_dict() for r in rows]
        t.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(full)

    def delete_entities(self, ids: list[str]) -> None:
        t = self._table(ENTITIES)
        if t is not None and ids:
            t.delete("id IN (" + ", ".join(_q(i) for i in ids) + ")")

    def add_appearances(self, rows: list[AppearanceRow], run: str) -> None:
        if not rows:
            return
        t = self._table(APPEARANCES)
        if t is None:
            t = self._db.create_table(APPEARANCES, schema=appearances_schema())
        names = [f.name for f in appearances_schema()]
        t.add([{k: (run if k == "run" else getattr(r, k)) for k in names} for r in rows])

    def appearances(self, entity_ids: list[str] | None = None, event_ids: list[str] | None = None,
                    with_embeddings: bool = False) -> list[AppearanceRow]:
        """Visible appearances (of current runs), in time order within each source."""
        t = self._table(APPEARANCES)
        if t is None:
            return []
        conds = []
        if entity_ids is not None:
            if not entity_ids:
                return []
            conds.append("entity_id IN (" + ", ".join(_q(i) for i in entity_ids) + ")")
        if event_ids is not None:
            if not event_ids:
                return []
            conds.append("event_id IN (" + ", ".join(_q(i) for i in event_ids) + ")")
        q = t.search()
        if conds:
            q = q.where(" AND ".join(conds))
        if not with_embeddings:
            q = q.select([f.name for f in appearances_schema() if f.name != "embedding"])
        rows = [AppearanceRow.from_dict(r) for r in self._visible(q.limit(None).to_list())]
        return sorted(rows, key=lambda r: (r.source_id, r.start))

    def reassign_appearances(self, from_ids: list[str], to_id: str, origin: str | None = None) -> None:
        t = self._table(APPEARANCES)
        if t is None or not from_ids:
            return
        cond = "entity_id IN (" + ", ".join(_q(i) for i in from_ids) + ")"
        if origin is not None:
            cond += f" AND origin_entity = {_q(origin)}"
        t.update(where=cond, values={"entity_id": to_id})

    def move_appearances(self, ids: list[str], to_id: str) -> None:
        """These appearance rows belong to `to_id` from now on, as if they had joined it (a live
        speaker relabelled: split undoes merges, not this)."""
        t = self._table(APPEARANCES)
        for i in range(0, len(ids), 500) if t is not None else ():
            cond = "id IN (" + ", ".join(_q(a) for a in ids[i:i + 500]) + ")"
            t.update(where=cond, values={"entity_id": to_id, "origin_entity": to_id})

    def delete_appearances(self, entity_ids: list[str]) -> None:
        t = self._table(APPEARANCES)
        if t is not None and entity_ids:
            t.delete("entity_id IN (" + ", ".join(_q(i) for i in entity_ids) + ")")

    def appearances_of_sources(self, source_ids: list[str]) -> list[AppearanceRow]:
        """Every appearance row of these sources (any run), with embeddings."""
        t = self._table(APPEARANCES)
        if t is None or not source_ids:
            return []
        cond = "source_id IN (" + ", ".join(_q(s) for s in source_ids) + ")"
        return [AppearanceRow.from_dict(r) for r in t.search().where(cond).limit(None).to_list()]

    def appearance_counts(self) -> dict[str, int]:
        """Appearance rows per entity (any run)."""
        t = self._table(APPEARANCES)
        counts: dict[str, int] = {}
        if t is not None:
            for r in t.search().select(["entity_id"]).limit(None).to_list():
                counts[r["entity_id"]] = counts.get(r["entity_id"], 0) + 1
        return counts
