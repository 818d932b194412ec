"""`mmem forget`: delete sources (by --source, or ingested/recorded --before a date) with
everything remembered from them, and purge older versions so no file keeps them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mmem.cli.common import DbOption, JsonOption, WaitOption, handles_errors, open_writer, out, print_json
from mmem.errors import InputError


def _date(value: str):
    from datetime import datetime, timezone

    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"--before {value!r} is not a date: pass e.g. 2026-11-30 or 2026-11-30T08:00") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


@handles_errors
def forget(
    source: Annotated[str | None, typer.Option("--source", help="Source to forget: path, file name or id prefix.")] = None,
    before: Annotated[str | None, typer.Option("--before", help="Forget sources recorded (live) or ingested before this date/time (ISO, UTC unless it says).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
    wait: WaitOption = False,
) -> None:
    """Delete sources and everything remembered from them: events, transcripts, keyframes, face and
    voice appearances (and people only they showed); no older version on disk keeps them."""
    from mmem.consolidate.forgetting import forget_sources, select_sources

    if source is None and before is None:
        raise InputError("say what to forget: --source FILE_OR_ID and/or --before DATE")
    when = _date(before) if before is not None else None
    memory = open_writer(db, wait)
    try:
        found = select_sources(memory, source, when)
        if not found:
            raise InputError("no source matches: see `mmem events` for what memory holds")
        if not yes:
            names = ", ".join(s.uri.rsplit("/", 1)[-1] for s in found[:5]) + (" ..." if len(found) > 5 else "")
            if not typer.confirm(f"forget {len(found)} source(s) ({names}) and all that was remembered from them?",
                                 default=False):
                raise InputError("nothing forgotten (pass --yes to skip this question)")
        done = forget_sources(memory, found)
    finally:
        memory.close()
    if json_out:
        print_json(done.to_json())
        return
    out.print(f"forgot {len(done.sources)} source(s): "
              + ", ".join(escape(s.uri.rsplit("/", 1)[-1]) for s in done.sources)
              + (f"; and entities {', '.join(done.entities)}" if done.entities else ""))
