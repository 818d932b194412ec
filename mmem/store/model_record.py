"""The models a memory's vectors come from, recorded in its marker file: the vision model (and
the events table's vector width) and the sentence model of its transcripts. Mixed into Memory
(which provides `root`, `meta`, `_db`, `_table`, `has_transcripts`)."""

from __future__ import annotations

from typing import Any

from mmem.errors import ModelMismatch
from mmem.store._util import write_json as _write_json
from mmem.store.names import EVENTS
from mmem.store.schema import MARKER, events_schema


class ModelRecord:
    root: Any
    meta: dict[str, Any]
    _db: Any

    def _table(self, name: str): ...  # provided by Memory

    has_transcripts: Any  # provided by TranscriptTables

    @property
    def vector_model(self) -> dict[str, Any] | None:
        return self.meta.get("vector_model")

    def bind_vector_model(self, spec: dict[str, Any], dim: int) -> None:
        """Record the embedding model on first use; refuse a different one later."""
        current = self.vector_model
        if current is not None:
            if current.get("model_id") != spec.get("model_id"):
                raise ModelMismatch(
                    f"this memory's vectors come from {current['model_id']}, not {spec['model_id']}: "
                    f"pass --clip-model {current['clip_model']} --clip-pretrained "
                    f"{current['clip_pretrained']}, or use another --db"
                )
            return
        if self.meta.get("dim") not in (None, dim):
            self._rewidth(dim)  # no vision ever ran: every vector is null, only the width changes
        self.meta.update(vector_model=spec, dim=dim)
        _write_json(self.root / MARKER, self.meta)

    @property
    def text_model(self) -> str | None:
        """The sentence model transcripts are embedded with, as recorded at ingest (None: none yet)."""
        return self.meta.get("text_model")

    def bind_text_model(self, model_id: str) -> None:
        """Record the sentence model on first use; refuse a different one later (transcripts
        written before it was recorded were embedded with the default, all-MiniLM-L6-v2)."""
        current = self.text_model
        if current is None and self.has_transcripts():
            from mmem.weights import TEXT_MODEL

            current = TEXT_MODEL
        if current is not None and current != model_id:
            raise ModelMismatch(
                f"this memory's transcript vectors come from {current}, not {model_id}: set "
                f'text_model = "{current}" under [audio] in the recipe, or use another --db'
            )
        if self.text_model != model_id:
            self.meta["text_model"] = model_id
            _write_json(self.root / MARKER, self.meta)

    def _rewidth(self, dim: int) -> None:
        t = self._table(EVENTS)
        if t is not None:
            rows = t.to_arrow().drop_columns(["vector", "centroids"]).to_pylist()
            self._db.drop_table(EVENTS)
            t = self._db.create_table(EVENTS, schema=events_schema(dim))
            if rows:
                t.add([{**r, "vector": None, "centroids": None} for r in rows])
        self.meta["dim"] = dim

    def ensure_dim(self, dim: int) -> int:
        """Vector width of the events table, fixing it on first use."""
        if self.meta.get("dim") is None:
            self.meta["dim"] = dim
            _write_json(self.root / MARKER, self.meta)
        return int(self.meta["dim"])
