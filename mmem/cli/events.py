"""`mmem events`: the timeline of what memory holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmem.cli.common import (
    DbOption,
    JsonOption,
    db_path,
    handles_errors,
    out,
    said_briefly,
    source_ids,
)


@handles_errors
def events(
    source: Annotated[str | None, typer.Option(help="Only this source: path, file name or id.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List events in time order: start-end, surprise, keyframes."""
    from mmem.recall.answer import clock
    from mmem.store.memory import Memory
    from mmem.views.timeline import events_view

    memory = Memory.open(db_path(db))
    view = events_view(memory, source_ids(memory, source))
    if said_briefly(view, json_out):
        return
    from rich.table import Table

    table = Table()
    for col in ("source", "#", "start", "end", "surprise", "keyframe"):
        table.add_column(col, overflow="fold")
    for e in view.events:
        table.add_row(Path(e.source).name, str(e.seq), clock(e.start), clock(e.end), f"{e.surprise:.2f}",
                      e.keyframes[0] if e.keyframes else "-")
    out.print(table)
    out.print(f"{len(view.events)} events")
