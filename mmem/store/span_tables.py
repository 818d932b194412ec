"""The spans table: the hierarchy (shots < events < episodes) of each run. Mixed into Memory
(which provides `_table`, `visible_runs`). A memory made before the table existed has none:
reads return nothing and callers fall back to events alone."""

from __future__ import annotations

from typing import Any

from mmem.store._util import quote as _q
from mmem.store.names import SPANS
from mmem.store.rows import SourceRow, SpanRow
from mmem.store.schema import spans_schema

LEVELS = ("shot", "event", "episode")


class SpanTables:
    _db: Any

    def _table(self, name: str) -> Any: ...  # provided by Memory

    def visible_runs(self) -> dict[str, SourceRow]: ...  # provided by Memory

    def add_spans(self, rows: list[SpanRow], run: str) -> None:
        if not rows:
            return
        t = self._table(SPANS)
        if t is None:
            t = self._db.create_table(SPANS, schema=spans_schema(), exist_ok=True)
        for r in rows:
            r.run = run
        t.add([r.to_dict() for r in rows])

    def spans(self, level: str, source_ids: list[str] | None = None) -> list[SpanRow]:
        """Visible spans of one level, in (source, start) order ([] when the table is absent)."""
        t = self._table(SPANS)
        if t is None:
            return []
        runs = self.visible_runs()
        wanted = [s for s in (source_ids if source_ids is not None else list(runs)) if s in runs]
        if not wanted:
            return []
        cond = " OR ".join(f"(source_id = {_q(s)} AND run = {_q(runs[s].run)})" for s in wanted)
        found = t.search().where(f"level = {_q(level)} AND ({cond})").limit(None).to_list()
        rows = [SpanRow.from_dict(r) for r in found]
        return sorted(rows, key=lambda r: (runs[r.source_id].uri, r.start))
