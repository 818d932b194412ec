"""The batch's single writer: matches each file's faces and voices to entities and makes the
file visible, in file order, whatever order workers finish in.

A file becomes visible in one journalled step (entities, then its source row): killed before
the step, the file is redone from scratch by the next batch; killed inside it, the next command
that opens the memory finishes the step. Either way the final memory is the one an uninterrupted
batch writes: same event ids, same entities, same appearances.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mmem.batch.worker import FileResult
from mmem.store.memory import Memory


class Writer:
    def __init__(self, memory: Memory, people: bool) -> None:
        from mmem.consolidate.entities import EntityIndex
        from mmem.store.rows import entity_from_row as from_row

        self.memory = memory
        self.next_entity = int(memory.meta.get("next_entity", 1))
        rows = memory.entity_rows() if people else []
        self.index = EntityIndex([from_row(r) for r in rows], self._new_id) if people else None

    def _new_id(self) -> str:  # counted here, persisted with the commit that uses it
        n = self.next_entity
        self.next_entity += 1
        return f"E{n}"

    def commit(self, res: FileResult) -> None:
        """Make one ingested file visible (other results need nothing written)."""
        from mmem.consolidate.people import meet_all
        from mmem.store.journal import run_journalled
        from mmem.store.rows import entity_to_row as to_row

        if res.status != "ingested" or res.source is None:
            return
        memory, source = self.memory, res.source
        rows = []
        if self.index is not None and res.meetings:
            rows = meet_all(self.index, memory.root, source.id, res.meetings)
            memory.add_appearances(rows, source.run or "")  # invisible until the source row points at them
        res.appearances, res.meetings = len(rows), []
        touched = [to_row(self.index.entities[i]).to_dict() for i in sorted(self.index.touched)] \
            if self.index else []
        op = {"op": "ingest", "source": source.to_dict(), "rows": touched, "next_entity": self.next_entity}
        run_journalled(memory, op)
        if self.index is not None:
            self.index.touched.clear()
        memory.ensure_text_index()


def in_order(results: Iterable[FileResult], first: int = 0) -> Iterator[FileResult]:
    """Results re-ordered by item index, each yielded as soon as all earlier ones have been."""
    waiting: dict[int, FileResult] = {}
    nxt = first
    for res in results:
        waiting[res.index] = res
        while nxt in waiting:
            yield waiting.pop(nxt)
            nxt += 1
    yield from (waiting[i] for i in sorted(waiting))  # only when some result never came
