"""What a running server keeps: where the memory is, whether it may write, its tokens, and the
recall models, loaded once and rebuilt only when the memory's indexes change."""

from __future__ import annotations

import os
import secrets
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.config import ServeConfig
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow


class RequestMemory(Memory):
    """One request's read of the memory: each table opened once and the sources read once (one
    question looks them up a dozen times); the next request opens anew and sees new rows."""

    def _table(self, name: str):
        tables = self.__dict__.setdefault("_request_tables", {})
        if name not in tables:
            tables[name] = super()._table(name)
        return tables[name]

    def sources(self) -> list[SourceRow]:
        if "_request_sources" not in self.__dict__:
            self._request_sources = super().sources()
        return list(self._request_sources)


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
    _load_lock: threading.Lock = field(default_factory=threading.Lock)
    ask_lock: threading.Lock = field(default_factory=threading.Lock)  # one question at a time

    def __post_init__(self) -> None:
        if self.token:
            self.write_token = self.token

    def memory(self, write: bool = False) -> Memory:
        """The memory as last committed (opened per request: an ingest's new rows show up); a
        writer gets the plain memory, whose reads see its own writes."""
        return Memory.open(self.db, write=True) if write else RequestMemory.open(self.db)

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
