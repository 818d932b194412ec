"""`mmem entities`: the people memory knows, by face and by voice; name, merge, split, forget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mmem.cli.common import (
    DbOption,
    JsonOption,
    WaitOption,
    db_path,
    handles_errors,
    open_writer,
    out,
    print_json,
    said_briefly,
)

app = typer.Typer(help="People remembered by face and voice: list, show, name, merge, split, forget.",
                  invoke_without_command=True)


def _open(db, write: bool = False, wait: bool = False):
    """The memory; a writer (name, merge, split, forget) holds the writer lock and finishes a
    pending operation first, a reader (list, show) reads the last committed state and writes
    nothing."""
    from mmem.store.memory import Memory

    return open_writer(db, wait) if write else Memory.open(db_path(db), write=False)


@app.callback()
@handles_errors
def entities(ctx: typer.Context, db: DbOption = None, json_out: JsonOption = False) -> None:
    """List entities: id, name, kind (face/voice/person), first/last seen, appearances, thumbnail."""
    if ctx.invoked_subcommand is not None:
        return
    from mmem.views.people import people_view

    view = people_view(_open(db))
    if said_briefly(view, json_out, empty=not view.people,
                    message="no entities yet: ingest media with faces or speech"):
        return
    from rich.table import Table

    table = Table()
    for col in ("id", "name", "kind", "members", "appearances", "first seen", "last seen", "thumbnail"):
        table.add_column(col, overflow="fold")
    for p in view.people:
        table.add_row(p.id, escape(p.name or "-"), p.kind, " ".join(m.id for m in p.members),
                      str(p.appearances), p.first_seen or "-", p.last_seen or "-", p.thumbnail or "-")
    out.print(table)


@app.command("show")
@handles_errors
def show(ref: Annotated[str, typer.Argument(help="Entity id (E12) or name.")],
         db: DbOption = None, json_out: JsonOption = False) -> None:
    """Where and when an entity (and whoever is linked to it) appears."""
    from mmem.timeutil import clock
    from mmem.views.people import entity_view

    view = entity_view(_open(db), ref)
    if said_briefly(view, json_out):
        return
    p = view.entity
    out.print(f"{p.id} {escape(p.name or '(unnamed)')} - {p.kind}, "
              f"{p.appearances} appearances; members {', '.join(m.id for m in p.members)}")
    for a in view.appearances:
        quote = f' "{escape(a.quote)}"' if a.quote else ""
        out.print(f"  {Path(a.source).name} {clock(a.start)}-{clock(a.end)} {a.kind} "
                  f"({a.entity_id}){quote}")


@app.command("name")
@handles_errors
def name(ref: Annotated[str, typer.Argument(help="Entity id or current name.")],
         new_name: Annotated[str, typer.Argument(help="The name to give.")], db: DbOption = None,
         wait: WaitOption = False) -> None:
    """Name an entity; linked faces and voices get the name too, for every past appearance."""
    from mmem.consolidate import people as ops

    members = ops.name(_open(db, write=True, wait=wait), ref, new_name)
    out.print(f"named {', '.join(e.id for e in members)} {escape(new_name.strip())!r}")


@app.command("merge")
@handles_errors
def merge(keep: Annotated[str, typer.Argument(help="Entity that stays.")],
          other: Annotated[str, typer.Argument(help="Entity merged into it (or linked, face with voice).")],
          db: DbOption = None, wait: WaitOption = False) -> None:
    """Two entities were one person."""
    from mmem.consolidate import people as ops

    ent = ops.merge(_open(db, write=True, wait=wait), keep, other)
    out.print(f"merged {other} into {ent.id}")


@app.command("split")
@handles_errors
def split(ref: Annotated[str, typer.Argument(help="Entity to split back into what was merged or linked.")],
          db: DbOption = None, wait: WaitOption = False) -> None:
    """Undo a wrong merge or link."""
    from mmem.consolidate import people as ops

    rows = ops.split(_open(db, write=True, wait=wait), ref)
    out.print(f"split into {', '.join(sorted({e.id for e in rows}))}")


@app.command("forget")
@handles_errors
def forget(ref: Annotated[str, typer.Argument(help="Entity to delete, with its embeddings and face crops.")],
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
           db: DbOption = None, json_out: JsonOption = False, wait: WaitOption = False) -> None:
    """Delete an entity and everything biometric about it (events and transcripts stay); older
    versions of the tables are purged, so no file of the memory keeps it."""
    from mmem.consolidate import people as ops
    from mmem.errors import InputError

    memory = _open(db, write=True, wait=wait)
    if not yes:
        if not typer.confirm(f"forget {ref} and delete its face/voice data?", default=False):
            raise InputError("nothing forgotten (pass --yes to skip this question)")
    from mmem.perceive.models import face_model

    ent, frames = ops.forget(memory, ref, faces=face_model)  # its face is found again in keyframes
    if json_out:
        print_json({"forgot": ent.id, "kind": ent.kind, "keyframes_redacted": len(frames)})
        return
    out.print(f"forgot {ent.id}" + (f"; its face smeared out of {len(frames)} keyframe(s)" if frames else ""))
