"""The events table: events of a run, read back in time order, searched by vector. Mixed into
Memory (which provides `_table`, `_events`, `visible_runs`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from mmem.store._util import quote as _q
from mmem.store.names import EVENTS
from mmem.store.rows import EventRow, SourceRow
from mmem.types import EventRecord


class EventTables:
    def _table(self, name: str) -> Any: ...  # provided by Memory

    def _events(self) -> Any: ...  # provided by Memory

    def visible_runs(self) -> dict[str, SourceRow]: ...  # provided by Memory

    def add_events(self, records: list[EventRecord], run: str) -> None:
        if not records:
            return
        rows = []
        for r in records:
            d = asdict(r)
            d["run"] = run
            d["vector"] = None if r.vector is None else r.vector.tolist()
            d["centroids"] = None if r.centroids is None else r.centroids.tolist()
            d["centroid_weights"] = r.centroid_weights.tolist()
            d["centroid_times"] = r.centroid_times.tolist()
            rows.append(d)
        self._events().add(rows)

    def set_event_transcript(self, event_id: str, text: str) -> None:
        t = self._table(EVENTS)
        if t is not None:
            t.update(where=f"id = {_q(event_id)}", values={"transcript": text})

    def events_by_id(self, ids: list[str]) -> dict[str, EventRow]:
        t = self._table(EVENTS)
        if t is None or not ids:
            return {}
        cond = "id IN (" + ", ".join(_q(i) for i in ids) + ")"
        cols = ["id", "source_id", "run", "seq", "start", "end", "started_at", "keyframes", "transcript"]
        found = t.search().where(cond).select(cols).limit(None).to_list()
        return {r["id"]: EventRow.from_dict(r) for r in found}

    def events(self, source_ids: list[str] | None = None) -> list[EventRow]:
        """Visible events, in (source, start) order, without their vectors."""
        t = self._table(EVENTS)
        if t is None:
            return []
        runs = self.visible_runs()
        wanted = source_ids if source_ids is not None else list(runs)
        if not wanted:
            return []
        cond = " OR ".join(
            f"(source_id = {_q(s)} AND run = {_q(runs[s].run)})" for s in wanted if s in runs
        )
        if not cond:
            return []
        cols = ["id", "source_id", "seq", "start", "end", "started_at", "surprise", "keyframes",
                "n_frames", "transcript"]
        rows = [EventRow.from_dict(r) for r in t.search().where(cond).select(cols).limit(None).to_list()]
        return sorted(rows, key=lambda r: (runs[r.source_id].uri, r.start))

    def search(self, query: np.ndarray, limit: int) -> list[tuple[EventRow, float]]:
        """Events nearest to `query` by their vector or their best centroid (cosine similarity)."""
        t = self._table(EVENTS)
        if t is None:
            return []
        runs = self.visible_runs()
        best: dict[str, tuple[EventRow, float]] = {}
        q = np.asarray(query, np.float32).tolist()
        cols = ["id", "source_id", "run", "seq", "start", "end", "started_at", "keyframes", "transcript",
                "_distance"]
        for column in ("vector", "centroids"):
            hits = (
                t.search(q, vector_column_name=column)
                .distance_type("cosine")
                .select(cols)
                .limit(limit * 3)
                .to_list()
            )
            for h in hits:
                src = runs.get(h["source_id"])
                if src is None or src.run != h["run"]:
                    continue  # a stale or unfinished run
                score = 1.0 - float(h["_distance"])
                if h["id"] not in best or score > best[h["id"]][1]:
                    best[h["id"]] = (EventRow.from_dict(h), score)
        return sorted(best.values(), key=lambda p: -p[1])[:limit]
