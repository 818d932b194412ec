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
    said_briefly,
    source_ids,
)


@handles_errors
def events(
    source: Annotated[str | None, typer.Option(help="Only this source: path, file name or id.")] = None,
    level: Annotated[str, typer.Option(
        help="shot (between cuts), event (default: shots that continue one scene) or episode "
             "(runs of events).")] = "event",
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List events in time order: start-end, surprise, keyframes (or shots, or episodes)."""
    from mmem.errors import InputError
    from mmem.store.memory import Memory
    from mmem.store.span_tables import LEVELS
    from mmem.timeutil import clock
    from mmem.views.timeline import events_view

    if level not in LEVELS:
        raise InputError(f"--level must be one of {', '.join(LEVELS)} (got {level!r})")
    memory = Memory.open(db_path(db), scans_only=True)  # a listing: no lancedb package
    view = events_view(memory, source_ids(memory, source), level)
    if said_briefly(view, json_out):
        return
    from rich.table import Table

    from mmem.cli.common import out  # made now: --json printed without rich

    table = Table()
    for col in ("source", "#", "start", "end", "surprise" if level == "event" else "opened by", "keyframe"):
        table.add_column(col, overflow="fold")
    for e in view.events:
        table.add_row(Path(e.source).name, str(e.seq), clock(e.start), clock(e.end),
                      f"{e.surprise:.2f}" if level == "event" else (e.kind or "-"),
                      e.keyframes[0] if e.keyframes else "-")
    out.print(table)
    out.print(f"{len(view.events)} {level}s")
