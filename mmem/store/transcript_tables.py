"""The transcripts table: utterances of a run, full-text and vector search over them. Mixed into
Memory (which provides `_table`, `_db`, `_visible`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmem.store.names import TRANSCRIPTS
from mmem.store.rows import UtteranceRow
from mmem.store.schema import transcripts_schema


class TranscriptTables:
    _db: Any

    def _table(self, name: str) -> Any: ...  # provided by Memory

    def _visible(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]: ...  # provided by Memory

    def add_transcripts(self, rows: list[UtteranceRow], run: str, dim: int, index: bool = True) -> None:
        """Utterance rows of one run; the full-text index covers them at once (`index=False`
        for concurrent writers: one writer builds it with `ensure_text_index`)."""
        if not rows:
            return
        t = self._table(TRANSCRIPTS)
        if t is None:
            t = self._db.create_table(TRANSCRIPTS, schema=transcripts_schema(dim))
        t.add([{**r.to_dict(), "run": run} for r in rows])
        if index:
            self.ensure_text_index()

    def ensure_text_index(self) -> None:
        t = self._table(TRANSCRIPTS)
        if t is None or t.count_rows() == 0:
            return
        if not any(getattr(i, "index_type", "") == "FTS" for i in t.list_indices()):
            from lancedb.index import FTS

            # stop words out: "a" and "in" must not make "a rabbit in a meadow" match any sentence
            t.create_index("norm", config=FTS(remove_stop_words=True, with_position=False))

    def has_transcripts(self) -> bool:
        t = self._table(TRANSCRIPTS)
        return t is not None and t.count_rows() > 0

    def count_transcripts(self) -> int:
        """Utterance rows stored (all runs, visible or not): a bound, not a listing."""
        t = self._table(TRANSCRIPTS)
        return 0 if t is None else t.count_rows()

    def transcripts(self, source_ids: list[str] | None = None) -> list[UtteranceRow]:
        t = self._table(TRANSCRIPTS)
        if t is None:
            return []
        cols = ["id", "source_id", "run", "event_id", "start", "end", "text", "words", "language",
                "confidence"]
        found = self._visible(t.search().select(cols).limit(None).to_list())
        rows = [UtteranceRow.from_dict(r) for r in found]
        if source_ids is not None:
            rows = [r for r in rows if r.source_id in source_ids]
        return sorted(rows, key=lambda r: (r.source_id, r.start))

    def search_text(self, norm_query: str, limit: int) -> list[tuple[UtteranceRow, float]]:
        """BM25 over normalised transcripts."""
        t = self._table(TRANSCRIPTS)
        if t is None or not norm_query.strip():
            return []
        cols = ["id", "source_id", "run", "event_id", "start", "end", "text", "_score"]
        query = t.search(norm_query, query_type="fts", fts_columns="norm")
        hits = query.select(cols).limit(limit * 3).to_list()
        return [(UtteranceRow.from_dict(h), float(h["_score"])) for h in self._visible(hits)][:limit]

    def search_transcript_vectors(self, query: np.ndarray, limit: int) -> list[tuple[UtteranceRow, float]]:
        t = self._table(TRANSCRIPTS)
        if t is None:
            return []
        cols = ["id", "source_id", "run", "event_id", "start", "end", "text", "_distance"]
        hits = (t.search(np.asarray(query, np.float32).tolist(), vector_column_name="vector")
                .distance_type("cosine").select(cols).limit(limit * 3).to_list())
        return [(UtteranceRow.from_dict(h), 1.0 - float(h["_distance"])) for h in self._visible(hits)][:limit]
