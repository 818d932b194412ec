"""`mmem entities`: the people memory knows, by face and by voice; name, merge, split, forget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mmem.cli.common import DbOption, JsonOption, db_path, handles_errors, out, print_json

app = typer.Typer(help="People remembered by face and voice: list, show, name, merge, split, forget.",
                  invoke_without_command=True)


def _open(db, write: bool = False):
    """The memory; a writer (name, merge, split, forget) finishes a pending operation first,
    a reader (list, show) reads the last committed state and writes nothing."""
    from mmem.store.memory import Memory

    return Memory.open(db_path(db), write=write)


def people(memory) -> list[dict[str, Any]]:
    """Entities grouped into persons (linked face + voice), with their appearance counts."""
    rows = memory.entity_rows()
    counts: dict[str, int] = {}
    for a in memory.appearances():
        counts[a["entity_id"]] = counts.get(a["entity_id"], 0) + 1
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["person"] or r["id"], []).append(r)
    out_rows = []
    for pid, members in groups.items():
        members.sort(key=lambda r: (r["kind"] != "face", r["id"]))
        seen = [m[k] for m in members for k in ("first_seen", "last_seen") if m[k]]
        out_rows.append({
            "id": pid,
            "kind": "person" if len({m["kind"] for m in members}) > 1 else members[0]["kind"],
            "name": next((m["name"] for m in members if m["name"]), None),
            "first_seen": min(seen) if seen else None,
            "last_seen": max(seen) if seen else None,
            "appearances": sum(counts.get(m["id"], 0) for m in members),
            "thumbnail": next((str(memory.root / m["thumbnail"]) for m in members if m["thumbnail"]), None),
            "members": [{"id": m["id"], "kind": m["kind"]} for m in members],
        })
    return sorted(out_rows, key=lambda p: int(p["id"][1:]) if p["id"][1:].isdigit() else 0)


@app.callback()
@handles_errors
def entities(ctx: typer.Context, db: DbOption = None, json_out: JsonOption = False) -> None:
    """List entities: id, name, kind (face/voice/person), first/last seen, appearances, thumbnail."""
    if ctx.invoked_subcommand is not None:
        return
    memory = _open(db)
    rows = people(memory)
    if json_out:
        print_json({"entities": rows})
        return
    if not rows:
        out.print("no entities yet: ingest media with faces or speech")
        return
    from rich.table import Table

    table = Table()
    for col in ("id", "name", "kind", "members", "appearances", "first seen", "last seen", "thumbnail"):
        table.add_column(col, overflow="fold")
    for p in rows:
        table.add_row(p["id"], escape(p["name"] or "-"), p["kind"], " ".join(m["id"] for m in p["members"]),
                      str(p["appearances"]), p["first_seen"] or "-", p["last_seen"] or "-", p["thumbnail"] or "-")
    out.print(table)


@app.command("show")
@handles_errors
def show(ref: Annotated[str, typer.Argument(help="Entity id (E12) or name.")],
         db: DbOption = None, json_out: JsonOption = False) -> None:
    """Where and when an entity (and whoever is linked to it) appears."""
    from mmem.consolidate.people import load_index, resolve
    from mmem.recall.answer import clock

    memory = _open(db)
    index = load_index(memory)
    ent = resolve(index, ref)
    group = index.members(ent.person)
    summary = next(p for p in people(memory) if p["id"] == ent.person)
    uris = {s["id"]: s["uri"] for s in memory.sources()}
    said = {r["id"]: r["text"] for r in memory.transcripts()}
    events = memory.events_by_id(list({a["event_id"] for a in memory.appearances([e.id for e in group])}))
    apps = [{
        "entity_id": a["entity_id"], "kind": a["kind"], "source": uris.get(a["source_id"], a["source_id"]),
        "event_id": a["event_id"], "start": a["start"], "end": a["end"], "score": round(float(a["score"]), 4),
        "quote": said.get(a["utterance"]) if a["utterance"] else None,
        "keyframe": str(memory.root / events[a["event_id"]]["keyframes"][0])
        if a["event_id"] in events and events[a["event_id"]]["keyframes"] else None,
        "thumbnail": str(memory.root / a["thumbnail"]) if a["thumbnail"] else None,
    } for a in memory.appearances([e.id for e in group])]
    if json_out:
        print_json({"entity": summary, "appearances": apps})
        return
    out.print(f"{summary['id']} {escape(summary['name'] or '(unnamed)')} - {summary['kind']}, "
              f"{summary['appearances']} appearances; members {', '.join(m['id'] for m in summary['members'])}")
    for a in apps:
        quote = f' "{escape(a["quote"])}"' if a["quote"] else ""
        out.print(f"  {Path(a['source']).name} {clock(a['start'])}-{clock(a['end'])} {a['kind']} "
                  f"({a['entity_id']}){quote}")


@app.command("name")
@handles_errors
def name(ref: Annotated[str, typer.Argument(help="Entity id or current name.")],
         new_name: Annotated[str, typer.Argument(help="The name to give.")], db: DbOption = None) -> None:
    """Name an entity; linked faces and voices get the name too, for every past appearance."""
    from mmem.consolidate import people as ops

    members = ops.name(_open(db, write=True), ref, new_name)
    out.print(f"named {', '.join(e.id for e in members)} {escape(new_name.strip())!r}")


@app.command("merge")
@handles_errors
def merge(keep: Annotated[str, typer.Argument(help="Entity that stays.")],
          other: Annotated[str, typer.Argument(help="Entity merged into it (or linked, face with voice).")],
          db: DbOption = None) -> None:
    """Two entities were one person."""
    from mmem.consolidate import people as ops

    ent = ops.merge(_open(db, write=True), keep, other)
    out.print(f"merged {other} into {ent.id}")


@app.command("split")
@handles_errors
def split(ref: Annotated[str, typer.Argument(help="Entity to split back into what was merged or linked.")],
          db: DbOption = None) -> None:
    """Undo a wrong merge or link."""
    from mmem.consolidate import people as ops

    rows = ops.split(_open(db, write=True), ref)
    out.print(f"split into {', '.join(sorted({e.id for e in rows}))}")


@app.command("forget")
@handles_errors
def forget(ref: Annotated[str, typer.Argument(help="Entity to delete, with its embeddings and face crops.")],
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
           db: DbOption = None) -> None:
    """Delete an entity and everything biometric about it (events and transcripts stay)."""
    from mmem.consolidate import people as ops
    from mmem.errors import InputError

    memory = _open(db, write=True)
    if not yes:
        if not typer.confirm(f"forget {ref} and delete its face/voice data?", default=False):
            raise InputError("nothing forgotten (pass --yes to skip this question)")
    ent = ops.forget(memory, ref)
    out.print(f"forgot {ent.id}")
