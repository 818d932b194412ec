"""The journal that makes multi-table writes safe to interrupt.

An operation (an entity name/merge/split/forget, a batch file's commit, a live session's
speakers relabelled) is written to `journal.json` first, then carried out in idempotent steps,
then the journal is removed. A writer that finds a journal left by an interrupted process
finishes it first (`recover`); readers never do: they read the tables' last committed state.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mmem.store._util import write_json
from mmem.store.location import rmtree
from mmem.store.prune import purge
from mmem.store.rows import EntityRow, SourceRow

if TYPE_CHECKING:
    from mmem.store.memory import Memory

JOURNAL = "journal.json"


def pending(root: Any) -> dict[str, Any] | None:
    """An operation that was interrupted (written before, removed after), or None."""
    path = root / JOURNAL
    try:
        return json.loads(path.read_text()) if path.exists() else None
    except (OSError, ValueError):
        return None


def run_journalled(memory: Memory, op: dict[str, Any]) -> None:
    """Write the operation to the journal, carry it out, clear the journal."""
    write_json(memory.root / JOURNAL, op)
    apply(memory, op)
    (memory.root / JOURNAL).unlink(missing_ok=True)


def apply(memory: Memory, op: dict[str, Any]) -> None:
    """Every step is idempotent: running an operation twice equals running it once."""
    kind = op["op"]
    rows = [EntityRow.from_dict(r) for r in op["rows"]]
    if kind == "merge":
        memory.put_entities(rows)
        memory.reassign_appearances([op["drop"]], op["keep"])
        memory.delete_entities([op["drop"]])
    elif kind == "split":
        memory.put_entities(rows)
        for origin in op["moves"]:
            memory.reassign_appearances([op["entity"]], origin, origin=origin)
    elif kind == "forget":
        if op.get("redact"):  # first: its boxes were found with the vectors deleted next
            from mmem.store.redact import redact

            redact(memory.root, op["redact"])
        memory.delete_appearances([op["entity"]])
        memory.delete_entities([op["entity"]])
        memory.put_entities(rows)
        for rel in op["thumbs"]:
            (memory.root / rel).unlink(missing_ok=True)
        rmtree(memory.root / "entities" / op["entity"])
        purge(memory)  # no older version or file still holds what was forgotten
    elif kind == "forget_sources":  # sources, with the entities only they showed
        memory.delete_sources(op["sources"])
        memory.delete_appearances(op["entities"])
        memory.delete_entities(op["entities"])
        memory.put_entities(rows)
        for rel in op["thumbs"]:
            (memory.root / rel).unlink(missing_ok=True)
        for folder in [f"entities/{e}" for e in op["entities"]] + [f"keyframes/{s}" for s in op["sources"]]:
            rmtree(memory.root / folder)
        purge(memory)
    elif kind == "relabel":  # a live session's turns moved to their re-clustered speakers
        memory.put_entities(rows)  # first: an entity founded by a cluster exists before its turns
        for target, appearances in op["moves"].items():
            memory.move_appearances(appearances, target)
        memory.delete_entities(op["drop"])
    elif kind == "ingest":  # a batch file's commit: its entities, then the source row that shows it
        memory.put_entities(rows)
        if int(memory.meta.get("next_entity", 1)) < op["next_entity"]:
            memory.set_meta(next_entity=op["next_entity"])
        memory.put_source(SourceRow.from_dict(op["source"]))
        memory.drop_runs(op["source"]["id"], op["source"]["run"])
    else:  # name, link
        memory.put_entities(rows)


def recover(memory: Memory) -> bool:
    """Finish an operation that was interrupted. True if there was one. Writers only."""
    op = pending(memory.root)
    if op is None:
        return False
    apply(memory, op)
    (memory.root / JOURNAL).unlink(missing_ok=True)
    return True
