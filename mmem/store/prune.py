"""Deletion that deletes: after rows are deleted, LanceDB still holds them in older table
versions and in data files with a deletion mask. `purge` rewrites every fragment that has
deleted rows and removes every older version and unreferenced file, so no file of the memory
holds what was forgotten."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mmem.store.names import TABLES, TRANSCRIPTS

if TYPE_CHECKING:
    from mmem.store.memory import Memory


def purge(memory: Memory, names: tuple[str, ...] = TABLES) -> None:
    """Compact `names` with deleted rows materialised and drop every older version. Only the
    writer runs it (it holds the lock); a reader that had an older version open sees its next
    query fail and opens the memory again."""
    for name in names:
        t = memory._table(name)
        if t is None:
            continue
        _drop_old(t)  # compaction rewrites fragments with many deletions (and merges small ones)
        if _deletions(t):  # a fragment with few deleted rows is kept as is: rewrite the table
            t.add(t.to_arrow(), mode="overwrite")
            _drop_old(t)
        if name == TRANSCRIPTS:
            _reindex_text(memory, t)
            _drop_old(memory._table(name))


def _drop_old(t: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "removes every version except the latest": meant
        t.optimize(cleanup_older_than=timedelta(0), delete_unverified=True)


def _deletions(t: Any) -> bool:
    meta = t.list_versions()[-1].get("metadata", {})
    return str(meta.get("total_deletion_files", "0")) != "0"


def _reindex_text(memory: Memory, t: Any) -> None:
    """The full-text index still holds the words of deleted rows: build it anew."""
    for index in t.list_indices():
        if getattr(index, "index_type", "") == "FTS":
            t.drop_index(index.name)
    memory.ensure_text_index()
