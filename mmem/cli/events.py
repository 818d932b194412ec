"""`mmem events`: the timeline of what memory holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmem.cli.common import DbOption, JsonOption, db_path, handles_errors, out, print_json, source_ids


@handles_errors
def events(
    source: Annotated[str | None, typer.Option(help="Only this source: path, file name or id.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List events in time order: start-end, surprise, keyframes."""
    from mmem.recall.answer import clock
    from mmem.store.memory import Memory

    memory = Memory.open(db_path(db))
    ids = source_ids(memory, source)
    uris = {s["id"]: s["uri"] for s in memory.sources()}
    rows = memory.events(ids)
    if json_out:
        print_json({"events": [
            {"id": r["id"], "source": uris.get(r["source_id"], r["source_id"]),
             "start": r["start"], "end": r["end"], "started_at": r["started_at"],
             "surprise": round(float(r["surprise"]), 4),
             "keyframes": [str(memory.root / k) for k in r["keyframes"] or []]}
            for r in rows
        ]})
        return
    from rich.table import Table

    table = Table()
    for col in ("source", "#", "start", "end", "surprise", "keyframe"):
        table.add_column(col, overflow="fold")
    for r in rows:
        kf = r["keyframes"] or []
        table.add_row(Path(uris.get(r["source_id"], "?")).name, str(r["seq"]), clock(r["start"]),
                      clock(r["end"]), f"{r['surprise']:.2f}", str(memory.root / kf[0]) if kf else "-")
    out.print(table)
    out.print(f"{len(rows)} events")
