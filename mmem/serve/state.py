"""What a running server keeps: where the memory is, whether it may write, its tokens, and the
recall models, loaded once and rebuilt only when the memory's indexes change."""

from __future__ import annotations

import copy
import os
import secrets
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.config import ServeConfig
from mmem.store.memory import Memory
from mmem.store.names import ENTITIES, SOURCES, SPANS, TRANSCRIPTS
from mmem.store.rows import EntityRow, SourceRow, SpanRow, UtteranceRow


class ReadCache:
    """Whole-table reads kept between requests, each under the versions of the tables it read:
    a question reads the same transcripts, entities and spans as the last one until an ingest
    or a write commits a new version, and then it reads anew. Bounded: a few entries per filter."""

    LIMIT = 64

    def __init__(self) -> None:
        self._entries: dict[tuple, tuple[tuple, list]] = {}

    def get(self, key: tuple, stamp: tuple) -> list | None:
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] == stamp else None

    def put(self, key: tuple, stamp: tuple, rows: list) -> None:
        if len(self._entries) >= self.LIMIT:
            self._entries.clear()
        self._entries[key] = (stamp, rows)


class RequestMemory(Memory):
    """One request's read of the memory (made by `ServeState.memory`): each table opened once,
    each whole-table read done once (one question looks them up a dozen times), from the
    server's ReadCache while the tables it read keep their versions; the next request opens
    anew and sees new rows."""

    _read_cache: ReadCache  # the server's, set by ServeState.memory

    def _table(self, name: str):
        tables = self.__dict__.setdefault("_request_tables", {})
        if name not in tables:
            tables[name] = super()._table(name)
        return tables[name]

    def _cached(self, key: tuple, tables: tuple[str, ...], load) -> list:
        mine = self.__dict__.setdefault("_request_reads", {})
        if key not in mine:  # a table's version does not change under an open handle
            stamp = tuple(None if (t := self._table(name)) is None else t.version for name in tables)
            rows = self._read_cache.get(key, stamp)
            if rows is None:
                rows = load()
                self._read_cache.put(key, stamp, rows)
            mine[key] = rows
        return [copy.copy(r) for r in mine[key]]  # a caller may set fields on its rows: not on ours

    def sources(self) -> list[SourceRow]:
        return self._cached(("sources",), (SOURCES,), super().sources)

    def entity_rows(self) -> list[EntityRow]:
        return self._cached(("entities",), (ENTITIES,), super().entity_rows)

    def transcripts(self, source_ids: list[str] | None = None) -> list[UtteranceRow]:
        key, parent = ("transcripts", None if source_ids is None else tuple(source_ids)), super()
        return self._cached(key, (TRANSCRIPTS, SOURCES), lambda: parent.transcripts(source_ids))

    def spans(self, level: str, source_ids: list[str] | None = None) -> list[SpanRow]:
        key, parent = ("spans", level, None if source_ids is None else tuple(source_ids)), super()
        return self._cached(key, (SPANS, SOURCES), lambda: parent.spans(level, source_ids))


@dataclass
class ServeState:
    db: Path | str
    device: str = "auto"
    token: str | None = None  # required on every request when set
    read_only: bool = False  # no name/merge/forget
    # what the page sends with writes: the token, or a random one only the page (same origin) sees
    write_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    _recall: Any = None
    _recall_key: Any = None
    _reads: ReadCache = field(default_factory=ReadCache)  # whole-table reads, by table version
    _load_lock: threading.Lock = field(default_factory=threading.Lock)
    ask_lock: threading.Lock = field(default_factory=threading.Lock)  # one question at a time

    def __post_init__(self) -> None:
        if self.token:
            self.write_token = self.token

    def memory(self, write: bool = False) -> Memory:
        """The memory as last committed (opened per request: an ingest's new rows show up); a
        writer gets the plain memory, whose reads see its own writes."""
        if write:
            return Memory.open(self.db, write=True)
        memory = RequestMemory.open(self.db)
        memory._read_cache = self._reads
        return memory

    def writable(self) -> bool:
        root = Memory.open(self.db).root
        return not self.read_only and isinstance(root, Path) and os.access(root, os.W_OK)

    @property
    def is_warm(self) -> bool:
        return self._recall is not None

    def warm(self) -> None:
        """Load the models and ask one question, so the first user's question is a warm one."""
        from mmem.views.answers import answer_view

        memory = self.memory()
        recall = self.recall(memory)
        with self.ask_lock:
            answer_view(memory, recall, "warm up", k=1)

    def recall(self, memory: Memory):
        """The encoders this memory needs, kept warm; rebuilt when it gains an index."""
        from mmem.recall.answer import build_recall

        key = (repr(memory.vector_model), memory.text_model, memory.has_transcripts())
        with self._load_lock:
            if self._recall is None or key != self._recall_key:
                self._recall, self._recall_key = build_recall(memory, self.device), key
                _limit_threads(ServeConfig().torch_threads)
            return self._recall


def _limit_threads(n: int) -> None:
    """Few torch threads for questions (measured: a warm question 4x faster with one thread
    than with two on a busy 2-core CPU); only when a model already imported torch."""
    if n > 0 and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
